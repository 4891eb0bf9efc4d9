/*
 * execute.c — carrying out approved changes, checking them, closing them,
 * undoing them, and expiring what is due.
 *
 * Execution protocol (three transactions, so the rollback plan is durable
 * before anything is touched):
 *   T1  approved -> executing; the inverse of every operation, computed
 *       from the target's current state, goes into the change and the log
 *       ("change.executing").  A second executor racing for the same change
 *       finds it executing and gets WR_ESTATE: nothing is applied twice.
 *   T2  apply every operation to the target, record the results,
 *       executing -> executed ("change.executed").  If any operation fails
 *       the transaction rolls back, so nothing partial remains, and
 *   T3  records executing -> failed with the error ("change.failed").
 * For sandbox changes the target is the sandbox store; the log and the
 * workflow state stay in the production store.
 *
 * A rollback is a new governed change whose operations are the recorded
 * inverses (in reverse order); when it executes, the original change
 * becomes rolled_back.
 */
#define _DEFAULT_SOURCE
#include "workflow_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int wf_change_create(wr_ctx *ctx, const wr_actor *actor, const json_t *principal, const json_t *req,
                     const char *rollback_of, char *id_out, size_t id_len, int *outcome,
                     json_t **decision_out, wr_err *err);

int wf_set_json_column(wr_ctx *ctx, const char *sql, const char *id, const json_t *v, wr_err *err)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    wr_stmt *st;
    int rc = wr_stmt_prepare(ctx->store, sql, &st, err);
    if (rc == WR_OK) {
        wr_stmt_bind_text(st, 1, text);
        wr_stmt_bind_text(st, 2, id);
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
    }
    free(text);
    return rc < 0 ? rc : WR_OK;
}

int wf_log_change(wr_ctx *ctx, const char *kind, const json_t *p, const wr_actor *actor, const char *id,
                      const char *from, const char *to, json_t *extra, wr_err *err)
{
    json_t *entry = wf_entry_new(kind, p, actor);
    json_object_set_new(entry, "state", json_pack("{s:s,s:s}", "from", from, "to", to));
    if (extra)
        json_object_update(entry, extra);
    int rc = wf_log(ctx, entry, id, NULL, err);
    json_decref(entry);
    json_decref(extra);
    return rc;
}

static const char *state_of(const json_t *c)
{
    return json_string_value(json_object_get(c, "state"));
}

/* Is every stage the execution decision asks for among those the change
 * went through?  (A permit for execute may ask for more than the proposal
 * did; approvals cannot be skipped by switching modes.) */
