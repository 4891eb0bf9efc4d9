/*
 * http.c — the libmicrohttpd glue: daemon start and graceful stop, the
 * access callback that applies the limits, authenticates and dispatches,
 * the completion callback (metrics, access log), per-thread workers and
 * the expiry timer.
 *
 * Limits and their answers (each with a JSON body {"error":{code,message}}):
 *   open connections above max_connections      503 (Retry-After), closed
 *   request headers above max_header bytes      431 (MHD itself answers
 *                                               431 beyond its memory cap)
 *   declared or received body above max_body    413
 *   body still arriving after request_timeout   408
 *   silent connection for idle_timeout          closed by MHD
 *   principal over its token bucket             429 (Retry-After)
 *
 * Threads: MHD's thread pool (cfg.threads) with one connection served by
 * one thread; each thread lazily opens its own wr_ctx (and wr_authz), found
 * through a pthread key and closed at stop.  Graceful stop: quiesce (the
 * listening socket is closed, nothing new is accepted), wait until no
 * request is between its first callback and its completion (or
 * drain_timeout), then stop the daemon.  A request's library call is one
 * SQLite transaction, so even a forced stop leaves nothing half-written.
 */
#define _DEFAULT_SOURCE
#include "server_internal.h"
#include "warrant/notify.h"
#include "console.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t srv_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* ---- responses ------------------------------------------------------------- */
void srv_raw(srv_req *r, int status, const char *ctype, char *body, size_t len)
{
    free(r->body);
    r->status = status;
    r->ctype = ctype;
    r->body = body;
    r->body_len = len;
}

void srv_json(srv_req *r, int status, json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (!s) {
        srv_error(r, 500, "internal", "could not encode the response");
        return;
    }
    srv_raw(r, status, "application/json", s, strlen(s));
}

static const char *error_code_name(int status)
{
    switch (status) {
    case 400: return "invalid_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 409: return "conflict";
    case 413: return "content_too_large";
    case 429: return "rate_limited";
    case 431: return "header_fields_too_large";
    case 503: return "unavailable";
    default: return "internal";
    }
}

static void error_body(srv_req *r, int status, const char *code, const char *msg, json_t *extra)
{
    json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", code ? code : error_code_name(status), "message", msg);
    if (extra) {
        json_object_update_missing(e, extra);
        json_decref(extra);
    }
    srv_json(r, status, e);
}

void srv_error(srv_req *r, int status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_body(r, status, code, msg, NULL);
}

int srv_status_http(int code)
{
    switch (code) {
    case WR_EINVAL: return 400;
    case WR_ENOTFOUND: return 404;
    case WR_ESTATE: return 409;
    case WR_EDENIED: return 403;
    case WR_ECONFLICT: return 409;
    case WR_ELIMIT: return 413;
    default: return 500;
    }
}

void srv_fail(srv_req *r, const wr_err *err, json_t *extra)
{
    int code = err->code ? err->code : WR_EINTERNAL;
    const char *name;
    switch (code) {
    case WR_EINVAL: name = "invalid_request"; break;
    case WR_ENOTFOUND: name = "not_found"; break;
    case WR_ESTATE: name = "invalid_state"; break;
    case WR_EDENIED: name = "denied"; break;
    case WR_ECONFLICT: name = "conflict"; break;
    case WR_ELIMIT: name = "limit_exceeded"; break;
    default: name = "internal"; break;
    }
    error_body(r, srv_status_http(code), name, err->msg[0] ? err->msg : wr_status_name(code), extra);
}

