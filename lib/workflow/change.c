/*
 * change.c — governed changes: proposal, approval, rejection, reading.
 *
 * A change row keeps the request as proposed (operations, input digests,
 * recommendation, rationale), the decision that routed it (outcome,
 * determining policies, obligations, resolved stages, readiness seen) and
 * its progress (state, current stage and its deadline).  Approvals live in
 * their own append-only table.  Each transition re-reads the row inside
 * a write transaction, so of two racing approvers or executors exactly one
 * wins and the other gets WR_ESTATE.
 */
#include "workflow_internal.h"

#include <stdlib.h>
#include <string.h>

#define CHANGE_COLS "id, initiator, mode, environment, state, system, mandate, rollback_of, request, " \
                    "decision, stage, stage_deadline, inverse, result, evidence, risk, created_at, updated_at"

static json_t *jparse(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

static json_t *ts_json(int64_t t)
{
    char s[21];
    wr_time_format(t, s);
    return json_string(s);
}

static int change_row(wr_ctx *ctx, wr_stmt *st, json_t **out, wr_err *err)
{
    json_t *initiator = NULL;
    int rc = wf_principal_load(ctx, wr_stmt_text(st, 1), &initiator, err);
    if (rc)
        return rc;
    json_t *c = json_pack("{s:s,s:o,s:s,s:s,s:s,s:s?,s:s?,s:s?,s:o,s:o,s:i,s:o,s:o,s:o,s:s,s:o,s:o}",
                          "id", wr_stmt_text(st, 0), "initiator", wf_actor_json(initiator, NULL),
                          "mode", wr_stmt_text(st, 2), "environment", wr_stmt_text(st, 3),
                          "state", wr_stmt_text(st, 4), "system", wr_stmt_text(st, 5),
                          "mandate", wr_stmt_text(st, 6), "rollback_of", wr_stmt_text(st, 7),
                          "request", jparse(wr_stmt_text(st, 8)), "decision", jparse(wr_stmt_text(st, 9)),
                          "stage", (int)wr_stmt_int(st, 10), "inverse", jparse(wr_stmt_text(st, 12)),
                          "result", jparse(wr_stmt_text(st, 13)), "evidence", jparse(wr_stmt_text(st, 14)),
                          "risk", wr_risk_name((int)wr_stmt_int(st, 15)),
                          "created_at", ts_json(wr_stmt_int(st, 16)), "updated_at", ts_json(wr_stmt_int(st, 17)));
    json_object_set_new(c, "stage_deadline", wr_stmt_is_null(st, 11) ? json_null() : ts_json(wr_stmt_int(st, 11)));
    json_decref(initiator);
    *out = c;
    return WR_OK;
}

int wf_change_load(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    wr_stmt *st;
    if (!id || !wf_id_valid(id))
        return wr_fail(err, WR_EINVAL, "invalid change id '%s'", id ? id : "");
    int rc = wr_stmt_prepare(ctx->store, "SELECT " CHANGE_COLS " FROM changes WHERE id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    rc = wr_stmt_step(st, err);
    if (rc == 1)
        rc = change_row(ctx, st, out, err);
    else if (rc == 0)
        rc = wr_fail(err, WR_ENOTFOUND, "unknown change '%s'", id);
    wr_stmt_done(st);
    return rc;
}

int wf_change_set_state(wr_ctx *ctx, const char *id, const char *state, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(ctx->store, "UPDATE changes SET state=?, updated_at=? WHERE id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, state);
    wr_stmt_bind_int(st, 2, wr_now());
    wr_stmt_bind_text(st, 3, id);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static json_t *approval_row(wr_stmt *st, void *arg)
{
    (void)arg;
    return json_pack("{s:i,s:s,s:s,s:s,s:s,s:o}", "stage", (int)wr_stmt_int(st, 0), "role", wr_stmt_text(st, 1),
                     "approver", wr_stmt_text(st, 2), "verdict", wr_stmt_text(st, 3), "reason",
                     wr_stmt_text(st, 4), "at", ts_json(wr_stmt_int(st, 5)));
}

/* Approvals of a change, oldest first. */
static int load_approvals(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(ctx->store, "SELECT stage, role, approver, verdict, reason, at FROM approvals "
                             "WHERE change=? ORDER BY id", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, id);
    return wr_stmt_collect(st, approval_row, NULL, 0, out, err);
}

int wr_change_get(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    json_t *c = NULL, *approvals = NULL;
    int rc = wf_change_load(ctx, id, &c, err);
    if (rc)
        return rc;
    if ((rc = load_approvals(ctx, id, &approvals, err))) {
        json_decref(c);
        return rc;
    }
    json_object_set_new(c, "approvals", approvals);
    /* who may decide now: the eligible humans of the pending stage who
     * have not yet taken a slot */
    if (strcmp(json_string_value(json_object_get(c, "state")), "awaiting_approval") == 0) {
        int stage = (int)json_integer_value(json_object_get(c, "stage"));
        json_t *st = json_array_get(json_object_get(json_object_get(c, "decision"), "stages"), (size_t)stage);
        json_t *eligible = NULL;
        json_t *initiator = NULL;
        if (st && wf_principal_load(ctx, json_string_value(json_object_get(json_object_get(c, "initiator"), "id")),
                                    &initiator, NULL) == WR_OK &&
            wf_eligible(ctx, json_string_value(json_object_get(st, "role")), json_string_value(json_object_get(c, "system")),
                        initiator, &eligible, NULL) == WR_OK) {
            json_t *pending = json_array();
            size_t i, j;
            json_t *e, *a;
            int have = 0;
            json_array_foreach(eligible, i, e) {
                int taken = 0;
                json_array_foreach(approvals, j, a)
                    taken |= strcmp(json_string_value(json_object_get(a, "approver")), json_string_value(e)) == 0;
                if (!taken)
                    json_array_append(pending, e);
            }
            json_array_foreach(approvals, j, a)
                have += json_integer_value(json_object_get(a, "stage")) == stage;
            json_object_set_new(c, "pending_stage",
                                json_pack("{s:i,s:O,s:O,s:i,s:o}", "index", stage, "role", json_object_get(st, "role"),
                                          "count", json_object_get(st, "count"), "approved", have,
                                          "eligible_approvers", pending));
        }
        json_decref(eligible);
        json_decref(initiator);
    }
    *out = c;
    return WR_OK;
}

int wr_change_list(wr_ctx *ctx, const json_t *filter, json_t **out, wr_err *err)
{
    return wf_change_list(ctx, filter, NULL, NULL, out, err);
}

int wf_change_list(wr_ctx *ctx, const json_t *filter, wf_keep_fn keep, void *arg, json_t **out, wr_err *err)
{
    const char *state = json_string_value(json_object_get(filter, "state"));
    const char *initiator = json_string_value(json_object_get(filter, "initiator"));
    const char *system = json_string_value(json_object_get(filter, "system"));
    const char *approver = json_string_value(json_object_get(filter, "approver"));
    json_int_t limit = json_is_integer(json_object_get(filter, "limit")) ? json_integer_value(json_object_get(filter, "limit")) : 100;
    json_int_t offset = json_is_integer(json_object_get(filter, "offset")) ? json_integer_value(json_object_get(filter, "offset")) : 0;
    if (limit < 1 || limit > 1000 || offset < 0)
        return wr_fail(err, WR_EINVAL, "change list: limit must be 1..1000 and offset >= 0");
    if (approver)
        state = "awaiting_approval";
    wr_stmt *st;
    /* an approver's inbox: riskiest first, then oldest */
    int rc = wr_stmt_prepare(ctx->store,
                             "SELECT " CHANGE_COLS " FROM changes WHERE (?1 IS NULL OR state=?1) "
                             "AND (?2 IS NULL OR initiator=?2) AND (?3 IS NULL OR system=?3) "
                             "ORDER BY CASE WHEN ?4 IS NULL THEN 0 ELSE -risk END, created_at, id "
                             "LIMIT ?5 OFFSET ?6", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, state);
    wr_stmt_bind_text(st, 2, initiator);
    wr_stmt_bind_text(st, 3, system);
    wr_stmt_bind_text(st, 4, approver);
    /* for an inbox or a reader, filter after reading: eligibility and
     * readability are computed */
    int post = approver || keep;
    wr_stmt_bind_int(st, 5, post ? 100000 : limit);
    wr_stmt_bind_int(st, 6, post ? 0 : offset);
    json_t *ids = json_array();
    while ((rc = wr_stmt_step(st, err)) == 1)
        json_array_append_new(ids, json_string(wr_stmt_text(st, 0)));
    wr_stmt_done(st);
    if (rc < 0) {
        json_decref(ids);
        return rc;
    }
    json_t *arr = json_array();
    size_t i;
    json_t *idv;
    json_int_t skipped = 0;
    json_array_foreach(ids, i, idv) {
        json_t *c = NULL;
        if ((rc = wr_change_get(ctx, json_string_value(idv), &c, err))) {
            json_decref(ids);
            json_decref(arr);
            return rc;
        }
        if (post) {
            int mine = 1;
            if (approver) {
                json_t *pending = json_object_get(json_object_get(c, "pending_stage"), "eligible_approvers");
                size_t j;
                json_t *e;
                mine = 0;
                json_array_foreach(pending, j, e)
                    mine |= strcmp(json_string_value(e), approver) == 0;
            }
            if (mine && keep && (mine = keep(ctx, arg, c, err)) < 0) {
                rc = mine;
                json_decref(c);
                json_decref(ids);
                json_decref(arr);
                return rc;
            }
            if (!mine || skipped++ < offset || (json_int_t)json_array_size(arr) >= limit) {
                json_decref(c);
                continue;
            }
        }
        json_array_append_new(arr, c);
    }
    json_decref(ids);
    *out = arr;
    return WR_OK;
}

/* ---- proposal ------------------------------------------------------------- */

static int text_field(const json_t *req, const char *key, const char **out, wr_err *err)
{
    json_t *v = json_object_get(req, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return WR_OK;
    if (!json_is_string(v) || strlen(json_string_value(v)) > WF_MAX_REASON)
        return wr_fail(err, WR_EINVAL, "%s: expected a string of at most %d bytes", key, WF_MAX_REASON);
    *out = json_string_value(v);
    return WR_OK;
}

/* Applies the grant TTL obligation: every grant gets an expiry no later
 * than now + ttl.  Returns a new operations array. */
static json_t *apply_ttl(const json_t *ops, int64_t ttl)
{
    json_t *res = json_deep_copy(ops);
    if (!ttl)
        return res;
    size_t i;
    json_t *op;
    json_array_foreach(res, i, op) {
        if (strcmp(json_string_value(json_object_get(op, "op")), "grant") != 0)
            continue;
        int64_t limit = wr_now() + ttl, have = 0;
        const char *exp = json_string_value(json_object_get(op, "expires_at"));
        if (!exp || wr_time_parse(exp, &have) != WR_OK || have > limit)
            json_object_set_new(op, "expires_at", ts_json(limit));
    }
    return res;
}

int wf_change_create(wr_ctx *ctx, const wr_actor *actor, const json_t *principal, const json_t *req,
                     const char *rollback_of, char *id_out, size_t id_len, int *outcome,
                     json_t **decision_out, wr_err *err)
{
    const char *mode_s = json_string_value(json_object_get(req, "mode"));
    const char *env = json_string_value(json_object_get(req, "environment"));
    const char *recommendation, *rationale, *ticket, *mandate_id;
    int mode = wr_mode_parse(mode_s), rc;
    if (!mode)
        return wr_fail(err, WR_EINVAL, "mode: expected advise, draft, recommend or execute");
    if (!env)
        env = "production";
    if ((rc = text_field(req, "recommendation", &recommendation, err)) ||
        (rc = text_field(req, "rationale", &rationale, err)) || (rc = text_field(req, "ticket", &ticket, err)) ||
        (rc = text_field(req, "mandate", &mandate_id, err)))
        return rc;
    json_t *inputs = NULL, *mandate = NULL, *entry = NULL, *ops = NULL;
    wf_decision d;
    wf_decision_init(&d);
    if ((rc = wf_inputs_digest(json_object_get(req, "inputs"), &inputs, err)))
        goto out;
    const char *kind = json_string_value(json_object_get(principal, "kind"));
    if (strcmp(kind, "agent") == 0) {
        if ((rc = wf_mandate_for(ctx, principal, mandate_id, &mandate, err)))
            goto out;
    } else if (mandate_id) {
        rc = wr_fail(err, WR_EINVAL, "mandate: only agents act under mandates");
        goto out;
    }
    if ((rc = wf_decide_ops(ctx, principal, actor->channel, mode, env, json_object_get(req, "operations"), mandate,
                            mode >= WR_MODE_RECOMMEND, &d, err)))
        goto out;
    json_t *decision = wf_decision_json(&d);
    json_object_set_new(decision, "policy_set", json_string(ctx->policy_digest));
    if (decision_out)
        *decision_out = json_incref(decision);
    /* a rollback restores the exact prior state, expiry included */
    ops = apply_ttl(json_object_get(req, "operations"), rollback_of ? 0 : d.ob.grant_ttl);
    json_t *request = json_pack("{s:O,s:O,s:s?,s:s?,s:s?}", "operations", ops, "inputs", inputs,
                                "recommendation", recommendation, "rationale", rationale, "ticket", ticket);
    wr_id_new(mode >= WR_MODE_RECOMMEND ? "chg" : mode == WR_MODE_DRAFT ? "drf" : "adv", id_out, id_len);
    *outcome = d.outcome;

    if (mode < WR_MODE_RECOMMEND) {
        /* advise / draft: nothing changes; the advice itself is lineage */
        entry = wf_entry_new(mode == WR_MODE_DRAFT ? "draft.prepared" : "advice.given", principal, actor);
        json_object_set_new(entry, "id", json_string(id_out));
        json_object_set_new(entry, "mode", json_string(mode_s));
        json_object_set_new(entry, "environment", json_string(env));
        json_object_update(entry, request);
        json_object_set(entry, "decision", decision);
        rc = wf_log(ctx, entry, NULL, NULL, err);
        goto out_req;
    }
    const char *state = d.outcome == WF_DENY ? "denied" : d.outcome == WF_APPROVAL ? "awaiting_approval" : "approved";
    int64_t timeout = d.ob.approval_timeout ? d.ob.approval_timeout : 72 * 3600;
    char *req_t = json_dumps(request, JSON_COMPACT), *dec_t = json_dumps(decision, JSON_COMPACT);
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(ctx->store,
                              "INSERT INTO changes(id, initiator, on_behalf_of, mode, environment, state, system, "
                              "mandate, rollback_of, request, decision, stage, stage_deadline, risk, created_at, "
                              "updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,0,?,?,?,?)", &st, err)) == WR_OK) {
        wr_stmt_bind_text(st, 1, id_out);
        wr_stmt_bind_text(st, 2, json_string_value(json_object_get(principal, "id")));
        wr_stmt_bind_text(st, 3, json_string_value(json_object_get(principal, "on_behalf_of")));
        wr_stmt_bind_text(st, 4, mode_s);
        wr_stmt_bind_text(st, 5, env);
        wr_stmt_bind_text(st, 6, state);
        wr_stmt_bind_text(st, 7, d.system[0] ? d.system : NULL);
        wr_stmt_bind_text(st, 8, mandate ? json_string_value(json_object_get(mandate, "id")) : NULL);
        wr_stmt_bind_text(st, 9, rollback_of);
        wr_stmt_bind_text(st, 10, req_t);
        wr_stmt_bind_text(st, 11, dec_t);
        if (d.outcome == WF_APPROVAL)
            wr_stmt_bind_int(st, 12, wr_now() + timeout);
        else
            wr_stmt_bind_null(st, 12);
        wr_stmt_bind_int(st, 13, d.ob.risk);
        wr_stmt_bind_int(st, 14, wr_now());
        wr_stmt_bind_int(st, 15, wr_now());
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
    }
    free(req_t);
    free(dec_t);
    if (rc < 0)
        goto out_req;
    if (mandate && d.outcome != WF_DENY) {
        if ((rc = wr_stmt_prepare(ctx->store, "UPDATE mandates SET used=used+1 WHERE id=?", &st, err)) == WR_OK) {
            wr_stmt_bind_text(st, 1, json_string_value(json_object_get(mandate, "id")));
            rc = wr_stmt_step(st, err);
            wr_stmt_done(st);
        }
        if (rc < 0)
            goto out_req;
    }
    entry = wf_entry_new("change.proposed", principal, actor);
    json_object_set_new(entry, "state", json_pack("{s:n,s:s}", "from", "to", state));
    json_object_set_new(entry, "mode", json_string(mode_s));
    json_object_set_new(entry, "environment", json_string(env));
    json_object_update(entry, request);
    json_object_set(entry, "decision", decision);
    if (mandate)
        json_object_set(entry, "mandate", json_object_get(mandate, "id"));
    if (rollback_of)
        json_object_set_new(entry, "rollback_of", json_string(rollback_of));
    rc = wf_log(ctx, entry, id_out, NULL, err);
out_req:
    json_decref(request);
    json_decref(decision);
out:
    json_decref(entry);
    json_decref(inputs);
    json_decref(mandate);
    json_decref(ops);
    wf_decision_clear(&d);
    return rc < 0 ? rc : WR_OK;
}

int wr_change_propose(wr_ctx *ctx, const wr_actor *actor, const json_t *req, json_t **out, wr_err *err)
{
    if (!json_is_object(req))
        return wr_fail(err, WR_EINVAL, "change: expected a JSON object");
    json_t *principal = NULL, *decision = NULL;
    int rc, outcome = WF_DENY;
    char id[64];
    if ((rc = wr_store_begin(ctx->store, err)))
        return rc;
    if ((rc = wf_actor_load(ctx, actor, &principal, err)) ||
        (rc = wf_change_create(ctx, actor, principal, req, NULL, id, sizeof id, &outcome, &decision, err)) ||
        (rc = wr_store_commit(ctx->store, err))) {
        wr_store_rollback(ctx->store);
        json_decref(principal);
        json_decref(decision);
        return rc;
    }
    json_decref(principal);
    int mode = wr_mode_parse(json_string_value(json_object_get(req, "mode")));
    if (mode < WR_MODE_RECOMMEND) {
        /* advice and drafts are not changes: report the decision */
        *out = json_pack("{s:s,s:O,s:o}", "id", id, "mode", json_object_get(req, "mode"), "decision", decision);
        return WR_OK;
    }
    json_decref(decision);
    if (mode == WR_MODE_EXECUTE && outcome == WF_ALLOW)
        return wr_change_execute(ctx, actor, id, out, err);
    return wr_change_get(ctx, id, out, err);
}

int wr_decide(wr_ctx *ctx, const wr_actor *actor, const json_t *req, json_t **out, wr_err *err)
{
    if (!json_is_object(req))
        return wr_fail(err, WR_EINVAL, "decision request: expected a JSON object");
    int mode = wr_mode_parse(json_string_value(json_object_get(req, "mode")));
    if (!mode)
        return wr_fail(err, WR_EINVAL, "mode: expected advise, draft, recommend or execute");
    const char *env = json_string_value(json_object_get(req, "environment"));
    const char *mandate_id = json_string_value(json_object_get(req, "mandate"));
    json_t *principal = NULL, *mandate = NULL;
    int rc = wf_actor_load(ctx, actor, &principal, err);
    if (rc)
        return rc;
    if (strcmp(json_string_value(json_object_get(principal, "kind")), "agent") == 0 &&
        (rc = wf_mandate_for(ctx, principal, mandate_id, &mandate, err))) {
        json_decref(principal);
        return rc;
    }
    wf_decision d;
    wf_decision_init(&d);
    rc = wf_decide_ops(ctx, principal, actor->channel, mode, env ? env : "production",
                       json_object_get(req, "operations"), mandate, mode >= WR_MODE_RECOMMEND, &d, err);
    if (rc == WR_OK) {
        *out = wf_decision_json(&d);
        json_object_set_new(*out, "policy_set", json_string(ctx->policy_digest));
    }
    wf_decision_clear(&d);
    json_decref(principal);
    json_decref(mandate);
    return rc;
}

/* ---- approval and rejection ------------------------------------------------ */

/* The checks approve and reject share: state, deadline, AI, separation of
 * duties, eligibility for the pending stage and policy.  On success *role
 * is the stage's role (borrowed from change). */
static int check_decider(wr_ctx *ctx, const wr_actor *actor, const json_t *p, const json_t *c,
                         const char *verb, const char **role, json_int_t *need, wr_err *err)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *state = json_string_value(json_object_get(c, "state"));
    const char *me = actor->principal;
    json_t *ini = json_object_get(c, "initiator");
    const char *iid = json_string_value(json_object_get(ini, "id"));
    const char *obo = json_string_value(json_object_get(ini, "on_behalf_of"));
    const char *owner = json_string_value(json_object_get(ini, "owner"));
    if (strcmp(state, "awaiting_approval") != 0)
        return wr_fail(err, WR_ESTATE, "change %s is %s: only a change awaiting approval can be %s", id, state,
                       strcmp(verb, "approve") == 0 ? "approved" : "rejected");
    int64_t deadline = 0;
    if (wr_time_parse(json_string_value(json_object_get(c, "stage_deadline")), &deadline) != WR_OK)
        deadline = 0;
    if (deadline && deadline <= wr_now())
        return wr_fail(err, WR_ESTATE, "change %s: the approval window closed at %s (run 'warrant expire')", id,
                       json_string_value(json_object_get(c, "stage_deadline")));
    if (wf_is_ai(p))
        return wr_fail(err, WR_EDENIED, "no AI ever approves or rejects: %s is an AI principal (%s)", me,
                       json_string_value(json_object_get(p, "kind")));
    if (strcmp(me, iid) == 0)
        return wr_fail(err, WR_EDENIED, "separation of duties: %s initiated change %s and may not %s it", me, id, verb);
    if (obo && strcmp(me, obo) == 0)
        return wr_fail(err, WR_EDENIED, "separation of duties: %s is the human behind copilot %s, which initiated "
                       "change %s, and may not %s it", me, iid, id, verb);
    if (owner && strcmp(me, owner) == 0)
        return wr_fail(err, WR_EDENIED, "separation of duties: %s is accountable for %s, which initiated change "
                       "%s, and may not %s it", me, iid, id, verb);
    json_t *approvals = NULL;
    int rc = load_approvals(ctx, id, &approvals, err);
    if (rc)
        return rc;
    size_t i;
    json_t *a;
    json_array_foreach(approvals, i, a) {
        if (strcmp(json_string_value(json_object_get(a, "approver")), me) == 0) {
            rc = wr_fail(err, WR_EDENIED, "one person fills one slot: %s already decided stage %d (%s) of change %s",
                         me, (int)json_integer_value(json_object_get(a, "stage")) + 1,
                         json_string_value(json_object_get(a, "role")), id);
            json_decref(approvals);
            return rc;
        }
    }
    json_decref(approvals);
    int stage = (int)json_integer_value(json_object_get(c, "stage"));
    json_t *st = json_array_get(json_object_get(json_object_get(c, "decision"), "stages"), (size_t)stage);
    if (!st)
        return wr_fail(err, WR_EINTERNAL, "change %s: stage %d missing from its decision", id, stage);
    *role = json_string_value(json_object_get(st, "role"));
    *need = json_integer_value(json_object_get(st, "count"));
    json_t *initiator = NULL, *eligible = NULL;
    if ((rc = wf_principal_load(ctx, iid, &initiator, err)) ||
        (rc = wf_eligible(ctx, *role, json_string_value(json_object_get(c, "system")), initiator, &eligible, err))) {
        json_decref(initiator);
        return rc;
    }
    json_decref(initiator);
    int ok = 0;
    json_array_foreach(eligible, i, a)
        ok |= strcmp(json_string_value(a), me) == 0;
    if (!ok) {
        char names[512] = "";
        json_array_foreach(eligible, i, a)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", json_string_value(a));
        json_decref(eligible);
        return wr_fail(err, WR_EDENIED, "%s is not eligible for the pending stage '%s' of change %s (eligible: %s)",
                       me, *role, id, names[0] ? names : "nobody");
    }
    json_decref(eligible);
    wf_decision d;
    wf_decision_init(&d);
    rc = wf_decide_change_action(ctx, p, verb, c, &d, err);
    if (rc == WR_OK && d.outcome == WF_DENY) {
        const char *why = json_string_value(json_array_get(d.explanation, 0));
        rc = wr_fail(err, WR_EDENIED, "policy refuses: %s", why ? why : "denied");
    }
    wf_decision_clear(&d);
    return rc;
}

static int decide_stage(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *reason, int approve,
                        json_t **out, wr_err *err)
{
    const char *verb = approve ? "approve" : "reject";
    if (!reason || !*reason || strlen(reason) > WF_MAX_REASON)
        return wr_fail(err, WR_EINVAL, "%s: a reason is required (at most %d bytes)", verb, WF_MAX_REASON);
    json_t *p = NULL, *c = NULL, *entry = NULL;
    const char *role = NULL;
    json_int_t need = 1;
    int rc;
    if ((rc = wr_store_begin(ctx->store, err)))
        return rc;
    if ((rc = wf_actor_load(ctx, actor, &p, err)) || (rc = wf_change_load(ctx, id, &c, err)) ||
        (rc = check_decider(ctx, actor, p, c, verb, &role, &need, err)))
        goto fail;
    int stage = (int)json_integer_value(json_object_get(c, "stage"));
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(ctx->store, "INSERT INTO approvals(change, stage, role, approver, verdict, reason, at) "
                              "VALUES(?,?,?,?,?,?,?)", &st, err)))
        goto fail;
    wr_stmt_bind_text(st, 1, id);
    wr_stmt_bind_int(st, 2, stage);
    wr_stmt_bind_text(st, 3, role);
    wr_stmt_bind_text(st, 4, actor->principal);
    wr_stmt_bind_text(st, 5, verb);
    wr_stmt_bind_text(st, 6, reason);
    wr_stmt_bind_int(st, 7, wr_now());
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        goto fail;
    const char *from = "awaiting_approval", *to = from;
    int next = stage;
    if (!approve) {
        to = "rejected";
    } else {
        int64_t have = 0;
        if ((rc = wr_stmt_prepare(ctx->store, "SELECT count(*) FROM approvals WHERE change=? AND stage=? "
                                  "AND verdict='approve'", &st, err)))
            goto fail;
        wr_stmt_bind_text(st, 1, id);
        wr_stmt_bind_int(st, 2, stage);
        if ((rc = wr_stmt_step(st, err)) == 1)
            have = wr_stmt_int(st, 0);
        wr_stmt_done(st);
        if (rc < 0)
            goto fail;
        if (have >= need) {
            next = stage + 1;
            if ((size_t)next >= json_array_size(json_object_get(json_object_get(c, "decision"), "stages")))
                to = "approved";
        }
    }
    /* a new stage gets its own approval window */
    json_t *ob = json_object_get(json_object_get(c, "decision"), "obligations");
    int64_t timeout = json_integer_value(json_object_get(ob, "approval_timeout_s"));
    if ((rc = wr_stmt_prepare(ctx->store, "UPDATE changes SET state=?, stage=?, updated_at=?, "
                              "stage_deadline=CASE WHEN ?='awaiting_approval' THEN "
                              "(CASE WHEN stage=? THEN stage_deadline ELSE ? END) ELSE NULL END WHERE id=?",
                              &st, err)))
        goto fail;
    int64_t now = wr_now();
    wr_stmt_bind_text(st, 1, to);
    wr_stmt_bind_int(st, 2, next);
    wr_stmt_bind_int(st, 3, now);
    wr_stmt_bind_text(st, 4, to);
    wr_stmt_bind_int(st, 5, next);
    wr_stmt_bind_int(st, 6, now + (timeout ? timeout : 72 * 3600));
    wr_stmt_bind_text(st, 7, id);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        goto fail;
    entry = wf_entry_new(approve ? "change.approval" : "change.rejected", p, actor);
    json_object_set_new(entry, "state", json_pack("{s:s,s:s}", "from", from, "to", to));
    json_object_set_new(entry, "approval", json_pack("{s:i,s:s,s:s,s:s,s:s}", "stage", stage, "role", role,
                                                     "approver", actor->principal, "verdict", verb, "reason", reason));
    if ((rc = wf_log(ctx, entry, id, NULL, err)) || (rc = wr_store_commit(ctx->store, err)))
        goto fail;
    json_decref(entry);
    json_decref(p);
    json_decref(c);
    return wr_change_get(ctx, id, out, err);
fail:
    wr_store_rollback(ctx->store);
    json_decref(entry);
    json_decref(p);
    json_decref(c);
    return rc;
}

int wr_change_approve(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *reason, json_t **out,
                      wr_err *err)
{
    return decide_stage(ctx, actor, id, reason, 1, out, err);
}

int wr_change_reject(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *reason, json_t **out,
                     wr_err *err)
{
    return decide_stage(ctx, actor, id, reason, 0, out, err);
}
