/*
 * decide.c — one governance decision: Cedar + obligations + copilot
 * intersection + mandate + data readiness + approval routing.
 *
 * For each operation of a request the engine is asked once for the acting
 * principal and, when that principal is a copilot, once more for its
 * human: a copilot's effective authority is the intersection of both, so
 * it can never exceed the person it works for.  The request's entities are
 * built from the store for just this decision (the principal and the
 * people behind it, the resource, its system and domain), and the context
 * carries the mode, the environment, the resource system's readiness
 * metrics and the agent's mandate.
 *
 * Then, in order (each may turn the outcome into a deny, with a sentence in
 * the explanation saying why):
 *   1. any operation denied by Cedar            -> deny
 *   2. obligations of all determining permits combined (strictest wins);
 *      the requested mode not among the granted modes -> deny
 *   3. an agent outside its mandate (system, action, count, deadline)
 *                                                -> deny
 *   4. an AI principal asking to execute while the system's readiness is
 *      below a floor (policy's or mandate's)     -> deny: below the bar, AI
 *      may advise, draft and recommend only
 *   5. approval stages resolved to eligible humans; a stage nobody may
 *      fill                                      -> deny
 *   6. stages remain -> approval_required, else allow.
 */
#include "workflow_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wf_decision_init(wf_decision *d)
{
    memset(d, 0, sizeof *d);
    wr_obligations_init(&d->ob);
    d->outcome = WF_ALLOW;
    d->policies = json_array();
    d->errors = json_array();
    d->explanation = json_array();
    d->readiness = json_object();
    d->stages = json_array();
}

void wf_decision_clear(wf_decision *d)
{
    json_decref(d->policies);
    json_decref(d->errors);
    json_decref(d->explanation);
    json_decref(d->readiness);
    json_decref(d->stages);
    memset(d, 0, sizeof *d);
}

static const char *outcome_name(int o)
{
    return o == WF_DENY ? "deny" : o == WF_ALLOW ? "allow" : "approval_required";
}

json_t *wf_decision_json(const wf_decision *d)
{
    json_t *ob = wr_obligations_to_json(&d->ob);
    return json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:o,s:s?,s:s?}", "outcome", outcome_name(d->outcome),
                     "policies", d->policies, "errors", d->errors, "explanation", d->explanation,
                     "readiness", d->readiness, "stages", d->stages, "obligations", ob,
                     "system", d->system[0] ? d->system : NULL, "domain", d->domain[0] ? d->domain : NULL);
}

static void explain(wf_decision *d, const char *fmt, ...) WR_PRINTF(2, 3);
static void explain(wf_decision *d, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(d->explanation, json_string(buf));
}

void wf_deny(wf_decision *d, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    d->outcome = WF_DENY;
    json_array_append_new(d->explanation, json_string(buf));
}

static void add_unique(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (strcmp(json_string_value(v), s) == 0)
            return;
    json_array_append_new(arr, json_string(s));
}

/* ---- entities for one request ------------------------------------------- */

typedef struct ents {
    json_t *list;   /* Cedar entity JSON array */
    json_t *seen;   /* "Type::id" -> true */
} ents;

static json_t *ref(const char *type, const char *id)
{
    return json_pack("{s:{s:s,s:s}}", "__entity", "type", type, "id", id);
}

/* Adds an entity (attrs and parents are stolen). */
static void ents_add(ents *e, const char *type, const char *id, json_t *attrs, json_t *parents)
{
    char key[300];
    snprintf(key, sizeof key, "%s::%s", type, id);
    if (json_object_get(e->seen, key)) {
        json_decref(attrs);
        json_decref(parents);
        return;
    }
    json_object_set_new(e->seen, key, json_true());
    json_array_append_new(e->list, json_pack("{s:{s:s,s:s},s:o,s:o}", "uid", "type", type, "id", id,
                                             "attrs", attrs ? attrs : json_object(),
                                             "parents", parents ? parents : json_array()));
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : dflt;
}

