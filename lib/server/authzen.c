/*
 * authzen.c — the OpenID AuthZEN Authorization API 1.0 over the Cedar
 * engine: access evaluation (§6), access evaluations with defaults and
 * evaluation semantics (§7), subject / resource / action search with
 * pagination (§8) and PDP metadata (§9).
 *
 * Mapping onto a Cedar request (docs/server.md has the full table):
 *   subject {type,id,properties}  -> principal type::"id"; properties are
 *                                    that entity's attributes
 *   resource {type,id,properties} -> resource type::"id", likewise
 *   action {name,properties}      -> Action::"name"; properties go to
 *                                    context.action
 *   context {...}                 -> the Cedar context
 * When an entity store is loaded (`cedar serve --entities`), properties are
 * merged over the stored entity's attributes (request wins) and its parents
 * are kept; an entity absent from the store exists for this request with
 * just the given attributes.  Without properties the loaded store is used
 * as is (no copy: the fast path).
 *
 * Decisions: allow -> true.  Governance obligations of the determining
 * permits (warrant/governance.h) go to the response context; when they
 * require approval stages the decision is false with context.governance
 * .outcome "approval_required" — a PEP that ignores the context must not
 * let an unapproved request through.  A deny is HTTP 200, decision false.
 */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

#define AZ_MAX_EVALUATIONS 1000
#define AZ_MAX_PAGE 1000
#define AZ_DEFAULT_PAGE 50

/* Where evaluations get their policies, schema and entities. */
typedef struct az_src {
    const wr_policy_set *ps;
    const wr_schema *schema;
    const wr_entities *ents;       /* NULL: entities come from the request only */
    const json_t *ents_json;
    const char *const *actions;
    wr_ctx *ctx;                   /* full server: candidates for search */
    wr_authz *az;
    srv_metrics *metrics;
} az_src;

/* ---- parsing ----------------------------------------------------------------------- */
static int ident(const json_t *o, const char *what, const char *key, const char **out, wr_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return wr_fail(err, WR_EINVAL, "%s.%s: a non-empty string is required", what, key);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return wr_fail(err, WR_EINVAL, "%s.%s: NUL characters are not supported", what, key);
    *out = json_string_value(v);
    return WR_OK;
}

static int props(const json_t *o, const char *what, const json_t **out, wr_err *err)
{
    const json_t *p = json_object_get(o, "properties");
    if (p && !json_is_object(p) && !json_is_null(p))
        return wr_fail(err, WR_EINVAL, "%s.properties: expected an object", what);
    *out = json_is_object(p) ? p : NULL;
    return WR_OK;
}

static const json_t *member(const json_t *item, const json_t *defaults, const char *key)
{
    const json_t *v = item ? json_object_get(item, key) : NULL;
    return v ? v : defaults ? json_object_get(defaults, key) : NULL;
}

static int entity_ref(const json_t *o, const char *what, int need_id, const char **type, const char **id,
                      const json_t **p, wr_err *err)
{
    if (!o)
        return wr_fail(err, WR_EINVAL, "%s: required", what);
    if (!json_is_object(o))
        return wr_fail(err, WR_EINVAL, "%s: expected an object", what);
    int rc = ident(o, what, "type", type, err);
    if (rc == WR_OK && need_id)
        rc = ident(o, what, "id", id, err);
    if (rc == WR_OK)
        rc = props(o, what, p, err);
    return rc;
}

static int action_ref(const json_t *o, const char **name, const json_t **p, wr_err *err)
{
    if (!o)
        return wr_fail(err, WR_EINVAL, "action: required");
    if (!json_is_object(o))
        return wr_fail(err, WR_EINVAL, "action: expected an object");
    int rc = ident(o, "action", "name", name, err);
    return rc ? rc : props(o, "action", p, err);
}

static int build_context(const json_t *ctx, const json_t *aprops, json_t **out, wr_err *err)
{
    if (ctx && !json_is_object(ctx) && !json_is_null(ctx))
        return wr_fail(err, WR_EINVAL, "context: expected an object");
    json_t *c = json_is_object(ctx) ? json_copy((json_t *)ctx) : json_object();
    if (!c)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    if (aprops)
        json_object_set(c, "action", (json_t *)aprops);
    *out = c;
    return WR_OK;
}

