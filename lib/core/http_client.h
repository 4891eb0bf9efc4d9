/*
 * http_client.h — outbound HTTP for the library's own use (webhooks in
 * lib/notify, the SCIM connector in lib/connector), over libcurl.
 *
 * One call, one request, with the safety every caller needs and none may
 * forget: only http and https, redirects never followed (a redirect could
 * carry a bearer token elsewhere), connect and total timeouts, no signals
 * (threads), and a hard cap on the response kept in memory.  Internal: not
 * part of the public API.
 */
#ifndef WARRANT_HTTP_CLIENT_H
#define WARRANT_HTTP_CLIENT_H

#include "warrant/core.h"

typedef struct wr_http_req {
    const char *method;            /* "GET", "POST", "PATCH", ... */
    const char *url;
    const char *const *headers;    /* "name: value" lines, NULL-terminated; may be NULL */
    const char *body;              /* may be NULL */
    size_t body_len;
    long connect_timeout_ms;       /* 0: 10 s */
    long timeout_ms;               /* 0: 10 s */
    const char *ca_file;           /* NULL: the system's CAs */
} wr_http_req;

/* A session reuses its connections (keep-alive, TLS session) from one call
 * to the next: a webhook run or a connector makes many requests to one
 * host.  Options never carry over (each call sets its own). */
typedef struct wr_http_session wr_http_session;
int wr_http_session_new(wr_http_session **out, wr_err *err) WR_MUST_CHECK;
void wr_http_session_free(wr_http_session *s);

/* Performs req on session s (NULL: a one-off connection).  *status receives the HTTP status (any status is WR_OK:
 * the caller decides what a 4xx means); a transport failure (DNS,
 * connection, TLS, timeout) is WR_EIO with libcurl's reason.  The body of
 * the answer is appended to response (may be NULL: read and dropped); a
 * body beyond response->max fails with WR_ELIMIT. */
int wr_http_call(wr_http_session *s, const wr_http_req *req, long *status, wr_buf *response,
                 wr_err *err) WR_MUST_CHECK;

/* URL-encodes s (RFC 3986 unreserved characters kept) into b. */
int wr_http_escape(wr_buf *b, const char *s) WR_MUST_CHECK;

#endif
