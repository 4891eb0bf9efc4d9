/*
 * mcp_http.c — the MCP Streamable HTTP transport at /mcp over the session
 * API of warrant/mcp.h (which does the JSON-RPC and the governed tools).
 *
 *   POST /mcp     one JSON-RPC message.  An "initialize" request without
 *                 MCP-Session-Id creates a session for the bearer token's
 *                 principal (a copilot, agent or service) and the answer
 *                 carries MCP-Session-Id; every other message must carry
 *                 it (400 without, 404 for an unknown or ended session, 403
 *                 when the session belongs to another principal).  A
 *                 response is 200 application/json; a notification or a
 *                 client response is 202 with no body.
 *   DELETE /mcp   ends the session (204).
 *   GET /mcp      405: this server does not open server-to-client streams.
 * Origin: a request with an Origin header is accepted only from loopback
 * origins or those listed in allowed_origins (403 otherwise), against DNS
 * rebinding.  /.well-known/oauth-protected-resource (RFC 9728) describes
 * the resource and its bearer tokens; 401 answers point to it.
 */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

void srv_mcp_init(srv_mcp *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
}

void srv_mcp_free(srv_mcp *m)
{
    for (int i = 0; i < SRV_MAX_MCP_SESSIONS; i++)
        wr_mcp_session_free(m->slot[i].s);
    wr_ctx_close(m->ctx);
    pthread_mutex_destroy(&m->lock);
    memset(m->slot, 0, sizeof m->slot);
    m->ctx = NULL;
}

/* Is origin "scheme://host[:port]" a loopback origin or listed? */
static int origin_ok(const char *origin, const char *allowed)
{
    const char *h = strstr(origin, "://");
    if (!h)
        return 0;
    h += 3;
    static const char *const loop[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof loop / sizeof loop[0]; i++) {
        size_t n = strlen(loop[i]);
        if (strncmp(h, loop[i], n) == 0 && (h[n] == '\0' || h[n] == ':'))
            return 1;
    }
    size_t ol = strlen(origin);
    for (const char *p = allowed; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if (e > p && (size_t)(e - p) == ol && strncmp(p, origin, ol) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* Common checks; returns the slot index of the request's session, -1 when
 * there is none (initialize), or -2 after answering an error.  Caller
 * holds the lock. */
static int find_session(srv_req *r, int creating)
{
    const char *origin = srv_header(r, "Origin");
    if (origin && !origin_ok(origin, r->srv->cfg.allowed_origins)) {
        srv_error(r, 403, "forbidden_origin", "Origin '%.200s' is not allowed", origin);
        return -2;
    }
    const char *sid = srv_header(r, "MCP-Session-Id");
    if (!sid) {
        if (creating)
            return -1;
        srv_error(r, 400, NULL, "MCP-Session-Id header is required (initialize first)");
        return -2;
    }
    srv_mcp *m = &r->srv->mcp;
    for (int i = 0; i < SRV_MAX_MCP_SESSIONS; i++) {
        if (!m->slot[i].s || strcmp(wr_mcp_session_id(m->slot[i].s), sid) != 0)
            continue;
        if (strcmp(wr_mcp_session_principal(m->slot[i].s), r->who.principal) != 0) {
            srv_error(r, 403, NULL, "this MCP session belongs to another principal");
            return -2;
        }
        m->slot[i].used_us = srv_now_us();
        return i;
    }
    srv_error(r, 404, NULL, "MCP session not found or ended; initialize a new one");
    return -2;
}

static int is_initialize(const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    const char *m = json_string_value(json_object_get(j, "method"));
    int yes = m && strcmp(m, "initialize") == 0 && json_object_get(j, "id");
    json_decref(j);
    return yes;
}

static int new_session(srv_req *r, wr_err *err)
{
    srv_mcp *m = &r->srv->mcp;
    int rc;
    if (!m->ctx && (rc = wr_ctx_open(r->srv->cfg.data_dir, 0, &m->ctx, err)))
        return -1;
    int free_slot = -1, lru = 0;
    for (int i = 0; i < SRV_MAX_MCP_SESSIONS && free_slot < 0; i++) {
        if (!m->slot[i].s)
            free_slot = i;
        else if (m->slot[i].used_us < m->slot[lru].used_us)
            lru = i;
    }
    if (free_slot < 0) {   /* full: the least recently used session ends */
        wr_mcp_session_free(m->slot[lru].s);
        m->slot[lru].s = NULL;
        free_slot = lru;
    }
    if ((rc = wr_mcp_session_new(m->ctx, r->who.principal, &m->slot[free_slot].s, err)))
        return -1;
    m->slot[free_slot].used_us = srv_now_us();
    return free_slot;
}

void h_mcp_post(srv_req *r)
{
    if (!r->upload.len) {
        srv_error(r, 400, NULL, "request body: a JSON-RPC message is required");
        return;
    }
    srv_mcp *m = &r->srv->mcp;
    pthread_mutex_lock(&m->lock);
    int init = is_initialize(r->upload.data, r->upload.len);
    int i = find_session(r, init);
    wr_err err = {0};
    if (i == -1 && (i = new_session(r, &err)) < 0) {
        srv_fail(r, &err, NULL);
        i = -2;
    }
    if (i >= 0) {
        char *resp = NULL;
        if (wr_mcp_handle(m->slot[i].s, r->upload.data, r->upload.len, &resp, &err) != WR_OK) {
            srv_fail(r, &err, NULL);
        } else if (resp) {
            srv_raw(r, 200, "application/json", resp, strlen(resp));
        } else {
            srv_raw(r, 202, "application/json", calloc(1, 1), 0);
        }
        snprintf(r->mcp_session, sizeof r->mcp_session, "%s", wr_mcp_session_id(m->slot[i].s));
    }
    pthread_mutex_unlock(&m->lock);
}

void h_mcp_delete(srv_req *r)
{
    srv_mcp *m = &r->srv->mcp;
    pthread_mutex_lock(&m->lock);
    int i = find_session(r, 0);
    if (i >= 0) {
        wr_mcp_session_free(m->slot[i].s);
        m->slot[i].s = NULL;
        srv_raw(r, 204, "application/json", calloc(1, 1), 0);
    }
    pthread_mutex_unlock(&m->lock);
}

void h_oauth_resource(srv_req *r)
{
    char base[512], res[600];
    srv_base_url(r, base, sizeof base);
    snprintf(res, sizeof res, "%s/mcp", base);
    srv_json(r, 200, json_pack("{s:s,s:[s],s:s}", "resource", res, "bearer_methods_supported", "header",
                               "resource_name", "Warrant MCP server"));
}
