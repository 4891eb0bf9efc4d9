/*
 * tools.c — the tools of the Warrant MCP server: one table, listing and
 * calling.
 *
 * Each row of `tools` is everything about one tool: name, title,
 * description, input and output schema (JSON Schema 2020-12, written
 * below with ' for " to stay readable and converted when the table is
 * built), the behaviour hints clients show to people (readOnlyHint,
 * destructiveHint, idempotentHint, openWorldHint) and the handler.
 * There is deliberately no approval tool: AI principals never approve.
 *
 * tools/call does, in order: look the tool up (unknown: -32602), check
 * the arguments against its inputSchema (a violation names the JSON path;
 * it is a tool execution error with isError true from 2025-11-25 on, as
 * that revision asks so models can correct themselves, and -32602 for
 * sessions that negotiated 2025-06-18 or 2025-03-26), then run the
 * handler as the session's principal on the channel
 * "mcp:<session>:<tool>", which the workflow records in every lineage
 * entry.  Every result carries structuredContent and the same JSON as a
 * text item.  A governance outcome the agent must explain (a denial, an
 * approval still needed) and every library failure (bad input, unknown
 * object, illegal state) is a result with isError true; JSON-RPC errors
 * are kept for protocol faults.
 */
#include "mcp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema fragments --------------------------------------------------- */

#define S_ID(what) "{'type':'string','minLength':1,'maxLength':256,'description':'" what "'}"
#define S_TEXT(what) "{'type':'string','maxLength':4096,'description':'" what "'}"
#define S_OP                                                                                                    \
    "{'type':'object','description':'One operation. grant and revoke need account and entitlement; disable "  \
    "and enable need account; transfer_ownership needs object and to; rotate_credential needs credential.',"   \
    "'properties':{'op':{'type':'string','enum':['grant','revoke','disable','enable','transfer_ownership',"    \
    "'rotate_credential']},'account':" S_ID("account id, SYSTEM:LOGIN, e.g. payroll:p4")                      \
    ",'entitlement':" S_ID("entitlement id, SYSTEM:NAME, e.g. payroll:viewer")                               \
    ",'object':" S_ID("system:ID, identity:ID or entitlement:ID") ",'to':" S_ID("identity id of the new owner") \
    ",'credential':" S_ID("credential id") ",'expires_at':{'type':'string','minLength':10,'maxLength':40,"      \
    "'description':'RFC 3339 expiry of a grant'}},'required':['op'],'additionalProperties':false}"
#define S_OPS "{'type':'array','minItems':1,'maxItems':256,'items':" S_OP "}"
#define S_MODE(dflt)                                                                                            \
    "{'type':'string','enum':['advise','draft','recommend','execute'],'default':'" dflt "','description':"     \
    "'advise and draft change nothing; recommend proposes; execute also executes when no approval is needed'}"
#define S_ENV "{'type':'string','enum':['production','sandbox'],'default':'production'}"
#define S_CHANGE_ID "{'type':'string','minLength':1,'maxLength':128,'description':'change id, chg_...'}"
#define S_EMPTY "{'type':'object','properties':{},'additionalProperties':false}"

/* Output: every result has ok and summary; results the agent must explain
 * add decision, why and who_must_approve; failures add error. */
#define O_COMMON                                                                                               \
    "'ok':{'type':'boolean'},'summary':{'type':'string'},'decision':{'type':'string','enum':['allow','deny',"  \
    "'approval_required']},'why':{'type':'array','items':{'type':'string'}},'who_must_approve':{'type':"       \
    "'array','items':{'type':'object'}},'obligations':{'type':'object'},'error':{'type':'object','properties':"\
    "{'status':{'type':'string'},'message':{'type':'string'}}}"
#define O_OBJ(props) "{'type':'object','properties':{" O_COMMON props "},'required':['ok','summary']}"
#define O_CHANGE                                                                                               \
    ",'change_id':{'type':'string'},'state':{'type':'string'},'change':{'type':'object'}"

