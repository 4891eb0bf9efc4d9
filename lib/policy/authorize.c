/*
 * authorize.c — wr_authz scratch space and the decision procedure.
 *
 * A decision: reset the scratch arena; turn the request into values (the
 * context JSON interpreted with the schema's context type for the action)
 * and resolve the principal, action and resource to their store nodes;
 * mark the scope keys each of them is `in` (itself and its ancestors,
 * computed on first use and memoised in the store, via
 * the nodes' precomputed hashes); gather candidate policy groups from the
 * scope index (cedar.h) — home lists of the marked keys, pair lists
 * filtered by the other side's marks (walking whichever side is shorter),
 * type lists, the wildcard list — deduplicated with an epoch stamp so no
 * clearing is needed; check each group's scope with O(1) mark reads,
 * evaluate its shared guard once, then its members.  Finally Cedar's rule:
 * any satisfied forbid denies (reason = the satisfied forbids), else any
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
    uint32_t *gstamp;            /* per group: epoch when last gathered */
    size_t ngstamp;
    uint32_t *mark;              /* 3 per scope key: epoch when the request is `in` it */
    size_t nmark;
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
    free(a->gstamp);
    free(a->mark);
    free(a);
}

/* Grows an epoch-stamp array to n entries (only until warm). */
static int stamps_fit(uint32_t **v, size_t *have, size_t n)
{
    if (*have >= n)
        return 0;
    uint32_t *nv = realloc(*v, n * sizeof *nv);
    if (!nv)
        return -1;
    memset(nv + *have, 0, (n - *have) * sizeof *nv);
    *v = nv;
    *have = n;
    return 0;
}

typedef struct decide {
    wr_authz *a;
    const cindex *ix;
    const wr_entities *ents;
    uint32_t epoch;
    uint32_t *mark[3];           /* per dimension, indexed by key id */
    uint32_t self[3];            /* key id of the request entity itself */
    uint32_t tkey[3];            /* type id of the request entity's type */
    uint32_t *hits[3];           /* marked key ids */
    size_t nhits[3];
    uint32_t *cand;              /* gathered groups */
    size_t ncand;
} decide;

static void take(decide *d, const cindex_list *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        uint32_t g = l->v[i];
        if (d->a->gstamp[g] == d->epoch)
            continue;
        d->a->gstamp[g] = d->epoch;
        d->cand[d->ncand++] = g;
    }
}

static void mark_key(decide *d, int dim, uint32_t k)
{
    if (k == UINT32_MAX || d->mark[dim][k] == d->epoch)
        return;
    d->mark[dim][k] = d->epoch;
    d->hits[dim][d->nhits[dim]++] = k;
}

/* Marks the keys the request entity v of dimension dim is `in`. */
static int mark_dim(decide *d, int dim, const cv *v, carena *ar)
{
    const cindex *ix = d->ix;
    const wr_entities *E = d->ents;
    uint32_t ni = centities_index(E, v);
    const cnode *n = ni == CNODE_ABSENT ? NULL : &E->nodes[ni];
    d->self[dim] = d->tkey[dim] = UINT32_MAX;
    d->nhits[dim] = 0;
    if (ix->nt && dim != CD_A)
        d->tkey[dim] = cuidmap_get(&ix->types, v->u.e.ty, "", 0);
    if (!ix->nk)
        return 0;
    /* the ancestors are computed (and memoised in the store) on first use */
    const canc *anc = n ? centities_anc(E, ni, ar) : NULL;
    if (n && !anc)
        return -1;
    size_t nanc = anc ? anc->n : 0;
    if (!(d->hits[dim] = ca_alloc_nz(ar, (nanc + 1) * sizeof(uint32_t))))
        return -1;
    uint64_t h = n ? n->hash : cuid_hash(v->u.e.ty, v->u.e.id, v->u.e.idn);
    d->self[dim] = cuidmap_get_h(&ix->keys, h, v->u.e.ty, v->u.e.id, v->u.e.idn);
    mark_key(d, dim, d->self[dim]);
    for (size_t k = 0; k < nanc; k++) {
        const cnode *an = &E->nodes[anc->v[k]];
        mark_key(d, dim, cuidmap_get_h(&ix->keys, an->hash, an->ty, an->id, an->idn));
    }
    return 0;
}

