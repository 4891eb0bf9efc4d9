/*
 * warrant/server.h — `warrant serve`: the authenticated HTTP API over the
 * governance workflow, the OpenID AuthZEN Authorization API 1.0 decision
 * endpoints, publication of the lineage log as C2SP tlog-tiles, metrics and
 * limits; and `warrant cedar serve`, a stateless AuthZEN PDP over a given
 * policy set.  Built on libmicrohttpd (thread-pool mode).
 *
 * Every mutation a request asks for goes through the same library calls as
 * the CLI (wr_change_*, wr_principal_*, wr_mandate_*, wr_decide, ...); the
 * server adds transport, authentication and limits, nothing else.
 *
 * Threads: a wr_ctx is not thread-safe, so each worker thread of the pool
 * opens its own wr_ctx on the data directory on first use (SQLite then
 * serialises writers with BEGIN IMMEDIATE exactly as it does for several
 * CLI processes); the expiry timer has its own too.  Policy sets, schemas
 * and entity stores are immutable and shared; each thread has its own
 * wr_authz scratch.
 *
 * Bearer tokens (see docs/server.md): "<id>.<64 hex>" where the 256-bit
 * secret is random; the store keeps only its BLAKE2b-256 hash, compared in
 * constant time.  A human mints their own tokens, and those of the
 * copilots acting for them (the token then carries both identities) and of
 * the agents and services they own.
 */
#ifndef WARRANT_SERVER_H
#define WARRANT_SERVER_H

#include "warrant/core.h"
#include "warrant/policy.h"
#include "warrant/workflow.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tokens ----------------------------------------------------------- */
#define WR_TOKEN_MAX_TTL ((int64_t)366 * 86400)   /* a token lives at most a year */
#define WR_TOKEN_DEFAULT_TTL ((int64_t)30 * 86400)
#define WR_TOKEN_MAX_NAME 128
#define WR_TOKEN_USE_STAMP 60   /* last_used_at is refreshed at most this often (s) */

/* Mints a token for principal (NULL: the creator) as human creator, valid
 * ttl seconds (0: WR_TOKEN_DEFAULT_TTL).  *token (caller frees and should
 * wipe) is the secret, shown once; *info (caller decrefs) describes it:
 * {"id","name","principal","on_behalf_of"?,"created_by","created_at",
 *  "expires_at"}.  WR_EDENIED when creator may not mint for principal. */
int wr_token_create(wr_ctx *ctx, const char *creator, const char *principal, int64_t ttl,
                    const char *name, char **token, json_t **info, wr_err *err) WR_MUST_CHECK;
/* Tokens minted by or bound to `who` (NULL: all), newest first, without
 * secrets.  Each carries "state": active | expired | revoked, and
 * "last_used_at" (null if never used; WR_TOKEN_USE_STAMP granularity). */
int wr_token_list(wr_ctx *ctx, const char *who, json_t **out, wr_err *err) WR_MUST_CHECK;
/* Revokes token id.  who (NULL: local administration) must be its creator
 * or the principal it is bound to.  Revoking twice is WR_ESTATE. */
int wr_token_revoke(wr_ctx *ctx, const char *who, const char *id, wr_err *err) WR_MUST_CHECK;

/* Who a verified token acts as. */
typedef struct wr_token_info {
    char id[64];
    char principal[128];
    char on_behalf_of[128];   /* "" unless a copilot's token */
} wr_token_info;
/* Checks a presented token: WR_EDENIED (with a reason) when it is
 * malformed, unknown, expired or revoked, or its principal is not active.
 * A token that passes has its last_used_at stamped (best effort: a busy
 * store never turns a valid token away). */
int wr_token_verify(wr_store *s, const char *token, wr_token_info *out, wr_err *err) WR_MUST_CHECK;