static const char *principal_type(const char *kind)
{
    if (strcmp(kind, "human") == 0)
        return "Human";
    if (strcmp(kind, "copilot") == 0)
        return "Copilot";
    if (strcmp(kind, "agent") == 0)
        return "Agent";
    return "Service";
}

static void add_human(wr_ctx *ctx, ents *e, const char *id)
{
    json_t *h = NULL;
    if (wf_principal_load(ctx, id, &h, NULL) != WR_OK) {
        ents_add(e, "Human", id, json_pack("{s:s}", "status", "unknown"), NULL);
        return;
    }
    json_t *parents = json_array(), *roles = json_object_get(h, "roles");
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
        json_array_append_new(parents, json_pack("{s:s,s:s}", "type", "Role", "id", json_string_value(r)));
    ents_add(e, "Human", id, json_pack("{s:O,s:s,s:s}", "roles", roles, "status",
                                       json_string_value(json_object_get(h, "status")), "name",
                                       str_or(h, "name", id)),
             parents);
    json_decref(h);
}

static void add_principal(wr_ctx *ctx, ents *e, const json_t *p)
{
    const char *id = json_string_value(json_object_get(p, "id"));
    const char *kind = json_string_value(json_object_get(p, "kind"));
    const char *obo = json_string_value(json_object_get(p, "on_behalf_of"));
    const char *owner = json_string_value(json_object_get(p, "owner"));
    if (strcmp(kind, "human") == 0) {
        add_human(ctx, e, id);
        return;
    }
    json_t *attrs = json_pack("{s:s,s:s}", "kind", kind, "status", json_string_value(json_object_get(p, "status")));
    if (obo) {
        json_object_set_new(attrs, "on_behalf_of", ref("Human", obo));
        add_human(ctx, e, obo);
    }
    if (owner) {
        json_object_set_new(attrs, "owner", ref("Human", owner));
        add_human(ctx, e, owner);
    }
    ents_add(e, principal_type(kind), id, attrs, NULL);
}

/* Adds the system and its domain; fills d->system/domain. */
static int add_system(wr_ctx *ctx, wr_store *target, ents *e, const char *system, wf_decision *d,
                      wr_err *err)
{
    json_t *sys = NULL;
    int rc = wr_inventory_system_get(target, system, &sys, err);
    if (rc)
        return rc;
    const char *domain = json_string_value(json_object_get(sys, "domain"));
    const char *owner = json_string_value(json_object_get(sys, "owner"));
    json_t *attrs = json_pack("{s:s,s:s}", "name", str_or(sys, "name", system),
                              "domain", domain ? domain : "");
    if (owner) {
        json_object_set_new(attrs, "owner", ref("Human", owner));
        add_human(ctx, e, owner);
    }
    json_t *parents = json_array();
    if (domain && *domain) {
        json_array_append_new(parents, json_pack("{s:s,s:s}", "type", "Domain", "id", domain));
        ents_add(e, "Domain", domain, NULL, NULL);
    }
    ents_add(e, "System", system, attrs, parents);
    snprintf(d->system, sizeof d->system, "%s", system);
    snprintf(d->domain, sizeof d->domain, "%s", domain ? domain : "");
    json_decref(sys);
    return WR_OK;
}

static json_t *system_parent(const char *system)
{
    return json_pack("[{s:s,s:s}]", "type", "System", "id", system);
}

/* The change as a Cedar entity (a child of its system). */
static void add_change(ents *e, const json_t *change)
{
    const char *system = json_string_value(json_object_get(change, "system"));
    json_t *initiator = json_object_get(change, "initiator");
    ents_add(e, "Change", json_string_value(json_object_get(change, "id")),
             json_pack("{s:o,s:O,s:O,s:O,s:O,s:O}", "system", ref("System", system), "initiator",
                       json_object_get(initiator, "id"), "initiator_kind", json_object_get(initiator, "kind"),
                       "mode", json_object_get(change, "mode"), "environment",
                       json_object_get(change, "environment"), "state", json_object_get(change, "state")),
             system_parent(system));
}