static const mcp_tool tools[] = {
    {"whoami", "Who am I here",
     "Your principal, its kind, the human accountable for you (a copilot's on_behalf_of, an agent's or "
     "service's owner), your active mandates and, per system, the modes policy lets you use for each action "
     "(probed with check decisions on a sample resource; changes nothing).",
     S_EMPTY,
     O_OBJ(",'principal':{'type':'string'},'kind':{'type':'string'},'session':{'type':'string'},"
           "'accountable_human':{'type':['string','null']},'mandates':{'type':'array'},'may':{'type':'array'}"),
     1, 0, 1, 0, mcp_tool_whoami},
    {"readiness", "Identity data readiness",
     "Readiness metrics (ownership completeness, orphan and dormant rates, excessive privilege, secrets ...) "
     "for the whole inventory, one domain or one system. Below a policy's readiness floor AI may advise, draft "
     "and recommend but not execute.",
     "{'type':'object','properties':{'scope':{'type':'string','enum':['overall','system','domain'],'default':"
     "'overall'},'id':" S_ID("system or domain id (for scope system or domain)") "},'additionalProperties':false}",
     O_OBJ(",'scope':{'type':'string'},'id':{'type':['string','null']},'metrics':{'type':'object'}"),
     1, 0, 1, 0, mcp_tool_readiness},
    {"search_inventory", "Search the inventory",
     "Identities, accounts, entitlements or grants, filtered by system, holder identity and a case-insensitive "
     "substring of the id or name; paginated with limit and offset (next_offset is given when more remain).",
     "{'type':'object','properties':{'kind':{'type':'string','enum':['identities','accounts','entitlements',"
     "'grants'],'default':'identities'},'system':" S_ID("only this system") ",'identity':" S_ID(
         "only objects held by this identity") ",'filter':{'type':'string','maxLength':256},'limit':{'type':"
     "'integer','minimum':1,'maximum':100,'default':20},'offset':{'type':'integer','minimum':0,'maximum':"
     "1000000000,'default':0}},'additionalProperties':false}",
     O_OBJ(",'kind':{'type':'string'},'total':{'type':'integer'},'offset':{'type':'integer'},'limit':{'type':"
           "'integer'},'items':{'type':'array'},'next_offset':{'type':'integer'}"),
     1, 0, 1, 0, mcp_tool_search_inventory},
    {"check_access", "May I do this?",
     "Asks policy whether you may perform these operations in this mode: the decision (allow, deny, "
     "approval_required), why, who must approve, obligations. Changes nothing. isError is true unless the "
     "answer is allow.",
     "{'type':'object','properties':{'operations':" S_OPS ",'mode':" S_MODE("execute") ",'environment':" S_ENV
     ",'mandate':" S_ID("mandate id (agents with several mandates)") "},'required':['operations'],"
     "'additionalProperties':false}",
     O_OBJ(",'mode':{'type':'string'},'environment':{'type':'string'},'policies':{'type':'array'},"
           "'readiness':{'type':'object'}"),
     1, 0, 1, 0, mcp_tool_check_access},
    {"propose_change", "Propose a governed change",
     "Creates a governed change on one system: operations, the input signals you relied on (recorded by "
     "SHA-256 digest only), your recommendation and rationale, optionally the mandate you act under. Policy "
     "denies it, routes it to human approvers, or (mode execute, no approvals needed) executes it. isError is "
     "true when it was denied or awaits approval; the result says why and who must approve.",
     "{'type':'object','properties':{'operations':" S_OPS ",'mode':" S_MODE("recommend") ",'environment':" S_ENV
     ",'inputs':{'type':'array','maxItems':64,'items':{'type':'object','properties':{'source':" S_ID(
         "where the signal came from") ",'sha256':{'type':'string','minLength':64,'maxLength':71,'description':"
     "'sha256:HEX or HEX digest of the data'},'content':{'type':'string','maxLength':1048576,'description':"
     "'the data itself; only its digest is kept'},'description':" S_TEXT("what it is")
     "},'required':['source'],'additionalProperties':false}},'recommendation':" S_TEXT("what you recommend")
     ",'rationale':{'type':'string','minLength':1,'maxLength':4096,'description':'why'},'mandate':" S_ID(
         "mandate id") ",'ticket':" S_ID("ticket reference") "},'required':['operations','rationale'],"
     "'additionalProperties':false}",
     O_OBJ(O_CHANGE ",'mode':{'type':'string'}"),
     0, 0, 0, 0, mcp_tool_propose_change},
    {"change_status", "Status of a change",
     "A change's state, the approvals it has, the pending stage with its eligible approvers, and its lineage "
     "so far (each log entry with its channel and whether its inclusion proof verified).",
     "{'type':'object','properties':{'change_id':" S_CHANGE_ID "},'required':['change_id'],"
     "'additionalProperties':false}",
     O_OBJ(O_CHANGE ",'pending_stage':{'type':['object','null']},'approvals':{'type':'array'},'lineage':{'type':"
           "'array'}"),
     1, 0, 1, 0, mcp_tool_change_status},
    {"execute_change", "Execute an approved change",
     "Executes an approved change: the inverse of every operation is recorded first, then the operations are "
     "applied (all or nothing). Policy, your mandate and data readiness are checked again at execution.",
     "{'type':'object','properties':{'change_id':" S_CHANGE_ID "},'required':['change_id'],"
     "'additionalProperties':false}",
     O_OBJ(O_CHANGE), 0, 1, 0, 0, mcp_tool_execute_change},
    {"close_change", "Close a change with evidence",
     "Validates an executed change by reading the target back (if not yet validated), attaches evidence "
     "(kind and ref, or content kept as a digest) and closes it. Policy says which evidence kinds are required.",
     "{'type':'object','properties':{'change_id':" S_CHANGE_ID ",'evidence':{'type':'array','maxItems':32,"
     "'items':{'type':'object','properties':{'kind':{'type':'string','minLength':1,'maxLength':64},'ref':"
     "{'type':'string','minLength':1,'maxLength':4096},'content':{'type':'string','maxLength':1048576}},"
     "'required':['kind'],'additionalProperties':false}}},'required':['change_id'],"
     "'additionalProperties':false}",
     O_OBJ(O_CHANGE ",'validated_now':{'type':'boolean'}"), 0, 0, 0, 0, mcp_tool_close_change},
    {"rollback_change", "Request a rollback",
     "Proposes the rollback of an executed change as a new governed change made of the recorded inverse "
     "operations; it is decided and approved like any other change.",
     "{'type':'object','properties':{'change_id':" S_CHANGE_ID ",'reason':{'type':'string','minLength':1,"
     "'maxLength':4096}},'required':['change_id','reason'],'additionalProperties':false}",
     O_OBJ(O_CHANGE ",'rollback_of':{'type':'string'}"), 0, 0, 0, 0, mcp_tool_rollback_change},
};

