/*
 * session.c — one MCP session: JSON-RPC 2.0 framing and the lifecycle.
 *
 * A session belongs to one principal (a copilot, agent or service) fixed
 * at creation; nothing a client sends can change who acts.  It takes one
 * message at a time (wr_mcp_handle) and answers with at most one message,
 * so the same code serves stdio (one message per line) and Streamable
 * HTTP (one message per POST body).
 *
 * Classification of a message, in the order the checks run:
 *   larger than WR_MCP_MAX_MESSAGE            -> -32600, id null
 *   not JSON                                  -> -32700, id null
 *   an array: a batch, allowed only in a session that negotiated
 *     2025-03-26 (later revisions removed batching) -> else -32600
 *   not an object, jsonrpc != "2.0", an id that is neither a string nor
 *     an integer (MCP forbids null ids)       -> -32600
 *   no method but result/error: a response from the client (we never send
 *     requests, so it is dropped without an answer)
 *   no id: a notification — never answered, even when it is malformed
 *   a request: ping (any time), initialize (once), then tools/list and
 *     tools/call; any other method -> -32601 (also before initialize).
 *
 * Lifecycle: before initialize has been answered, a known method other
 * than ping gets -32600 "server not initialized" (the specification says
 * clients SHOULD NOT send them; -32002, which LSP uses for this, means
 * "resource not found" in MCP, so it is not used).  A second initialize
 * gets -32600.  The server does not insist on notifications/initialized
 * before serving tools (it records it): clients that pipeline their first
 * requests are served, and the server itself sends no requests.
 *
 * Version negotiation: a client asking for 2025-11-25, 2025-06-18 or
 * 2025-03-26 gets that version; any other request gets the latest.
 */
#include "mcp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

static const char instructions[] =
    "Warrant governs identity and access changes. You act as the principal this session was opened for; "
    "every tool call is decided by policy and recorded in a tamper-evident lineage log with the channel "
    "mcp:<session>:<tool>. Start with whoami (your authority, accountable human, mandates) and check_access "
    "(changes nothing). propose_change creates a governed change; when the result has isError true, read "
    "'summary', 'why' and 'who_must_approve' and explain them to your user: a denial is final for that "
    "request, and approvals are given by the listed humans outside MCP. There is no approval tool: AI "
    "principals never approve. After approval use execute_change, then close_change with evidence.";

int wr_mcp_session_new(wr_ctx *ctx, const char *principal, wr_mcp_session **out, wr_err *err)
{
    if (!ctx || !principal || !*principal)
        return wr_fail(err, WR_EINVAL, "mcp: a principal is required (--as PRINCIPAL)");
    json_t *p = NULL;
    int rc = wr_principal_get(ctx, principal, &p, err);
    if (rc)
        return rc;
    const char *kind = json_string_value(json_object_get(p, "kind"));
    const char *status = json_string_value(json_object_get(p, "status"));
    if (!kind || (strcmp(kind, "copilot") != 0 && strcmp(kind, "agent") != 0 && strcmp(kind, "service") != 0)) {
        rc = wr_fail(err, WR_EDENIED, "mcp: principal '%s' is a %s; MCP is the door for copilots, agents and "
                     "services (people use the CLI and the console)", principal, kind ? kind : "principal");
    } else if (!status || strcmp(status, "active") != 0) {
        rc = wr_fail(err, WR_EDENIED, "mcp: principal '%s' is not active", principal);
    } else if (strlen(principal) >= sizeof ((wr_mcp_session *)0)->principal) {
        rc = wr_fail(err, WR_EINVAL, "mcp: principal id too long");
    }
    if (rc) {
        json_decref(p);
        return rc;
    }
    wr_mcp_session *s = calloc(1, sizeof *s);
    json_t *tools = mcp_tools_build();
    if (!s || !tools) {
        free(s);
        json_decref(tools);
        json_decref(p);
        return wr_fail(err, tools ? WR_ENOMEM : WR_EINTERNAL, "mcp: cannot create a session");
    }
    s->ctx = ctx;
    s->tools = tools;
    s->page_size = MCP_DEFAULT_PAGE;
    snprintf(s->principal, sizeof s->principal, "%s", principal);
    snprintf(s->kind, sizeof s->kind, "%s", kind);
    wr_id_new("mcps", s->id, sizeof s->id);
    json_decref(p);
    *out = s;
    return WR_OK;
}