static bool dim_ok(const decide *d, int dim, const cscopek *c)
{
    const uint32_t *m = d->mark[dim];
    switch (c->kind) {
    case CS_ANY:
        return true;
    case CS_EQ:
        return d->self[dim] == c->key;
    case CS_IN:
        if (c->list) {
            for (uint32_t i = 0; i < c->nkeys; i++)
                if (m[c->keys[i]] == d->epoch)
                    return true;
            return false;
        }
        return m[c->key] == d->epoch;
    case CS_IS:
        return d->tkey[dim] == c->tkey;
    case CS_IS_IN:
        return d->tkey[dim] == c->tkey && m[c->key] == d->epoch;
    default:
        return false;
    }
}

/* Pair lists: walk the side whose lists are shorter, keep the entries
 * whose other key is marked on the other side. */
static void take_pairs(decide *d)
{
    size_t sum[2] = {0, 0};
    const int dims[2] = {CD_P, CD_R};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < d->nhits[dims[s]]; i++)
            sum[s] += d->ix->k[d->hits[dims[s]][i]].pair[s].n;
    int s = sum[0] <= sum[1] ? 0 : 1;
    const uint32_t *other = d->mark[dims[1 - s]];
    for (size_t i = 0; i < d->nhits[dims[s]]; i++) {
        const cpairs *l = &d->ix->k[d->hits[dims[s]][i]].pair[s];
        for (uint32_t j = 0; j < l->n; j++) {
            uint32_t g = l->v[j].group;
            if (other[l->v[j].other] != d->epoch || d->a->gstamp[g] == d->epoch)
                continue;
            d->a->gstamp[g] = d->epoch;
            d->cand[d->ncand++] = g;
        }
    }
}

