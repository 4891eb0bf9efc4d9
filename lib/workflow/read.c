/*
 * read.c — governed reads: reading the inventory, readiness and changes
 * is a request decided like any other (issue 6: every MCP tool call is a
 * governed request).
 *
 * A read is Cedar's Action::"read" in mode "advise" on a resource that
 * names what is read:
 *   one system's inventory or readiness   System::"<id>" (parent Domain)
 *   one domain's readiness                Domain::"<id>"
 *   all systems (whole inventory, overall readiness)
 *                                          Warrant::"inventory" | Warrant::"readiness"
 *   a change (record, lineage)            Change::"<id>" (parent its System)
 * with context {mode:"advise", environment, read: "inventory"|"readiness"|
 * "change", scope: "system"|"domain"|"overall"|"change", system?, domain?,
 * initiator_kind, channel, mandate? (agents)}.
 *
 * The rules of every other decision apply, in order:
 *   1. an agent reads only within its mandates: one system's inventory or
 *      readiness when an active mandate covers that system; a change it
 *      initiated (context.mandate is the change's own mandate, so history
 *      stays readable after the mandate closed) or one on a system an
 *      active mandate covers; everything at once or a whole domain only
 *      under a mandate for every system ("*").  The covering mandate
 *      becomes context.mandate.
 *   2. Cedar, for the principal and, for a copilot, for its human too
 *      (a copilot never reads what its human may not).  A domain or
 *      everything at once is read system by system, so it is allowed only
 *      when each of its systems is readable too: a rule forbidding one
 *      system also covers every read that includes it.
 * Reads change nothing, so nothing is logged: a denial is WR_EDENIED with
 * the decision's explanation.  Listing (wr_change_list_readable) filters
 * with the same rules instead of failing.
 */
#include "workflow_internal.h"

#include <stdio.h>
#include <string.h>

/* What a reader brings to every check: its principal and, for an agent,
 * its active mandates (loaded once for a whole listing). */
typedef struct reader {
    const wr_actor *actor;
    json_t *principal;
    json_t *mandates;   /* agents: active, unexpired mandates; else NULL */
} reader;

static void reader_clear(reader *r)
{
    json_decref(r->principal);
    json_decref(r->mandates);
    memset(r, 0, sizeof *r);
}

static int reader_load(wr_ctx *ctx, const wr_actor *actor, reader *r, wr_err *err)
{
    memset(r, 0, sizeof *r);
    r->actor = actor;
    int rc = wf_actor_load(ctx, actor, &r->principal, err);
    if (rc)
        return rc;
    if (strcmp(json_string_value(json_object_get(r->principal, "kind")), "agent") != 0)
        return WR_OK;
    json_t *all = NULL;
    if ((rc = wr_mandate_list(ctx, actor->principal, &all, err))) {
        reader_clear(r);
        return rc;
    }
    r->mandates = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m) {
        int64_t deadline = 0;
        if (strcmp(json_string_value(json_object_get(m, "state")), "active") == 0 &&
            wr_time_parse(json_string_value(json_object_get(m, "deadline")), &deadline) == WR_OK &&
            deadline > wr_now())
            json_array_append(r->mandates, m);
    }
    json_decref(all);
    return WR_OK;
}

/* The first active mandate covering system ("*" covers every system, and
 * is the only cover for system NULL: everything at once). Borrowed. */
static const json_t *covering(const reader *r, const char *system)
{
    size_t i;
    json_t *m;
    json_array_foreach(r->mandates, i, m) {
        json_t *systems = json_object_get(m, "systems");
        if (wf_in_list(systems, system ? system : "*"))
            return m;
    }
    return NULL;
}

/* "mdt_1 (payroll, hr), mdt_2 (github)" for explanations. */
static void mandate_systems(const reader *r, char *out, size_t len)
{
    size_t i, j;
    json_t *m, *s;
    out[0] = '\0';
    json_array_foreach(r->mandates, i, m) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s (", i ? ", " : "", json_string_value(json_object_get(m, "id")));
        json_array_foreach(json_object_get(m, "systems"), j, s) {
            n = strlen(out);
            snprintf(out + n, len - n, "%s%s", j ? ", " : "", json_string_value(s));
        }
        n = strlen(out);
        snprintf(out + n, len - n, ")");
    }
}

/* Step 1 for an agent: fills *mandate (borrowed or, for an own change's
 * mandate, owned through *owned) or denies in d. */
