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

static const cpolicy *find(const wr_policy_set *ps, const char *id)
{
    for (size_t i = 0; ps && id && i < ps->n; i++)
        if (strcmp(ps->pol[i]->id, id) == 0)
            return ps->pol[i];
    return NULL;
}

int cps_append(wr_policy_set *ps, cpolicy *p, wr_err *err);
int cps_append(wr_policy_set *ps, cpolicy *p, wr_err *err)
{
    if (find(ps, p->id))
        return wr_fail(err, WR_EINVAL, "duplicate policy id \"%s\"", p->id);
    if (ps->n == ps->cap) {
        size_t nc = ps->cap ? ps->cap * 2 : 16;
        cpolicy **np = realloc(ps->pol, nc * sizeof *np);
        if (!np)
            return wr_fail(err, WR_ENOMEM, "out of memory");
        ps->pol = np;
        ps->cap = nc;
    }
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

/* ---- scope index ------------------------------------------------------------------ */
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

static int index_add(cindex *ix, const cuid *u, uint32_t pol)
{
    uint32_t li = cuidmap_get(&ix->map, u->ty, u->id, u->idn);
    if (li == UINT32_MAX) {
        if (ix->nlists == ix->caplists) {
            size_t nc = ix->caplists ? ix->caplists * 2 : 16;
            cindex_list *nl = realloc(ix->lists, nc * sizeof *nl);
            if (!nl)
                return -1;
            ix->lists = nl;
            ix->caplists = nc;
        }
        li = (uint32_t)ix->nlists;
        memset(&ix->lists[li], 0, sizeof ix->lists[li]);
        ix->nlists++;
        if (cuidmap_put(&ix->map, u->ty, u->id, u->idn, li) == UINT32_MAX)
            return -1;
    }
    return list_add(&ix->lists[li], pol);
}

static void index_free(cindex *ix)
{
    for (size_t i = 0; i < ix->nlists; i++)
        free(ix->lists[i].v);
    free(ix->lists);
    cuidmap_free(&ix->map);
    memset(ix, 0, sizeof *ix);
}

void cpolicy_index_free(wr_policy_set *ps)
{
    index_free(&ps->by_principal);
    index_free(&ps->by_resource);
    index_free(&ps->by_action);
    free(ps->wildcard.v);
    memset(&ps->wildcard, 0, sizeof ps->wildcard);
    ps->index_ok = false;
}

static bool has_uid(const cscopec *c)
{
    return !c->slot && (c->kind == CS_EQ || c->kind == CS_IN || c->kind == CS_IS_IN) && c->uid.ty;
}

int cpolicy_index_build(wr_policy_set *ps, wr_err *err)
{
    cpolicy_index_free(ps);
    if (ps->n >= UINT32_MAX)
        return wr_fail(err, WR_ELIMIT, "too many policies");
    for (size_t i = 0; i < ps->n; i++) {
        const cpolicy *p = ps->pol[i];
        uint32_t pi = (uint32_t)i;
        int rc = 0;
        if (p->is_template)
            continue;
        if (has_uid(&p->principal)) {
            rc = index_add(&ps->by_principal, &p->principal.uid, pi);
        } else if (has_uid(&p->resource)) {
            rc = index_add(&ps->by_resource, &p->resource.uid, pi);
        } else if (p->action.kind == CS_EQ) {
            rc = index_add(&ps->by_action, &p->action.uid, pi);
        } else if (p->action.kind == CS_IN && p->action.nlist) {
            for (size_t k = 0; k < p->action.nlist && !rc; k++)
                rc = index_add(&ps->by_action, &p->action.list[k], pi);
        } else {
            rc = list_add(&ps->wildcard, pi);
        }
        if (rc) {
            cpolicy_index_free(ps);
            return wr_fail(err, WR_ENOMEM, "out of memory building the policy index");
        }
    }
    ps->index_ok = true;
    return WR_OK;
}