const char *srv_query(srv_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *srv_header(srv_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

void srv_base_url(srv_req *r, char *out, size_t n)
{
    const char *host = srv_header(r, "Host");
    snprintf(out, n, "%s://%s", r->srv->cfg.tls_cert[0] ? "https" : "http",
             host && *host && strlen(host) < 256 && !strpbrk(host, "\"\\ /,;") ? host : "localhost");
}

wr_actor srv_actor(srv_req *r)
{
    wr_actor a = {r->who.principal, "http"};
    return a;
}

/* ---- workers ------------------------------------------------------------------ */
static srv_worker *worker_get(wr_server *s, wr_err *err)
{
    srv_worker *w = pthread_getspecific(s->key);
    if (w)
        return w;
    w = calloc(1, sizeof *w);
    if (!w) {
        wr_fail(err, WR_ENOMEM, "out of memory");
        return NULL;
    }
    if (wr_authz_new(&w->az) != WR_OK ||
        (!s->pdp && wr_ctx_open(s->cfg.data_dir, 0, &w->ctx, err) != WR_OK)) {
        if (!err->code)
            wr_fail(err, WR_ENOMEM, "out of memory");
        wr_authz_free(w->az);
        free(w);
        return NULL;
    }
    pthread_setspecific(s->key, w);
    pthread_mutex_lock(&s->wlock);
    w->next = s->workers;
    s->workers = w;
    pthread_mutex_unlock(&s->wlock);
    return w;
}

/* ---- the access callback ---------------------------------------------------------- */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    size_t *n = cls;
    *n += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static enum MHD_Result send_response(srv_req *r)
{
    r->responded = 1;
    if (!r->body)
        srv_error(r, 500, "internal", "handler produced no response");
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        return MHD_NO;
    r->body = NULL;
    MHD_add_response_header(resp, "Content-Type", r->ctype ? r->ctype : "application/json");
    MHD_add_response_header(resp, "X-Request-ID", r->request_id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", r->cache ? r->cache : "no-store");
    if (r->mcp_session[0])
        MHD_add_response_header(resp, "MCP-Session-Id", r->mcp_session);
    if (r->status == 405 && r->allow[0])
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->status == 401) {
        /* RFC 9728 §5.1: point clients at the protected resource metadata */
        char base[512], www[1024];
        srv_base_url(r, base, sizeof base);
        snprintf(www, sizeof www, "%s, resource_metadata=\"%s/.well-known/oauth-protected-resource\"",
                 r->www_auth ? r->www_auth : "Bearer realm=\"warrant\"", base);
        MHD_add_response_header(resp, "WWW-Authenticate", www);
    }
    if (r->status == 429 || r->status == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    if (r->status == 503 || r->status == 408 || r->status == 413 || r->status == 431)
        MHD_add_response_header(resp, "Connection", "close");
    if (r->srv->pdp && r->srv->stopping)
        MHD_add_response_header(resp, "Connection", "close");
    srv_console_headers(r, resp);   /* cookie, ETag, page security headers */
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static int valid_request_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= 100 || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
                          (s[n] >= '0' && s[n] <= '9') || strchr("-_.:", s[n])))
            return 0;
    return n > 0;
}

/* Everything decided before the body is read: returns 1 when a response
 * (an error) has been prepared. */
static int admit(wr_server *s, srv_req *r, const char *url, const char *method)
{
    if (atomic_load(&s->conns) > (int)s->cfg.max_connections) {
        srv_error(r, 503, NULL, "server is at its connection limit (%u)", s->cfg.max_connections);
        return 1;
    }
    size_t hb = strlen(url) + strlen(method) + 12;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &hb);
    if (hb > s->cfg.max_header) {
        srv_error(r, 431, NULL, "request headers are %zu bytes; at most %zu accepted", hb, s->cfg.max_header);
        return 1;
    }
    if (strlen(url) >= sizeof r->path) {
        srv_error(r, 404, NULL, "no such resource");
        return 1;
    }
    snprintf(r->path, sizeof r->path, "%s", url);
    int m = srv_route_match(srv_routes, srv_nroutes, s->pdp, method, r->path, &r->route, r->params, &r->nparams,
                            r->allow, sizeof r->allow);
    if (m != SRV_MATCH) {
        r->route = srv_nroutes;
        if (m == SRV_NO_METHOD)
            srv_error(r, 405, NULL, "method %s not allowed on %s (allowed: %s)", method, r->path, r->allow);
        else
            srv_error(r, 404, NULL, "no such resource: %s", r->path);
        return 1;
    }
    const char *cl = srv_header(r, "Content-Length");
    if (cl) {
        char *end;
        unsigned long long v = strtoull(cl, &end, 10);
        if (*end == '\0' && v > s->cfg.max_body) {
            srv_error(r, 413, NULL, "request body is %llu bytes; at most %zu accepted", v, s->cfg.max_body);
            return 1;
        }
    }
    wr_err err = {0};
    if (!(r->w = worker_get(s, &err))) {
        srv_error(r, 503, NULL, "worker unavailable: %s", err.msg);
        return 1;
    }
    if (!srv_routes[r->route].auth || s->pdp)
        return 0;
    const char *auth = srv_header(r, "Authorization");
    /* without a bearer token, the console's session cookie (console.h) */
    int by_cookie = auth ? -1 : srv_console_auth(r);
    if (by_cookie == 1)
        return 1;
    if (by_cookie == -1 && (!auth || strncasecmp(auth, "Bearer ", 7) != 0)) {
        r->www_auth = "Bearer realm=\"warrant\"";
        srv_error(r, 401, NULL, "a bearer token is required (Authorization: Bearer TOKEN)");
        return 1;
    }
    const char *tok = by_cookie == -1 ? auth + 7 : "";
    while (*tok == ' ')
        tok++;
    if (by_cookie == -1 && wr_token_verify(wr_ctx_store(r->w->ctx), tok, &r->who, &err) != WR_OK) {
        r->www_auth = err.code == WR_EDENIED ? "Bearer realm=\"warrant\", error=\"invalid_token\"" : NULL;
        if (err.code == WR_EDENIED)
            srv_error(r, 401, NULL, "%s", err.msg);
        else
            srv_fail(r, &err, NULL);
        return 1;
    }
    r->authed = 1;
    if (s->cfg.rate > 0 && !srv_ratelimit_take(&s->rl, r->who.principal, srv_now_us())) {
        atomic_fetch_add(&s->metrics.rate_limited, 1);
        srv_error(r, 429, NULL, "rate limit: %s may make %.0f requests per second (burst %.0f)", r->who.principal,
                  s->cfg.rate, s->cfg.burst);
        return 1;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    wr_server *s = cls;
    srv_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->srv = s;
        r->conn = conn;
        r->method = method;
        r->route = srv_nroutes;
        r->start_us = srv_now_us();
        r->upload.max = s->cfg.max_body + 1;
        atomic_fetch_add(&s->active, 1);
        const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-ID");
        if (rid && valid_request_id(rid))
            snprintf(r->request_id, sizeof r->request_id, "%s", rid);
        else
            wr_id_new("req", r->request_id, sizeof r->request_id);
        if (admit(s, r, url, method))
            return send_response(r);
        return MHD_YES;
    }
    if (r->responded) {
        *upload_size = 0;   /* discard what follows an early answer */
        return MHD_YES;
    }
    if (*upload_size) {
        /* libmicrohttpd cannot queue a response while a body is still
         * arriving, so an oversize or late body is read and discarded, and
         * answered (413 / 408) when it ends; a client that keeps going for
         * twice the request timeout is cut off. */
        int64_t age = srv_now_us() - r->start_us, limit = (int64_t)s->cfg.request_timeout * 1000000;
        if (age > 2 * limit)
            return MHD_NO;
        if (!r->late && !r->too_large && age > limit)
            r->late = 1;
        if (!r->late && !r->too_large &&
            (r->upload.len + *upload_size > s->cfg.max_body ||
             wr_buf_append(&r->upload, upload, *upload_size) != WR_OK))
            r->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->late) {
        srv_error(r, 408, NULL, "request body did not arrive within %u s", s->cfg.request_timeout);
        return send_response(r);
    }
    if (r->too_large) {
        srv_error(r, 413, NULL, "request body exceeds %zu bytes", s->cfg.max_body);
        return send_response(r);
    }
    /* the whole request is here */
    if (r->upload.len && srv_routes[r->route].fn != h_mcp_post) {   /* /mcp takes the raw JSON-RPC text */
        wr_err err = {0};
        if (wr_server_body_parse(r->upload.data, r->upload.len, s->cfg.max_body, &r->json, &err) != WR_OK) {
            srv_fail(r, &err, NULL);
            return send_response(r);
        }
    }
    srv_routes[r->route].fn(r);
    return send_response(r);
}

