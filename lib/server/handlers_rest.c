/*
 * handlers_rest.c — the REST API over the governance workflow.  Each
 * handler checks the shape of its input (400 naming the member), then
 * makes exactly the library call the CLI makes, as the authenticated
 * principal on channel "http", and maps the result (srv_fail).  Nothing
 * here decides anything: policy, separation of duties, mandates and state
 * transitions are the library's.
 *
 * Reads by AI principals' tokens (copilots, agents, services) are governed
 * (wr_read_check): a change, its lineage, the inventory and readiness are
 * answered only when policy, the copilot intersection and an agent's
 * mandates allow it (403 with the explanation otherwise), and the change
 * list shows only the changes the caller may read.  People's reads (the
 * console's) are not policy-checked here.
 */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

/* A body member a route accepts. */
typedef struct field {
    const char *name;
    json_type type;
    int required;
} field;

static const char *type_name(json_type t)
{
    switch (t) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    default: return "a value";
    }
}

/* 1 when the body fits fields (unknown members refused); else answers 400. */
static int body_ok(srv_req *r, const field *f)
{
    json_t *b = r->json;
    for (const field *p = f; p && p->name; p++) {
        json_t *v = b ? json_object_get(b, p->name) : NULL;
        if (!v && p->required) {
            srv_error(r, 400, NULL, "request body: member '%s' is required", p->name);
            return 0;
        }
        if (v && json_typeof(v) != p->type) {
            srv_error(r, 400, NULL, "request body: member '%s' must be %s", p->name, type_name(p->type));
            return 0;
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        const field *p = f;
        while (p && p->name && strcmp(p->name, k) != 0)
            p++;
        if (!p || !p->name) {
            srv_error(r, 400, NULL, "request body: unknown member '%s'", k);
            return 0;
        }
    }
    return 1;
}

/* The body as a library spec: required, an object. */
static json_t *spec_body(srv_req *r)
{
    if (!r->json) {
        srv_error(r, 400, NULL, "request body: a JSON object is required");
        return NULL;
    }
    return r->json;
}

static const char *body_str(srv_req *r, const char *k)
{
    return json_string_value(json_object_get(r->json, k));
}

/* Answers a library result: 2xx with out, or the mapped error with out
 * (e.g. the denied change) in the body. */
static void reply(srv_req *r, int rc, int status, json_t *out, const wr_err *err)
{
    const char *state = json_string_value(json_object_get(out, "state"));
    const char *outcome = json_string_value(json_object_get(json_object_get(out, "decision"), "outcome"));
    if (rc == WR_OK && ((state && strcmp(state, "denied") == 0) || (!state && outcome && strcmp(outcome, "deny") == 0))) {
        /* a recorded denial (the CLI's exit 5): 403 with the change */
        const char *why = json_string_value(json_array_get(
            json_object_get(json_object_get(out, "decision"), "explanation"), 0));
        wr_err d = {WR_EDENIED, ""};
        snprintf(d.msg, sizeof d.msg, "denied: %s", why ? why : "no policy permits it");
        srv_fail(r, &d, json_pack("{s:o}", "change", out));
        return;
    }
    if (rc == WR_OK) {
        srv_json(r, status, out ? out : json_object());
        return;
    }
    srv_fail(r, err, out ? json_pack("{s:o}", "change", out) : NULL);
}

static void reply_items(srv_req *r, int rc, json_t *arr, const wr_err *err)
{
    if (rc == WR_OK)
        srv_json(r, 200, json_pack("{s:o}", "items", arr));
    else
        srv_fail(r, err, NULL);
}

/* Parses an optional non-negative integer query argument; 0 on success. */
int srv_query_int(srv_req *r, const char *key, long long lo, long long hi, long long *out, int *present)
{
    const char *v = srv_query(r, key);
    *present = v != NULL;
    if (!v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < lo || n > hi) {
        srv_error(r, 400, NULL, "query argument '%s' must be a whole number in %lld..%lld", key, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

/* ---- governed reads ------------------------------------------------------------ */
int srv_is_ai(srv_req *r)
{
    json_t *p = NULL;
    if (wr_principal_get(r->w->ctx, r->who.principal, &p, NULL) != WR_OK)
        return 1;   /* not known as a person: the read check decides */
    int ai = strcmp(json_string_value(json_object_get(p, "kind")), "human") != 0;
    json_decref(p);
    return ai;
}

int srv_read_ok(srv_req *r, const char *what, const char *scope, const char *id)
{
    if (!srv_is_ai(r))
        return 1;
    wr_err err = {0};
    wr_actor a = srv_actor(r);
    if (wr_read_check(r->w->ctx, &a, what, scope, id, NULL, &err) == WR_OK)
        return 1;
    srv_fail(r, &err, NULL);
    return 0;
}

/* ---- who am I, tokens ---------------------------------------------------------- */
void h_whoami(srv_req *r)
{
    srv_json(r, 200, json_pack("{s:s,s:s?,s:s}", "principal", r->who.principal, "on_behalf_of",
                               r->who.on_behalf_of[0] ? r->who.on_behalf_of : NULL, "token", r->who.id));
}

void h_tokens_list(srv_req *r)
{
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_token_list(r->w->ctx, r->who.principal, &out, &err);
    reply_items(r, rc, out, &err);
}

void h_tokens_revoke(srv_req *r)
{
    wr_err err = {0};
    int rc = wr_token_revoke(r->w->ctx, r->who.principal, r->params[0], &err);
    reply(r, rc, 200, json_pack("{s:s,s:s}", "id", r->params[0], "state", "revoked"), &err);
}

/* ---- principals ------------------------------------------------------------------ */
void h_principals_list(srv_req *r)
{
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_principal_list(r->w->ctx, &out, &err);
    reply_items(r, rc, out, &err);
}

void h_principals_add(srv_req *r)
{
    json_t *spec = spec_body(r), *out = NULL;
    if (!spec)
        return;
    wr_err err = {0};
    wr_actor a = srv_actor(r);
    int rc = wr_principal_add(r->w->ctx, &a, spec, &out, &err);
    reply(r, rc, 201, out, &err);
}

void h_principals_get(srv_req *r)
{
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_principal_get(r->w->ctx, r->params[0], &out, &err);
    reply(r, rc, 200, out, &err);
}

/* ---- mandates --------------------------------------------------------------------- */
void h_mandates_list(srv_req *r)
{
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_mandate_list(r->w->ctx, srv_query(r, "agent"), &out, &err);
    reply_items(r, rc, out, &err);
}

void h_mandates_create(srv_req *r)
{
    json_t *spec = spec_body(r), *out = NULL;
    if (!spec)
        return;
    wr_err err = {0};
    wr_actor a = srv_actor(r);
    int rc = wr_mandate_create(r->w->ctx, &a, spec, &out, &err);
    reply(r, rc, 201, out, &err);
}

void h_mandates_get(srv_req *r)
{
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_mandate_get(r->w->ctx, r->params[0], &out, &err);
    reply(r, rc, 200, out, &err);
}

static const field evidence_fields[] = {{"evidence", JSON_ARRAY, 0}, {NULL, 0, 0}};

void h_mandates_close(srv_req *r)
{
    if (!body_ok(r, evidence_fields))
        return;
    wr_err err = {0};
    json_t *out = NULL, *ev = json_object_get(r->json, "evidence"), *empty = json_array();
    wr_actor a = srv_actor(r);
    int rc = wr_mandate_close(r->w->ctx, &a, r->params[0], ev ? ev : empty, &out, &err);
    json_decref(empty);
    reply(r, rc, 200, out, &err);
}

/* ---- changes ------------------------------------------------------------------------ */
void h_changes_list(srv_req *r)
{
    long long limit = 100, offset = 0;
    int hl, ho;
    if (srv_query_int(r, "limit", 1, 1000, &limit, &hl) || srv_query_int(r, "offset", 0, 1000000000, &offset, &ho))
        return;
    const char *approver = srv_query(r, "pending_for");
    if (approver && strcmp(approver, "me") == 0)   /* the console's inbox */
        approver = r->who.principal;
    json_t *filter = json_pack("{s:s?,s:s?,s:s?,s:s?,s:I,s:I}", "state", srv_query(r, "state"), "initiator",
                               srv_query(r, "initiator"), "system", srv_query(r, "system"), "approver", approver,
                               "limit", (json_int_t)limit, "offset", (json_int_t)offset);
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor a = srv_actor(r);
    /* an AI principal's list holds only what it may read */
    int rc = srv_is_ai(r) ? wr_change_list_readable(r->w->ctx, &a, filter, &out, &err)
                          : wr_change_list(r->w->ctx, filter, &out, &err);
    json_decref(filter);
    if (rc) {
        srv_fail(r, &err, NULL);
        return;
    }
    json_t *page = json_pack("{s:o,s:I,s:I}", "items", out, "limit", (json_int_t)limit, "offset", (json_int_t)offset);
    if ((long long)json_array_size(out) == limit)
        json_object_set_new(page, "next_offset", json_integer(offset + limit));
    srv_json(r, 200, page);
}

void h_changes_propose(srv_req *r)
{
    json_t *req = spec_body(r), *out = NULL;
    if (!req)
        return;
    wr_err err = {0};
    wr_actor a = srv_actor(r);
    int rc = wr_change_propose(r->w->ctx, &a, req, &out, &err);
    reply(r, rc, out && json_object_get(out, "state") ? 201 : 200, out, &err);
}

void h_changes_get(srv_req *r)
{
    if (!srv_read_ok(r, "change", NULL, r->params[0]))
        return;
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_change_get(r->w->ctx, r->params[0], &out, &err);
    reply(r, rc, 200, out, &err);
}

void h_changes_lineage(srv_req *r)
{
    if (!srv_read_ok(r, "change", NULL, r->params[0]))
        return;
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_change_lineage(r->w->ctx, r->params[0], &out, &err);
    reply(r, rc, 200, out, &err);
}

typedef int (*reason_fn)(wr_ctx *, const wr_actor *, const char *, const char *, json_t **, wr_err *);
typedef int (*plain_fn)(wr_ctx *, const wr_actor *, const char *, json_t **, wr_err *);

static const field reason_fields[] = {{"reason", JSON_STRING, 1}, {NULL, 0, 0}};
static const field no_fields[] = {{NULL, 0, 0}};

static void with_reason(srv_req *r, reason_fn fn)
{
    if (!body_ok(r, reason_fields))
        return;
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor a = srv_actor(r);
    int rc = fn(r->w->ctx, &a, r->params[0], body_str(r, "reason"), &out, &err);
    reply(r, rc, 200, out, &err);
}

static void plain(srv_req *r, plain_fn fn)
{
    if (!body_ok(r, no_fields))
        return;
    wr_err err = {0};
    json_t *out = NULL;
    wr_actor a = srv_actor(r);
    int rc = fn(r->w->ctx, &a, r->params[0], &out, &err);
    reply(r, rc, 200, out, &err);
}

void h_changes_approve(srv_req *r) { with_reason(r, wr_change_approve); }
void h_changes_reject(srv_req *r) { with_reason(r, wr_change_reject); }
void h_changes_rollback(srv_req *r) { with_reason(r, wr_change_rollback); }
void h_changes_execute(srv_req *r) { plain(r, wr_change_execute); }
void h_changes_validate(srv_req *r) { plain(r, wr_change_validate); }

void h_changes_close(srv_req *r)
{
    if (!body_ok(r, evidence_fields))
        return;
    wr_err err = {0};
    json_t *out = NULL, *ev = json_object_get(r->json, "evidence"), *empty = json_array();
    wr_actor a = srv_actor(r);
    int rc = wr_change_close(r->w->ctx, &a, r->params[0], ev ? ev : empty, &out, &err);
    json_decref(empty);
    reply(r, rc, 200, out, &err);
}

/* ---- decisions, readiness, inventory ------------------------------------------------------ */
void h_decisions(srv_req *r)
{
    json_t *req = spec_body(r), *out = NULL;
    if (!req)
        return;
    wr_err err = {0};
    wr_actor a = srv_actor(r);
    int rc = wr_decide(r->w->ctx, &a, req, &out, &err);
    if (rc == WR_OK) {
        const char *o = json_string_value(json_object_get(out, "outcome"));
        int slot = !o ? SRV_DEC_ERROR : strcmp(o, "allow") == 0 ? SRV_DEC_ALLOW
                   : strcmp(o, "deny") == 0 ? SRV_DEC_DENY : SRV_DEC_APPROVAL;
        atomic_fetch_add(&r->srv->metrics.decisions[slot], 1);
    }
    reply(r, rc, 200, out, &err);
}

int srv_readiness_scope(srv_req *r, const char **scope, const char **id)
{
    *scope = srv_query(r, "scope");
    *id = srv_query(r, "id");
    if (!*scope)
        *scope = "overall";
    if (strcmp(*scope, "overall") != 0 && strcmp(*scope, "system") != 0 && strcmp(*scope, "domain") != 0) {
        srv_error(r, 400, NULL, "query argument 'scope' must be overall, system or domain");
        return -1;
    }
    if ((strcmp(*scope, "overall") == 0) != (*id == NULL)) {
        srv_error(r, 400, NULL, "query argument 'id' is required for scope %s, and only for it", *scope);
        return -1;
    }
    return 0;
}

void h_readiness(srv_req *r)
{
    const char *scope, *id;
    if (srv_readiness_scope(r, &scope, &id) || !srv_read_ok(r, "readiness", scope, id))
        return;
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_readiness_compute(wr_ctx_store(r->w->ctx), scope, id, &out, &err);
    reply(r, rc, 200, out, &err);
}

void h_inventory(srv_req *r)
{
    long long limit = 100, offset = 0;
    int hl, ho;
    if (srv_query_int(r, "limit", 1, 10000, &limit, &hl) || srv_query_int(r, "offset", 0, 1000000000, &offset, &ho))
        return;
    wr_inventory_query q = {srv_query(r, "kind"), srv_query(r, "system"), srv_query(r, "identity"),
                            srv_query(r, "filter"), limit, offset};
    /* without a system the search reads every system */
    if (!srv_read_ok(r, "inventory", q.system ? "system" : "overall", q.system))
        return;
    wr_err err = {0};
    json_t *out = NULL;
    int rc = wr_inventory_search(wr_ctx_store(r->w->ctx), &q, &out, &err);
    reply(r, rc, 200, out, &err);
}
