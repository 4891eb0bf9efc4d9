/*
 * tools_change.c — the MCP tools that act on governed changes:
 * propose_change, change_status, execute_change, close_change and
 * rollback_change.
 *
 * Each calls the workflow as the session's principal on the channel
 * "mcp:<session>:<tool>"; the workflow decides, records and refuses —
 * nothing here relaxes or re-implements a rule.  What this file adds is
 * the shape of the answer an agent needs: the change id and state, and
 * for an outcome that stops the agent (a change denied or waiting for
 * approval, an execution refused) the decision, why, and who must
 * approve, with isError set so the client shows it to the model.
 * change_status is a governed read (wr_read_check): an agent sees its own
 * changes and those on its mandates' systems, a copilot what its human may
 * read; a refused execution or closure shows the change only under the
 * same rule.
 */
#include "mcp_internal.h"

#include <stdio.h>
#include <string.h>

static const char *sget(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The result for a change: id, state, view, and its decision's detail.
 * Marks the call an error when the change stops the agent. */
static json_t *change_result(mcp_call *c, const json_t *change, const char *verb)
{
    const char *state = sget(change, "state");
    json_t *detail = mcp_governance_detail(json_object_get(change, "decision"));
    /* a waiting change names who may still decide its pending stage */
    json_t *pending = json_object_get(change, "pending_stage");
    if (state && strcmp(state, "awaiting_approval") == 0 && pending) {
        json_t *who = json_object_get(detail, "who_must_approve");
        json_int_t idx = json_integer_value(json_object_get(pending, "index"));
        json_t *st = json_array_get(who, (size_t)idx);
        if (st)
            json_object_set(st, "eligible_approvers", json_object_get(pending, "eligible_approvers"));
        /* stages already passed are done: report the ones still ahead */
        while (idx-- > 0 && json_array_size(who))
            json_array_remove(who, 0);
    }
    char summary[2048];
    int stop = state && (strcmp(state, "denied") == 0 || strcmp(state, "awaiting_approval") == 0 ||
                         strcmp(state, "failed") == 0);
    if (stop && strcmp(state, "failed") != 0)
        mcp_outcome_summary(detail, summary, sizeof summary);
    else
        snprintf(summary, sizeof summary, "%s: change %s is %s", verb, sget(change, "id"), state ? state : "?");
    if (!stop || strcmp(state, "failed") == 0) {
        /* not a governance stop: the decision is history, keep it short */
        json_object_del(detail, "who_must_approve");
    }
    json_t *res = json_pack("{s:s?,s:s?,s:o,s:s}", "change_id", sget(change, "id"), "state", state, "change",
                            mcp_change_view(change), "summary", summary);
    json_object_update_missing(res, detail);
    json_decref(detail);
    c->is_error = stop;
    return res;
}

int mcp_tool_propose_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    json_t *req = json_deep_copy(args);
    if (!json_object_get(req, "mode"))
        json_object_set_new(req, "mode", json_string("recommend"));
    json_t *res = NULL;
    int rc = wr_change_propose(c->s->ctx, &c->actor, req, &res, err);
    json_decref(req);
    if (rc)
        return rc;
    const char *mode = sget(args, "mode") ? sget(args, "mode") : "recommend";
    if (!json_object_get(res, "state")) {
        /* advise / draft: a recorded decision, no change */
        json_t *d = mcp_governance_detail(json_object_get(res, "decision"));
        char summary[2048];
        mcp_outcome_summary(d, summary, sizeof summary);
        json_object_set_new(d, "summary", json_string(summary));
        json_object_set(d, "advice_id", json_object_get(res, "id"));
        json_object_set_new(d, "mode", json_string(mode));
        c->is_error = strcmp(sget(d, "decision"), "allow") != 0;
        json_decref(res);
        *out = d;
        return WR_OK;
    }
    *out = change_result(c, res, "proposed");
    json_object_set_new(*out, "mode", json_string(mode));
    json_decref(res);
    return WR_OK;
}

/* The lineage of a change, each entry reduced to what an agent needs. */
static int lineage_view(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    json_t *lin = NULL;
    int rc = wr_change_lineage(ctx, id, &lin, err);
    if (rc)
        return rc;
    json_t *arr = json_array(), *e;
    size_t i;
    json_array_foreach(json_object_get(lin, "entries"), i, e) {
        json_t *entry = json_object_get(e, "entry");
        json_t *row = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "index", json_object_get(e, "index"), "kind",
                                json_object_get(entry, "kind"), "at", json_object_get(entry, "at"), "actor",
                                json_object_get(json_object_get(entry, "actor"), "id"), "channel",
                                json_object_get(entry, "channel"), "verified", json_object_get(e, "verified"));
        json_t *st = json_object_get(entry, "state");
        if (st)
            json_object_set(row, "state", st);
        if (row)
            json_array_append_new(arr, row);
    }
    json_decref(lin);
    *out = arr;
    return WR_OK;
}

