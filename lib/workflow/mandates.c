/*
 * mandates.c — the bounded authority an accountable human gives an agent.
 *
 * A mandate names the systems and actions an agent may touch, how many
 * changes it may make, until when, the readiness floor its systems must
 * meet for it to execute, and the evidence its changes must close with.
 * The owner creates it; every change the agent proposes consumes one of
 * its changes (denied proposals do not); closing it records a summary of
 * what was done under it, with the evidence, in the log.
 */
#include "workflow_internal.h"

#include <stdlib.h>
#include <string.h>

#define MANDATE_COLS "id, agent, owner, purpose, systems, actions, max_changes, used, deadline, " \
                     "readiness_floor, evidence, state, created_at, closed_at, summary"

static json_t *parse_or(const char *text, json_t *dflt)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (v) {
        json_decref(dflt);
        return v;
    }
    return dflt;
}

static json_t *mandate_row(wr_stmt *st, void *arg)
{
    (void)arg;
    char deadline[21], created[21];
    wr_time_format(wr_stmt_int(st, 8), deadline);
    wr_time_format(wr_stmt_int(st, 12), created);
    json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:s,s:s?,s:o,s:s,s:s}",
                          "id", wr_stmt_text(st, 0), "agent", wr_stmt_text(st, 1), "owner", wr_stmt_text(st, 2),
                          "purpose", wr_stmt_text(st, 3), "systems", parse_or(wr_stmt_text(st, 4), json_array()),
                          "actions", parse_or(wr_stmt_text(st, 5), json_array()),
                          "max_changes", (json_int_t)wr_stmt_int(st, 6), "used", (json_int_t)wr_stmt_int(st, 7),
                          "deadline", deadline, "readiness_floor", wr_stmt_text(st, 9),
                          "evidence", parse_or(wr_stmt_text(st, 10), json_array()), "state", wr_stmt_text(st, 11),
                          "created_at", created);
    if (!wr_stmt_is_null(st, 13)) {
        char closed[21];
        wr_time_format(wr_stmt_int(st, 13), closed);
        json_object_set_new(m, "closed_at", json_string(closed));
    }
    if (!wr_stmt_is_null(st, 14))
        json_object_set_new(m, "summary", parse_or(wr_stmt_text(st, 14), json_null()));
    return m;
}

static int query_mandates(wr_ctx *ctx, const char *sql, const char *arg, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(ctx->store, sql, &st, err);
    if (rc)
        return rc;
    if (arg)
        wr_stmt_bind_text(st, 1, arg);
    return wr_stmt_collect(st, mandate_row, NULL, 0, out, err);
}

int wf_mandate_load(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    json_t *arr = NULL;
    int rc = query_mandates(ctx, "SELECT " MANDATE_COLS " FROM mandates WHERE id=?", id, &arr, err);
    if (rc)
        return rc;
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return wr_fail(err, WR_ENOTFOUND, "unknown mandate '%s'", id);
    }
    *out = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return WR_OK;
}

int wr_mandate_get(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    return wf_mandate_load(ctx, id, out, err);
}

int wr_mandate_list(wr_ctx *ctx, const char *agent, json_t **out, wr_err *err)
{
    if (agent)
        return query_mandates(ctx, "SELECT " MANDATE_COLS " FROM mandates WHERE agent=? ORDER BY created_at",
                              agent, out, err);
    return query_mandates(ctx, "SELECT " MANDATE_COLS " FROM mandates ORDER BY created_at", NULL, out, err);
}

int wf_mandate_for(wr_ctx *ctx, const json_t *agent, const char *named, json_t **out, wr_err *err)
{
    const char *aid = json_string_value(json_object_get(agent, "id"));
    *out = NULL;
    if (named) {
        int rc = wf_mandate_load(ctx, named, out, err);
        if (rc)
            return rc;
        if (strcmp(json_string_value(json_object_get(*out, "agent")), aid) != 0) {
            json_decref(*out);
            *out = NULL;
            return wr_fail(err, WR_EDENIED, "mandate %s was not given to %s", named, aid);
        }
        return WR_OK;
    }
    json_t *arr = NULL;
    int rc = query_mandates(ctx, "SELECT " MANDATE_COLS " FROM mandates WHERE agent=? AND state='active' "
                            "ORDER BY created_at", aid, &arr, err);
    if (rc)
        return rc;
    if (json_array_size(arr) == 1)
        *out = json_incref(json_array_get(arr, 0));
    size_t n = json_array_size(arr);
    json_decref(arr);
    if (n > 1)
        return wr_fail(err, WR_EINVAL, "agent %s has %zu active mandates: name one with \"mandate\"", aid, n);
    return WR_OK;   /* none: the decision denies and says why */
}