/* The resource an operation acts on, as a Cedar entity. */
static int add_resource(wr_store *target, ents *e, const json_t *op, const char *system,
                        const char **rtype, const char **rid, wr_err *err)
{
    const char *name = json_string_value(json_object_get(op, "op"));
    json_t *rec = NULL;
    int rc;
    if (strcmp(name, "grant") == 0 || strcmp(name, "revoke") == 0) {
        *rtype = "Entitlement";
        *rid = json_string_value(json_object_get(op, "entitlement"));
        if ((rc = wr_inventory_entitlement_get(target, *rid, &rec, err)))
            return rc;
        ents_add(e, *rtype, *rid,
                 json_pack("{s:s,s:s,s:o}", "privilege",
                           str_or(rec, "privilege", "standard"),
                           "name", str_or(rec, "name", *rid),
                           "system", ref("System", system)),
                 system_parent(system));
    } else if (strcmp(name, "disable") == 0 || strcmp(name, "enable") == 0) {
        *rtype = "Account";
        *rid = json_string_value(json_object_get(op, "account"));
        if ((rc = wr_inventory_account_get(target, *rid, &rec, err)))
            return rc;
        json_t *attrs = json_pack("{s:s,s:o}", "status",
                                  str_or(rec, "status", "active"),
                                  "system", ref("System", system));
        const char *ident = json_string_value(json_object_get(rec, "identity"));
        json_object_set_new(attrs, "orphaned", json_boolean(ident == NULL));
        ents_add(e, *rtype, *rid, attrs, system_parent(system));
    } else if (strcmp(name, "transfer_ownership") == 0) {
        const char *object = json_string_value(json_object_get(op, "object"));
        const char *colon = object ? strchr(object, ':') : NULL;
        if (!colon)
            return wr_fail(err, WR_EINVAL, "transfer_ownership: object must be system:ID, identity:ID or entitlement:ID");
        *rid = colon + 1;
        *rtype = strncmp(object, "system:", 7) == 0 ? "System"
                 : strncmp(object, "identity:", 9) == 0 ? "Identity" : "Entitlement";
        if (strcmp(*rtype, "System") != 0)
            ents_add(e, *rtype, *rid, json_pack("{s:o}", "system", ref("System", system)), system_parent(system));
    } else {
        *rtype = "Credential";
        *rid = json_string_value(json_object_get(op, "credential"));
        ents_add(e, *rtype, *rid, json_pack("{s:o}", "system", ref("System", system)), system_parent(system));
    }
    json_decref(rec);
    return WR_OK;
}

/* Asks Cedar; records reasons/errors; returns the allow bit, or <0. */
static int ask(wr_ctx *ctx, const wr_entities *ents_c, const char *ptype, const char *pid,
               const char *action, const char *rtype, const char *rid, const json_t *context,
               wf_decision *d, wr_obligations *ob, wr_err *err)
{
    wr_request req = {ptype, pid, "Action", action, rtype, rid, context, NULL};
    wr_response resp;
    int rc = wr_authorize(ctx->authz, ctx->policies, ents_c, &req, &resp, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < resp.nerror; i++) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s: %s", resp.error[i], resp.error_msg ? resp.error_msg[i] : "error");
        add_unique(d->errors, msg);
    }
    for (size_t i = 0; i < resp.nreason; i++)
        add_unique(d->policies, resp.reason[i]);
    if (!resp.allow) {
        if (resp.nreason) {
            char ids[512] = "";
            for (size_t i = 0; i < resp.nreason; i++)
                snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? ", " : "", resp.reason[i]);
            wf_deny(d, "%s::\"%s\" may not %s %s::\"%s\": forbidden by %s", ptype, pid, action, rtype, rid, ids);
        } else {
            wf_deny(d, "%s::\"%s\" may not %s %s::\"%s\": no policy permits it", ptype, pid, action, rtype, rid);
        }
        return 0;
    }
    wr_obligations these;
    wr_obligations_init(&these);
    for (size_t i = 0; i < resp.nreason; i++) {
        wr_obligations one;
        wr_obligations_init(&one);
        if ((rc = wr_obligations_from_policy(ctx->policies, resp.reason[i], &one, err)))
            return rc;
        wr_obligations_combine(&these, &one);
    }
    wr_obligations_combine(ob, &these);
    return 1;
}

