/*
 * recover.c — settling changes left "executing" (in doubt).
 *
 * A change is in doubt when its executor died (crash, kill, lost
 * connection) after claiming it in T1 and before recording the outcome.
 * The operations may or may not have reached the target.  Recovery does
 * not guess and never re-applies: it reads the target back, operation by
 * operation, and settles on what is actually there:
 *
 *   all operations match their intent -> executed; the inventory record is
 *       brought in line (idempotent apply) and "change.recovered" records
 *       outcome "executed" with the read-back;
 *   none matches                      -> failed, outcome "not_applied"
 *       (nothing reached the target; propose the change again);
 *   some match                        -> the matching ones are undone with
 *       the inverses recorded before apply (newest first) and the change
 *       fails with outcome "rolled_back" (or "rollback_failed", with the
 *       compensation report, if an undo failed).
 * A change whose execution lock is still held (its executor is alive) is
 * skipped; a target that cannot be read leaves the change in doubt, listed
 * with the error.
 *
 * Each opened context runs this once (wf_recover_at_open), cheaply: one
 * indexed query finds no executing change in the common case.  The
 * environment variable WARRANT_NO_AUTO_RECOVER=1 turns that off (then only
 * `warrant recover` settles).
 */
#include "workflow_internal.h"

#include <stdlib.h>
#include <string.h>

static int settle(wr_ctx *ctx, const wr_actor *actor, const json_t *p, const char *id, json_t **item,
                  wr_err *err)
{
    json_t *c = NULL, *readback = json_array(), *compensation = NULL;
    wr_connector *conn = NULL;
    wr_store *target = NULL;
    int *undo = NULL, rc;
    *item = NULL;
    if ((rc = wf_change_load(ctx, id, &c, err)))
        goto out;
    if (strcmp(json_string_value(json_object_get(c, "state")), "executing") != 0)
        goto out;   /* settled meanwhile */
    json_t *ops = json_object_get(json_object_get(c, "request"), "operations");
    json_t *inverse = json_object_get(c, "inverse");
    size_t n = json_array_size(ops), nmatch = 0, i;
    if (!(undo = calloc(n ? n : 1, sizeof *undo))) {
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = wf_change_connector(ctx, c, &target, &conn, err)))
        goto out;
    for (i = 0; i < n; i++) {
        int m = 0;
        if ((rc = wr_connector_readback(conn, json_array_get(ops, i), &m, err))) {
            wr_fail_wrap(err, "operations[%zu]: read back", i);
            goto out;
        }
        undo[i] = m;
        nmatch += (size_t)m;
        json_array_append_new(readback, json_pack("{s:I,s:b}", "operation", (json_int_t)i, "matches", m));
    }
    const char *outcome = nmatch == n ? "executed" : nmatch == 0 ? "not_applied" : "rolled_back";
    if (nmatch && nmatch < n) {
        int ok = 0;
        compensation = wf_compensate(conn, ops, inverse, undo, p ? json_string_value(json_object_get(p, "id"))
                                                                  : "warrant-recover", &ok);
        if (!ok)
            outcome = "rollback_failed";
    }
    /* record the settlement (and, for executed, the inventory record) */
    int separate = target != ctx->store;
    if ((rc = wr_store_begin(ctx->store, err)))
        goto out;
    if (separate && (rc = wr_store_begin(target, err))) {
        wr_store_rollback(ctx->store);
        goto out;
    }
    int executed = strcmp(outcome, "executed") == 0;
    const char *who = p ? json_string_value(json_object_get(p, "id")) : "warrant-recover";
    for (i = 0; executed && i < n && rc == WR_OK; i++) {
        /* inventory connector: apply is the record (idempotent when the
         * operation did reach the store); external: record the target */
        if (strcmp(wr_connector_kind_name(conn), "inventory") == 0) {
            json_t *res = NULL;
            rc = wr_connector_apply(conn, json_array_get(ops, i), who, &res, err);
            json_decref(res);
        } else {
            rc = wr_connector_record(conn, json_array_get(ops, i), who, err);
        }
    }
    json_t *extra = json_pack("{s:s,s:O}", "outcome", outcome, "readback", readback);
    if (compensation)
        json_object_set(extra, "compensation", compensation);
    if (rc == WR_OK)
        rc = wf_change_set_state(ctx, id, executed ? "executed" : "failed", err);
    if (rc == WR_OK)
        rc = wf_log_change(ctx, "change.recovered", p, actor, id, "executing", executed ? "executed" : "failed",
                           extra, err);
    else
        json_decref(extra);
    if (rc == WR_OK && executed && json_string_value(json_object_get(c, "rollback_of")))
        rc = wf_mark_rolled_back(ctx, p, actor, c, err);
    if (rc == WR_OK && separate)
        rc = wr_store_commit(target, err);
    if (rc == WR_OK)
        rc = wr_store_commit(ctx->store, err);
    if (rc) {
        if (separate)
            wr_store_rollback(target);
        wr_store_rollback(ctx->store);
        goto out;
    }
    *item = json_pack("{s:s,s:s,s:O}", "change", id, "outcome", outcome, "readback", readback);
    if (compensation)
        json_object_set(*item, "compensation", compensation);
