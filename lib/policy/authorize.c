/*
 * authorize.c — wr_authz scratch space and the decision procedure.
 *
 * A decision: reset the scratch arena; turn the request into values (the
 * context JSON interpreted with the schema's context type for the action);
 * gather candidate policies from the scope index (the lists for the
 * principal, action and resource uids and all their ancestors, plus the
 * wildcard list), deduplicated with an epoch-stamped array so no clearing
 * is needed; evaluate each candidate; then apply Cedar's rule: any
 * satisfied forbid denies (reason = the satisfied forbids), else any
 * satisfied permit allows (reason = the satisfied permits), else deny.
 * Policies that raised an error are skipped and listed with messages.
 * Everything lives in the scratch, so after warm-up there is no malloc.
 */
#include "policy/cedar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wr_authz {
    carena arena;
    uint32_t *stamp;             /* per policy index: epoch when last gathered */
    size_t nstamp;
    uint32_t epoch;
};

int wr_authz_new(wr_authz **out)
{
    wr_authz *a = calloc(1, sizeof *a);
    if (!a)
        return WR_ENOMEM;
    a->arena.max = (size_t)256 << 20;
    *out = a;
    return WR_OK;
}

void wr_authz_free(wr_authz *a)
{
    if (!a)
        return;
    ca_free(&a->arena);
    free(a->stamp);
    free(a);
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

typedef struct gather {
    wr_authz *a;
    uint32_t *cand;
    size_t n;
} gather;

static void take(gather *g, const cindex_list *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        uint32_t p = l->v[i];
        if (g->a->stamp[p] == g->a->epoch)
            continue;
        g->a->stamp[p] = g->a->epoch;
        g->cand[g->n++] = p;
    }
}

/* Lists under uid and under each of its ancestors. */
static void take_uid(gather *g, const cindex *ix, const wr_entities *ents, const cv *u)
{
    if (!ix->nlists)
        return;
    uint32_t li = cuidmap_get(&ix->map, u->u.e.ty, u->u.e.id, u->u.e.idn);
    if (li != UINT32_MAX)
        take(g, &ix->lists[li]);
    const cnode *n = centities_get(ents, u->u.e.ty, u->u.e.id, u->u.e.idn);
    for (size_t k = 0; n && k < n->nanc; k++) {
        const cnode *an = &ents->nodes[n->anc[k]];
        li = cuidmap_get(&ix->map, an->ty, an->id, an->idn);
        if (li != UINT32_MAX)
            take(g, &ix->lists[li]);
    }
}

static void set_uid(cv *v, const char *ty, const char *id)
{
    memset(v, 0, sizeof *v);
    v->k = CV_ENT;
    v->u.e.ty = ty;
    v->u.e.id = id;
    v->u.e.idn = strlen(id);
}