#define NTOOLS (sizeof tools / sizeof tools[0])

/* Schema text with ' for " back to JSON. */
static json_t *schema_parse(const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (char *c = copy; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t jerr;
    json_t *v = json_loads(copy, 0, &jerr);
    free(copy);
    return v;
}

json_t *mcp_tools_build(void)
{
    json_t *list = json_array();
    for (size_t i = 0; i < NTOOLS; i++) {
        const mcp_tool *t = &tools[i];
        json_t *in = schema_parse(t->input_schema), *out = schema_parse(t->output_schema);
        if (!in || !out) {
            /* a bug in the table above; the unit tests build it */
            json_decref(in);
            json_decref(out);
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o,s:o,s:{s:s,s:b,s:b,s:b,s:b}}", "name", t->name,
                                              "title", t->title, "description", t->description, "inputSchema", in,
                                              "outputSchema", out, "annotations", "title", t->title,
                                              "readOnlyHint", t->read_only, "destructiveHint", t->destructive,
                                              "idempotentHint", t->idempotent, "openWorldHint", t->open_world));
    }
    return list;
}

/* ---- tools/list ------------------------------------------------------------ */

/* Cursors are opaque to clients: "tools:<offset>". */
json_t *mcp_tools_list(wr_mcp_session *s, const json_t *params, int *code, char *msg, size_t msglen)
{
    size_t start = 0, n = json_array_size(s->tools);
    json_t *cursor = json_object_get(params, "cursor");
    if (cursor && !json_is_null(cursor)) {
        const char *c = json_string_value(cursor);
        char *end = NULL;
        unsigned long v = c && strncmp(c, "tools:", 6) == 0 ? strtoul(c + 6, &end, 10) : 0;
        if (!end || *end || end == c + 6 || v == 0 || v >= n) {
            *code = MCP_INVALID_PARAMS;
            snprintf(msg, msglen, "invalid params: params.cursor is not a cursor this server gave");
            return NULL;
        }
        start = v;
    }
    json_t *page = json_array();
    size_t i;
    for (i = start; i < n && i - start < s->page_size; i++)
        json_array_append(page, json_array_get(s->tools, i));
    json_t *result = json_pack("{s:o}", "tools", page);
    if (i < n) {
        char next[32];
        snprintf(next, sizeof next, "tools:%zu", i);
        json_object_set_new(result, "nextCursor", json_string(next));
    }
    return result;
}

