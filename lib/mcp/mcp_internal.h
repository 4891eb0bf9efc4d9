/*
 * mcp_internal.h — what the files of lib/mcp share.
 *
 *   session.c   the session object and JSON-RPC 2.0 framing: parsing one
 *               message, classifying it (request, notification, response,
 *               batch), the lifecycle (initialize, version negotiation,
 *               ping) and the error responses.
 *   tools.c     the one table of tools (name, title, description, input
 *               and output schema, annotations, handler), tools/list with
 *               cursor pagination, and tools/call: argument validation,
 *               the governed actor, and shaping of every tool result.
 *   tools_*.c   the handlers, one file per group (read-only look-ups;
 *               governed changes).
 *   schema.c    the JSON Schema subset used to check tool arguments.
 */
#ifndef WARRANT_MCP_INTERNAL_H
#define WARRANT_MCP_INTERNAL_H

#include "warrant/inventory.h"
#include "warrant/mcp.h"
#include "warrant/workflow.h"

#include <jansson.h>

/* JSON-RPC 2.0 and MCP error codes used by the server. */
#define MCP_PARSE_ERROR -32700
#define MCP_INVALID_REQUEST -32600
#define MCP_METHOD_NOT_FOUND -32601
#define MCP_INVALID_PARAMS -32602
#define MCP_INTERNAL_ERROR -32603

#define MCP_LATEST_VERSION "2025-11-25"
#define MCP_MAX_BATCH 64          /* messages in one 2025-03-26 batch */
#define MCP_DEFAULT_PAGE 50       /* tools per tools/list page */
#define MCP_SCHEMA_MAX_DEPTH 32   /* nesting of a schema the validator follows */

struct wr_mcp_session {
    wr_ctx *ctx;                  /* borrowed; outlives the session */
    char id[64];                  /* "mcps_<26 base32>" */
    char principal[160];
    char kind[16];                /* copilot | agent | service */
    char version[16];             /* negotiated; "" before initialize */
    int initialized;              /* initialize answered */
    int client_ready;             /* notifications/initialized received */
    size_t page_size;             /* tools per tools/list page */
    json_t *tools;                /* tools/list entries, built once */
};

/* ---- schema.c ---- */
/* Checks value against schema (the subset: type, required, properties,
 * additionalProperties false, enum, items, minItems/maxItems,
 * minLength/maxLength (in code points), minimum/maximum).  On a violation
 * fails with WR_EINVAL and a message naming the JSON path of the first
 * offending value, e.g. "$.operations[0].op: expected one of ...".
 * Keywords outside the subset (title, description, default, ...) are
 * ignored.  path is the prefix of the messages ("$" at the top). */
int mcp_schema_validate(const json_t *schema, const json_t *value, const char *path,
                        wr_err *err) WR_MUST_CHECK;

/* ---- tools.c ---- */
/* One tools/call in progress: who acts, through which channel, and what
 * the handler wants reported beside its result. */
typedef struct mcp_call {
    wr_mcp_session *s;
    const char *tool;
    wr_actor actor;               /* principal, "mcp:<session>:<tool>" */
    int is_error;                 /* a governance outcome the agent must see */
    json_t *detail;               /* extra fields for an error result, or NULL */
} mcp_call;

typedef int (*mcp_tool_fn)(mcp_call *c, const json_t *args, json_t **out, wr_err *err);

typedef struct mcp_tool {
    const char *name, *title, *description;
    const char *input_schema, *output_schema;   /* JSON text */
    int read_only, destructive, idempotent, open_world;
    mcp_tool_fn handler;
} mcp_tool;

/* The tools/list entries for a session (new reference). */
json_t *mcp_tools_build(void);
/* result of tools/list for params; on a bad cursor returns NULL and sets
 * *code and msg. */
json_t *mcp_tools_list(wr_mcp_session *s, const json_t *params, int *code, char *msg, size_t msglen);
/* result of tools/call; NULL with *code and msg for a protocol fault. */
json_t *mcp_tools_call(wr_mcp_session *s, const json_t *params, int *code, char *msg, size_t msglen);

/* ---- helpers shared by the handlers ---- */
/* The governance detail of a decision an agent must be able to explain:
 * {"decision","why","who_must_approve","obligations","policies"}
 * (new reference). */
json_t *mcp_governance_detail(const json_t *decision);
/* A governed read by the call's principal (wr_read_check); a denial also
 * sets the detail the agent explains: decision "deny" and why. */
int mcp_read_check(mcp_call *c, const char *what, const char *scope, const char *id, wr_err *err);
/* A compact view of a change for results (new reference). */
json_t *mcp_change_view(const json_t *change);
/* A one-line summary of a governance outcome ("denied: ...", "approval
 * required: owner (olivia) then security (sam, sue)"). */
void mcp_outcome_summary(const json_t *detail, char *out, size_t len);

/* handlers (tools_read.c) */
int mcp_tool_whoami(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
int mcp_tool_readiness(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
int mcp_tool_search_inventory(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
int mcp_tool_check_access(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
/* handlers (tools_change.c) */
int mcp_tool_propose_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
int mcp_tool_change_status(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
int mcp_tool_execute_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
int mcp_tool_close_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err);
int mcp_tool_rollback_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err);

#endif