static int stages_covered(const json_t *needed, const json_t *had)
{
    size_t i, j;
    json_t *n, *h;
    json_array_foreach(needed, i, n) {
        int found = 0;
        json_array_foreach(had, j, h)
            found |= strcmp(json_string_value(json_object_get(n, "role")),
                            json_string_value(json_object_get(h, "role"))) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

int wf_mark_rolled_back(wr_ctx *ctx, const json_t *p, const wr_actor *actor, const json_t *c, wr_err *err)
{
    const char *orig = json_string_value(json_object_get(c, "rollback_of"));
    json_t *o = NULL;
    int rc = wf_change_load(ctx, orig, &o, err);
    if (rc)
        return rc;
    char from[32];
    snprintf(from, sizeof from, "%s", state_of(o));
    json_decref(o);
    if ((rc = wf_change_set_state(ctx, orig, "rolled_back", err)))
        return rc;
    return wf_log_change(ctx, "change.rolled_back", p, actor, orig, from, "rolled_back",
                      json_pack("{s:O}", "rollback", json_object_get(c, "id")), err);
}

/* ---- execution lock ------------------------------------------------------------
 * An executor holds an exclusive flock on <data>/run/<change>.lock from
 * before it claims the change until it has recorded the outcome.  The
 * kernel drops the lock when the process dies, so recovery can tell a
 * change whose executor crashed (lock free) from one still being executed
 * by a live process (lock held) without guessing from timestamps. */
int wf_exec_lock(wr_ctx *ctx, const char *id, int *fd_out, wr_err *err)
{
    char dir[4300], name[160];
    snprintf(dir, sizeof dir, "%s/run", ctx->dir);
    snprintf(name, sizeof name, "%s.lock", id);
    int rc = wr_lock_try(dir, name, fd_out, err);
    if (rc == WR_ESTATE)
        return wr_fail(err, WR_ESTATE, "change %s is being executed by another process", id);
    return rc;
}

void wf_exec_unlock(wr_ctx *ctx, const char *id, int fd)
{
    if (fd < 0)
        return;
    char path[4300];
    snprintf(path, sizeof path, "%s/run/%s.lock", ctx->dir, id);
    unlink(path);
    close(fd);
}

int wf_change_connector(wr_ctx *ctx, const json_t *c, wr_store **target, wr_connector **conn, wr_err *err)
{
    const char *env = json_string_value(json_object_get(c, "environment"));
    *target = wf_target(ctx, env, err);
    if (!*target)
        return err ? err->code : WR_EIO;
    /* sandbox changes never reach a real directory */
    return wr_connector_open(*target, json_string_value(json_object_get(c, "system")),
                             strcmp(env, "production") != 0, conn, err);
}

/* Applies inverses (reverse-ordered, as recorded) of the operations with
 * undo[i] set, newest first; returns a report and sets *all_ok. */
json_t *wf_compensate(wr_connector *conn, const json_t *ops, const json_t *inverse, const int *undo,
                      const char *actor, int *all_ok)
{
    json_t *report = json_array();
    size_t n = json_array_size(ops);
    *all_ok = 1;
    for (size_t k = n; k-- > 0;) {
        if (!undo[k])
            continue;
        const json_t *inv = json_array_get(inverse, n - 1 - k);
        json_t *res = NULL;
        wr_err e = {0};
        int matches = 0;
        int rc = json_is_true(json_object_get(inv, "irreversible"))
                     ? wr_fail(&e, WR_EINVAL, "irreversible")
                     : wr_connector_apply(conn, inv, actor, &res, &e);
        if (rc == WR_OK)
            rc = wr_connector_readback(conn, inv, &matches, &e);
        if (rc == WR_OK && !matches)
            rc = wr_fail(&e, WR_EIO, "read back does not match the inverse");
        *all_ok &= rc == WR_OK;
        json_array_append_new(report, json_pack("{s:I,s:O,s:b,s:s?}", "operation", (json_int_t)k, "inverse", inv,
                                                "undone", rc == WR_OK, "error", rc ? e.msg : NULL));
        json_decref(res);
    }
    return report;
}

/* Applies ops on an external target one by one, reading each back.  On
 * failure the applied ones are undone on the target.  *results and
 * *readback are filled for the applied ones. */
static int apply_external(wr_connector *conn, const json_t *ops, const json_t *inverse, const char *actor,
                          json_t *results, json_t *readback, json_t **compensation, int *rolled_back, wr_err *err)
{
    size_t n = json_array_size(ops), i;
    int *undo = calloc(n ? n : 1, sizeof *undo);
    if (!undo)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    int rc = WR_OK;
    for (i = 0; i < n; i++) {
        const json_t *op = json_array_get(ops, i);
        json_t *res = NULL;
        int matches = 0;
        if ((rc = wr_connector_apply(conn, op, actor, &res, err))) {
            wr_fail_wrap(err, "operations[%zu]", i);
            break;
        }
        undo[i] = 1;   /* applied (or already so: its inverse is then itself) */
        json_array_append_new(results, res);
        if ((rc = wr_connector_readback(conn, op, &matches, err))) {
            wr_fail_wrap(err, "operations[%zu]: read back", i);
            break;
        }
        json_array_append_new(readback, json_pack("{s:I,s:b}", "operation", (json_int_t)i, "matches", matches));
        if (!matches) {
            rc = wr_fail(err, WR_EIO, "operations[%zu]: applied but the target does not match when read back", i);
            break;
        }
    }
    if (rc)
        *compensation = wf_compensate(conn, ops, inverse, undo, actor, rolled_back);
    free(undo);
    return rc;
}

int wr_change_execute(wr_ctx *ctx, const wr_actor *actor, const char *id, json_t **out, wr_err *err)
{
    wr_err local = {0};
    if (!err)
        err = &local;   /* the failure path below keeps the first error */
    json_t *p = NULL, *c = NULL, *mandate = NULL, *inverse = NULL, *results = NULL, *plan = NULL,
           *readback = NULL, *compensation = NULL;
    wr_connector *conn = NULL;
    wf_decision d;
    int rc, lock = -1;
    if (!id || !wf_id_valid(id))
        return wr_fail(err, WR_EINVAL, "invalid change id '%s'", id ? id : "");
    if ((rc = wf_exec_lock(ctx, id, &lock, err)))
        return rc;
    wf_decision_init(&d);
    /* ---- T1: decide, record the plan and its inverse, claim the change */
    if ((rc = wr_store_begin(ctx->store, err)))
        goto done;
    if ((rc = wf_actor_load(ctx, actor, &p, err)) || (rc = wf_change_load(ctx, id, &c, err)))
        goto fail;
    if (strcmp(state_of(c), "approved") != 0) {
        rc = wr_fail(err, WR_ESTATE, "change %s is %s: only an approved change can be executed", id, state_of(c));
        goto fail;
    }
    const char *env = json_string_value(json_object_get(c, "environment"));
    json_t *ops = json_object_get(json_object_get(c, "request"), "operations");
    if (strcmp(json_string_value(json_object_get(p, "kind")), "agent") == 0) {
        const char *named = strcmp(json_string_value(json_object_get(json_object_get(c, "initiator"), "id")),
                                   actor->principal) == 0 ? json_string_value(json_object_get(c, "mandate")) : NULL;
        if ((rc = wf_mandate_for(ctx, p, named, &mandate, err)))
            goto fail;
    }
    if ((rc = wf_decide_ops(ctx, p, actor->channel, WR_MODE_EXECUTE, env, ops, mandate, 0, &d, err)))
        goto fail;
    if (d.outcome != WF_DENY &&
        !stages_covered(d.stages, json_object_get(json_object_get(c, "decision"), "stages"))) {
        d.outcome = WF_DENY;
        json_array_append_new(d.explanation, json_string("executing needs approval stages this change did not go through"));
    }
    if (d.outcome == WF_DENY) {
        /* a refusal is itself lineage: AI denials are what auditors look for */
        json_t *dec = wf_decision_json(&d);
        if ((rc = wf_log_change(ctx, "change.execution_denied", p, actor, id, "approved", "approved",
                             json_pack("{s:o}", "decision", dec), err)) ||
            (rc = wr_store_commit(ctx->store, err)))
            goto fail;
        const char *why = json_string_value(json_array_get(d.explanation, 0));
        rc = wr_fail(err, WR_EDENIED, "%s may not execute change %s: %s", actor->principal, id, why ? why : "denied");
        goto done;
    }
    wr_store *target = NULL;
    if ((rc = wf_change_connector(ctx, c, &target, &conn, err)))
        goto fail;
    inverse = json_array();
    plan = json_array();
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        json_t *inv = NULL, *pl = NULL;
        if ((rc = wr_connector_plan(conn, op, &pl, err))) {
            rc = wr_fail_wrap(err, "operations[%zu]: planning", i);
            goto fail;
        }
        json_array_append_new(plan, pl);
        if ((rc = wr_connector_inverse(conn, op, &inv, err))) {
            rc = wr_fail_wrap(err, "operations[%zu]: computing the inverse", i);
            goto fail;
        }
        json_array_insert_new(inverse, 0, inv);   /* undo in reverse order */
    }
    if ((rc = wf_set_json_column(ctx, "UPDATE changes SET inverse=? WHERE id=?", id, inverse, err)) ||
        (rc = wf_change_set_state(ctx, id, "executing", err)) ||
        (rc = wf_log_change(ctx, "change.executing", p, actor, id, "approved", "executing",
                         json_pack("{s:O,s:O,s:O,s:s,s:o}", "operations", ops, "inverse", inverse, "plan", plan,
                                   "connector", wr_connector_kind_name(conn), "decision", wf_decision_json(&d)),
                         err)) ||
        (rc = wr_store_commit(ctx->store, err)))
        goto fail;

    /* ---- T2: apply.  The inventory connector applies inside the store
     * transaction (atomic: a failure rolls everything back).  An external
     * target is changed first, operation by operation with a read-back,
     * and undone with the recorded inverses if one fails; the inventory
     * record and the outcome then commit together. */
    int external = strcmp(wr_connector_kind_name(conn), "inventory") != 0;
    int separate = !external && target != ctx->store, rolled_back = 1;
    results = json_array();
    readback = json_array();
    if (external) {
        rc = apply_external(conn, ops, inverse, actor->principal, results, readback, &compensation, &rolled_back,
                            err);
        if (rc == WR_OK && getenv("WARRANT_TEST_CRASH_AFTER_APPLY"))
            _exit(99);   /* test hook: die between apply and record */
        if (rc == WR_OK && (rc = wr_store_begin(ctx->store, err)) == WR_OK) {
            json_array_foreach(ops, i, op) {
                if ((rc = wr_connector_record(conn, op, actor->principal, err)))
                    break;
            }
            if (rc)
                wr_store_rollback(ctx->store);
        }
        if (rc == WR_OK && !compensation)
            goto record;
        if (!compensation) {
            /* applied and read back, but not recorded: leave it in doubt
             * for recovery rather than guess */
            wr_fail_wrap(err, "change %s was applied on the target but could not be recorded; it stays "
                         "executing (in doubt): run 'warrant recover'", id);
            goto done;
        }
        goto failed;
    }
    if ((rc = wr_store_begin(ctx->store, err)))
        goto done;
    if (separate && (rc = wr_store_begin(target, err))) {
        wr_store_rollback(ctx->store);
        goto done;
    }
    json_array_foreach(ops, i, op) {
        json_t *res = NULL;
        int matches = 0;
        if ((rc = wr_connector_apply(conn, op, actor->principal, &res, err))) {
            rc = wr_fail_wrap(err, "operations[%zu]", i);
            break;
        }
        json_array_append_new(results, res);
        if ((rc = wr_connector_readback(conn, op, &matches, err)))
            break;
        json_array_append_new(readback, json_pack("{s:I,s:b}", "operation", (json_int_t)i, "matches", matches));
    }
    if (rc == WR_OK && getenv("WARRANT_TEST_CRASH_AFTER_APPLY") && separate) {
        if (wr_store_commit(target, err) == WR_OK)
            _exit(99);
    }
record:
    if (rc == WR_OK) {
        rc = wf_set_json_column(ctx, "UPDATE changes SET result=? WHERE id=?", id, results, err);
        if (!rc)
            rc = wf_change_set_state(ctx, id, "executed", err);
        if (!rc)
            rc = wf_log_change(ctx, "change.executed", p, actor, id, "executing", "executed",
                            json_pack("{s:O,s:O}", "results", results, "readback", readback), err);
        if (!rc && json_string_value(json_object_get(c, "rollback_of")))
            rc = wf_mark_rolled_back(ctx, p, actor, c, err);
        if (!rc && separate)
            rc = wr_store_commit(target, err);
        if (!rc)
            rc = wr_store_commit(ctx->store, err);
    }
    if (rc) {
        if (separate)
            wr_store_rollback(target);
        wr_store_rollback(ctx->store);
        if (external) {
            wr_fail_wrap(err, "change %s was applied on the target but could not be recorded; it stays "
                         "executing (in doubt): run 'warrant recover'", id);
            goto done;
        }
    failed:;
        /* ---- T3: record the failure (nothing partial remains, unless an
         * undo on an external target failed: then the log says what) */
        wr_err why = *err;
        if (wr_store_begin(ctx->store, NULL) == WR_OK) {
            /* best effort: if even this fails the change stays
             * "executing" (in doubt) and the error below is reported */
            json_t *extra = json_pack("{s:s,s:b}", "error", why.msg, "rolled_back", rolled_back);
            if (compensation)
                json_object_set(extra, "compensation", compensation);
            if (wf_change_set_state(ctx, id, "failed", NULL) != WR_OK ||
                wf_log_change(ctx, "change.failed", p, actor, id, "executing", "failed", extra, NULL) != WR_OK ||
                wr_store_commit(ctx->store, NULL) != WR_OK)
                wr_store_rollback(ctx->store);
        }
        *err = why;
        rc = rolled_back ? wr_fail_wrap(err, "change %s failed and nothing was applied", id)
                         : wr_fail_wrap(err, "change %s failed and undoing it on the target failed too (see "
                                        "its lineage: change.failed compensation)", id);
        if (rc == WR_OK)
            rc = WR_EIO;
        goto done;
    }
    rc = wr_change_get(ctx, id, out, err);
    goto done;
fail:
    wr_store_rollback(ctx->store);
done:
    wr_connector_close(conn);
    wf_exec_unlock(ctx, id, lock);
    wf_decision_clear(&d);
    json_decref(p);
    json_decref(c);
    json_decref(mandate);
    json_decref(inverse);
    json_decref(results);
    json_decref(plan);
    json_decref(readback);
    json_decref(compensation);
    return rc;
}

/* Loads actor and change in a new transaction, checks the state and asks
 * policy about a workflow action. */
static int begin_action(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *action,
                        const char *want_state, json_t **p, json_t **c, wr_err *err)
{
    int rc = wr_store_begin(ctx->store, err);
    if (rc)
        return rc;
    if ((rc = wf_actor_load(ctx, actor, p, err)) || (rc = wf_change_load(ctx, id, c, err)))
        return rc;
    if (strcmp(state_of(*c), want_state) != 0)
        return wr_fail(err, WR_ESTATE, "change %s is %s: only a%s %s change can be %s", id, state_of(*c),
                       want_state[0] == 'e' ? "n" : "", want_state,
                       strcmp(action, "validate") == 0 ? "validated" : "closed");
    wf_decision d;
    wf_decision_init(&d);
    rc = wf_decide_change_action(ctx, *p, action, *c, &d, err);
    if (rc == WR_OK && d.outcome == WF_DENY) {
        const char *why = json_string_value(json_array_get(d.explanation, 0));
        rc = wr_fail(err, WR_EDENIED, "policy refuses: %s", why ? why : "denied");
    }
    wf_decision_clear(&d);
    return rc;
}

int wr_change_validate(wr_ctx *ctx, const wr_actor *actor, const char *id, json_t **out, wr_err *err)
{
    json_t *p = NULL, *c = NULL, *report = NULL;
    wr_connector *conn = NULL;
    int rc = begin_action(ctx, actor, id, "validate", "executed", &p, &c, err);
    if (rc)
        goto fail;
    wr_store *target = NULL;
    if ((rc = wf_change_connector(ctx, c, &target, &conn, err)))
        goto fail;
    json_t *ops = json_object_get(json_object_get(c, "request"), "operations");
    json_t *checks = json_array();
    int all = 1;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        int matches = 0;
        if ((rc = wr_connector_readback(conn, op, &matches, err))) {
            json_decref(checks);
            goto fail;
        }
        all &= matches;
        json_array_append_new(checks, json_pack("{s:O,s:b}", "operation", op, "matches", matches));
    }
    char ts[21];
    wr_time_format(wr_now(), ts);
    report = json_pack("{s:s,s:o,s:b,s:s}", "kind", "validation_report", "checks", checks, "passed", all, "at", ts);
    char *canon = NULL;
    size_t len = 0;
    if ((rc = wr_jcs_serialize(report, &canon, &len, err)))
        goto fail;
    char digest[72];
    wr_digest_string(canon, len, digest);
    free(canon);
    const char *to = all ? "validated" : "failed";
    json_t *evidence = json_deep_copy(json_object_get(c, "evidence"));
    if (!json_is_array(evidence)) {
        json_decref(evidence);
        evidence = json_array();
    }
    if (all)
        json_array_append_new(evidence, json_pack("{s:s,s:s,s:s}", "kind", "validation_report", "ref", id,
                                                  "sha256", digest));
    rc = wf_set_json_column(ctx, "UPDATE changes SET evidence=? WHERE id=?", id, evidence, err);
    json_decref(evidence);
    if (rc || (rc = wf_change_set_state(ctx, id, to, err)) ||
        (rc = wf_log_change(ctx, all ? "change.validated" : "change.validation_failed", p, actor, id, "executed", to,
                         json_pack("{s:O,s:s}", "validation", report, "sha256", digest), err)) ||
        (rc = wr_store_commit(ctx->store, err)))
        goto fail;
    json_decref(p);
    json_decref(c);
    json_decref(report);
    wr_connector_close(conn);
    /* a mismatch is a finding, not a failure of this call: the change is
     * now "failed" and the report says which operation drifted */
    return wr_change_get(ctx, id, out, err);
fail:
    wr_store_rollback(ctx->store);
    wr_connector_close(conn);
    json_decref(p);
    json_decref(c);
    json_decref(report);
    return rc;
}

