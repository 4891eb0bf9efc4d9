/*
 * http_client.c — outbound HTTP over libcurl (contract in http_client.h).
 *
 * A session is one easy handle reset before every call: curl_easy_reset
 * drops every option (no header or credential leaks from one call to the
 * next) but keeps the connection cache, so a run of calls to one host
 * pays one TCP and TLS handshake.  Without a session a call uses a handle
 * of its own.  curl_global_init is not thread-safe, hence pthread_once.
 */
#include "http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 10000L

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct sink {
    wr_buf *buf;
    size_t dropped;
    int over;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    sink *s = arg;
    size_t len = size * n;
    if (!s->buf) {
        s->dropped += len;
        return s->dropped > ((size_t)1 << 20) ? 0 : len;   /* a discarded body is still bounded */
    }
    if (wr_buf_append(s->buf, p, len) != WR_OK) {
        s->over = 1;
        return 0;
    }
    return len;
}

struct wr_http_session {
    CURL *c;
};

int wr_http_session_new(wr_http_session **out, wr_err *err)
{
    pthread_once(&once, init_once);
    wr_http_session *s = calloc(1, sizeof *s);
    if (!s || !(s->c = curl_easy_init())) {
        free(s);
        return wr_fail(err, WR_ENOMEM, "cannot start libcurl");
    }
    *out = s;
    return WR_OK;
}

void wr_http_session_free(wr_http_session *s)
{
    if (s) {
        curl_easy_cleanup(s->c);
        free(s);
    }
}

int wr_http_call(wr_http_session *sess, const wr_http_req *req, long *status, wr_buf *response, wr_err *err)
{
    pthread_once(&once, init_once);
    CURL *c = sess ? sess->c : curl_easy_init();
    if (!c)
        return wr_fail(err, WR_ENOMEM, "%s: cannot start libcurl", req->url);
    if (sess)
        curl_easy_reset(c);
    struct curl_slist *hdr = NULL;
    for (const char *const *h = req->headers; h && *h; h++)
        hdr = curl_slist_append(hdr, *h);
    hdr = curl_slist_append(hdr, "expect:");   /* no 100-continue round trip */
    char ebuf[CURL_ERROR_SIZE] = "";
    sink s = {response, 0, 0};
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms ? req->connect_timeout_ms
                                                                           : DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "warrant/" WARRANT_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    if (req->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
    CURLcode cc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (!sess)
        curl_easy_cleanup(c);
    curl_slist_free_all(hdr);
    if (s.over)
        return wr_fail(err, WR_ELIMIT, "%s %s: answer over %zu bytes", req->method, req->url,
                       response->max ? response->max : WR_BUF_DEFAULT_MAX);
    if (cc == CURLE_WRITE_ERROR && !response && *status)
        return WR_OK;   /* a long discarded body: the status is what counts */
    if (cc != CURLE_OK)
        return wr_fail(err, WR_EIO, "%s %s: %s", req->method, req->url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
    return WR_OK;
}

int wr_http_escape(wr_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                   *p == '-' || *p == '.' || *p == '_' || *p == '~';
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        int rc = keep ? wr_buf_append(b, p, 1) : wr_buf_append(b, enc, 3);
        if (rc)
            return rc;
    }
    return WR_OK;
}