static int string_array(const json_t *v, const char *what, size_t max, wr_err *err)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > max)
        return wr_fail(err, WR_EINVAL, "mandate: %s must be a non-empty array of at most %zu strings", what, max);
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s)
        if (!json_is_string(s) || !wf_id_valid(json_string_value(s)) )
            if (!(json_is_string(s) && strcmp(json_string_value(s), "*") == 0))
                return wr_fail(err, WR_EINVAL, "mandate: %s[%zu] must be an identifier", what, i);
    return WR_OK;
}

static const char *const mandate_actions[] = {"grant", "revoke", "disable", "enable",
                                              "transfer_ownership", "rotate_credential"};

int wr_mandate_create(wr_ctx *ctx, const wr_actor *actor, const json_t *spec, json_t **out, wr_err *err)
{
    if (!json_is_object(spec))
        return wr_fail(err, WR_EINVAL, "mandate: expected a JSON object");
    const char *agent = json_string_value(json_object_get(spec, "agent"));
    const char *purpose = json_string_value(json_object_get(spec, "purpose"));
    json_t *systems = json_object_get(spec, "systems"), *actions = json_object_get(spec, "actions");
    json_t *maxc = json_object_get(spec, "max_changes"), *evidence = json_object_get(spec, "evidence");
    const char *deadline_s = json_string_value(json_object_get(spec, "deadline"));
    const char *duration_s = json_string_value(json_object_get(spec, "duration"));
    const char *floor = json_string_value(json_object_get(spec, "readiness_floor"));
    int rc;
    if (!agent)
        return wr_fail(err, WR_EINVAL, "mandate: \"agent\" is required");
    if (!purpose || !*purpose || strlen(purpose) > WF_MAX_REASON)
        return wr_fail(err, WR_EINVAL, "mandate: \"purpose\" is required (at most %d bytes)", WF_MAX_REASON);
    if ((rc = string_array(systems, "systems", 64, err)) || (rc = string_array(actions, "actions", 6, err)))
        return rc;
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a) {
        int ok = 0;
        for (size_t k = 0; k < sizeof mandate_actions / sizeof mandate_actions[0]; k++)
            ok |= strcmp(json_string_value(a), mandate_actions[k]) == 0;
        if (!ok)
            return wr_fail(err, WR_EINVAL, "mandate: actions[%zu] '%s' is not an operation", i, json_string_value(a));
    }
    if (!json_is_integer(maxc) || json_integer_value(maxc) < 1 || json_integer_value(maxc) > 1000000)
        return wr_fail(err, WR_EINVAL, "mandate: \"max_changes\" must be an integer from 1 to 1000000");
    int64_t deadline = 0, span = 0;
    if (deadline_s ? wr_time_parse(deadline_s, &deadline) != WR_OK
                   : (!duration_s || wr_span_parse(duration_s, &span) != WR_OK))
        return wr_fail(err, WR_EINVAL, "mandate: give \"deadline\" (RFC 3339) or \"duration\" (e.g. \"14d\")");
    if (!deadline_s)
        deadline = wr_now() + span;
    if (deadline <= wr_now())
        return wr_fail(err, WR_EINVAL, "mandate: the deadline is in the past");
    wr_obligations probe;
    wr_obligations_init(&probe);
    if (floor && wr_obligations_add_floors(&probe, floor) != WR_OK)
        return wr_fail(err, WR_EINVAL, "mandate: readiness_floor '%s' must look like "
                       "\"ownership_completeness>=95, orphan_rate<=2\"", floor);
    if (evidence && wr_obligations_add_evidence(&probe, evidence) != WR_OK)
        return wr_fail(err, WR_EINVAL, "mandate: evidence must be an array of evidence kinds");

    json_t *actor_p = NULL, *agent_p = NULL, *m = NULL, *entry = NULL;
    if ((rc = wr_store_begin(ctx->store, err)))
        return rc;
    if ((rc = wf_actor_load(ctx, actor, &actor_p, err)) || (rc = wf_principal_load(ctx, agent, &agent_p, err)))
        goto done;
    if (strcmp(json_string_value(json_object_get(agent_p, "kind")), "agent") != 0) {
        rc = wr_fail(err, WR_EINVAL, "mandate: %s is not an agent", agent);
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(agent_p, "owner")), actor->principal) != 0) {
        rc = wr_fail(err, WR_EDENIED, "mandate: only %s's accountable owner (%s) may give it a mandate", agent,
                     json_string_value(json_object_get(agent_p, "owner")));
        goto done;
    }
    char id[64];
    wr_id_new("mdt", id, sizeof id);
    char *sys_t = json_dumps(systems, JSON_COMPACT), *act_t = json_dumps(actions, JSON_COMPACT),
         *ev_t = evidence ? json_dumps(evidence, JSON_COMPACT) : strdup("[]");
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(ctx->store,
                              "INSERT INTO mandates(id, agent, owner, purpose, systems, actions, max_changes, "
                              "deadline, readiness_floor, evidence, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                              &st, err)) == WR_OK) {
        wr_stmt_bind_text(st, 1, id);
        wr_stmt_bind_text(st, 2, agent);
        wr_stmt_bind_text(st, 3, actor->principal);
        wr_stmt_bind_text(st, 4, purpose);
        wr_stmt_bind_text(st, 5, sys_t);
        wr_stmt_bind_text(st, 6, act_t);
        wr_stmt_bind_int(st, 7, json_integer_value(maxc));
        wr_stmt_bind_int(st, 8, deadline);
        wr_stmt_bind_text(st, 9, floor);
        wr_stmt_bind_text(st, 10, ev_t);
        wr_stmt_bind_int(st, 11, wr_now());
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
    }
    free(sys_t);
    free(act_t);
    free(ev_t);
    if (rc < 0 || (rc = wf_mandate_load(ctx, id, &m, err)))
        goto done;
    entry = wf_entry_new("mandate.created", actor_p, actor);
    json_object_set(entry, "mandate", m);
    if ((rc = wf_log(ctx, entry, NULL, NULL, err)) || (rc = wr_store_commit(ctx->store, err)))
        goto done;
    *out = m;
    m = NULL;