int wr_authzen_parse(const json_t *item, const json_t *defaults, wr_authzen_req *out, wr_err *err)
{
    memset(out, 0, sizeof *out);
    if ((item && !json_is_object(item)) || (defaults && !json_is_object(defaults)))
        return wr_fail(err, WR_EINVAL, "evaluation: expected an object");
    int rc;
    if ((rc = entity_ref(member(item, defaults, "subject"), "subject", 1, &out->subject_type, &out->subject_id,
                         &out->subject_props, err)) ||
        (rc = entity_ref(member(item, defaults, "resource"), "resource", 1, &out->resource_type,
                         &out->resource_id, &out->resource_props, err)) ||
        (rc = action_ref(member(item, defaults, "action"), &out->action, &out->action_props, err)) ||
        (rc = build_context(member(item, defaults, "context"), out->action_props, &out->context, err))) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    return WR_OK;
}

void wr_authzen_req_clear(wr_authzen_req *r)
{
    json_decref(r->context);
    memset(r, 0, sizeof *r);
}

/* ---- entities for one request --------------------------------------------------------- */
static int same_uid(const json_t *e, const char *type, const char *id)
{
    const json_t *uid = json_object_get(e, "uid");
    if (json_object_get(uid, "__entity"))
        uid = json_object_get(uid, "__entity");
    const char *t = json_string_value(json_object_get(uid, "type")), *i = json_string_value(json_object_get(uid, "id"));
    return t && i && strcmp(t, type) == 0 && strcmp(i, id) == 0;
}

/* The entity (type, id) with attrs = stored attrs (if any) overlaid with p. */
static json_t *merged_entity(const json_t *stored, const char *type, const char *id, const json_t *p)
{
    json_t *attrs = json_object(), *parents = json_array();
    if (stored) {
        json_t *sa = json_object_get(stored, "attrs"), *sp = json_object_get(stored, "parents");
        if (json_is_object(sa))
            json_object_update(attrs, sa);
        if (json_is_array(sp))
            json_array_extend(parents, sp);
    }
    if (p)
        json_object_update(attrs, (json_t *)p);
    json_t *e = json_pack("{s:{s:s,s:s},s:o,s:o}", "uid", "type", type, "id", id, "attrs", attrs, "parents", parents);
    if (stored && json_object_get(stored, "tags"))
        json_object_set(e, "tags", json_object_get(stored, "tags"));
    return e;
}

static int request_entities(const az_src *src, const wr_authzen_req *q, wr_entities **owned,
                            const wr_entities **use, wr_err *err)
{
    *owned = NULL;
    if (src->ents && !q->subject_props && !q->resource_props) {
        *use = src->ents;
        return WR_OK;
    }
    int same = strcmp(q->subject_type, q->resource_type) == 0 && strcmp(q->subject_id, q->resource_id) == 0;
    json_t *arr = json_array(), *e;
    const json_t *ssub = NULL, *sres = NULL;
    size_t i;
    json_array_foreach(src->ents_json, i, e) {
        if (same_uid(e, q->subject_type, q->subject_id))
            ssub = e;
        else if (same_uid(e, q->resource_type, q->resource_id))
            sres = e;
        else
            json_array_append(arr, e);
    }
    json_t *sub = merged_entity(ssub, q->subject_type, q->subject_id, q->subject_props);
    if (same && q->resource_props)
        json_object_update(json_object_get(sub, "attrs"), (json_t *)q->resource_props);
    json_array_append_new(arr, sub);
    if (!same)
        json_array_append_new(arr, merged_entity(sres, q->resource_type, q->resource_id, q->resource_props));
    int rc = wr_entities_from_json(arr, src->schema, owned, err);
    json_decref(arr);
    if (rc)
        return wr_fail_wrap(err, "subject/resource properties");
    *use = *owned;
    return WR_OK;
}

/* ---- one decision ----------------------------------------------------------------------- */
static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* Decides q; *out is {"decision", "context"}.  Fails only when the request
 * cannot be interpreted (err says why). */
