/*
 * routes.c — the API of `warrant serve`, one row per route: method, path
 * pattern, handler, whether a bearer token is needed, and whether the
 * stateless PDP (`warrant cedar serve`) serves it too.  This table is the
 * single description of the API: the router reads it, the metrics label
 * requests by its rows, and a unit test checks docs/openapi.json against
 * it in both directions.
 */
#include "server_internal.h"
#include "console.h"

const srv_route srv_routes[] = {
    /* operations */
    {"GET", "/healthz", h_healthz, 0, 1},
    {"GET", "/metrics", h_metrics, 1, 0},
    {"GET", "/openapi.json", h_openapi, 1, 0},
    {"GET", "/v1/whoami", h_whoami, 1, 0},
    /* the lineage log, public (C2SP tlog-tiles) */
    {"GET", "/log/checkpoint", h_log, 0, 0},
    {"GET", "/log/tile/{path*}", h_log, 0, 0},
    {"GET", "/log/key", h_log_key, 0, 0},
    {"GET", "/v1/log/entries/{index}", h_log_entry, 1, 0},
    {"GET", "/v1/log/proof/inclusion", h_log_inclusion, 1, 0},
    /* the approver console (console.c): its files, and sign-in by cookie */
    {"GET", "/", h_console_index, 0, 0},
    {"GET", "/assets/{file*}", h_console_asset, 0, 0},
    {"POST", "/console/session", h_session_create, 1, 0},
    {"GET", "/console/session", h_session_get, 1, 0},
    {"DELETE", "/console/session", h_session_delete, 1, 0},
    /* workflow */
    {"GET", "/v1/principals", h_principals_list, 1, 0},
    {"POST", "/v1/principals", h_principals_add, 1, 0},
    {"GET", "/v1/principals/{id}", h_principals_get, 1, 0},
    {"GET", "/v1/mandates", h_mandates_list, 1, 0},
    {"POST", "/v1/mandates", h_mandates_create, 1, 0},
    {"GET", "/v1/mandates/{id}", h_mandates_get, 1, 0},
    {"POST", "/v1/mandates/{id}/close", h_mandates_close, 1, 0},
    {"GET", "/v1/changes", h_changes_list, 1, 0},
    {"POST", "/v1/changes", h_changes_propose, 1, 0},
    {"GET", "/v1/changes/{id}", h_changes_get, 1, 0},
    {"POST", "/v1/changes/{id}/approve", h_changes_approve, 1, 0},
    {"POST", "/v1/changes/{id}/reject", h_changes_reject, 1, 0},
    {"POST", "/v1/changes/{id}/execute", h_changes_execute, 1, 0},
    {"POST", "/v1/changes/{id}/validate", h_changes_validate, 1, 0},
    {"POST", "/v1/changes/{id}/close", h_changes_close, 1, 0},
    {"POST", "/v1/changes/{id}/rollback", h_changes_rollback, 1, 0},
    {"GET", "/v1/changes/{id}/lineage", h_changes_lineage, 1, 0},
    {"GET", "/v1/readiness", h_readiness, 1, 0},
    {"GET", "/v1/readiness/all", h_readiness_all, 1, 0},
    {"GET", "/v1/readiness/history", h_readiness_history, 1, 0},
    {"GET", "/v1/denials", h_denials, 1, 0},
    {"POST", "/v1/decisions", h_decisions, 1, 0},
    {"GET", "/v1/inventory", h_inventory, 1, 0},
    {"GET", "/v1/tokens", h_tokens_list, 1, 0},
    {"DELETE", "/v1/tokens/{id}", h_tokens_revoke, 1, 0},
    /* OpenID AuthZEN Authorization API 1.0 */
    {"GET", "/.well-known/authzen-configuration", h_az_config, 1, 1},
    {"POST", "/access/v1/evaluation", h_az_evaluation, 1, 1},
    {"POST", "/access/v1/evaluations", h_az_evaluations, 1, 1},
    {"POST", "/access/v1/search/subject", h_az_search_subject, 1, 1},
    {"POST", "/access/v1/search/resource", h_az_search_resource, 1, 1},
    {"POST", "/access/v1/search/action", h_az_search_action, 1, 1},
    /* MCP over Streamable HTTP (issue 6); GET is 405: no server stream */
    {"POST", "/mcp", h_mcp_post, 1, 0},
    {"DELETE", "/mcp", h_mcp_delete, 1, 0},
    {"GET", "/.well-known/oauth-protected-resource", h_oauth_resource, 0, 0},
};
const size_t srv_nroutes = sizeof srv_routes / sizeof srv_routes[0];

size_t wr_server_routes(const wr_route_info **out)
{
    static wr_route_info info[sizeof srv_routes / sizeof srv_routes[0]];
    static int done;
    if (!done) {
        for (size_t i = 0; i < srv_nroutes; i++)
            info[i] = (wr_route_info){srv_routes[i].method, srv_routes[i].pattern, srv_routes[i].auth,
                                      srv_routes[i].pdp};
        done = 1;
    }
    *out = info;
    return srv_nroutes;
}

extern const char wr_openapi_json[];
const char *wr_server_openapi(void) { return wr_openapi_json; }