static void sort_u32(uint32_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static void set_uid(cv *v, const char *ty, const char *id, const wr_entities *ents)
{
    memset(v, 0, sizeof *v);
    v->k = CV_ENT;
    v->u.e.ty = ty;
    v->u.e.id = id;
    v->u.e.idn = (uint32_t)strlen(id);
    centities_resolve(ents, v);
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
    if (strlen(req->principal_id) > UINT32_MAX || strlen(req->action_id) > UINT32_MAX ||
        strlen(req->resource_id) > UINT32_MAX)
        return wr_fail(err, WR_ELIMIT, "request: entity id too long");
    if (!ps->index_ok)
        return wr_fail(err, WR_EINTERNAL, "policy set index is not built");
    ca_reset(&a->arena);
    ceval ev;
    memset(&ev, 0, sizeof ev);
    ev.arena = &a->arena;
    ev.ents = ents;
    set_uid(&ev.var[VAR_PRINCIPAL], req->principal_type, req->principal_id, ents);
    set_uid(&ev.var[VAR_ACTION], req->action_type, req->action_id, ents);
    set_uid(&ev.var[VAR_RESOURCE], req->resource_type, req->resource_id, ents);
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
        if (cv_from_json(&a->arena, req->context, ctx_t, req->schema, "context",
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

    /* mark the scope keys the request is in, gather candidate groups */
    const cindex *ix = &ps->ix;
    if (stamps_fit(&a->gstamp, &a->ngstamp, ix->ng) || stamps_fit(&a->mark, &a->nmark, 3 * ix->nk))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    if (++a->epoch == 0) {
        memset(a->gstamp, 0, a->ngstamp * sizeof *a->gstamp);
        memset(a->mark, 0, a->nmark * sizeof *a->mark);
        a->epoch = 1;
    }
    decide d;
    memset(&d, 0, sizeof d);
    d.a = a;
    d.ix = ix;
    d.ents = ents;
    d.epoch = a->epoch;
    for (int k = 0; k < 3; k++)
        d.mark[k] = a->mark ? a->mark + (size_t)k * ix->nk : NULL;
    static const int var_of[3] = {VAR_PRINCIPAL, VAR_ACTION, VAR_RESOURCE};
    d.cand = ca_alloc_nz(&a->arena, (ix->ng ? ix->ng : 1) * sizeof(uint32_t));
    bool ok = d.cand != NULL;
    for (int k = 0; k < 3 && ok; k++)
        ok = mark_dim(&d, k, &ev.var[var_of[k]], &a->arena) == 0;
    if (!ok)
        return wr_fail(err, WR_ENOMEM, "authorization scratch limit reached");
    take(&d, &ix->wildcard);
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < d.nhits[k]; i++)
            take(&d, &ix->k[d.hits[k][i]].home[k]);
    if (d.tkey[CD_P] != UINT32_MAX)
        take(&d, &ix->tlist[2 * d.tkey[CD_P]]);
    if (d.tkey[CD_R] != UINT32_MAX)
        take(&d, &ix->tlist[2 * d.tkey[CD_R] + 1]);
    if (ix->nk)
        take_pairs(&d);

    /* evaluate: satisfied permits, forbids and errors as policy indices */
    size_t cap = 8, nsat = 0, nerr = 0;
    uint32_t *sat = ca_alloc_nz(&a->arena, cap * sizeof *sat);
    uint32_t *erri = ca_alloc_nz(&a->arena, cap * sizeof *erri);
    const char **msgs = ca_alloc_nz(&a->arena, cap * sizeof *msgs);
    if (!sat || !erri || !msgs)
        return wr_fail(err, WR_ENOMEM, "authorization scratch limit reached");
    for (size_t c = 0; c < d.ncand; c++) {
        const cgroup *g = &ix->g[d.cand[c]];
        if (!dim_ok(&d, CD_P, &g->dim[CD_P]) || !dim_ok(&d, CD_A, &g->dim[CD_A]) ||
            !dim_ok(&d, CD_R, &g->dim[CD_R]))
            continue;
        if (g->guard && g->pol.n > 1) {
            cv r;
            if (ceval_expr(&ev, g->guard, &r) == 0 && r.k == CV_BOOL && !r.u.b)
                continue;   /* the shared leading conjunct is false for all */
        }
        for (uint32_t m = 0; m < g->pol.n; m++) {
            uint32_t pi = g->pol.v[m];
            int r = ceval_conds(&ev, ps->pol[pi]);
            if (r == 0)
                continue;
            if (nsat + nerr + 1 > cap) {
                /* rare: many satisfied/erroring policies; double all three */
                uint32_t *ns = ca_alloc_nz(&a->arena, 2 * cap * sizeof *ns);
                uint32_t *ne = ca_alloc_nz(&a->arena, 2 * cap * sizeof *ne);
                const char **nm = ca_alloc_nz(&a->arena, 2 * cap * sizeof *nm);
                if (!ns || !ne || !nm)
                    return wr_fail(err, WR_ENOMEM, "authorization scratch limit reached");
                memcpy(ns, sat, nsat * sizeof *ns);
                memcpy(ne, erri, nerr * sizeof *ne);
                memcpy(nm, msgs, nerr * sizeof *nm);
                sat = ns, erri = ne, msgs = nm, cap *= 2;
            }
            if (r == 1) {
                sat[nsat++] = pi;
            } else {
                erri[nerr] = pi;
                msgs[nerr] = ca_strndup(&a->arena, ev.msg, strlen(ev.msg));
                if (!msgs[nerr])
                    msgs[nerr] = "error";
                nerr++;
            }
        }
    }
    /* report in policy-set order, as before the index existed */
    sort_u32(sat, nsat);
    if (nerr > 1) {
        /* sort errors and their messages together (insertion sort, small n) */
        for (size_t i = 1; i < nerr; i++) {
            uint32_t x = erri[i];
            const char *mx = msgs[i];
            size_t j = i;
            for (; j > 0 && erri[j - 1] > x; j--) {
                erri[j] = erri[j - 1];
                msgs[j] = msgs[j - 1];
            }
            erri[j] = x;
            msgs[j] = mx;
        }
    }
    size_t nforbid = 0;
    for (size_t i = 0; i < nsat; i++)
        nforbid += ps->pol[sat[i]]->effect == 0;
    const char **reason = ca_alloc_nz(&a->arena, (nsat ? nsat : 1) * sizeof *reason);
    const char **errs = ca_alloc_nz(&a->arena, (nerr ? nerr : 1) * sizeof *errs);
    if (!reason || !errs)
        return wr_fail(err, WR_ENOMEM, "authorization scratch limit reached");
    size_t nr = 0;
    for (size_t i = 0; i < nsat; i++)
        if ((ps->pol[sat[i]]->effect == 0) == (nforbid > 0))
            reason[nr++] = ps->pol[sat[i]]->id;
    for (size_t i = 0; i < nerr; i++)
        errs[i] = ps->pol[erri[i]]->id;
    memset(out, 0, sizeof *out);
    out->allow = nforbid == 0 && nsat > 0;
    out->reason = reason;
    out->nreason = nr;
    out->error = errs;
    out->error_msg = msgs;
    out->nerror = nerr;
    return WR_OK;
}