static int decide(const az_src *src, const wr_authzen_req *q, json_t **out, wr_err *err)
{
    wr_entities *owned = NULL;
    const wr_entities *ents = NULL;
    int rc = request_entities(src, q, &owned, &ents, err);
    if (rc)
        return rc;
    wr_request req = {q->subject_type, q->subject_id, "Action", q->action, q->resource_type, q->resource_id,
                      q->context, src->schema};
    wr_response resp;
    rc = wr_authorize(src->az, src->ps, ents, &req, &resp, err);
    if (rc) {
        wr_entities_free(owned);
        return rc;
    }
    json_t *gov;
    int decision = resp.allow;
    if (resp.allow) {
        wr_obligations o, one;
        wr_obligations_init(&o);
        for (size_t i = 0; i < resp.nreason && rc == WR_OK; i++) {
            if (wr_policy_effect(src->ps, resp.reason[i]) != 1)
                continue;
            wr_obligations_init(&one);
            if ((rc = wr_obligations_from_policy(src->ps, resp.reason[i], &one, err)) == WR_OK)
                wr_obligations_combine(&o, &one);
        }
        if (rc) {
            wr_entities_free(owned);
            return rc;
        }
        const char *outcome = o.nstages ? "approval_required" : "allow";
        decision = o.nstages == 0;
        gov = json_pack("{s:s,s:o}", "outcome", outcome, "obligations", wr_obligations_to_json(&o));
    } else {
        gov = json_pack("{s:s}", "outcome", "deny");
    }
    json_t *ctx = json_pack("{s:{s:o,s:o},s:o}", "reason_admin", "policies", str_array(resp.reason, resp.nreason),
                            "errors", str_array(resp.error, resp.nerror), "governance", gov);
    wr_entities_free(owned);
    if (src->metrics) {
        const char *o = json_string_value(json_object_get(gov, "outcome"));
        int slot = strcmp(o, "allow") == 0 ? SRV_DEC_ALLOW : strcmp(o, "deny") == 0 ? SRV_DEC_DENY : SRV_DEC_APPROVAL;
        atomic_fetch_add(&src->metrics->decisions[slot], 1);
    }
    *out = json_pack("{s:b,s:o}", "decision", decision, "context", ctx);
    return WR_OK;
}

static json_t *item_error(const wr_err *err)
{
    return json_pack("{s:b,s:{s:{s:i,s:s}}}", "decision", 0, "context", "error", "status",
                     srv_status_http(err->code), "message", err->msg);
}

/* ---- the routes ------------------------------------------------------------------------- */
static int source(srv_req *r, az_src *s)
{
    memset(s, 0, sizeof *s);
    s->az = r->w->az;
    s->metrics = &r->srv->metrics;
    if (r->srv->pdp) {
        s->ps = r->srv->src.policies;
        s->schema = r->srv->src.schema;
        s->ents = r->srv->src.entities;
        s->ents_json = r->srv->src.entities_json;
        s->actions = r->srv->src.actions;
    } else {
        s->ps = wr_ctx_policies(r->w->ctx);
        s->ctx = r->w->ctx;
    }
    if (!r->json) {
        srv_error(r, 400, NULL, "request body: a JSON object is required");
        return -1;
    }
    return 0;
}

void h_az_evaluation(srv_req *r)
{
    az_src src;
    if (source(r, &src))
        return;
    wr_authzen_req q;
    wr_err err = {0};
    json_t *out = NULL;
    if (wr_authzen_parse(r->json, NULL, &q, &err) != WR_OK || decide(&src, &q, &out, &err) != WR_OK) {
        wr_authzen_req_clear(&q);
        srv_fail(r, &err, NULL);
        return;
    }
    wr_authzen_req_clear(&q);
    srv_json(r, 200, out);
}

enum { SEM_ALL, SEM_DENY_FIRST, SEM_PERMIT_FIRST };

void h_az_evaluations(srv_req *r)
{
    az_src src;
    if (source(r, &src))
        return;
    const json_t *evs = json_object_get(r->json, "evaluations"), *opts = json_object_get(r->json, "options");
    if (evs && !json_is_array(evs)) {
        srv_error(r, 400, NULL, "evaluations: expected an array");
        return;
    }
    if (opts && !json_is_object(opts)) {
        srv_error(r, 400, NULL, "options: expected an object");
        return;
    }
    int sem = SEM_ALL;
    const json_t *sv = json_object_get(opts, "evaluations_semantic");
    if (sv) {
        const char *s = json_string_value(sv);
        if (s && strcmp(s, "execute_all") == 0)
            sem = SEM_ALL;
        else if (s && strcmp(s, "deny_on_first_deny") == 0)
            sem = SEM_DENY_FIRST;
        else if (s && strcmp(s, "permit_on_first_permit") == 0)
            sem = SEM_PERMIT_FIRST;
        else {
            srv_error(r, 400, NULL, "options.evaluations_semantic: expected execute_all, deny_on_first_deny or "
                      "permit_on_first_permit");
            return;
        }
    }
    if (json_array_size(evs) == 0) {   /* §7.1: no array means one evaluation of the top level */
        h_az_evaluation(r);
        return;
    }
    if (json_array_size(evs) > AZ_MAX_EVALUATIONS) {
        srv_error(r, 413, NULL, "evaluations: at most %d per request", AZ_MAX_EVALUATIONS);
        return;
    }
    json_t *results = json_array(), *item;
    size_t i;
    json_array_foreach(evs, i, item) {
        wr_authzen_req q;
        wr_err err = {0};
        json_t *one = NULL;
        if (wr_authzen_parse(item, r->json, &q, &err) != WR_OK || decide(&src, &q, &one, &err) != WR_OK) {
            one = item_error(&err);
            if (src.metrics)
                atomic_fetch_add(&src.metrics->decisions[SRV_DEC_ERROR], 1);
        }
        wr_authzen_req_clear(&q);
        int d = json_is_true(json_object_get(one, "decision"));
        json_array_append_new(results, one);
        if ((sem == SEM_DENY_FIRST && !d) || (sem == SEM_PERMIT_FIRST && d))
            break;
    }
    srv_json(r, 200, json_pack("{s:o}", "evaluations", results));
}