static int agent_bounds(wr_ctx *ctx, const reader *r, const char *what, const char *scope, const char *id,
                        const json_t *change, const json_t **mandate, json_t **owned, wf_decision *d, wr_err *err)
{
    const char *me = r->actor->principal;
    char covers[512];
    mandate_systems(r, covers, sizeof covers);
    if (change) {
        const char *initiator = json_string_value(json_object_get(json_object_get(change, "initiator"), "id"));
        const char *mid = json_string_value(json_object_get(change, "mandate"));
        if (initiator && strcmp(initiator, me) == 0 && mid) {
            int rc = wf_mandate_load(ctx, mid, owned, err);
            *mandate = *owned;
            return rc;
        }
        const char *system = json_string_value(json_object_get(change, "system"));
        if (initiator && strcmp(initiator, me) == 0)
            *mandate = json_array_get(r->mandates, 0);   /* its own change made without one */
        else
            *mandate = system ? covering(r, system) : NULL;
        if (!*mandate)
            wf_deny(d, "outside %s's mandates: change %s was initiated by %s on system %s, %s%s", me,
                    json_string_value(json_object_get(change, "id")), initiator ? initiator : "?",
                    system ? system : "?", covers[0] ? "which none of them covers: " : "and it has no active mandate",
                    covers);
        return WR_OK;
    }
    if (strcmp(scope, "system") == 0) {
        *mandate = covering(r, id);
        if (!*mandate)
            wf_deny(d, "outside %s's mandates: system %s is not among the systems they cover%s%s", me, id,
                    covers[0] ? ": " : " (it has no active mandate)", covers);
        return WR_OK;
    }
    *mandate = covering(r, NULL);
    if (!*mandate)
        wf_deny(d, "%s may read %s only system by system, for the systems of its mandates%s%s: name a system",
                me, strcmp(scope, "domain") == 0 ? "a domain's readiness" : strcmp(what, "inventory") == 0
                ? "the inventory" : "readiness", covers[0] ? " " : " (it has no active mandate)", covers);
    return WR_OK;
}

/* The whole decision for one read; d is initialised by the caller. */
static int read_decide(wr_ctx *ctx, const reader *r, const char *what, const char *scope, const char *id,
                       const json_t *change, wf_decision *d, wr_err *err)
{
    const json_t *mandate = NULL;
    json_t *owned = NULL;
    int rc = WR_OK;
    if (r->mandates && (rc = agent_bounds(ctx, r, what, scope, id, change, &mandate, &owned, d, err)))
        return rc;
    if (d->outcome != WF_DENY)
        rc = wf_decide_read(ctx, r->principal, r->actor->channel, what, scope, id, change, mandate, d, err);
    json_decref(owned);
    return rc;
}

/* The explanation as one message: "read of WHAT: a; b". */
static int denied(const wf_decision *d, const char *what, wr_err *err)
{
    char msg[1024];
    size_t i;
    json_t *s;
    snprintf(msg, sizeof msg, "read of %s:", what);
    json_array_foreach(d->explanation, i, s) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n, "%s %s", i ? ";" : "", json_string_value(s));
    }
    return wr_fail(err, WR_EDENIED, "%s", msg);
}

int wr_read_check(wr_ctx *ctx, const wr_actor *actor, const char *what, const char *scope, const char *id,
                  json_t **decision, wr_err *err)
{
    int is_change = what && strcmp(what, "change") == 0;
    if (!what || (!is_change && strcmp(what, "inventory") != 0 && strcmp(what, "readiness") != 0))
        return wr_fail(err, WR_EINVAL, "read: what must be inventory, readiness or change");
    if (!is_change) {
        if (!scope)
            scope = id ? "system" : "overall";
        if (strcmp(scope, "overall") != 0 && strcmp(scope, "system") != 0 && strcmp(scope, "domain") != 0)
            return wr_fail(err, WR_EINVAL, "read: scope must be overall, system or domain, not '%s'", scope);
        if ((strcmp(scope, "overall") == 0) != (id == NULL))
            return wr_fail(err, WR_EINVAL, "read: an id is required for scope %s, and only for it", scope);
        if (id && (!*id || strlen(id) >= WF_MAX_ID))
            return wr_fail(err, WR_EINVAL, "read: %s id must be 1 to %d bytes", scope, WF_MAX_ID - 1);
    }
    reader r;
    json_t *change = NULL;
    int rc = reader_load(ctx, actor, &r, err);
    if (rc)
        return rc;
    if (is_change && (rc = wf_change_load(ctx, id, &change, err))) {
        reader_clear(&r);
        return rc;
    }
    wf_decision d;
    wf_decision_init(&d);
    if ((rc = read_decide(ctx, &r, what, is_change ? "change" : scope, id, change, &d, err)) == WR_OK) {
        char res[300];
        if (is_change)
            snprintf(res, sizeof res, "change %s", id);
        else if (id)
            snprintf(res, sizeof res, "%s of %s %s", what, scope, id);
        else
            snprintf(res, sizeof res, "%s of every system", what);
        if (d.outcome == WF_DENY) {
            rc = denied(&d, res, err);
        } else if (decision) {
            *decision = wf_decision_json(&d);
            json_object_set_new(*decision, "read", json_string(what));
            json_object_set_new(*decision, "resource", json_string(res));
        }
    }
    wf_decision_clear(&d);
    json_decref(change);
    reader_clear(&r);
    return rc;
}

/* wf_change_list's filter: keeps the changes the reader may read. */
static int keep_readable(wr_ctx *ctx, void *arg, const json_t *change, wr_err *err)
{
    wf_decision d;
    wf_decision_init(&d);
    int rc = read_decide(ctx, arg, "change", "change", json_string_value(json_object_get(change, "id")), change,
                         &d, err);
    int keep = d.outcome != WF_DENY;
    wf_decision_clear(&d);
    return rc ? rc : keep;
}

int wr_change_list_readable(wr_ctx *ctx, const wr_actor *actor, const json_t *filter, json_t **out, wr_err *err)
{
    reader r;
    int rc = reader_load(ctx, actor, &r, err);
    if (rc)
        return rc;
    rc = wf_change_list(ctx, filter, keep_readable, &r, out, err);
    reader_clear(&r);
    return rc;
}