/* ---- shared result pieces --------------------------------------------------- */

json_t *mcp_governance_detail(const json_t *decision)
{
    json_t *who = json_array();
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(decision, "stages"), i, st)
        json_array_append_new(who, json_pack("{s:I,s:O,s:O,s:O}", "stage", (json_int_t)i + 1, "role",
                                             json_object_get(st, "role"), "count", json_object_get(st, "count"),
                                             "eligible_approvers", json_object_get(st, "eligible")));
    json_t *why = json_object_get(decision, "explanation");
    json_t *d = json_pack("{s:O,s:O,s:o}", "decision", json_object_get(decision, "outcome"), "why",
                          why ? why : json_array(), "who_must_approve", who);
    json_t *v;
    if ((v = json_object_get(decision, "obligations")))
        json_object_set(d, "obligations", v);
    if ((v = json_object_get(decision, "policies")))
        json_object_set(d, "policies", v);
    return d;
}

void mcp_outcome_summary(const json_t *detail, char *out, size_t len)
{
    const char *outcome = json_string_value(json_object_get(detail, "decision"));
    size_t i;
    json_t *v;
    out[0] = '\0';
    if (outcome && strcmp(outcome, "deny") == 0) {
        snprintf(out, len, "denied:");
        json_array_foreach(json_object_get(detail, "why"), i, v)
            snprintf(out + strlen(out), len - strlen(out), "%s %s", i ? ";" : "", json_string_value(v));
        return;
    }
    if (outcome && strcmp(outcome, "approval_required") == 0) {
        snprintf(out, len, "approval required:");
        json_array_foreach(json_object_get(detail, "who_must_approve"), i, v) {
            snprintf(out + strlen(out), len - strlen(out), "%s %s (%lld of", i ? " then" : "",
                     json_string_value(json_object_get(v, "role")),
                     (long long)json_integer_value(json_object_get(v, "count")));
            size_t j;
            json_t *who;
            json_array_foreach(json_object_get(v, "eligible_approvers"), j, who)
                snprintf(out + strlen(out), len - strlen(out), "%s %s", j ? "," : "", json_string_value(who));
            snprintf(out + strlen(out), len - strlen(out), ")");
        }
        snprintf(out + strlen(out), len - strlen(out), "; the approvers decide outside MCP");
        return;
    }
    snprintf(out, len, "allowed");
}

int mcp_read_check(mcp_call *c, const char *what, const char *scope, const char *id, wr_err *err)
{
    int rc = wr_read_check(c->s->ctx, &c->actor, what, scope, id, NULL, err);
    if (rc == WR_EDENIED && !c->detail)
        c->detail = json_pack("{s:s,s:[s]}", "decision", "deny", "why", err->msg);
    return rc;
}

json_t *mcp_change_view(const json_t *c)
{
    json_t *req = json_object_get(c, "request");
    json_t *view = json_object();
    static const char *const keys[] = {"id", "state", "mode", "environment", "system", "initiator", "mandate",
                                       "rollback_of", "risk", "stage_deadline", "pending_stage", "approvals",
                                       "evidence", "result", "created_at", "updated_at"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(c, keys[i]);
        if (v && !json_is_null(v))
            json_object_set(view, keys[i], v);
    }
    static const char *const rkeys[] = {"operations", "inputs", "recommendation", "rationale", "ticket"};
    for (size_t i = 0; i < sizeof rkeys / sizeof rkeys[0]; i++) {
        json_t *v = json_object_get(req, rkeys[i]);
        if (v && !json_is_null(v))
            json_object_set(view, rkeys[i], v);
    }
    return view;
}

