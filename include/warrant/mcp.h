/*
 * warrant/mcp.h — the governed door for AI agents and copilots: a Model
 * Context Protocol server (protocol 2025-11-25; also 2025-06-18 and
 * 2025-03-26 when a client asks for them) whose every tool call is a
 * governed request.
 *
 * Transport-independent: a wr_mcp_session takes one JSON-RPC message at a
 * time and produces at most one response message.  `warrant mcp` feeds it
 * lines from stdin; `warrant serve` feeds it the bodies POSTed to /mcp
 * (Streamable HTTP), keyed by the MCP-Session-Id header.
 *
 * The caller is fixed when the session is created: the authenticated
 * principal (stdio: --as, which must be a copilot, agent or service; HTTP:
 * the bearer token's principal).  A request can never name another actor.
 */
#ifndef WARRANT_MCP_H
#define WARRANT_MCP_H

#include "warrant/core.h"
#include "warrant/workflow.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wr_mcp_session wr_mcp_session;

#define WR_MCP_MAX_MESSAGE (4u << 20)   /* larger messages get -32600 */

/* Creates a session for principal, recording channel "mcp:<id>:<tool>"
 * in the log (id is a fresh session id, see wr_mcp_session_id).  Fails
 * with WR_EDENIED for a principal that may not use MCP. */
int wr_mcp_session_new(wr_ctx *ctx, const char *principal, wr_mcp_session **out,
                       wr_err *err) WR_MUST_CHECK;
void wr_mcp_session_free(wr_mcp_session *s);
/* The session id (for the MCP-Session-Id header). */
const char *wr_mcp_session_id(const wr_mcp_session *s);
/* The protocol version negotiated by initialize, or NULL before it. */
const char *wr_mcp_session_version(const wr_mcp_session *s);
/* The principal the session acts as (the HTTP server checks that a
 * request's bearer token belongs to the same principal before using a
 * session found by its MCP-Session-Id). */
const char *wr_mcp_session_principal(const wr_mcp_session *s);
/* Tools per tools/list page (default 50, more than there are tools; tests
 * set a small value to exercise cursors).  0 restores the default. */
void wr_mcp_session_set_page_size(wr_mcp_session *s, size_t n);

/* A session is used by one thread at a time (the HTTP server serialises
 * the requests of a session); sessions of one wr_ctx share its store.
 *
 * Handles one JSON-RPC message (a request or a notification).  On return
 * *response (caller frees) is the response text, or NULL for a
 * notification or a response from the client.  Protocol faults become
 * JSON-RPC errors in *response; the function itself fails only when it
 * cannot produce any answer (out of memory). */
int wr_mcp_handle(wr_mcp_session *s, const char *msg, size_t len, char **response,
                  wr_err *err) WR_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
