/*
 * policyset.c — the policy set: policies, templates and links, annotations,
 * and the scope index.
 *
 * Policies are kept in load order (pol[]); templates stay in the set but
 * are never evaluated, only their links are.  A link is a copy of its
 * template's header with the ?principal / ?resource slots replaced by the
 * bound uids; the conditions are shared (slots only appear in the scope).
 *
 * The scope index gives every evaluable policy exactly one home: under
 * the principal uid of its `principal ==/in` constraint, else under the
 * resource uid of its `resource ==/in` constraint, else under each action
 * uid of its action constraint, else in the wildcard list.  A request
 * looks up its principal, resource and action uids and all their
 * ancestors; the union of those lists and the wildcard list is a superset
 * of the policies whose scope can match, so only those are evaluated.
 */
#include "policy/cedar.h"

#include <stdlib.h>
#include <string.h>

/* Policy by id through the id map (policy ids are keys with type ""). */
static const cpolicy *find(const wr_policy_set *ps, const char *id)
{
    if (!ps || !id)
        return NULL;
    uint32_t i = cuidmap_get(&ps->ids, "", id, strlen(id));
    return i == UINT32_MAX ? NULL : ps->pol[i];
}

void cps_truncate(wr_policy_set *ps, size_t n)
{
    ps->n = n;
    cuidmap_free(&ps->ids);
    /* rebuilt (error path only); on allocation failure later lookups miss */
    for (size_t i = 0; i < n; i++)
        (void)cuidmap_put(&ps->ids, "", ps->pol[i]->id, strlen(ps->pol[i]->id), (uint32_t)i);
}

int cps_append(wr_policy_set *ps, cpolicy *p, wr_err *err)
{
    if (find(ps, p->id))
        return wr_fail(err, WR_EINVAL, "duplicate policy id \"%s\"", p->id);
    if (ps->n >= UINT32_MAX / 2)
        return wr_fail(err, WR_ELIMIT, "too many policies");
    if (ps->n == ps->cap) {
        size_t nc = ps->cap ? ps->cap * 2 : 16;
        cpolicy **np = realloc(ps->pol, nc * sizeof *np);
        if (!np)
            return wr_fail(err, WR_ENOMEM, "out of memory");
        ps->pol = np;
        ps->cap = nc;
    }
    if (cuidmap_put(&ps->ids, "", p->id, strlen(p->id), (uint32_t)ps->n) == UINT32_MAX)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    ps->pol[ps->n++] = p;
    return WR_OK;
}

static int reindex(wr_policy_set *ps, int rc, wr_err *err)
{
    if (rc != WR_OK)
        return rc;
    return cpolicy_index_build(ps, err);
}

int wr_policy_set_parse(const char *text, size_t len, const char *filename, wr_policy_set **out,
                        wr_err *err)
{
    wr_policy_set *ps = calloc(1, sizeof *ps);
    if (!ps)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    int rc = reindex(ps, cpolicy_parse_text(ps, text, len, filename, err), err);
    if (rc != WR_OK) {
        wr_policy_set_free(ps);
        return rc;
    }
    *out = ps;
    return WR_OK;
}

int wr_policy_set_add(wr_policy_set *ps, const char *text, size_t len, const char *filename,
                      wr_err *err)
{
    return reindex(ps, cpolicy_parse_text(ps, text, len, filename, err), err);
}

static int bind_slot(wr_policy_set *ps, cscopec *c, const char *what, const char *ty,
                     const char *id, wr_err *err)
{
    if (!c->slot) {
        if (ty || id)
            return wr_fail(err, WR_EINVAL, "template has no ?%s slot to bind", what);
        return WR_OK;
    }
    if (!ty || !id || !ty[0])
        return wr_fail(err, WR_EINVAL, "template slot ?%s needs an entity uid", what);
    c->slot = false;
    c->uid.ty = ca_strndup(&ps->arena, ty, strlen(ty));
    c->uid.idn = strlen(id);
    c->uid.id = ca_strndup(&ps->arena, id, c->uid.idn);
    if (!c->uid.ty || !c->uid.id)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    return WR_OK;
}