/* Asks for the principal and, for a copilot, for its human as well. */
static int ask_with_intersection(wr_ctx *ctx, const wr_entities *ents_c, const json_t *principal,
                                 const char *action, const char *rtype, const char *rid,
                                 const json_t *context, wf_decision *d, wr_err *err)
{
    const char *kind = json_string_value(json_object_get(principal, "kind"));
    const char *pid = json_string_value(json_object_get(principal, "id"));
    int rc = ask(ctx, ents_c, principal_type(kind), pid, action, rtype, rid, context, d, &d->ob, err);
    if (rc <= 0)
        return rc;
    if (strcmp(kind, "copilot") == 0) {
        const char *human = json_string_value(json_object_get(principal, "on_behalf_of"));
        json_t *hp = NULL;
        if (wf_principal_load(ctx, human, &hp, NULL) != WR_OK ||
            strcmp(json_string_value(json_object_get(hp, "status")), "active") != 0) {
            json_decref(hp);
            wf_deny(d, "copilot %s acts for %s, who is not an active principal", pid, human);
            return 0;
        }
        json_decref(hp);
        rc = ask(ctx, ents_c, "Human", human, action, rtype, rid, context, d, &d->ob, err);
        if (rc == 0)
            explain(d, "a copilot never exceeds its human: %s's own authority does not cover this", human);
    }
    return rc;
}

int wf_eligible(wr_ctx *ctx, const char *role, const char *system, const json_t *initiator,
                json_t **out, wr_err *err)
{
    const char *iid = json_string_value(json_object_get(initiator, "id"));
    const char *obo = json_string_value(json_object_get(initiator, "on_behalf_of"));
    const char *owner = json_string_value(json_object_get(initiator, "owner"));
    json_t *cands = json_array();
    int rc = WR_OK;
    if (strcmp(role, "owner") == 0) {
        json_t *sys = NULL;
        if ((rc = wr_inventory_system_get(ctx->store, system, &sys, err)) == WR_OK) {
            const char *o = json_string_value(json_object_get(sys, "owner"));
            if (o)
                json_array_append_new(cands, json_string(o));
        }
        json_decref(sys);
    } else if (strcmp(role, "manager") == 0) {
        const char *human = obo ? obo : owner ? owner : iid;
        json_t *ident = NULL;
        if (wr_inventory_identity_get(ctx->store, human, &ident, NULL) == WR_OK) {
            const char *m = json_string_value(json_object_get(ident, "manager"));
            if (m)
                json_array_append_new(cands, json_string(m));
        }
        json_decref(ident);
    } else {
        wr_stmt *st;
        if ((rc = wr_stmt_prepare(ctx->store,
                                  "SELECT p.id FROM principals p WHERE p.kind='human' AND p.status='active' "
                                  "AND EXISTS(SELECT 1 FROM json_each(p.roles) r WHERE r.value=?) ORDER BY p.id",
                                  &st, err)) == WR_OK) {
            wr_stmt_bind_text(st, 1, role);
            while ((rc = wr_stmt_step(st, err)) == 1)
                json_array_append_new(cands, json_string(wr_stmt_text(st, 0)));
            wr_stmt_done(st);
        }
    }
    if (rc < 0) {
        json_decref(cands);
        return rc;
    }
    /* Separation of duties: only active humans, never the initiator or the
     * people accountable for it. */
    json_t *res = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c) {
        const char *id = json_string_value(c);
        if ((iid && strcmp(id, iid) == 0) || (obo && strcmp(id, obo) == 0) || (owner && strcmp(id, owner) == 0))
            continue;
        json_t *p = NULL;
        if (wf_principal_load(ctx, id, &p, NULL) == WR_OK &&
            strcmp(json_string_value(json_object_get(p, "kind")), "human") == 0 &&
            strcmp(json_string_value(json_object_get(p, "status")), "active") == 0)
            json_array_append_new(res, json_string(id));
        json_decref(p);
    }
    json_decref(cands);
    *out = res;
    return WR_OK;
}