static void log_access(wr_server *s, srv_req *r, uint64_t us)
{
    json_t *line = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:f,s:s?,s:s?}", "ts", "", "request_id", r->request_id,
                             "method", r->method ? r->method : "", "path", r->path,
                             "route", r->route < srv_nroutes ? srv_routes[r->route].pattern : "-", "status",
                             r->status, "ms", (double)us / 1000.0, "principal",
                             r->authed ? r->who.principal : NULL, "on_behalf_of",
                             r->authed && r->who.on_behalf_of[0] ? r->who.on_behalf_of : NULL);
    char t[21];
    wr_time_format(wr_now(), t);
    json_object_set_new(line, "ts", json_string(t));
    char *txt = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (txt) {
        (void)s;
        fprintf(stderr, "%s\n", txt);   /* one locked stdio call per line */
        free(txt);
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode tc)
{
    (void)conn;
    (void)tc;
    wr_server *s = cls;
    srv_req *r = *con_cls;
    if (!r)
        return;
    uint64_t us = (uint64_t)(srv_now_us() - r->start_us);
    if (r->responded) {
        srv_metrics_request(&s->metrics, r->route, r->status, us);
        if (s->cfg.access_log)
            log_access(s, r, us);
    }
    json_decref(r->json);
    wr_buf_free(&r->upload);
    free(r->body);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->active, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)conn;
    (void)socket_ctx;
    wr_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&s->conns, 1);
    else
        atomic_fetch_sub(&s->conns, 1);
}