/* ---- search (§8) --------------------------------------------------------------------------- */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Candidate ids of entity type `type` (subjects/resources), or action names
 * (type NULL): a JSON array of strings, sorted, without duplicates. */
static json_t *candidates(const az_src *src, const char *type, int subjects)
{
    json_t *ids = json_array(), *e;
    size_t i;
    const char *want = type ? type : "Action";
    json_array_foreach(src->ents_json, i, e) {
        const json_t *uid = json_object_get(e, "uid");
        if (json_object_get(uid, "__entity"))
            uid = json_object_get(uid, "__entity");
        const char *t = json_string_value(json_object_get(uid, "type")), *id = json_string_value(json_object_get(uid, "id"));
        if (t && id && strcmp(t, want) == 0)
            json_array_append_new(ids, json_string(id));
    }
    for (const char *const *a = src->actions; !type && a && *a; a++)
        json_array_append_new(ids, json_string(*a));
    if (src->ctx && !type) {
        static const char *const warrant_actions[] = {"grant", "revoke", "disable", "enable", "transfer_ownership",
                                                      "rotate_credential", "approve", "reject", "validate", "close",
                                                      "read"};
        for (size_t k = 0; k < sizeof warrant_actions / sizeof warrant_actions[0]; k++)
            json_array_append_new(ids, json_string(warrant_actions[k]));
    } else if (src->ctx && subjects) {
        static const char *const kinds[][2] = {{"human", "Human"}, {"copilot", "Copilot"}, {"agent", "Agent"},
                                               {"service", "Service"}};
        json_t *ps = NULL;
        wr_err err = {0};
        if (wr_principal_list(src->ctx, &ps, &err) == WR_OK) {
            json_array_foreach(ps, i, e) {
                const char *kind = json_string_value(json_object_get(e, "kind"));
                for (size_t k = 0; kind && k < 4; k++)
                    if (strcmp(kind, kinds[k][0]) == 0 && strcmp(type, kinds[k][1]) == 0)
                        json_array_append(ids, json_object_get(e, "id"));
            }
        }
        json_decref(ps);
    } else if (src->ctx) {
        static const char *const kinds[][2] = {{"accounts", "Account"}, {"entitlements", "Entitlement"},
                                               {"identities", "Identity"}};
        for (size_t k = 0; k < 3; k++) {
            if (strcmp(type, kinds[k][1]) != 0)
                continue;
            wr_inventory_query q = {kinds[k][0], NULL, NULL, NULL, 10000, 0};
            json_t *out = NULL;
            wr_err err = {0};
            if (wr_inventory_search(wr_ctx_store(src->ctx), &q, &out, &err) == WR_OK)
                json_array_foreach(json_object_get(out, "items"), i, e)
                    json_array_append(ids, json_object_get(e, "id"));
            json_decref(out);
        }
    }
    size_t n = json_array_size(ids);
    const char **v = calloc(n ? n : 1, sizeof *v);
    json_t *sorted = json_array();
    if (v) {
        for (i = 0; i < n; i++)
            v[i] = json_string_value(json_array_get(ids, i));
        qsort(v, n, sizeof *v, cmp_str);
        for (i = 0; i < n; i++)
            if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
                json_array_append_new(sorted, json_string(v[i]));
    }
    free(v);
    json_decref(ids);
    return sorted;
}

enum { SEARCH_SUBJECT, SEARCH_RESOURCE, SEARCH_ACTION };