int wf_in_list(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && (strcmp(json_string_value(v), s) == 0 || strcmp(json_string_value(v), "*") == 0))
            return 1;
    return 0;
}

/* Mandate bounds for an agent's operation (step 3). */
static void check_mandate(const json_t *principal, const json_t *mandate, const char *opname,
                          const char *system, int new_change, wf_decision *d)
{
    const char *pid = json_string_value(json_object_get(principal, "id"));
    if (!mandate) {
        wf_deny(d, "agent %s has no active mandate: an agent acts only within a mandate its owner gave it", pid);
        return;
    }
    const char *mid = json_string_value(json_object_get(mandate, "id"));
    const char *state = json_string_value(json_object_get(mandate, "state"));
    int64_t deadline = 0;
    if (wr_time_parse(json_string_value(json_object_get(mandate, "deadline")), &deadline) != WR_OK)
        deadline = 0;
    if (strcmp(state, "active") != 0)
        wf_deny(d, "mandate %s is %s", mid, state);
    else if (deadline <= wr_now())
        wf_deny(d, "mandate %s passed its deadline %s", mid, json_string_value(json_object_get(mandate, "deadline")));
    else if (!wf_in_list(json_object_get(mandate, "systems"), system))
        wf_deny(d, "outside mandate %s: system %s is not among the systems it covers", mid, system);
    else if (!wf_in_list(json_object_get(mandate, "actions"), opname))
        wf_deny(d, "outside mandate %s: action %s is not among the actions it allows", mid, opname);
    else if (new_change && json_integer_value(json_object_get(mandate, "used")) >=
                               json_integer_value(json_object_get(mandate, "max_changes")))
        wf_deny(d, "mandate %s is used up: %lld of %lld changes", mid,
             (long long)json_integer_value(json_object_get(mandate, "used")),
             (long long)json_integer_value(json_object_get(mandate, "max_changes")));
}

/* Steps 4-6, shared by operation and workflow-action decisions. */
static int finish(wr_ctx *ctx, const json_t *principal, int mode, const char *system, wf_decision *d,
                  int route_approvals, wr_err *err)
{
    if (d->outcome == WF_DENY)
        return WR_OK;
    if (mode && !(d->ob.modes & mode)) {
        char granted[64] = "";
        for (int m = 1; m <= WR_MODE_EXECUTE; m <<= 1)
            if (d->ob.modes & m)
                snprintf(granted + strlen(granted), sizeof granted - strlen(granted), "%s%s",
                         granted[0] ? ", " : "", wr_mode_name(m));
        wf_deny(d, "mode %s is not granted: the determining policies allow only %s", wr_mode_name(mode),
             granted[0] ? granted : "no mode");
        return WR_OK;
    }
    if (mode == WR_MODE_EXECUTE && wf_is_ai(principal)) {
        const wr_gov_floor *failed = NULL;
        if (!wr_obligations_floors_met(&d->ob, d->readiness, &failed)) {
            json_t *v = json_object_get(d->readiness, failed->metric);
            char seen[32] = "unknown";
            if (json_is_number(v))
                snprintf(seen, sizeof seen, "%g", json_number_value(v));
            wf_deny(d, "identity data readiness of %s is below the bar for AI execution: %s is %s, needs %s %ld "
                 "(below it AI may advise, draft and recommend only)", system, failed->metric, seen,
                 failed->at_least ? ">=" : "<=", failed->bound);
            return WR_OK;
        }
    }
    if (!route_approvals)
        return WR_OK;
    for (size_t i = 0; i < d->ob.nstages; i++) {
        const wr_gov_stage *s = &d->ob.stages[i];
        json_t *eligible = NULL;
        int rc = wf_eligible(ctx, s->role, system, principal, &eligible, err);
        if (rc)
            return rc;
        size_t need = s->count < 0 ? json_array_size(eligible) : (size_t)s->count;
        json_array_append_new(d->stages, json_pack("{s:s,s:i,s:O}", "role", s->role, "count", (int)need,
                                                   "eligible", eligible));
        if (json_array_size(eligible) == 0 || need > json_array_size(eligible))
            wf_deny(d, "approval stage '%s' needs %zu approver(s) but %zu eligible human(s) exist "
                 "(the initiator and the people accountable for it may not approve)",
                 s->role, need ? need : 1, json_array_size(eligible));
        json_decref(eligible);
    }
    if (d->outcome != WF_DENY && d->ob.nstages) {
        d->outcome = WF_APPROVAL;
        char stages[256] = "";
        for (size_t i = 0; i < d->ob.nstages; i++)
            snprintf(stages + strlen(stages), sizeof stages - strlen(stages), "%s%s", i ? " then " : "",
                     d->ob.stages[i].role);
        explain(d, "allowed after approval by %s", stages);
    } else if (d->outcome == WF_ALLOW) {
        explain(d, "allowed without approvals");
    }
    return WR_OK;
}