int wr_policy_set_link(wr_policy_set *ps, const char *template_id, const char *new_id,
                       const char *principal_type, const char *principal_id,
                       const char *resource_type, const char *resource_id, wr_err *err)
{
    const cpolicy *t = find(ps, template_id);
    if (!t)
        return wr_fail(err, WR_ENOTFOUND, "no template with id \"%s\"", template_id ? template_id : "");
    if (!t->is_template)
        return wr_fail(err, WR_EINVAL, "policy \"%s\" is not a template", template_id);
    if (!new_id || !new_id[0])
        return wr_fail(err, WR_EINVAL, "link id must not be empty");
    if (find(ps, new_id))
        return wr_fail(err, WR_EINVAL, "duplicate policy id \"%s\"", new_id);
    cpolicy *p = ca_alloc(&ps->arena, sizeof *p);
    if (!p)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    *p = *t;
    p->is_template = false;
    p->id = ca_strndup(&ps->arena, new_id, strlen(new_id));
    if (!p->id)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    int rc = bind_slot(ps, &p->principal, "principal", principal_type, principal_id, err);
    if (rc == WR_OK)
        rc = bind_slot(ps, &p->resource, "resource", resource_type, resource_id, err);
    if (rc == WR_OK)
        rc = cps_append(ps, p, err);
    return reindex(ps, rc, err);
}

void wr_policy_set_free(wr_policy_set *ps)
{
    if (!ps)
        return;
    cpolicy_index_free(ps);
    cuidmap_free(&ps->ids);
    free(ps->pol);
    ca_free(&ps->arena);
    free(ps);
}

size_t wr_policy_set_count(const wr_policy_set *ps)
{
    return ps ? ps->n : 0;
}

const char *wr_policy_set_id_at(const wr_policy_set *ps, size_t i)
{
    return ps && i < ps->n ? ps->pol[i]->id : NULL;
}

const char *wr_policy_annotation(const wr_policy_set *ps, const char *policy_id, const char *key)
{
    const cpolicy *p = find(ps, policy_id);
    for (size_t i = 0; p && key && i < p->nannot; i++)
        if (strcmp(p->annot_keys[i], key) == 0)
            return p->annot_vals[i];
    return NULL;
}

int wr_policy_effect(const wr_policy_set *ps, const char *policy_id)
{
    const cpolicy *p = find(ps, policy_id);
    return p ? p->effect : -1;
}

/* ---- scope index (see cedar.h for the layout) ------------------------------------ */
static int list_add(cindex_list *l, uint32_t v)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 4;
        uint32_t *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = v;
    return 0;
}

static int pairs_add(cpairs *l, uint32_t other, uint32_t group)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 4;
        cpair *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = (cpair){other, group};
    return 0;
}

/* Grows an array of elements of size sz to hold n+1 (zeroing new room). */
static int grow_arr(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *na = realloc(*arr, nc * sz);
    if (!na)
        return -1;
    memset((char *)na + *cap * sz, 0, (nc - *cap) * sz);
    *arr = na;
    *cap = nc;
    return 0;
}

static uint32_t key_of(cindex *ix, const cuid *u)
{
    uint32_t k = cuidmap_get(&ix->keys, u->ty, u->id, u->idn);
    if (k != UINT32_MAX)
        return k;
    if (grow_arr((void **)&ix->k, &ix->capk, ix->nk, sizeof *ix->k))
        return UINT32_MAX;
    k = (uint32_t)ix->nk;
    if (cuidmap_put(&ix->keys, u->ty, u->id, u->idn, k) == UINT32_MAX)
        return UINT32_MAX;
    ix->nk++;
    return k;
}

static uint32_t type_of(cindex *ix, const char *ty)
{
    uint32_t t = cuidmap_get(&ix->types, ty, "", 0);
    if (t != UINT32_MAX)
        return t;
    if (grow_arr((void **)&ix->tlist, &ix->capt, 2 * ix->nt + 1, sizeof *ix->tlist))
        return UINT32_MAX;
    t = (uint32_t)ix->nt;
    if (cuidmap_put(&ix->types, ty, "", 0, t) == UINT32_MAX)
        return UINT32_MAX;
    ix->nt++;
    return t;
}

static bool has_uid(const cscopec *c)
{
    return !c->slot && (c->kind == CS_EQ || c->kind == CS_IN || c->kind == CS_IS_IN) && c->uid.ty;
}

static int compile_scope(cindex *ix, const cscopec *c, bool action, cscopek *out)
{
    memset(out, 0, sizeof *out);
    out->kind = c->kind;
    if (action && c->kind == CS_IN) {
        out->list = true;
        out->nkeys = (uint32_t)c->nlist;
        if (c->nlist && !(out->keys = malloc(c->nlist * sizeof *out->keys)))
            return -1;
        for (size_t i = 0; i < c->nlist; i++)
            if ((out->keys[i] = key_of(ix, &c->list[i])) == UINT32_MAX)
                return -1;
        return 0;
    }
    if (c->kind == CS_IS || c->kind == CS_IS_IN)
        if ((out->tkey = type_of(ix, c->is_type)) == UINT32_MAX)
            return -1;
    if (has_uid(c) && (out->key = key_of(ix, &c->uid)) == UINT32_MAX)
        return -1;
    return 0;
}