out:
    wr_connector_close(conn);
    free(undo);
    json_decref(c);
    json_decref(readback);
    json_decref(compensation);
    return rc;
}

int wr_change_recover(wr_ctx *ctx, const wr_actor *actor, const char *id, json_t **out, wr_err *err)
{
    json_t *p = NULL, *ids = json_array(), *list = json_array();
    int rc = WR_OK;
    if (actor && actor->principal && (rc = wf_actor_load(ctx, actor, &p, err)))
        goto out;
    if (id) {
        json_array_append_new(ids, json_string(id));
    } else {
        wr_stmt *st;
        if ((rc = wr_stmt_prepare(ctx->store, "SELECT id FROM changes WHERE state='executing' ORDER BY id", &st,
                                  err)))
            goto out;
        while ((rc = wr_stmt_step(st, err)) == 1)
            json_array_append_new(ids, json_string(wr_stmt_text(st, 0)));
        wr_stmt_done(st);
        if (rc < 0)
            goto out;
        rc = WR_OK;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        const char *cid = json_string_value(v);
        json_t *c = NULL;
        if ((rc = wf_change_load(ctx, cid, &c, err)))
            goto out;
        int executing = strcmp(json_string_value(json_object_get(c, "state")), "executing") == 0;
        json_decref(c);
        if (!executing) {
            if (id) {
                rc = wr_fail(err, WR_ESTATE, "change %s is not in doubt (not executing)", cid);
                goto out;
            }
            continue;
        }
        int lock = -1;
        wr_err e = {0};
        if (wf_exec_lock(ctx, cid, &lock, &e) != WR_OK) {
            json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "change", cid, "outcome", "in_progress",
                                                  "error", e.msg));
            continue;
        }
        json_t *item = NULL;
        int src = settle(ctx, actor, p, cid, &item, &e);
        wf_exec_unlock(ctx, cid, lock);
        if (src)
            item = json_pack("{s:s,s:s,s:s}", "change", cid, "outcome", "in_doubt", "error", e.msg);
        if (item)
            json_array_append_new(list, item);
    }
    *out = list;
    list = NULL;
out:
    json_decref(p);
    json_decref(ids);
    json_decref(list);
    return rc;
}

void wf_recover_at_open(wr_ctx *ctx)
{
    const char *off = getenv("WARRANT_NO_AUTO_RECOVER");
    if (off && *off && strcmp(off, "0") != 0)
        return;
    wr_stmt *st;
    if (wr_stmt_prepare(ctx->store, "SELECT 1 FROM changes WHERE state='executing' LIMIT 1", &st, NULL))
        return;
    int any = wr_stmt_step(st, NULL) == 1;
    wr_stmt_done(st);
    if (!any)
        return;
    json_t *out = NULL;
    wr_actor system_actor = {NULL, "recover"};
    if (wr_change_recover(ctx, &system_actor, NULL, &out, NULL) == WR_OK)
        json_decref(out);
}