done:
    wr_store_rollback(ctx->store);   /* no-op after a commit */
    json_decref(entry);
    json_decref(m);
    json_decref(actor_p);
    json_decref(agent_p);
    return rc;
}

int wr_mandate_close(wr_ctx *ctx, const wr_actor *actor, const char *id, const json_t *evidence,
                     json_t **out, wr_err *err)
{
    json_t *actor_p = NULL, *m = NULL, *changes = json_object(), *entry = NULL;
    int rc;
    if (evidence && !json_is_array(evidence)) {
        json_decref(changes);
        return wr_fail(err, WR_EINVAL, "mandate close: evidence must be an array of {kind, ref}");
    }
    if ((rc = wr_store_begin(ctx->store, err))) {
        json_decref(changes);
        return rc;
    }
    if ((rc = wf_actor_load(ctx, actor, &actor_p, err)) || (rc = wf_mandate_load(ctx, id, &m, err)))
        goto done;
    if (strcmp(json_string_value(json_object_get(m, "owner")), actor->principal) != 0) {
        rc = wr_fail(err, WR_EDENIED, "mandate %s: only its owner %s may close it", id,
                     json_string_value(json_object_get(m, "owner")));
        goto done;
    }
    if (strcmp(json_string_value(json_object_get(m, "state")), "closed") == 0) {
        rc = wr_fail(err, WR_ESTATE, "mandate %s is already closed", id);
        goto done;
    }
    /* summary: the changes made under the mandate, by final state */
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(ctx->store, "SELECT state, id FROM changes WHERE mandate=? ORDER BY created_at",
                              &st, err)))
        goto done;
    wr_stmt_bind_text(st, 1, id);
    json_t *list = json_array();
    while ((rc = wr_stmt_step(st, err)) == 1) {
        const char *state = wr_stmt_text(st, 0);
        json_int_t n = json_integer_value(json_object_get(changes, state));
        json_object_set_new(changes, state, json_integer(n + 1));
        json_array_append_new(list, json_pack("{s:s,s:s}", "id", wr_stmt_text(st, 1), "state", state));
    }
    wr_stmt_done(st);
    if (rc < 0) {
        json_decref(list);
        goto done;
    }
    json_t *summary = json_pack("{s:O,s:o,s:O,s:O}", "by_state", changes, "changes", list, "used",
                                json_object_get(m, "used"), "max_changes", json_object_get(m, "max_changes"));
    json_object_set_new(summary, "evidence", evidence ? json_deep_copy(evidence) : json_array());
    char *sum_t = json_dumps(summary, JSON_COMPACT);
    if ((rc = wr_stmt_prepare(ctx->store, "UPDATE mandates SET state='closed', closed_at=?, summary=? WHERE id=?",
                              &st, err)) == WR_OK) {
        wr_stmt_bind_int(st, 1, wr_now());
        wr_stmt_bind_text(st, 2, sum_t);
        wr_stmt_bind_text(st, 3, id);
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
    }
    free(sum_t);
    entry = wf_entry_new("mandate.closed", actor_p, actor);
    json_object_set_new(entry, "mandate", json_string(id));
    json_object_set_new(entry, "summary", summary);
    json_decref(m);
    m = NULL;
    if (rc < 0 || (rc = wf_log(ctx, entry, NULL, NULL, err)) || (rc = wf_mandate_load(ctx, id, &m, err)) ||
        (rc = wr_store_commit(ctx->store, err)))
        goto done;
    *out = m;
    m = NULL;
done:
    wr_store_rollback(ctx->store);
    json_decref(entry);
    json_decref(m);
    json_decref(actor_p);
    json_decref(changes);
    return rc;
}