void wr_mcp_session_free(wr_mcp_session *s)
{
    if (!s)
        return;
    json_decref(s->tools);
    free(s);
}

const char *wr_mcp_session_id(const wr_mcp_session *s)
{
    return s->id;
}

const char *wr_mcp_session_version(const wr_mcp_session *s)
{
    return s->initialized ? s->version : NULL;
}

const char *wr_mcp_session_principal(const wr_mcp_session *s)
{
    return s->principal;
}

void wr_mcp_session_set_page_size(wr_mcp_session *s, size_t n)
{
    s->page_size = n ? n : MCP_DEFAULT_PAGE;
}

/* ---- responses ----------------------------------------------------------- */

static json_t *error_response(const json_t *id, int code, const char *fmt, ...) WR_PRINTF(3, 4);
static json_t *error_response(const json_t *id, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", "code", code,
                     "message", msg);
}

static json_t *result_response(const json_t *id, json_t *result)
{
    return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

/* ---- initialize ------------------------------------------------------------ */

static json_t *initialize(wr_mcp_session *s, const json_t *id, const json_t *params)
{
    if (s->initialized)
        return error_response(id, MCP_INVALID_REQUEST, "already initialized: initialize is sent once per session");
    const char *asked = json_string_value(json_object_get(params, "protocolVersion"));
    if (!asked)
        return error_response(id, MCP_INVALID_PARAMS, "initialize: params.protocolVersion: expected a string");
    if (!json_is_object(json_object_get(params, "capabilities")))
        return error_response(id, MCP_INVALID_PARAMS, "initialize: params.capabilities: expected an object");
    json_t *info = json_object_get(params, "clientInfo");
    if (!json_is_object(info) || !json_is_string(json_object_get(info, "name")) ||
        !json_is_string(json_object_get(info, "version")))
        return error_response(id, MCP_INVALID_PARAMS,
                              "initialize: params.clientInfo: expected an object with name and version strings");
    const char *chosen = MCP_LATEST_VERSION;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (strcmp(asked, versions[i]) == 0)
            chosen = versions[i];
    snprintf(s->version, sizeof s->version, "%s", chosen);
    s->initialized = 1;
    json_t *result = json_pack("{s:s,s:{s:{s:b}},s:{s:s,s:s,s:s},s:s}", "protocolVersion", chosen, "capabilities",
                               "tools", "listChanged", 0, "serverInfo", "name", "warrant", "title",
                               "Warrant governed access", "version", WARRANT_VERSION, "instructions", instructions);
    return result_response(id, result);
}

/* ---- one message ------------------------------------------------------------ */

static int valid_id(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

static json_t *request(wr_mcp_session *s, const json_t *id, const char *method, const json_t *params)
{
    if (strcmp(method, "ping") == 0)
        return result_response(id, json_object());
    if (strcmp(method, "initialize") == 0)
        return initialize(s, id, params);
    int tools_method = strcmp(method, "tools/list") == 0 || strcmp(method, "tools/call") == 0;
    if (!tools_method)
        return error_response(id, MCP_METHOD_NOT_FOUND, "method not found: %.100s", method);
    if (!s->initialized)
        return error_response(id, MCP_INVALID_REQUEST, "server not initialized: send initialize first (%s)", method);
    int code = 0;
    char msg[1024] = "";
    json_t *result = strcmp(method, "tools/list") == 0 ? mcp_tools_list(s, params, &code, msg, sizeof msg)
                                                       : mcp_tools_call(s, params, &code, msg, sizeof msg);
    if (!result)
        return error_response(id, code ? code : MCP_INTERNAL_ERROR, "%s", msg[0] ? msg : "internal error");
    return result_response(id, result);
}

static json_t *handle_one(wr_mcp_session *s, const json_t *m)
{
    if (!json_is_object(m))
        return error_response(NULL, MCP_INVALID_REQUEST, "invalid request: expected a JSON-RPC object");
    json_t *id = json_object_get(m, "id");
    const json_t *echo = valid_id(id) ? id : NULL;
    const char *jsonrpc = json_string_value(json_object_get(m, "jsonrpc"));
    json_t *method = json_object_get(m, "method");
    if (!jsonrpc || strcmp(jsonrpc, "2.0") != 0)
        return error_response(echo, MCP_INVALID_REQUEST, "invalid request: \"jsonrpc\" must be \"2.0\"");
    if (id && !echo)
        return error_response(NULL, MCP_INVALID_REQUEST, "invalid request: \"id\" must be a string or an integer");
    if (!method) {
        if (json_object_get(m, "result") || json_object_get(m, "error"))
            return NULL;    /* a response from the client; we sent no requests */
        return error_response(echo, MCP_INVALID_REQUEST, "invalid request: \"method\" is missing");
    }
    if (!json_is_string(method))
        return id ? error_response(echo, MCP_INVALID_REQUEST, "invalid request: \"method\" must be a string") : NULL;
    json_t *params = json_object_get(m, "params");
    if (!id) {
        /* notifications are never answered */
        if (strcmp(json_string_value(method), "notifications/initialized") == 0 && s->initialized)
            s->client_ready = 1;
        return NULL;
    }
    if (params && !json_is_object(params))
        return error_response(echo, MCP_INVALID_PARAMS, "invalid params: \"params\" must be an object");
    return request(s, echo, json_string_value(method), params);
}

static json_t *handle_batch(wr_mcp_session *s, const json_t *batch)
{
    if (json_array_size(batch) == 0)
        return error_response(NULL, MCP_INVALID_REQUEST, "invalid request: empty batch");
    if (json_array_size(batch) > MCP_MAX_BATCH)
        return error_response(NULL, MCP_INVALID_REQUEST, "invalid request: a batch holds at most %d messages",
                              MCP_MAX_BATCH);
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(batch, i, m) {
        json_t *r = handle_one(s, m);
        if (r)
            json_array_append_new(out, r);
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int wr_mcp_handle(wr_mcp_session *s, const char *msg, size_t len, char **response, wr_err *err)
{
    json_t *resp = NULL;
    *response = NULL;
    if (len > WR_MCP_MAX_MESSAGE) {
        resp = error_response(NULL, MCP_INVALID_REQUEST, "invalid request: message of %zu bytes exceeds the limit "
                              "of %u bytes", len, WR_MCP_MAX_MESSAGE);
    } else {
        json_error_t jerr;
        json_t *m = json_loadb(msg ? msg : "", msg ? len : 0, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        if (!m)
            resp = error_response(NULL, MCP_PARSE_ERROR, "parse error: %d:%d: %s", jerr.line, jerr.column, jerr.text);
        else if (json_is_array(m) && s->initialized && strcmp(s->version, "2025-03-26") == 0)
            resp = handle_batch(s, m);
        else if (json_is_array(m))
            resp = error_response(NULL, MCP_INVALID_REQUEST, "invalid request: JSON-RPC batches are not "
                                  "supported (protocol 2025-06-18 and later)");
        else
            resp = handle_one(s, m);
        json_decref(m);
    }
    if (!resp)
        return WR_OK;
    char *text = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    if (!text)
        return wr_fail(err, WR_ENOMEM, "mcp: cannot serialise the response");
    *response = text;
    return WR_OK;
}