/* ---- the timer: expiry and webhook delivery --------------------------------------------
 * One thread, its own context, waking every min(expire_interval,
 * webhook_interval) seconds and running whichever is due.  Webhook delivery
 * blocks on the network (bounded by libcurl's timeouts), which is why it
 * runs here and never on a request thread. */
static void timer_log(const char *event, const wr_err *err)
{
    fprintf(stderr, "{\"event\":\"%s\",\"error\":\"%s\"}\n", event, err->msg);
}

static void run_expire(wr_server *s, wr_ctx *ctx)
{
    wr_err err = {0};
    json_t *out = NULL;
    if (wr_expire(ctx, &out, &err) != WR_OK) {
        timer_log("expire", &err);
    } else {
        size_t n = json_is_array(out) ? json_array_size(out) : json_object_size(out);
        atomic_fetch_add(&s->metrics.expire_runs, 1);
        atomic_fetch_add(&s->metrics.expired_items, n);
    }
    json_decref(out);
}

static void run_webhooks(wr_server *s, wr_ctx *ctx)
{
    wr_err err = {0};
    json_t *out = NULL;
    if (wr_webhook_deliver(ctx, &out, &err) != WR_OK) {
        timer_log("webhooks", &err);
    } else {
        atomic_fetch_add(&s->metrics.webhook_deliveries, (unsigned long long)json_integer_value(json_object_get(out, "delivered")));
        atomic_fetch_add(&s->metrics.webhook_failures, (unsigned long long)json_integer_value(json_object_get(out, "failed")));
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(out, "webhooks"), i, h)
            if (json_object_get(h, "error"))
                fprintf(stderr, "{\"event\":\"webhook\",\"id\":\"%s\",\"error\":\"%s\"}\n",
                        json_string_value(json_object_get(h, "id")), json_string_value(json_object_get(h, "error")));
    }
    json_decref(out);
}