int mcp_tool_change_status(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    const char *id = sget(args, "change_id");
    json_t *ch = NULL, *lin = NULL;
    int rc = mcp_read_check(c, "change", NULL, id, err);
    if (rc || (rc = wr_change_get(c->s->ctx, id, &ch, err)))
        return rc;
    if ((rc = lineage_view(c->s->ctx, id, &lin, err))) {
        json_decref(ch);
        return rc;
    }
    json_t *res = change_result(c, ch, "status");
    c->is_error = 0;   /* a status read succeeds whatever the state */
    char summary[256];
    snprintf(summary, sizeof summary, "change %s is %s", id, sget(ch, "state"));
    json_object_set_new(res, "summary", json_string(summary));
    json_object_set(res, "pending_stage", json_object_get(ch, "pending_stage") ? json_object_get(ch, "pending_stage")
                                                                               : json_null());
    json_object_set(res, "approvals", json_object_get(ch, "approvals"));
    json_object_set_new(res, "lineage", lin);
    json_decref(ch);
    *out = res;
    return WR_OK;
}

/* After a refusal or an illegal state: attach what the agent needs to
 * explain it (the change, and the decision that refused execution). */
static void explain_failure(mcp_call *c, const char *id, int rc)
{
    json_t *ch = NULL;
    wr_err rerr = {0};
    /* only a change the caller may read is shown (governed reads) */
    if (wr_read_check(c->s->ctx, &c->actor, "change", NULL, id, NULL, &rerr) != WR_OK ||
        wr_change_get(c->s->ctx, id, &ch, NULL) != WR_OK)
        return;
    json_t *d = json_object();
    json_object_set_new(d, "change_id", json_string(id));
    json_object_set(d, "state", json_object_get(ch, "state"));
    json_object_set_new(d, "change", mcp_change_view(ch));
    if (rc == WR_EDENIED) {
        /* the refusal is lineage: its entry carries the decision */
        json_t *lin = NULL;
        if (wr_change_lineage(c->s->ctx, id, &lin, NULL) == WR_OK) {
            json_t *entries = json_object_get(lin, "entries"), *dec = NULL;
            for (size_t i = json_array_size(entries); i-- > 0 && !dec;) {
                json_t *entry = json_object_get(json_array_get(entries, i), "entry");
                if (sget(entry, "kind") && strcmp(sget(entry, "kind"), "change.execution_denied") == 0)
                    dec = json_object_get(entry, "decision");
            }
            if (dec) {
                json_t *g = mcp_governance_detail(dec);
                json_object_update_missing(d, g);
                json_decref(g);
            }
        }
        json_decref(lin);
    } else if (json_object_get(ch, "pending_stage")) {
        json_object_set(d, "pending_stage", json_object_get(ch, "pending_stage"));
    }
    json_decref(ch);
    c->detail = d;
}

int mcp_tool_execute_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    const char *id = sget(args, "change_id");
    json_t *ch = NULL;
    int rc = wr_change_execute(c->s->ctx, &c->actor, id, &ch, err);
    if (rc) {
        if (rc == WR_EDENIED || rc == WR_ESTATE)
            explain_failure(c, id, rc);
        return rc;
    }
    *out = change_result(c, ch, "executed");
    json_decref(ch);
    return WR_OK;
}

int mcp_tool_close_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    const char *id = sget(args, "change_id");
    json_t *ch = NULL;
    int rc = wr_change_get(c->s->ctx, id, &ch, err), validated_now = 0;
    if (rc)
        return rc;
    if (strcmp(sget(ch, "state"), "executed") == 0) {
        /* closing needs a validated change: read the target back first */
        json_decref(ch);
        ch = NULL;
        if ((rc = wr_change_validate(c->s->ctx, &c->actor, id, &ch, err)))
            return rc;
        validated_now = 1;
    }
    json_decref(ch);
    ch = NULL;
    json_t *ev = json_object_get(args, "evidence");
    json_t *none = ev ? NULL : json_array();
    rc = wr_change_close(c->s->ctx, &c->actor, id, ev ? ev : none, &ch, err);
    json_decref(none);
    if (rc) {
        if (rc == WR_ESTATE || rc == WR_EDENIED)
            explain_failure(c, id, WR_ESTATE);
        return rc;
    }
    *out = change_result(c, ch, "closed");
    json_object_set_new(*out, "validated_now", json_boolean(validated_now));
    json_decref(ch);
    return WR_OK;
}

int mcp_tool_rollback_change(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    const char *id = sget(args, "change_id");
    json_t *ch = NULL;
    int rc = wr_change_rollback(c->s->ctx, &c->actor, id, sget(args, "reason"), &ch, err);
    if (rc)
        return rc;
    *out = change_result(c, ch, "rollback proposed");
    json_object_set_new(*out, "rollback_of", json_string(id));
    json_decref(ch);
    return WR_OK;
}
