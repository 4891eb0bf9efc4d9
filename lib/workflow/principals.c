/*
 * principals.c — the actors of Warrant: humans, copilots, agents, services.
 *
 * A principal row holds its kind and the links that define its authority:
 * a copilot's on_behalf_of (its human), an agent's or service's owner (the
 * accountable human).  Humans carry roles (security, compliance, risk,
 * audit, it) that route approvals.  The links are checked when the
 * principal is added — a copilot must act for an existing active human,
 * an agent must be owned by one — so every later decision can rely on them.
 */
#include "workflow_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_roles[] = {"security", "compliance", "risk", "audit", "it"};

int wf_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > WF_MAX_ID)
        return 0;
    for (const char *c = id; *c; c++)
        if (!(isalnum((unsigned char)*c) || strchr("._@-", *c)))
            return 0;
    return 1;
}

static json_t *row_json(wr_stmt *st, void *arg)
{
    (void)arg;
    json_t *roles = json_loads(wr_stmt_text(st, 4) ? wr_stmt_text(st, 4) : "[]", 0, NULL);
    json_t *p = json_pack("{s:s,s:s,s:s?,s:s?,s:o,s:s?,s:s?,s:s}",
                          "id", wr_stmt_text(st, 0), "kind", wr_stmt_text(st, 1),
                          "name", wr_stmt_text(st, 2), "email", wr_stmt_text(st, 3),
                          "roles", roles ? roles : json_array(),
                          "on_behalf_of", wr_stmt_text(st, 5), "owner", wr_stmt_text(st, 6),
                          "status", wr_stmt_text(st, 7));
    char ts[21];
    wr_time_format(wr_stmt_int(st, 8), ts);
    json_object_set_new(p, "created_at", json_string(ts));
    return p;
}

#define PRINCIPAL_COLS "id, kind, name, email, roles, on_behalf_of, owner, status, created_at"

int wf_principal_load(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc;
    if (!wf_id_valid(id))
        return wr_fail(err, WR_EINVAL, "invalid principal id '%s'", id ? id : "");
    if ((rc = wr_stmt_prepare(ctx->store, "SELECT " PRINCIPAL_COLS " FROM principals WHERE id=?", &st, err)))
        return rc;
    wr_stmt_bind_text(st, 1, id);
    rc = wr_stmt_step(st, err);
    if (rc == 1)
        *out = row_json(st, NULL);
    wr_stmt_done(st);
    if (rc == 0)
        return wr_fail(err, WR_ENOTFOUND, "unknown principal '%s'", id);
    return rc < 0 ? rc : WR_OK;
}

int wr_principal_get(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    return wf_principal_load(ctx, id, out, err);
}

int wf_actor_load(wr_ctx *ctx, const wr_actor *actor, json_t **out, wr_err *err)
{
    if (!actor || !actor->principal)
        return wr_fail(err, WR_EINVAL, "no acting principal: say who acts (--as PRINCIPAL)");
    int rc = wf_principal_load(ctx, actor->principal, out, err);
    if (rc)
        return rc;
    if (strcmp(json_string_value(json_object_get(*out, "status")), "active") != 0) {
        json_decref(*out);
        *out = NULL;
        return wr_fail(err, WR_EDENIED, "principal '%s' is not active", actor->principal);
    }
    return WR_OK;
}

int wf_is_ai(const json_t *p)
{
    return strcmp(json_string_value(json_object_get(p, "kind")), "human") != 0;
}

json_t *wf_actor_json(const json_t *p, const wr_actor *actor)
{
    json_t *a = json_pack("{s:O,s:O}", "id", json_object_get(p, "id"), "kind", json_object_get(p, "kind"));
    json_t *v;
    if ((v = json_object_get(p, "on_behalf_of")))
        json_object_set(a, "on_behalf_of", v);
    if ((v = json_object_get(p, "owner")))
        json_object_set(a, "owner", v);
    (void)actor;
    return a;
}

int wr_principal_list(wr_ctx *ctx, json_t **out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(ctx->store, "SELECT " PRINCIPAL_COLS " FROM principals ORDER BY kind, id", &st, err);
    if (rc)
        return rc;
    return wr_stmt_collect(st, row_json, NULL, 0, out, err);
}