static void *timer_main(void *arg)
{
    wr_server *s = arg;
    wr_ctx *ctx = NULL;
    wr_err err = {0};
    unsigned ex = s->cfg.expire_interval, wh = s->cfg.webhook_interval;
    unsigned tick = !ex ? wh : !wh ? ex : ex < wh ? ex : wh;
    time_t next_ex = time(NULL) + ex, next_wh = time(NULL) + wh;
    pthread_mutex_lock(&s->tlock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += tick;
        while (!s->stopping && pthread_cond_timedwait(&s->tcond, &s->tlock, &until) != ETIMEDOUT)
            ;
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->tlock);
        time_t now = time(NULL);
        if (!ctx && wr_ctx_open(s->cfg.data_dir, 0, &ctx, &err) != WR_OK) {
            timer_log("timer", &err);
        } else {
            if (ex && now >= next_ex) {
                run_expire(s, ctx);
                next_ex = now + ex;
            }
            if (wh && now >= next_wh) {
                run_webhooks(s, ctx);
                next_wh = now + wh;
            }
        }
        pthread_mutex_lock(&s->tlock);
    }
    pthread_mutex_unlock(&s->tlock);
    wr_ctx_close(ctx);
    return NULL;
}

/* ---- start and stop ---------------------------------------------------------------------- */
static int bind_listen(wr_server *s, wr_err *err)
{
    char host[256];
    const char *l = s->cfg.listen, *colon = strrchr(l, ':');
    if (!colon)
        return wr_fail(err, WR_EINVAL, "listen '%s': expected HOST:PORT", l);
    size_t hl = (size_t)(colon - l);
    if (hl >= sizeof host)
        return wr_fail(err, WR_EINVAL, "listen '%s': host too long", l);
    memcpy(host, l, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return wr_fail(err, WR_EINVAL, "listen '%s': bad port", l);
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    int family;
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return wr_fail(err, WR_EINVAL, "listen '%s': bad IPv6 address", l);
        sl = sizeof *a;
        family = AF_INET6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (strcmp(host, "localhost") == 0)
            snprintf(host, sizeof host, "127.0.0.1");
        if (inet_pton(AF_INET, hl ? host : "0.0.0.0", &a->sin_addr) != 1)
            return wr_fail(err, WR_EINVAL, "listen '%s': bad IPv4 address", l);
        sl = sizeof *a;
        family = AF_INET;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return wr_fail(err, WR_EIO, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 512) != 0) {
        int e = errno;
        close(fd);
        return wr_fail(err, WR_EIO, "listen on %s: %s", l, strerror(e));
    }
    sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                      : ((struct sockaddr_in6 *)&ss)->sin6_port);
    s->fd = fd;
    return WR_OK;
}

static void workers_free(wr_server *s)
{
    srv_worker *w = s->workers;
    while (w) {
        srv_worker *n = w->next;
        wr_ctx_close(w->ctx);
        wr_authz_free(w->az);
        free(w);
        w = n;
    }
    s->workers = NULL;
}

static void server_free(wr_server *s)
{
    if (!s)
        return;
    workers_free(s);
    srv_mcp_free(&s->mcp);
    pthread_key_delete(s->key);
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->tlock);
    pthread_cond_destroy(&s->tcond);
    srv_metrics_free(&s->metrics);
    srv_ratelimit_free(&s->rl);
    if (s->key_pem)
        wr_wipe(s->key_pem, strlen(s->key_pem));
    free(s->key_pem);
    free(s->cert_pem);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    json_t *o = json_pack("{s:s,s:s}", "event", "http", "message", msg);
    char *t = json_dumps(o, JSON_COMPACT);
    if (t)
        fprintf(stderr, "%s\n", t);
    free(t);
    json_decref(o);
}