int wr_change_close(wr_ctx *ctx, const wr_actor *actor, const char *id, const json_t *evidence, json_t **out,
                    wr_err *err)
{
    if (evidence && !json_is_array(evidence))
        return wr_fail(err, WR_EINVAL, "close: evidence must be an array of {\"kind\":..., \"ref\":...}");
    size_t i;
    json_t *e;
    json_array_foreach(evidence, i, e) {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const char *ref = json_string_value(json_object_get(e, "ref"));
        if (!json_is_object(e) || !kind || !wf_id_valid(kind) || !ref || !*ref || strlen(ref) > WF_MAX_REASON)
            return wr_fail(err, WR_EINVAL, "close: evidence[%zu] needs \"kind\" (an identifier) and \"ref\"", i);
    }
    json_t *p = NULL, *c = NULL, *all = NULL;
    int rc = begin_action(ctx, actor, id, "close", "validated", &p, &c, err);
    if (rc)
        goto fail;
    all = json_deep_copy(json_object_get(c, "evidence"));
    if (!json_is_array(all)) {
        json_decref(all);
        all = json_array();
    }
    json_array_foreach(evidence, i, e) {
        json_t *item = json_deep_copy(e);
        if (json_is_string(json_object_get(item, "content"))) {
            /* keep a digest, not the content */
            const char *content = json_string_value(json_object_get(item, "content"));
            char digest[72];
            wr_digest_string(content, strlen(content), digest);
            json_object_del(item, "content");
            json_object_set_new(item, "sha256", json_string(digest));
        }
        json_array_append_new(all, item);
    }
    json_t *required = json_object_get(json_object_get(json_object_get(c, "decision"), "obligations"), "evidence");
    char missing[256] = "";
    json_t *r;
    json_array_foreach(required, i, r) {
        size_t j;
        int have = 0;
        json_array_foreach(all, j, e)
            have |= strcmp(json_string_value(json_object_get(e, "kind")), json_string_value(r)) == 0;
        if (!have)
            snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s", missing[0] ? ", " : "",
                     json_string_value(r));
    }
    if (missing[0]) {
        rc = wr_fail(err, WR_EINVAL, "change %s cannot close without evidence: %s (policy requires it; give "
                     "--evidence KIND=REF)", id, missing);
        goto fail;
    }
    if ((rc = wf_set_json_column(ctx, "UPDATE changes SET evidence=? WHERE id=?", id, all, err)) ||
        (rc = wf_change_set_state(ctx, id, "closed", err)) ||
        (rc = wf_log_change(ctx, "change.closed", p, actor, id, "validated", "closed",
                         json_pack("{s:O}", "evidence", all), err)) ||
        (rc = wr_store_commit(ctx->store, err)))
        goto fail;
    json_decref(p);
    json_decref(c);
    json_decref(all);
    return wr_change_get(ctx, id, out, err);