int wf_decide_ops(wr_ctx *ctx, const json_t *principal, const char *channel, int mode,
                  const char *environment, const json_t *ops, const json_t *mandate,
                  int new_change, wf_decision *d, wr_err *err)
{
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        return wr_fail(err, WR_EINVAL, "operations: expected a non-empty array");
    if (json_array_size(ops) > WF_MAX_OPS)
        return wr_fail(err, WR_ELIMIT, "operations: at most %d per change", WF_MAX_OPS);
    if (strcmp(environment, "production") != 0 && strcmp(environment, "sandbox") != 0)
        return wr_fail(err, WR_EINVAL, "environment must be production or sandbox, not '%s'", environment);
    wr_store *target = wf_target(ctx, environment, err);
    if (!target)
        return err ? err->code : WR_EIO;

    /* every operation must be well formed and all must touch one system */
    char system[WF_MAX_ID] = "";
    size_t i;
    json_t *op;
    int rc;
    json_array_foreach(ops, i, op) {
        char *sys = NULL;
        if ((rc = wr_inventory_op_check(target, op, &sys, err)))
            return wr_fail_wrap(err, "operations[%zu]", i);
        if (!system[0])
            snprintf(system, sizeof system, "%s", sys);
        else if (strcmp(system, sys) != 0) {
            rc = wr_fail(err, WR_EINVAL, "operations[%zu]: touches system %s but operations[0] touches %s: "
                         "propose one change per system so the right owner approves", i, sys, system);
            free(sys);
            return rc;
        }
        free(sys);
    }
    /* what the system's connector cannot do is refused now, before
     * anything is recorded, not found out at execute (sandbox changes go
     * to the sandbox inventory, which can do everything) */
    json_array_foreach(ops, i, op) {
        if ((rc = wr_connector_check_op(target, system, strcmp(environment, "production") != 0, op, err)))
            return wr_fail_wrap(err, "operations[%zu]", i);
    }

    ents e = {json_array(), json_object()};
    json_t *context = NULL, *readiness = NULL;
    wr_entities *ents_c = NULL;
    add_principal(ctx, &e, principal);
    if ((rc = add_system(ctx, target, &e, system, d, err)))
        goto out;
    if ((rc = wr_readiness_compute(target, "system", system, &readiness, err)))
        goto out;
    json_t *cedar_ready = json_object_get(readiness, "cedar");
    if (cedar_ready)
        json_object_update(d->readiness, cedar_ready);
    const char *kind = json_string_value(json_object_get(principal, "kind"));
    context = json_pack("{s:s,s:s,s:s,s:s,s:O,s:s,s:s,s:I}", "mode", wr_mode_name(mode), "environment",
                        environment, "system", system, "domain", d->domain, "readiness", d->readiness,
                        "initiator_kind", kind, "channel", channel ? channel : "cli",
                        "operation_count", (json_int_t)json_array_size(ops));
    if (mandate) {
        json_object_set_new(context, "mandate",
                            json_pack("{s:O,s:O,s:O}", "id", json_object_get(mandate, "id"), "max_changes",
                                      json_object_get(mandate, "max_changes"), "used",
                                      json_object_get(mandate, "used")));
        const char *floor = json_string_value(json_object_get(mandate, "readiness_floor"));
        if (floor && *floor && wr_obligations_add_floors(&d->ob, floor) != WR_OK) {
            rc = wr_fail(err, WR_EINVAL, "mandate %s: bad readiness floor", json_string_value(json_object_get(mandate, "id")));
            goto out;
        }
        if ((rc = wr_obligations_add_evidence(&d->ob, json_object_get(mandate, "evidence"))) != WR_OK) {
            rc = wr_fail(err, WR_EINVAL, "mandate: bad evidence list");
            goto out;
        }
    }
    const char *rtypes[WF_MAX_OPS], *rids[WF_MAX_OPS];
    json_array_foreach(ops, i, op) {
        if ((rc = add_resource(target, &e, op, system, &rtypes[i], &rids[i], err)))
            goto out;
    }
    if ((rc = wr_entities_from_json(e.list, NULL, &ents_c, err)))
        goto out;
    json_array_foreach(ops, i, op) {
        const char *opname = json_string_value(json_object_get(op, "op"));
        if (strcmp(kind, "agent") == 0 && mode >= WR_MODE_RECOMMEND)
            check_mandate(principal, mandate, opname, system, new_change, d);
        if (d->outcome == WF_DENY)
            break;
        if ((rc = ask_with_intersection(ctx, ents_c, principal, opname, rtypes[i], rids[i], context, d, err)) < 0)
            goto out;
        if (d->outcome == WF_DENY)
            break;
    }
    rc = finish(ctx, principal, mode, system, d, 1, err);
out:
    wr_entities_free(ents_c);
    json_decref(e.list);
    json_decref(e.seen);
    json_decref(context);
    json_decref(readiness);
    return rc < 0 ? rc : WR_OK;
}

