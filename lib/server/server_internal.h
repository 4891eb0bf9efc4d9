/*
 * server_internal.h — what the files of lib/server share: the route table
 * and matcher, the per-request state handed to handlers, per-thread
 * workers, metrics, the rate limiter, and the server object itself.
 *
 * A request goes: MHD access callback (http.c) -> limits (connections,
 * headers, body, time) -> route match (router.c) -> bearer token ->
 * rate limit -> handler (handlers_*.c) -> response; the completion
 * callback records metrics and writes the access-log line.
 */
#ifndef WARRANT_SERVER_INTERNAL_H
#define WARRANT_SERVER_INTERNAL_H

#include "warrant/server.h"
#include "warrant/inventory.h"
#include "warrant/mcp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---- routing ----------------------------------------------------------- */
#define SRV_MAX_PARAMS 4
#define SRV_MAX_PARAM 512

typedef struct srv_req srv_req;
typedef void (*srv_handler)(srv_req *r);

typedef struct srv_route {
    const char *method;     /* "GET", "POST", "DELETE" */
    const char *pattern;    /* "/v1/changes/{id}/approve"; "{rest*}" last */
    srv_handler fn;
    int auth;               /* 1: bearer token required */
    int pdp;                /* 1: also served by the stateless PDP */
} srv_route;

extern const srv_route srv_routes[];
extern const size_t srv_nroutes;

enum { SRV_MATCH = 0, SRV_NO_PATH = 1, SRV_NO_METHOD = 2 };
/* Finds the route for method and path among tab[0..n).  On SRV_MATCH *idx
 * is its index and params[0..*nparams) hold the decoded path parameters.
 * On SRV_NO_METHOD, allow (size allowlen) lists the methods the path
 * accepts ("GET, POST").  pdp_only restricts to routes with pdp set. */
int srv_route_match(const srv_route *tab, size_t n, int pdp_only, const char *method, const char *path,
                    size_t *idx, char params[SRV_MAX_PARAMS][SRV_MAX_PARAM], int *nparams, char *allow,
                    size_t allowlen);

/* ---- per-thread workers ---------------------------------------------------- */
typedef struct srv_worker {
    wr_ctx *ctx;            /* full server: this thread's own context */
    wr_authz *az;           /* evaluation scratch */
    struct srv_worker *next;
} srv_worker;

/* ---- metrics ---------------------------------------------------------------- */
#define SRV_NSTATUS 18
#define SRV_NBUCKETS 12
enum { SRV_DEC_ALLOW, SRV_DEC_DENY, SRV_DEC_APPROVAL, SRV_DEC_ERROR, SRV_NDEC };
typedef struct srv_metrics {
    /* [route index or srv_nroutes for unrouted][status slot] */
    atomic_ullong *requests;
    atomic_ullong latency[SRV_NBUCKETS + 1];
    atomic_ullong latency_sum_us, latency_count;
    atomic_ullong decisions[SRV_NDEC];
    atomic_ullong rate_limited, expire_runs, expired_items, webhook_deliveries, webhook_failures;
} srv_metrics;
int srv_metrics_init(srv_metrics *m);
void srv_metrics_free(srv_metrics *m);
void srv_metrics_request(srv_metrics *m, size_t route, int status, uint64_t micros);
/* Prometheus text exposition; gauges measured by the caller. */
int srv_metrics_render(const srv_metrics *m, int pdp, long long pending, long long log_size,
                       long long open_conns, wr_buf *out);

/* ---- rate limiting (token bucket per principal) ------------------------------ */
#define SRV_RL_SLOTS 4096
typedef struct srv_bucket {
    char key[128];
    double tokens;
    int64_t last_us;
} srv_bucket;
typedef struct srv_ratelimit {
    pthread_mutex_t lock;
    double rate, burst;
    srv_bucket *slots;      /* open addressing; a full table shares the last slot */
} srv_ratelimit;
int srv_ratelimit_init(srv_ratelimit *rl, double rate, double burst);
void srv_ratelimit_free(srv_ratelimit *rl);
/* 1 when key may make one more request now (now_us: monotonic micros). */
int srv_ratelimit_take(srv_ratelimit *rl, const char *key, int64_t now_us);

/* ---- MCP sessions over Streamable HTTP (mcp_http.c) ------------------------------
 * A session belongs to the wr_ctx that created it, and requests of one
 * session may arrive on any worker thread, so MCP has its own wr_ctx and
 * one mutex around it: MCP requests are served one at a time (documented
 * in docs/server.md).  At most SRV_MAX_MCP_SESSIONS live; the least
 * recently used is evicted to make room. */
#define SRV_MAX_MCP_SESSIONS 256
typedef struct srv_mcp {
    pthread_mutex_t lock;
    wr_ctx *ctx;
    struct srv_mcp_slot {
        wr_mcp_session *s;
        int64_t used_us;
    } slot[SRV_MAX_MCP_SESSIONS];
} srv_mcp;
void srv_mcp_init(srv_mcp *m);
void srv_mcp_free(srv_mcp *m);

/* ---- the server ------------------------------------------------------------------ */
struct wr_server {
    wr_server_config cfg;
    int pdp;                        /* 1: stateless PDP (`cedar serve`) */
    wr_pdp_source src;
    struct MHD_Daemon *d;
    int fd, port;
    char *cert_pem, *key_pem;
    pthread_key_t key;
    pthread_mutex_t wlock;
    srv_worker *workers;
    atomic_int active, conns;
    srv_metrics metrics;
    srv_ratelimit rl;
    srv_mcp mcp;
    pthread_t timer;
    int timer_started, stopping;
    pthread_mutex_t tlock;
    pthread_cond_t tcond;
};