/* ---- tools/call ---------------------------------------------------------------- */

static const mcp_tool *find_tool(const char *name)
{
    for (size_t i = 0; i < NTOOLS; i++)
        if (strcmp(tools[i].name, name) == 0)
            return &tools[i];
    return NULL;
}

static json_t *tool_result(json_t *structured, int is_error)
{
    char *text = json_dumps(structured, JSON_COMPACT);
    json_t *r = json_pack("{s:[{s:s,s:s}],s:o,s:b}", "content", "type", "text", "text", text ? text : "{}",
                          "structuredContent", structured, "isError", is_error);
    free(text);
    return r;
}

static json_t *error_result(int status, const char *message, json_t *detail)
{
    json_t *s = json_pack("{s:b,s:{s:s,s:s}}", "ok", 0, "error", "status", wr_status_name(status), "message",
                          message);
    if (detail)
        json_object_update_missing(s, detail);
    if (!json_object_get(s, "summary")) {
        char summary[1200];
        snprintf(summary, sizeof summary, "%s: %s", status == WR_EDENIED ? "denied" : "error", message);
        json_object_set_new(s, "summary", json_string(summary));
    }
    return tool_result(s, 1);
}

json_t *mcp_tools_call(wr_mcp_session *s, const json_t *params, int *code, char *msg, size_t msglen)
{
    const char *name = json_string_value(json_object_get(params, "name"));
    if (!name) {
        *code = MCP_INVALID_PARAMS;
        snprintf(msg, msglen, "invalid params: params.name: expected the tool name");
        return NULL;
    }
    const mcp_tool *t = find_tool(name);
    if (!t) {
        *code = MCP_INVALID_PARAMS;
        snprintf(msg, msglen, "unknown tool: %.100s (tools/list names them; there is no approval tool)", name);
        return NULL;
    }
    json_t *args = json_object_get(params, "arguments");
    json_t *empty = NULL;
    if (!args || json_is_null(args))
        args = empty = json_object();
    if (!json_is_object(args)) {
        *code = MCP_INVALID_PARAMS;
        snprintf(msg, msglen, "invalid params: params.arguments: expected an object");
        return NULL;
    }
    json_t *schema = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(s->tools, i, e)
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            schema = json_object_get(e, "inputSchema");
    wr_err err = {0};
    if (mcp_schema_validate(schema, args, "$.arguments", &err) != WR_OK) {
        json_decref(empty);
        if (strcmp(s->version, "2025-11-25") != 0) {
            *code = MCP_INVALID_PARAMS;
            snprintf(msg, msglen, "invalid params: %s: %s", name, err.msg);
            return NULL;
        }
        return error_result(WR_EINVAL, err.msg, NULL);
    }
    char channel[160];
    snprintf(channel, sizeof channel, "mcp:%s:%s", s->id, t->name);
    mcp_call c = {s, t->name, {s->principal, channel}, 0, NULL};
    json_t *out = NULL;
    int rc = t->handler(&c, args, &out, &err);
    json_decref(empty);
    json_t *result;
    if (rc == WR_ENOMEM) {
        json_decref(c.detail);
        *code = MCP_INTERNAL_ERROR;
        snprintf(msg, msglen, "internal error: out of memory");
        return NULL;
    }
    if (rc) {
        json_decref(out);
        result = error_result(rc, err.msg[0] ? err.msg : wr_status_name(rc), c.detail);
    } else {
        json_object_set_new(out, "ok", json_boolean(!c.is_error));
        if (c.detail)
            json_object_update_missing(out, c.detail);
        if (!json_object_get(out, "summary"))
            json_object_set_new(out, "summary", json_string(c.is_error ? "error" : "done"));
        result = tool_result(out, c.is_error);
    }
    json_decref(c.detail);
    return result;
}
