/*
 * tools_read.c — the MCP tools that change nothing: whoami, readiness,
 * search_inventory and check_access.  Reading readiness and the inventory
 * is governed (wr_read_check): an agent reads only its mandates' systems,
 * a copilot only what its human may read.
 *
 * whoami answers "what may I do, and where?" without a policy language:
 * for each system in the caller's reach (an agent's mandate systems; for a
 * copilot or service, the systems of the inventory, at most WHOAMI_SYSTEMS)
 * it picks a sample resource per action and asks wr_decide in each of the
 * four modes.  Those are the same decisions check_access gives, so the
 * summary never claims more than policy grants; specific resources can be
 * stricter (e.g. admin entitlements), which check_access answers exactly.
 */
#include "mcp_internal.h"

#include <stdio.h>
#include <string.h>

#define WHOAMI_SYSTEMS 8

static const char *sget(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A sample operation of action on system, or NULL when the inventory has
 * nothing to try it on. */
static json_t *sample_op(wr_store *st, const char *system, const char *action)
{
    wr_inventory_query q = {NULL, system, NULL, NULL, 1, 0};
    json_t *res = NULL, *op = NULL;
    if (strcmp(action, "revoke") == 0) {
        q.kind = "grants";
        if (wr_inventory_search(st, &q, &res, NULL) == WR_OK && json_array_size(json_object_get(res, "items"))) {
            json_t *g = json_array_get(json_object_get(res, "items"), 0);
            op = json_pack("{s:s,s:s,s:s}", "op", "revoke", "account", sget(g, "account"), "entitlement",
                           sget(g, "entitlement"));
        }
        json_decref(res);
        return op;
    }
    q.kind = "accounts";
    if (wr_inventory_search(st, &q, &res, NULL) != WR_OK || !json_array_size(json_object_get(res, "items"))) {
        json_decref(res);
        return NULL;
    }
    const char *account = sget(json_array_get(json_object_get(res, "items"), 0), "id");
    if (strcmp(action, "grant") != 0) {
        op = json_pack("{s:s,s:s}", "op", action, "account", account);
        json_decref(res);
        return op;
    }
    /* grant: prefer an ordinary entitlement, the common case */
    json_t *ents = NULL;
    wr_inventory_query qe = {"entitlements", system, NULL, NULL, 50, 0};
    if (wr_inventory_search(st, &qe, &ents, NULL) == WR_OK) {
        json_t *items = json_object_get(ents, "items"), *pick = json_array_get(items, 0), *e;
        size_t i;
        json_array_foreach(items, i, e)
            if (sget(e, "privilege") && strcmp(sget(e, "privilege"), "standard") == 0) {
                pick = e;
                break;
            }
        if (pick)
            op = json_pack("{s:s,s:s,s:s}", "op", "grant", "account", account, "entitlement", sget(pick, "id"));
    }
    json_decref(ents);
    json_decref(res);
    return op;
}

/* {"advise":"allow",...} for op by the caller (under mandate, if any). */
static json_t *probe_modes(mcp_call *c, const json_t *op, const char *mandate)
{
    static const char *const modes[] = {"advise", "draft", "recommend", "execute"};
    json_t *res = json_object();
    for (size_t m = 0; m < 4; m++) {
        json_t *req = json_pack("{s:s,s:s,s:[O],s:s?}", "mode", modes[m], "environment", "production",
                                "operations", op, "mandate", mandate);
        json_t *d = NULL;
        wr_err err = {0};
        if (wr_decide(c->s->ctx, &c->actor, req, &d, &err) == WR_OK)
            json_object_set(res, modes[m], json_object_get(d, "outcome"));
        else
            json_object_set_new(res, modes[m], json_string(wr_status_name(err.code)));
        json_decref(d);
        json_decref(req);
    }
    return res;
}

/* Probes each action of the mandate (every action for "*" or without a
 * mandate) that the inventory of system has a sample for. */
static void probe_system(mcp_call *c, json_t *may, const char *system, const json_t *actions, const char *mandate)
{
    static const char *const all[] = {"grant", "revoke", "disable", "enable"};
    wr_store *st = wr_ctx_store(c->s->ctx);
    for (size_t a = 0; a < 4; a++) {
        int wanted = actions == NULL;
        size_t i;
        json_t *v;
        json_array_foreach(actions, i, v) {
            const char *name = json_string_value(v);
            wanted |= name && (strcmp(name, "*") == 0 || strcmp(name, all[a]) == 0);
        }
        json_t *op = wanted ? sample_op(st, system, all[a]) : NULL;
        if (!op)
            continue;
        json_t *row = json_pack("{s:s,s:s,s:O,s:o}", "system", system, "action", all[a], "sample", op, "modes",
                                probe_modes(c, op, mandate));
        if (mandate)
            json_object_set_new(row, "mandate", json_string(mandate));
        json_array_append_new(may, row);
        json_decref(op);
    }
}

int mcp_tool_whoami(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    (void)args;
    wr_ctx *ctx = c->s->ctx;
    json_t *p = NULL, *all = NULL;
    int rc = wr_principal_get(ctx, c->s->principal, &p, err);
    if (rc)
        return rc;
    const char *kind = sget(p, "kind");
    const char *human = sget(p, "on_behalf_of") ? sget(p, "on_behalf_of") : sget(p, "owner");
    json_t *mandates = json_array(), *may = json_array();
    if (strcmp(kind, "agent") == 0) {
        if ((rc = wr_mandate_list(ctx, c->s->principal, &all, err)))
            goto out;
        size_t i;
        json_t *m;
        json_array_foreach(all, i, m) {
            if (strcmp(sget(m, "state"), "active") != 0)
                continue;
            json_t *view = json_deep_copy(m);
            json_object_set_new(view, "remaining", json_integer(json_integer_value(json_object_get(m, "max_changes")) -
                                                                json_integer_value(json_object_get(m, "used"))));
            json_array_append_new(mandates, view);
            size_t j;
            json_t *sys;
            json_array_foreach(json_object_get(m, "systems"), j, sys)
                if (j < WHOAMI_SYSTEMS && strcmp(json_string_value(sys), "*") != 0)
                    probe_system(c, may, json_string_value(sys), json_object_get(m, "actions"), sget(m, "id"));
        }
    } else {
        /* the systems of the inventory, in id order */
        json_t *ents = NULL, *seen = json_object();
        wr_inventory_query q = {"entitlements", NULL, NULL, NULL, 1000, 0};
        if ((rc = wr_inventory_search(wr_ctx_store(ctx), &q, &ents, err))) {
            json_decref(seen);
            goto out;
        }
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(ents, "items"), i, e) {
            const char *sys = sget(e, "system");
            if (!sys || json_object_get(seen, sys) || json_object_size(seen) >= WHOAMI_SYSTEMS)
                continue;
            json_object_set_new(seen, sys, json_true());
            probe_system(c, may, sys, NULL, NULL);
        }
        json_decref(ents);
        json_decref(seen);
    }
    const char *rel = sget(p, "on_behalf_of") ? "on_behalf_of" : sget(p, "owner") ? "owner" : NULL;
    char summary[512];
    snprintf(summary, sizeof summary, "%s (kind %s)%s%s%s; %zu active mandate(s); every call is recorded on channel "
             "mcp:%s:<tool>", c->s->principal, kind, human ? " accountable to " : "", human ? human : "",
             rel && strcmp(rel, "on_behalf_of") == 0 ? " (acts on their behalf; never exceeds their authority)" : "",
             json_array_size(mandates), c->s->id);
    *out = json_pack("{s:s,s:s,s:s?,s:s,s:s?,s:s?,s:o,s:o,s:s,s:s}", "principal", c->s->principal, "kind", kind,
                     "name", sget(p, "name"), "session", c->s->id, "accountable_human", human, "relationship", rel,
                     "mandates", mandates, "may", may, "note",
                     "modes per system and action are policy decisions on a sample resource; use check_access for "
                     "an exact answer", "summary", summary);
    mandates = may = NULL;
out:
    json_decref(mandates);
    json_decref(may);
    json_decref(all);
    json_decref(p);
    return rc;
}