static const char *opt_str(const json_t *spec, const char *key, int *bad)
{
    json_t *v = json_object_get(spec, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

/* Checks that id names an active human principal. */
static int require_human(wr_ctx *ctx, const char *id, const char *what, wr_err *err)
{
    json_t *h = NULL;
    int rc = wf_principal_load(ctx, id, &h, err);
    if (rc)
        return wr_fail_wrap(err, "%s", what);
    if (strcmp(json_string_value(json_object_get(h, "kind")), "human") != 0 ||
        strcmp(json_string_value(json_object_get(h, "status")), "active") != 0)
        rc = wr_fail(err, WR_EINVAL, "%s: '%s' is not an active human principal", what, id);
    json_decref(h);
    return rc;
}

int wr_principal_add(wr_ctx *ctx, const wr_actor *actor, const json_t *spec, json_t **out, wr_err *err)
{
    int bad = 0, rc;
    if (!json_is_object(spec))
        return wr_fail(err, WR_EINVAL, "principal: expected a JSON object");
    const char *id = opt_str(spec, "id", &bad), *kind = opt_str(spec, "kind", &bad),
               *name = opt_str(spec, "name", &bad), *email = opt_str(spec, "email", &bad),
               *obo = opt_str(spec, "on_behalf_of", &bad), *owner = opt_str(spec, "owner", &bad);
    if (bad)
        return wr_fail(err, WR_EINVAL, "principal: id, kind, name, email, on_behalf_of and owner must be strings");
    if (!wf_id_valid(id))
        return wr_fail(err, WR_EINVAL, "principal: id '%s' must be 1-%d characters of letters, digits, '.', '_', '@', '-'",
                       id ? id : "", WF_MAX_ID);
    if (!kind || !(strcmp(kind, "human") == 0 || strcmp(kind, "copilot") == 0 ||
                   strcmp(kind, "agent") == 0 || strcmp(kind, "service") == 0))
        return wr_fail(err, WR_EINVAL, "principal %s: kind must be human, copilot, agent or service", id);
    json_t *roles = json_object_get(spec, "roles");
    if (roles && !json_is_array(roles))
        return wr_fail(err, WR_EINVAL, "principal %s: roles must be an array", id);
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r) {
        int known = 0;
        for (size_t k = 0; k < sizeof known_roles / sizeof known_roles[0]; k++)
            known |= json_is_string(r) && strcmp(json_string_value(r), known_roles[k]) == 0;
        if (!known)
            return wr_fail(err, WR_EINVAL, "principal %s: roles[%zu]: expected one of security, compliance, "
                           "risk, audit, it", id, i);
    }
    if (strcmp(kind, "human") != 0 && roles && json_array_size(roles))
        return wr_fail(err, WR_EINVAL, "principal %s: only humans hold approval roles", id);
    if (strcmp(kind, "copilot") == 0 && !obo)
        return wr_fail(err, WR_EINVAL, "principal %s: a copilot needs on_behalf_of (its human)", id);
    if (strcmp(kind, "copilot") != 0 && obo)
        return wr_fail(err, WR_EINVAL, "principal %s: only a copilot acts on behalf of a human", id);
    if ((strcmp(kind, "agent") == 0 || strcmp(kind, "service") == 0) && !owner)
        return wr_fail(err, WR_EINVAL, "principal %s: an %s needs an accountable human owner", id, kind);
    if ((strcmp(kind, "human") == 0 || strcmp(kind, "copilot") == 0) && owner)
        return wr_fail(err, WR_EINVAL, "principal %s: a %s has no owner", id, kind);

    if ((rc = wr_store_begin(ctx->store, err)))
        return rc;
    json_t *actor_p = NULL, *existing = NULL, *entry = NULL;
    /* Without --as, the local administrator of the data directory adds
     * principals (bootstrap); the log records no principal for them.  A
     * named actor must be a human. */
    wr_stmt *st;
    if (actor && actor->principal) {
        if ((rc = wf_actor_load(ctx, actor, &actor_p, err)))
            goto fail;
        if (wf_is_ai(actor_p)) {
            rc = wr_fail(err, WR_EDENIED, "principal: only a human may add principals (%s is a %s)",
                         actor->principal, json_string_value(json_object_get(actor_p, "kind")));
            goto fail;
        }
    }
    if (wf_principal_load(ctx, id, &existing, NULL) == WR_OK) {
        rc = wr_fail(err, WR_ECONFLICT, "principal '%s' already exists", id);
        goto fail;
    }
    if ((obo && (rc = require_human(ctx, obo, "on_behalf_of", err))) ||
        (owner && (rc = require_human(ctx, owner, "owner", err))))
        goto fail;
    char *roles_text = roles ? json_dumps(roles, JSON_COMPACT) : strdup("[]");
    if ((rc = wr_stmt_prepare(ctx->store,
                              "INSERT INTO principals(id, kind, name, email, roles, on_behalf_of, owner, created_at) "
                              "VALUES(?,?,?,?,?,?,?,?)", &st, err))) {
        free(roles_text);
        goto fail;
    }
    wr_stmt_bind_text(st, 1, id);
    wr_stmt_bind_text(st, 2, kind);
    wr_stmt_bind_text(st, 3, name);
    wr_stmt_bind_text(st, 4, email);
    wr_stmt_bind_text(st, 5, roles_text);
    wr_stmt_bind_text(st, 6, obo);
    wr_stmt_bind_text(st, 7, owner);
    wr_stmt_bind_int(st, 8, wr_now());
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    free(roles_text);
    if (rc < 0)
        goto fail;
    json_t *added = NULL;
    if ((rc = wf_principal_load(ctx, id, &added, err)))
        goto fail;
    entry = wf_entry_new("principal.added", actor_p, actor);
    json_object_set(entry, "principal", added);
    if ((rc = wf_log(ctx, entry, NULL, NULL, err)) || (rc = wr_store_commit(ctx->store, err))) {
        json_decref(added);
        goto fail;
    }
    json_decref(entry);
    json_decref(actor_p);
    if (out)
        *out = added;
    else
        json_decref(added);
    return WR_OK;
fail:
    wr_store_rollback(ctx->store);
    json_decref(entry);
    json_decref(existing);
    json_decref(actor_p);
    return rc;
}