fail:
    wr_store_rollback(ctx->store);
    json_decref(p);
    json_decref(c);
    json_decref(all);
    return rc;
}

int wr_change_rollback(wr_ctx *ctx, const wr_actor *actor, const char *id, const char *reason, json_t **out,
                       wr_err *err)
{
    if (!reason || !*reason || strlen(reason) > WF_MAX_REASON)
        return wr_fail(err, WR_EINVAL, "rollback: a reason is required (at most %d bytes)", WF_MAX_REASON);
    json_t *p = NULL, *c = NULL, *req = NULL;
    char newid[64];
    int outcome = WF_DENY, rc;
    if ((rc = wr_store_begin(ctx->store, err)))
        return rc;
    if ((rc = wf_actor_load(ctx, actor, &p, err)) || (rc = wf_change_load(ctx, id, &c, err)))
        goto fail;
    const char *state = state_of(c);
    if (strcmp(state, "executed") != 0 && strcmp(state, "validated") != 0 && strcmp(state, "closed") != 0) {
        rc = wr_fail(err, WR_ESTATE, "change %s is %s: only an executed, validated or closed change can be rolled back",
                     id, state);
        goto fail;
    }
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(ctx->store, "SELECT id, state FROM changes WHERE rollback_of=? AND state IN "
                              "('awaiting_approval','approved','executing','executed','validated','closed')",
                              &st, err)))
        goto fail;
    wr_stmt_bind_text(st, 1, id);
    if ((rc = wr_stmt_step(st, err)) == 1)
        rc = wr_fail(err, WR_ESTATE, "change %s already has a rollback: %s (%s)", id, wr_stmt_text(st, 0),
                     wr_stmt_text(st, 1));
    wr_stmt_done(st);
    if (rc)
        goto fail;
    json_t *inverse = json_object_get(c, "inverse");
    size_t i;
    json_t *op;
    json_array_foreach(inverse, i, op) {
        if (json_is_true(json_object_get(op, "irreversible"))) {
            rc = wr_fail(err, WR_EINVAL, "change %s cannot be rolled back: operation %s is irreversible", id,
                         json_string_value(json_object_get(op, "op")));
            goto fail;
        }
    }
    char rec[256];
    snprintf(rec, sizeof rec, "roll back change %s", id);
    req = json_pack("{s:s,s:O,s:O,s:s,s:s}", "mode", "recommend", "environment", json_object_get(c, "environment"),
                    "operations", inverse, "recommendation", rec, "rationale", reason);
    if (json_object_get(c, "mandate") && json_is_string(json_object_get(c, "mandate")) &&
        strcmp(json_string_value(json_object_get(p, "kind")), "agent") == 0)
        json_object_set(req, "mandate", json_object_get(c, "mandate"));
    if ((rc = wf_change_create(ctx, actor, p, req, id, newid, sizeof newid, &outcome, NULL, err)) ||
        (rc = wr_store_commit(ctx->store, err)))
        goto fail;
    json_decref(p);
    json_decref(c);
    json_decref(req);
    return wr_change_get(ctx, newid, out, err);