/* finish() for decisions that route no approvals (workflow actions,
 * reads): they are allowed or denied, never staged. */
static int finish_unrouted(wr_ctx *ctx, const json_t *principal, int mode, const char *system, wf_decision *d,
                           wr_err *err)
{
    int rc = finish(ctx, principal, mode, system, d, 0, err);
    d->ob.nstages = 0;
    return rc;
}

/* Frees one decision's entities and context; returns rc as a status. */
static int release(ents *e, wr_entities *ents_c, json_t *context, int rc)
{
    wr_entities_free(ents_c);
    json_decref(e->list);
    json_decref(e->seen);
    json_decref(context);
    return rc < 0 ? rc : WR_OK;
}

int wf_decide_change_action(wr_ctx *ctx, const json_t *principal, const char *action,
                            const json_t *change, wf_decision *d, wr_err *err)
{
    ents e = {json_array(), json_object()};
    const char *system = json_string_value(json_object_get(change, "system"));
    const char *id = json_string_value(json_object_get(change, "id"));
    json_t *context = NULL;
    wr_entities *ents_c = NULL;
    int rc;
    add_principal(ctx, &e, principal);
    if ((rc = add_system(ctx, ctx->store, &e, system, d, err)))
        goto out;
    add_change(&e, change);
    context = json_pack("{s:s,s:s,s:s}", "system", system, "domain", d->domain, "environment",
                        json_string_value(json_object_get(change, "environment")));
    if ((rc = wr_entities_from_json(e.list, NULL, &ents_c, err)))
        goto out;
    if ((rc = ask_with_intersection(ctx, ents_c, principal, action, "Change", id, context, d, err)) < 0)
        goto out;
    rc = finish_unrouted(ctx, principal, 0, system, d, err);
out:
    return release(&e, ents_c, context, rc);
}