static int start(const wr_server_config *c, int pdp, const wr_pdp_source *src, wr_server **out, wr_err *err)
{
    wr_server *s = calloc(1, sizeof *s);
    if (!s)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    s->cfg = *c;
    s->pdp = pdp;
    s->fd = -1;
    if (src)
        s->src = *src;
    pthread_key_create(&s->key, NULL);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->tlock, NULL);
    pthread_cond_init(&s->tcond, NULL);
    int rc;
    srv_mcp_init(&s->mcp);
    if (srv_metrics_init(&s->metrics) || srv_ratelimit_init(&s->rl, c->rate, c->burst)) {
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
        goto fail;
    }
    if (!pdp) {
        /* open once now so a bad data directory fails at start, not per request */
        wr_ctx *probe = NULL;
        if ((rc = wr_ctx_open(c->data_dir, 0, &probe, err)))
            goto fail;
        wr_ctx_close(probe);
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (c->tls_cert[0] || c->tls_key[0]) {
        size_t n;
        if (!c->tls_cert[0] || !c->tls_key[0]) {
            rc = wr_fail(err, WR_EINVAL, "TLS needs both tls_cert and tls_key");
            goto fail;
        }
        if ((rc = wr_file_read(c->tls_cert, 1 << 20, &s->cert_pem, &n, err)) ||
            (rc = wr_file_read(c->tls_key, 1 << 20, &s->key_pem, &n, err)))
            goto fail;
        flags |= MHD_USE_TLS;
    }
    if ((rc = bind_listen(s, err)))
        goto fail;
    struct MHD_OptionItem opts[16];
    int k = 0;
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, s->fd, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, c->threads, NULL};
    /* hard cap above the soft one, so the soft one can answer 503 */
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, c->max_connections + 64, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                        (intptr_t)(c->max_header * 2 + 32768), NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s};
    if (flags & MHD_USE_TLS) {
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem};
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem};
    }
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                            /* the logger first, so MHD never prints through its own */
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->d) {
        rc = wr_fail(err, WR_EIO, "could not start the HTTP daemon on %s%s", c->listen,
                     (flags & MHD_USE_TLS) ? " (check the TLS certificate and key)" : "");
        goto fail;
    }
    if (!pdp && (c->expire_interval || c->webhook_interval)) {
        if (pthread_create(&s->timer, NULL, timer_main, s) == 0)
            s->timer_started = 1;
    }
    if (c->port_file[0]) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%d\n", s->port);
        if ((rc = wr_file_write_atomic(c->port_file, buf, (size_t)n, 0644, err))) {
            wr_server_stop(s);
            return rc;
        }
    }
    *out = s;
    return WR_OK;
fail:
    server_free(s);
    return rc;
}

int wr_server_start(const wr_server_config *c, wr_server **out, wr_err *err)
{
    if (!c->data_dir[0])
        return wr_fail(err, WR_EINVAL, "serve: no data directory");
    return start(c, 0, NULL, out, err);
}

int wr_pdp_server_start(const wr_server_config *c, const wr_pdp_source *src, wr_server **out, wr_err *err)
{
    if (!src || !src->policies || !src->entities)
        return wr_fail(err, WR_EINVAL, "cedar serve: a policy set and an entity store are required");
    return start(c, 1, src, out, err);
}

int wr_server_port(const wr_server *s) { return s->port; }

void wr_server_stop(wr_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->tlock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->tcond);
    pthread_mutex_unlock(&s->tlock);
    if (s->timer_started)
        pthread_join(s->timer, NULL);
    if (s->d) {
        MHD_socket lfd = MHD_quiesce_daemon(s->d);
        if (lfd != MHD_INVALID_SOCKET && lfd == s->fd) {
            close(s->fd);
            s->fd = -1;
        }
        int64_t until = srv_now_us() + (int64_t)s->cfg.drain_timeout * 1000000;
        while (atomic_load(&s->active) > 0 && srv_now_us() < until)
            usleep(10000);
        MHD_stop_daemon(s->d);   /* closes the listening socket if still open */
        s->d = NULL;
        s->fd = -1;
    }
    server_free(s);
}