int mcp_tool_readiness(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    const char *scope = sget(args, "scope"), *id = sget(args, "id");
    if (!scope)
        scope = "overall";
    if (strcmp(scope, "overall") == 0 && id)
        return wr_fail(err, WR_EINVAL, "$.arguments.id: not used with scope overall");
    if (strcmp(scope, "overall") != 0 && !id)
        return wr_fail(err, WR_EINVAL, "$.arguments.id: required with scope %s", scope);
    json_t *m = NULL;
    int rc = mcp_read_check(c, "readiness", scope, id, err);
    if (rc || (rc = wr_readiness_compute(wr_ctx_store(c->s->ctx), scope, id, &m, err)))
        return rc;
    char summary[256];
    snprintf(summary, sizeof summary, "readiness of %s%s%s", scope, id ? " " : "", id ? id : "");
    *out = json_pack("{s:s,s:s?,s:o,s:s}", "scope", scope, "id", id, "metrics", m, "summary", summary);
    return WR_OK;
}

int mcp_tool_search_inventory(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    json_t *lim = json_object_get(args, "limit"), *off = json_object_get(args, "offset");
    wr_inventory_query q = {sget(args, "kind") ? sget(args, "kind") : "identities", sget(args, "system"),
                            sget(args, "identity"), sget(args, "filter"),
                            lim ? (int64_t)json_number_value(lim) : 20, off ? (int64_t)json_number_value(off) : 0};
    json_t *res = NULL;
    /* a search without a system reads every system: an agent names one of
     * its mandate's systems (governed reads, wr_read_check) */
    int rc = mcp_read_check(c, "inventory", q.system ? "system" : "overall", q.system, err);
    if (rc || (rc = wr_inventory_search(wr_ctx_store(c->s->ctx), &q, &res, err)))
        return rc;
    json_int_t total = json_integer_value(json_object_get(res, "total"));
    json_int_t next = q.offset + (json_int_t)json_array_size(json_object_get(res, "items"));
    if (next < total)
        json_object_set_new(res, "next_offset", json_integer(next));
    char summary[256];
    snprintf(summary, sizeof summary, "%zu of %lld %s from offset %lld", json_array_size(json_object_get(res, "items")),
             (long long)total, q.kind, (long long)q.offset);
    json_object_set_new(res, "summary", json_string(summary));
    *out = res;
    return WR_OK;
}

int mcp_tool_check_access(mcp_call *c, const json_t *args, json_t **out, wr_err *err)
{
    const char *mode = sget(args, "mode") ? sget(args, "mode") : "execute";
    const char *env = sget(args, "environment") ? sget(args, "environment") : "production";
    json_t *req = json_pack("{s:s,s:s,s:O,s:s?}", "mode", mode, "environment", env, "operations",
                            json_object_get(args, "operations"), "mandate", sget(args, "mandate"));
    json_t *d = NULL;
    int rc = wr_decide(c->s->ctx, &c->actor, req, &d, err);
    json_decref(req);
    if (rc)
        return rc;
    json_t *res = mcp_governance_detail(d);
    char summary[2048];
    mcp_outcome_summary(res, summary, sizeof summary);
    json_object_set_new(res, "summary", json_string(summary));
    json_object_set_new(res, "mode", json_string(mode));
    json_object_set_new(res, "environment", json_string(env));
    json_object_set(res, "readiness", json_object_get(d, "readiness"));
    c->is_error = strcmp(sget(d, "outcome"), "allow") != 0;
    json_decref(d);
    *out = res;
    return WR_OK;
}