static bool scopek_equal(const cscopek *a, const cscopek *b)
{
    if (a->kind != b->kind || a->list != b->list || a->key != b->key || a->tkey != b->tkey ||
        a->nkeys != b->nkeys)
        return false;
    return !a->nkeys || memcmp(a->keys, b->keys, a->nkeys * sizeof *a->keys) == 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t scopek_hash(const cscopek *c)
{
    uint64_t h = mix(mix(mix(c->kind, c->list), c->key), c->tkey);
    for (uint32_t i = 0; i < c->nkeys; i++)
        h = mix(h, c->keys[i]);
    return h;
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

uint64_t cexpr_hash(const cexpr *x)
{
    uint64_t h = mix(mix(mix(x->op, x->var), x->fn), x->nk);
    if (x->name)
        h = mix(h, str_hash(x->name));
    if (x->op == OP_LIT) {
        h = mix(h, x->lit.k);
        if (x->lit.k == CV_LONG || x->lit.k == CV_BOOL)
            h = mix(h, (uint64_t)(x->lit.k == CV_LONG ? x->lit.u.i : x->lit.u.b));
        else if (x->lit.k == CV_ENT)
            h = mix(h, cuid_hash(x->lit.u.e.ty, x->lit.u.e.id, x->lit.u.e.idn));
    }
    for (size_t i = 0; i < x->nk; i++)
        h = mix(h, cexpr_hash(x->k[i]));
    return h;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool cexpr_equal(const cexpr *a, const cexpr *b)
{
    if (a == b)
        return true;
    if (a->op != b->op || a->var != b->var || a->fn != b->fn || a->nk != b->nk ||
        !str_eq(a->name, b->name) || a->patn != b->patn)
        return false;
    if (a->op == OP_LIT && (a->lit.k != b->lit.k || !cv_equal(&a->lit, &b->lit)))
        return false;
    if (a->op == OP_LIKE && (memcmp(a->pat, b->pat, a->patn) || memcmp(a->star, b->star, a->patn)))
        return false;
    for (size_t i = 0; i < a->nk; i++)
        if ((a->op == OP_REC && strcmp(a->keys[i], b->keys[i])) || !cexpr_equal(a->k[i], b->k[i]))
            return false;
    return true;
}

/* The leftmost conjunct of the first condition when it is a `when`: if it
 * evaluates to false, the policy is not satisfied whatever follows. */
static const cexpr *guard_of(const cpolicy *p)
{
    if (!p->ncond || !p->conds[0].when)
        return NULL;
    const cexpr *e = p->conds[0].e;
    while (e->op == OP_AND)
        e = e->k[0];
    return e;
}

static void scopek_free(cscopek *c)
{
    free(c->keys);
    c->keys = NULL;
}

void cpolicy_index_free(wr_policy_set *ps)
{
    cindex *ix = &ps->ix;
    for (size_t i = 0; i < ix->nk; i++) {
        for (int d = 0; d < 3; d++)
            free(ix->k[i].home[d].v);
        free(ix->k[i].pair[0].v);
        free(ix->k[i].pair[1].v);
    }
    for (size_t i = 0; i < 2 * ix->nt; i++)
        free(ix->tlist[i].v);
    for (size_t i = 0; i < ix->ng; i++) {
        for (int d = 0; d < 3; d++)
            scopek_free(&ix->g[i].dim[d]);
        free(ix->g[i].pol.v);
    }
    free(ix->k);
    free(ix->tlist);
    free(ix->g);
    free(ix->wildcard.v);
    cuidmap_free(&ix->keys);
    cuidmap_free(&ix->types);
    memset(ix, 0, sizeof *ix);
    ps->index_ok = false;
}

/* Places a new group in exactly one home (order in cedar.h). */
static int home_group(cindex *ix, const cpolicy *p, uint32_t gi)
{
    const cgroup *g = &ix->g[gi];
    bool pu = has_uid(&p->principal), ru = has_uid(&p->resource);
    if (pu && ru) {
        uint32_t pk = g->dim[CD_P].key, rk = g->dim[CD_R].key;
        return pairs_add(&ix->k[pk].pair[0], rk, gi) || pairs_add(&ix->k[rk].pair[1], pk, gi);
    }
    if (pu)
        return list_add(&ix->k[g->dim[CD_P].key].home[CD_P], gi);
    if (ru)
        return list_add(&ix->k[g->dim[CD_R].key].home[CD_R], gi);
    const cscopek *a = &g->dim[CD_A];
    if (a->kind == CS_EQ)
        return list_add(&ix->k[a->key].home[CD_A], gi);
    if (a->list && a->nkeys) {
        for (uint32_t i = 0; i < a->nkeys; i++) {
            bool dup = false;
            for (uint32_t j = 0; j < i && !dup; j++)
                dup = a->keys[j] == a->keys[i];
            if (!dup && list_add(&ix->k[a->keys[i]].home[CD_A], gi))
                return -1;
        }
        return 0;
    }
    if (g->dim[CD_R].kind == CS_IS)
        return list_add(&ix->tlist[2 * g->dim[CD_R].tkey + 1], gi);
    if (g->dim[CD_P].kind == CS_IS)
        return list_add(&ix->tlist[2 * g->dim[CD_P].tkey], gi);
    return list_add(&ix->wildcard, gi);
}

static int build(wr_policy_set *ps)
{
    cindex *ix = &ps->ix;
    /* open-addressing table signature -> group id, only while building */
    size_t tcap = 64;
    while (tcap < ps->n * 2)
        tcap *= 2;
    uint32_t *table = malloc(tcap * sizeof *table);
    uint64_t *thash = malloc(tcap * sizeof *thash);
    int rc = table && thash ? 0 : -1;
    if (!rc)
        memset(table, 0xff, tcap * sizeof *table);
    for (size_t i = 0; i < ps->n && !rc; i++) {
        const cpolicy *p = ps->pol[i];
        if (p->is_template)
            continue;
        cgroup g;
        memset(&g, 0, sizeof g);
        g.guard = guard_of(p);
        if (compile_scope(ix, &p->principal, false, &g.dim[CD_P]) ||
            compile_scope(ix, &p->action, true, &g.dim[CD_A]) ||
            compile_scope(ix, &p->resource, false, &g.dim[CD_R])) {
            for (int d = 0; d < 3; d++)
                scopek_free(&g.dim[d]);
            rc = -1;
            break;
        }
        uint64_t h = mix(mix(mix(scopek_hash(&g.dim[0]), scopek_hash(&g.dim[1])),
                             scopek_hash(&g.dim[2])),
                         g.guard ? cexpr_hash(g.guard) : 0);
        size_t slot = h & (tcap - 1);
        uint32_t gi = UINT32_MAX;
        for (; table[slot] != UINT32_MAX; slot = (slot + 1) & (tcap - 1)) {
            const cgroup *o = &ix->g[table[slot]];
            if (thash[slot] == h && scopek_equal(&o->dim[0], &g.dim[0]) &&
                scopek_equal(&o->dim[1], &g.dim[1]) && scopek_equal(&o->dim[2], &g.dim[2]) &&
                (o->guard == g.guard || (o->guard && g.guard && cexpr_equal(o->guard, g.guard)))) {
                gi = table[slot];
                break;
            }
        }
        if (gi != UINT32_MAX) {
            for (int d = 0; d < 3; d++)
                scopek_free(&g.dim[d]);
            rc = list_add(&ix->g[gi].pol, (uint32_t)i);
            continue;
        }
        if (grow_arr((void **)&ix->g, &ix->capg, ix->ng, sizeof *ix->g)) {
            for (int d = 0; d < 3; d++)
                scopek_free(&g.dim[d]);
            rc = -1;
            break;
        }
        gi = (uint32_t)ix->ng++;
        ix->g[gi] = g;
        table[slot] = gi;
        thash[slot] = h;
        rc = list_add(&ix->g[gi].pol, (uint32_t)i) || home_group(ix, p, gi) ? -1 : 0;
    }
    free(table);
    free(thash);
    return rc;
}

int cpolicy_index_build(wr_policy_set *ps, wr_err *err)
{
    cpolicy_index_free(ps);
    if (ps->n >= UINT32_MAX / 2)
        return wr_fail(err, WR_ELIMIT, "too many policies");
    if (build(ps)) {
        cpolicy_index_free(ps);
        return wr_fail(err, WR_ENOMEM, "out of memory building the policy index");
    }
    ps->index_ok = true;
    return WR_OK;
}