fail:
    wr_store_rollback(ctx->store);
    json_decref(p);
    json_decref(c);
    json_decref(req);
    return rc;
}

int wr_expire(wr_ctx *ctx, json_t **out, wr_err *err)
{
    int64_t now = wr_now();
    json_t *changes = json_array(), *grants = NULL, *mandates = json_array(), *failed = json_array();
    wr_actor system_actor = {NULL, "timer"};
    wr_stmt *st;
    int rc;
    if ((rc = wr_store_begin(ctx->store, err)))
        goto out;
    /* 1. approval windows that closed */
    if ((rc = wr_stmt_prepare(ctx->store, "SELECT id FROM changes WHERE state='awaiting_approval' AND "
                              "stage_deadline <= ? ORDER BY id", &st, err)))
        goto fail;
    wr_stmt_bind_int(st, 1, now);
    while ((rc = wr_stmt_step(st, err)) == 1)
        json_array_append_new(changes, json_string(wr_stmt_text(st, 0)));
    wr_stmt_done(st);
    if (rc < 0)
        goto fail;
    size_t i;
    json_t *v;
    json_array_foreach(changes, i, v) {
        if ((rc = wf_change_set_state(ctx, json_string_value(v), "expired", err)) ||
            (rc = wf_log_change(ctx, "change.expired", NULL, &system_actor, json_string_value(v), "awaiting_approval",
                             "expired", json_pack("{s:s}", "reason", "approval window closed"), err)))
            goto fail;
    }
    /* 2. time-bound grants, revoked on the system that holds them (through
     * its connector) with the inverse in the log.  Revocation is idempotent,
     * so a grant whose revocation could not be recorded is simply revoked
     * again next time; a target that cannot be reached keeps its grant
     * until the next run and is reported in "failed". */
    if ((rc = wr_inventory_expired_grants(ctx->store, now, &grants, err)))
        goto fail;
    json_array_foreach(grants, i, v) {
        json_t *op = json_pack("{s:s,s:O,s:O}", "op", "revoke", "account", json_object_get(v, "account"),
                               "entitlement", json_object_get(v, "entitlement"));
        json_t *inv = NULL, *res = NULL;
        char *system = NULL;
        wr_connector *conn = NULL;
        wr_err gerr = {0};
        int grc = wr_inventory_op_check(ctx->store, op, &system, &gerr);
        if (!grc)
            grc = wr_connector_open(ctx->store, system, 0, &conn, &gerr);
        if (!grc)
            grc = wr_connector_inverse(conn, op, &inv, &gerr);
        if (!grc)
            grc = wr_connector_apply(conn, op, "warrant-timer", &res, &gerr);
        if (!grc)
            grc = wr_connector_record(conn, op, "warrant-timer", &gerr);
        if (!grc) {
            json_t *entry = wf_entry_new("grant.expired", NULL, &system_actor);
            json_object_set(entry, "operation", op);
            json_object_set(entry, "inverse", inv);
            json_object_set(entry, "result", res);
            json_object_set(entry, "expires_at", json_object_get(v, "expires_at"));
            json_object_set_new(entry, "connector", json_string(wr_connector_kind_name(conn)));
            rc = wf_log(ctx, entry, NULL, NULL, err);
            json_decref(entry);
        } else {
            json_array_append_new(failed, json_pack("{s:O,s:O,s:s}", "account", json_object_get(v, "account"),
                                                    "entitlement", json_object_get(v, "entitlement"),
                                                    "error", gerr.msg));
            json_array_remove(grants, i);
            i--;
        }
        wr_connector_close(conn);
        free(system);
        json_decref(op);
        json_decref(inv);
        json_decref(res);
        if (rc)
            goto fail;
    }
    /* 3. mandates past their deadline */
    if ((rc = wr_stmt_prepare(ctx->store, "SELECT id FROM mandates WHERE state='active' AND deadline <= ?", &st, err)))
        goto fail;
    wr_stmt_bind_int(st, 1, now);
    while ((rc = wr_stmt_step(st, err)) == 1)
        json_array_append_new(mandates, json_string(wr_stmt_text(st, 0)));
    wr_stmt_done(st);
    if (rc < 0)
        goto fail;
    json_array_foreach(mandates, i, v) {
        if ((rc = wr_stmt_prepare(ctx->store, "UPDATE mandates SET state='expired', closed_at=? WHERE id=?", &st, err)))
            goto fail;
        wr_stmt_bind_int(st, 1, now);
        wr_stmt_bind_text(st, 2, json_string_value(v));
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
        json_t *entry = wf_entry_new("mandate.expired", NULL, &system_actor);
        json_object_set(entry, "mandate", v);
        if (rc >= 0)
            rc = wf_log(ctx, entry, NULL, NULL, err);
        json_decref(entry);
        if (rc < 0)
            goto fail;
    }
    if ((rc = wr_store_commit(ctx->store, err)))
        goto fail;
    *out = json_pack("{s:O,s:O,s:O,s:O}", "changes", changes, "grants", grants, "mandates", mandates,
                     "failed", failed);
    goto out;
fail:
    wr_store_rollback(ctx->store);
out:
    json_decref(changes);
    json_decref(grants);
    json_decref(mandates);
    json_decref(failed);
    return rc < 0 ? rc : WR_OK;
}