int wf_decide_read(wr_ctx *ctx, const json_t *principal, const char *channel, const char *what,
                   const char *scope, const char *id, const json_t *change, const json_t *mandate,
                   wf_decision *d, wr_err *err)
{
    ents e = {json_array(), json_object()};
    json_t *context = NULL, *systems = NULL;
    wr_entities *ents_c = NULL;
    const char *rtype = "Warrant", *rid = what, *env = "production";
    int rc = WR_OK;
    add_principal(ctx, &e, principal);
    if (change) {
        rtype = "Change";
        rid = json_string_value(json_object_get(change, "id"));
        env = json_string_value(json_object_get(change, "environment"));
        rc = add_system(ctx, ctx->store, &e, json_string_value(json_object_get(change, "system")), d, err);
        add_change(&e, change);
    } else if (strcmp(scope, "system") == 0) {
        rtype = "System";
        rid = id;
        rc = add_system(ctx, ctx->store, &e, id, d, err);
    } else {
        /* a domain, or every system (Warrant::"<what>"): reading it reads
         * each of its systems, so each must be readable too */
        int domain = strcmp(scope, "domain") == 0;
        rtype = domain ? "Domain" : "Warrant";
        rid = domain ? id : what;
        ents_add(&e, rtype, rid, NULL, NULL);
        if ((rc = wr_inventory_system_list(ctx->store, domain ? id : NULL, &systems, err)))
            goto out;
        size_t i;
        json_t *sys;
        json_array_foreach(systems, i, sys)
            if ((rc = add_system(ctx, ctx->store, &e, json_string_value(sys), d, err)))
                goto out;
        d->system[0] = '\0';
        snprintf(d->domain, sizeof d->domain, "%s", domain ? id : "");
    }
    if (rc)
        goto out;
    context = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "mode", "advise", "environment", env ? env : "production",
                        "read", what, "scope", change ? "change" : scope, "initiator_kind",
                        json_string_value(json_object_get(principal, "kind")), "channel", channel ? channel : "cli");
    if (d->system[0])
        json_object_set_new(context, "system", json_string(d->system));
    if (d->domain[0])
        json_object_set_new(context, "domain", json_string(d->domain));
    if (mandate)
        json_object_set_new(context, "mandate",
                            json_pack("{s:O,s:O,s:O}", "id", json_object_get(mandate, "id"), "max_changes",
                                      json_object_get(mandate, "max_changes"), "used",
                                      json_object_get(mandate, "used")));
    if ((rc = wr_entities_from_json(e.list, NULL, &ents_c, err)))
        goto out;
    if ((rc = ask_with_intersection(ctx, ents_c, principal, "read", rtype, rid, context, d, err)) < 0)
        goto out;
    size_t i;
    json_t *sys;
    json_array_foreach(systems, i, sys) {
        if (d->outcome == WF_DENY)
            break;
        const char *sid = json_string_value(sys);
        json_t *sctx = json_deep_copy(context), *rec = NULL;
        json_object_set_new(sctx, "system", json_string(sid));
        if (wr_inventory_system_get(ctx->store, sid, &rec, NULL) == WR_OK)
            json_object_set_new(sctx, "domain", json_string(str_or(rec, "domain", "")));
        json_decref(rec);
        rc = ask_with_intersection(ctx, ents_c, principal, "read", "System", sid, sctx, d, err);
        json_decref(sctx);
        if (rc < 0)
            goto out;
        if (rc == 0)
            explain(d, "reading %s reads system %s too: read the systems one by one", rid, sid);
    }
    rc = finish_unrouted(ctx, principal, WR_MODE_ADVISE, d->system, d, err);
out:
    json_decref(systems);
    return release(&e, ents_c, context, rc);
}