/* ---- one request ------------------------------------------------------------------ */
struct srv_req {
    wr_server *srv;
    srv_worker *w;
    struct MHD_Connection *conn;
    const char *method;
    char path[2048];
    size_t route;                   /* index, or srv_nroutes when none */
    char params[SRV_MAX_PARAMS][SRV_MAX_PARAM];
    int nparams;
    char request_id[128];
    wr_token_info who;              /* the authenticated principal */
    int authed;
    wr_buf upload;
    int64_t start_us;               /* monotonic */
    int responded;
    int too_large, late;            /* body over max_body / after request_timeout */
    /* response being built */
    int status;
    char *body;                     /* owned */
    size_t body_len;
    const char *ctype;
    const char *cache;              /* Cache-Control, or NULL */
    char allow[64];                 /* 405: Allow */
    const char *www_auth;           /* 401: WWW-Authenticate */
    char mcp_session[160];          /* MCP-Session-Id to send, or "" */
    json_t *json;                   /* request body, parsed (borrowed by handlers) */
    /* the console (console.h) */
    int via_session;                /* authenticated by the session cookie */
    char csrf[65];                  /* that session's CSRF token (hex) */
    int64_t session_expires;
    char set_cookie[256];           /* Set-Cookie to send, or "" */
    int page;                       /* a console file: browser security headers */
    const char *etag;               /* ETag to send, or NULL */
};

/* Response helpers (handlers call exactly one). */
void srv_json(srv_req *r, int status, json_t *v);          /* steals v */
void srv_raw(srv_req *r, int status, const char *ctype, char *body, size_t len); /* steals body */
void srv_error(srv_req *r, int status, const char *code, const char *fmt, ...) WR_PRINTF(4, 5);
/* Maps a library failure to HTTP (EINVAL 400, ENOTFOUND 404, ESTATE 409,
 * EDENIED 403, ECONFLICT 409, ELIMIT 413, else 500); extra (stolen, may be
 * NULL) is added to the body, e.g. the denied change. */
void srv_fail(srv_req *r, const wr_err *err, json_t *extra);
int srv_status_http(int code);
/* A query-string argument (NULL if absent). */
const char *srv_query(srv_req *r, const char *key);
/* An optional whole-number query argument in lo..hi: *out is left alone
 * when absent (*present 0); -1 when it is malformed (400 answered). */
int srv_query_int(srv_req *r, const char *key, long long lo, long long hi, long long *out, int *present);
/* The readiness scope of ?scope=overall|system|domain&id=; -1 when bad
 * (400 answered). */
int srv_readiness_scope(srv_req *r, const char **scope, const char **id);
/* 1 when the authenticated principal is not a human (copilot, agent,
 * service). */
int srv_is_ai(srv_req *r);
/* A governed read (wr_read_check) for an AI principal's request: 1 when
 * allowed (always for people), else 0 with the error answered (403 with
 * the explanation, 404, ...). */
int srv_read_ok(srv_req *r, const char *what, const char *scope, const char *id);
/* A request header (NULL if absent). */
const char *srv_header(srv_req *r, const char *key);
/* The authenticated actor, channel "http". */
wr_actor srv_actor(srv_req *r);
int64_t srv_now_us(void);

/* Handlers (routes.c lists them). */
void h_healthz(srv_req *r);
void h_metrics(srv_req *r);
void h_openapi(srv_req *r);
void h_log(srv_req *r);
void h_whoami(srv_req *r);
void h_principals_list(srv_req *r);
void h_principals_add(srv_req *r);
void h_principals_get(srv_req *r);
void h_mandates_list(srv_req *r);
void h_mandates_create(srv_req *r);
void h_mandates_get(srv_req *r);
void h_mandates_close(srv_req *r);
void h_changes_list(srv_req *r);
void h_changes_propose(srv_req *r);
void h_changes_get(srv_req *r);
void h_changes_approve(srv_req *r);
void h_changes_reject(srv_req *r);
void h_changes_execute(srv_req *r);
void h_changes_validate(srv_req *r);
void h_changes_close(srv_req *r);
void h_changes_rollback(srv_req *r);
void h_changes_lineage(srv_req *r);
void h_readiness(srv_req *r);
void h_decisions(srv_req *r);
void h_inventory(srv_req *r);
void h_tokens_list(srv_req *r);
void h_tokens_revoke(srv_req *r);
void h_az_config(srv_req *r);
void h_az_evaluation(srv_req *r);
void h_az_evaluations(srv_req *r);
void h_az_search_subject(srv_req *r);
void h_az_search_resource(srv_req *r);
void h_az_search_action(srv_req *r);
void h_mcp_post(srv_req *r);
void h_mcp_delete(srv_req *r);
void h_oauth_resource(srv_req *r);
/* "http(s)://host" of this request (for metadata documents). */
void srv_base_url(srv_req *r, char *out, size_t n);

/* log publication (tiles.c): path is what follows "/log/". */
int srv_log_read(wr_store *s, wr_ledger *l, const char *path, char **body, size_t *len, int *immutable,
                 wr_err *err) WR_MUST_CHECK;

#endif