/* ---- configuration ------------------------------------------------------ */
typedef struct wr_server_config {
    char listen[256];          /* "127.0.0.1:8080", "[::1]:8080"; port 0: any */
    char data_dir[4096];       /* full server: the data directory */
    char tls_cert[4096], tls_key[4096];  /* PEM files; both set: HTTPS */
    char port_file[4096];      /* if set, the bound port is written here */
    unsigned threads;          /* worker threads (default 2) */
    size_t max_body;           /* request body cap, bytes (default 1 MiB) */
    size_t max_header;         /* total request header bytes (default 16 KiB) */
    unsigned max_connections;  /* open connections before 503 (default 256) */
    unsigned idle_timeout;     /* seconds a silent connection is kept (default 30) */
    unsigned request_timeout;  /* seconds a request may take to arrive (default 10) */
    double rate;               /* requests/second per principal (default 50; 0: off) */
    double burst;              /* bucket size (default 100) */
    unsigned expire_interval;  /* seconds between wr_expire runs (default 60; 0: off) */
    unsigned webhook_interval; /* seconds between wr_webhook_deliver runs (default 5; 0: off) */
    unsigned drain_timeout;    /* seconds to let in-flight requests finish (default 10) */
    int access_log;            /* JSON access log lines on stderr (default 1) */
    char allowed_origins[1024];/* /mcp: comma-separated Origins accepted besides none */
    unsigned session_ttl;      /* console sessions live this many seconds (default 28800) */
} wr_server_config;

void wr_server_config_init(wr_server_config *c);
/* One setting by key (the keys of the config file, see docs/server.md). */
int wr_server_config_set(wr_server_config *c, const char *key, const char *value,
                         wr_err *err) WR_MUST_CHECK;
/* Reads a config file: "key = value" lines ('#' comments) or one JSON
 * object with the same keys.  Errors are "file:line: message". */
int wr_server_config_load(wr_server_config *c, const char *path, wr_err *err) WR_MUST_CHECK;

/* ---- servers -------------------------------------------------------------- */
typedef struct wr_server wr_server;

/* Starts the full server over c->data_dir. */
int wr_server_start(const wr_server_config *c, wr_server **out, wr_err *err) WR_MUST_CHECK;

/* A stateless AuthZEN PDP over a policy set (all borrowed; they must
 * outlive the server).  ents_json is the entity store as Cedar entity JSON
 * (for merging request properties and for search); may be NULL.  actions
 * (NULL-terminated, may be NULL) are the candidates of action search
 * besides the Action entities of the store. */
typedef struct wr_pdp_source {
    const wr_policy_set *policies;
    const wr_schema *schema;
    const wr_entities *entities;
    const json_t *entities_json;
    const char *const *actions;
} wr_pdp_source;
int wr_pdp_server_start(const wr_server_config *c, const wr_pdp_source *src, wr_server **out,
                        wr_err *err) WR_MUST_CHECK;

/* The TCP port the server listens on. */
int wr_server_port(const wr_server *s);
/* Graceful stop: stops accepting, lets in-flight requests finish (up to
 * drain_timeout), stops the timer, closes everything.  NULL is a no-op. */
void wr_server_stop(wr_server *s);

/* ---- pieces exposed for tests and fuzzing --------------------------------- */
/* The route table: method, path pattern ("/v1/changes/{id}"; a last
 * segment "{name*}" matches the rest of the path), whether it needs a
 * bearer token.  Returns the count; *out is borrowed. */
typedef struct wr_route_info {
    const char *method, *pattern;
    int auth;          /* 1: bearer token required */
    int pdp;           /* 1: also served by `warrant cedar serve` */
} wr_route_info;
size_t wr_server_routes(const wr_route_info **out);
/* The OpenAPI 3.1 document served at /openapi.json (NUL-terminated). */
const char *wr_server_openapi(void);

/* Parses a request body: a JSON object at most max bytes, with no "actor"
 * or "as" member anywhere at top level (a request never names its actor).
 * *out caller decrefs.  Messages name the JSON position or member. */
int wr_server_body_parse(const char *data, size_t len, size_t max, json_t **out,
                         wr_err *err) WR_MUST_CHECK;

/* One AuthZEN evaluation request turned into a Cedar request.  Strings are
 * borrowed from the JSON given to wr_authzen_parse; context and entities
 * are owned (wr_authzen_req_clear). */
typedef struct wr_authzen_req {
    const char *subject_type, *subject_id, *resource_type, *resource_id, *action;
    const json_t *subject_props, *resource_props, *action_props;  /* borrowed; may be NULL */
    json_t *context;   /* the Cedar context (owned) */
} wr_authzen_req;
/* Parses an evaluation request (item over defaults, each may be NULL) as
 * AuthZEN 1.0 §5-§7 describe: subject {type,id,properties?}, resource
 * {type,id,properties?}, action {name,properties?}, context {}.  Missing or
 * mistyped members are WR_EINVAL naming the member. */
int wr_authzen_parse(const json_t *item, const json_t *defaults, wr_authzen_req *out,
                     wr_err *err) WR_MUST_CHECK;
void wr_authzen_req_clear(wr_authzen_req *r);

#ifdef __cplusplus
}
#endif
#endif