static int page_args(srv_req *r, size_t *start, size_t *limit)
{
    const json_t *page = json_object_get(r->json, "page");
    *start = 0;
    *limit = AZ_DEFAULT_PAGE;
    if (!page)
        return 0;
    if (!json_is_object(page)) {
        srv_error(r, 400, NULL, "page: expected an object");
        return -1;
    }
    const json_t *tok = json_object_get(page, "token"), *lim = json_object_get(page, "limit");
    if (tok && !json_is_null(tok)) {
        const char *t = json_string_value(tok);
        char *end;
        unsigned long long v = t && *t ? strtoull(t, &end, 10) : 0;
        if (!t || (*t && (*end || t[0] == '-'))) {
            srv_error(r, 400, NULL, "page.token: not a token this server issued");
            return -1;
        }
        *start = (size_t)v;
    }
    if (lim) {
        if (!json_is_integer(lim) || json_integer_value(lim) < 1 || json_integer_value(lim) > AZ_MAX_PAGE) {
            srv_error(r, 400, NULL, "page.limit: expected an integer in 1..%d", AZ_MAX_PAGE);
            return -1;
        }
        *limit = (size_t)json_integer_value(lim);
    }
    return 0;
}

static void search(srv_req *r, int kind)
{
    az_src src;
    if (source(r, &src))
        return;
    wr_err err = {0};
    const char *st = NULL, *sid = NULL, *rt = NULL, *rid = NULL, *an = NULL;
    const json_t *sp = NULL, *rp = NULL, *ap = NULL;
    int rc = entity_ref(json_object_get(r->json, "subject"), "subject", kind != SEARCH_SUBJECT, &st, &sid, &sp, &err);
    if (rc == WR_OK)
        rc = entity_ref(json_object_get(r->json, "resource"), "resource", kind != SEARCH_RESOURCE, &rt, &rid, &rp,
                        &err);
    if (rc == WR_OK && kind != SEARCH_ACTION)
        rc = action_ref(json_object_get(r->json, "action"), &an, &ap, &err);
    json_t *context = NULL;
    if (rc == WR_OK)
        rc = build_context(json_object_get(r->json, "context"), ap, &context, &err);
    if (rc) {
        srv_fail(r, &err, NULL);
        return;
    }
    size_t start, limit;
    if (page_args(r, &start, &limit)) {
        json_decref(context);
        return;
    }
    json_t *cands = candidates(&src, kind == SEARCH_SUBJECT ? st : kind == SEARCH_RESOURCE ? rt : NULL,
                               kind == SEARCH_SUBJECT);
    json_t *results = json_array();
    size_t pos = start, n = json_array_size(cands);
    for (; pos < n && json_array_size(results) < limit; pos++) {
        const char *c = json_string_value(json_array_get(cands, pos));
        wr_authzen_req q = {.subject_type = st,
                            .subject_id = kind == SEARCH_SUBJECT ? c : sid,
                            .resource_type = rt,
                            .resource_id = kind == SEARCH_RESOURCE ? c : rid,
                            .action = kind == SEARCH_ACTION ? c : an,
                            .subject_props = kind == SEARCH_SUBJECT ? NULL : sp,
                            .resource_props = kind == SEARCH_RESOURCE ? NULL : rp,
                            .context = context};
        json_t *one = NULL;
        wr_err e1 = {0};
        if (decide(&src, &q, &one, &e1) == WR_OK && json_is_true(json_object_get(one, "decision"))) {
            if (kind == SEARCH_ACTION)
                json_array_append_new(results, json_pack("{s:s}", "name", c));
            else
                json_array_append_new(results, json_pack("{s:s,s:s}", "type", kind == SEARCH_SUBJECT ? st : rt,
                                                         "id", c));
        }
        json_decref(one);
    }
    char next[32] = "";
    if (pos < n)
        snprintf(next, sizeof next, "%zu", pos);
    size_t count = json_array_size(results);
    json_decref(cands);
    json_decref(context);
    srv_json(r, 200, json_pack("{s:o,s:{s:s,s:I}}", "results", results, "page", "next_token", next, "count",
                               (json_int_t)count));
}

void h_az_search_subject(srv_req *r) { search(r, SEARCH_SUBJECT); }
void h_az_search_resource(srv_req *r) { search(r, SEARCH_RESOURCE); }
void h_az_search_action(srv_req *r) { search(r, SEARCH_ACTION); }

void h_az_config(srv_req *r)
{
    char base[512];
    srv_base_url(r, base, sizeof base);
    char ep[5][640];
    static const char *const paths[5] = {"/access/v1/evaluation", "/access/v1/evaluations", "/access/v1/search/subject",
                                         "/access/v1/search/resource", "/access/v1/search/action"};
    for (int i = 0; i < 5; i++)
        snprintf(ep[i], sizeof ep[i], "%s%s", base, paths[i]);
    srv_json(r, 200, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "policy_decision_point", base,
                               "access_evaluation_endpoint", ep[0], "access_evaluations_endpoint", ep[1],
                               "search_subject_endpoint", ep[2], "search_resource_endpoint", ep[3],
                               "search_action_endpoint", ep[4]));
}