int wr_authorize(wr_authz *a, const wr_policy_set *ps, const wr_entities *ents,
                 const wr_request *req, wr_response *out, wr_err *err)
{
    if (!a || !ps || !req || !out)
        return wr_fail(err, WR_EINVAL, "wr_authorize: missing argument");
    if (!req->principal_type || !req->principal_id || !req->action_type || !req->action_id ||
        !req->resource_type || !req->resource_id || !req->principal_type[0] ||
        !req->action_type[0] || !req->resource_type[0])
        return wr_fail(err, WR_EINVAL, "request: principal, action and resource need a type and an id");
    if (!ps->index_ok)
        return wr_fail(err, WR_EINTERNAL, "policy set index is not built");
    ca_reset(&a->arena);
    ceval ev;
    memset(&ev, 0, sizeof ev);
    ev.arena = &a->arena;
    ev.ents = ents;
    set_uid(&ev.var[VAR_PRINCIPAL], req->principal_type, req->principal_id);
    set_uid(&ev.var[VAR_ACTION], req->action_type, req->action_id);
    set_uid(&ev.var[VAR_RESOURCE], req->resource_type, req->resource_id);
    const cstype *ctx_t = NULL;
    if (req->schema) {
        const csaction *act = cschema_action(req->schema, req->action_type, req->action_id);
        if (!act)
            return wr_fail(err, WR_EINVAL, "request: action %s::\"%s\" is not declared in the schema",
                           req->action_type, req->action_id);
        ctx_t = act->context;
    }
    if (req->context && !json_is_null(req->context)) {
        if (!json_is_object(req->context))
            return wr_fail(err, WR_EINVAL, "context: expected a JSON object");
        if (cv_from_json(&a->arena, req->context, ctx_t, req->schema, "context", 1,
                         &ev.var[VAR_CONTEXT], err))
            return err ? err->code : WR_EINVAL;
    } else {
        if (ctx_t) {
            for (size_t k = 0; k < ctx_t->nattr; k++)
                if (ctx_t->attr_required[k])
                    return wr_fail(err, WR_EINVAL, "context: required attribute '%s' is missing",
                                   ctx_t->attr_names[k]);
        }
        ev.var[VAR_CONTEXT].k = CV_REC;
    }

    /* candidates */
    if (a->nstamp < ps->n) {
        uint32_t *ns = realloc(a->stamp, ps->n * sizeof *ns);
        if (!ns)
            return wr_fail(err, WR_ENOMEM, "out of memory");
        memset(ns + a->nstamp, 0, (ps->n - a->nstamp) * sizeof *ns);
        a->stamp = ns;
        a->nstamp = ps->n;
    }
    if (++a->epoch == 0) {
        memset(a->stamp, 0, a->nstamp * sizeof *a->stamp);
        a->epoch = 1;
    }
    gather g = {a, ca_alloc_nz(&a->arena, (ps->n ? ps->n : 1) * sizeof(uint32_t)), 0};
    if (!g.cand)
        return wr_fail(err, WR_ENOMEM, "authorization scratch limit reached");
    take(&g, &ps->wildcard);
    take_uid(&g, &ps->by_principal, ents, &ev.var[VAR_PRINCIPAL]);
    take_uid(&g, &ps->by_resource, ents, &ev.var[VAR_RESOURCE]);
    take_uid(&g, &ps->by_action, ents, &ev.var[VAR_ACTION]);
    /* result arrays sized by the candidates, not the whole set */
    size_t nc = g.n ? g.n : 1;
    const char **reason = ca_alloc_nz(&a->arena, nc * sizeof(char *));
    const char **errs = ca_alloc_nz(&a->arena, nc * sizeof(char *));
    const char **msgs = ca_alloc_nz(&a->arena, nc * sizeof(char *));
    const char **permits = ca_alloc_nz(&a->arena, nc * sizeof(char *));
    if (!reason || !errs || !msgs || !permits)
        return wr_fail(err, WR_ENOMEM, "authorization scratch limit reached");
    qsort(g.cand, g.n, sizeof *g.cand, cmp_u32);

    size_t nforbid = 0, npermit = 0, nerr = 0;
    for (size_t i = 0; i < g.n; i++) {
        const cpolicy *p = ps->pol[g.cand[i]];
        int r = ceval_policy(&ev, p);
        if (r < 0) {
            errs[nerr] = p->id;
            msgs[nerr] = ca_strndup(&a->arena, ev.msg, strlen(ev.msg));
            if (!msgs[nerr])
                msgs[nerr] = "error";
            nerr++;
        } else if (r == 1) {
            if (p->effect)
                permits[npermit++] = p->id;
            else
                reason[nforbid++] = p->id;
        }
    }
    memset(out, 0, sizeof *out);
    if (nforbid) {
        out->allow = 0;
        out->reason = reason;
        out->nreason = nforbid;
    } else {
        out->allow = npermit > 0;
        out->reason = permits;
        out->nreason = npermit;
    }
    out->error = errs;
    out->error_msg = msgs;
    out->nerror = nerr;
    return WR_OK;
}
