/*
 * validate.c — checks a policy set against a schema.
 *
 * A pragmatic subset of Cedar's validator, chosen to catch the mistakes
 * that make a policy silently never apply:
 *   - entity types named in scopes, entity literals and `is` must be
 *     declared (action uids must be declared actions);
 *   - at least one declared action must match the action constraint and
 *     accept the principal / resource types the scope pins down (== or is);
 *   - attributes read directly from principal, resource or context
 *     (`principal.a`, `context.a`, `has` tests excluded) must be declared
 *     for at least one applicable principal type, resource type or action
 *     context.
 * Full type inference (operand types, optional-attribute capabilities) is
 * not done; see README-policy.md.
 */
#include "policy/cedar.h"

#include <stdio.h>
#include <string.h>

typedef struct vctx {
    const wr_schema *s;
    const cpolicy *p;
    wr_err *err;
    /* applicable actions (indices into s->actions) */
    size_t nact;
    size_t act[512];
} vctx;

static int verr(vctx *V, uint32_t line, uint32_t col, const char *fmt, const char *a,
                const char *b)
{
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a, b ? b : "");
    return wr_fail(V->err, WR_EINVAL, "%s:%u:%u: policy %s: %s", V->p->file, line, col, V->p->id,
                   msg);
}

static bool is_action_type(const char *ty)
{
    size_t n = strlen(ty);
    return strcmp(ty, "Action") == 0 || (n > 8 && strcmp(ty + n - 8, "::Action") == 0);
}

static int check_type(vctx *V, const char *ty, uint32_t line, uint32_t col)
{
    if (is_action_type(ty) || cschema_entity(V->s, ty))
        return WR_OK;
    return verr(V, line, col, "unknown entity type %s%s", ty, NULL);
}

static int check_uid(vctx *V, const cuid *u, uint32_t line, uint32_t col)
{
    if (is_action_type(u->ty)) {
        if (!cschema_action(V->s, u->ty, u->id))
            return verr(V, line, col, "unknown action %s::\"%s\"", u->ty, u->id);
        return WR_OK;
    }
    return check_type(V, u->ty, line, col);
}

/* action a is (transitively) in group g per the schema */
static bool action_in(const wr_schema *s, const csaction *a, const cuid *g, int depth)
{
    if (strcmp(a->type, g->ty) == 0 && strcmp(a->id, g->id) == 0)
        return true;
    if (depth > 64)
        return false;
    for (size_t i = 0; i < a->nparents; i++) {
        const csaction *p = cschema_action(s, a->parent_types[i], a->parent_ids[i]);
        if (p && action_in(s, p, g, depth + 1))
            return true;
    }
    return false;
}

static bool list_has(const char *const *v, size_t n, const char *x)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], x) == 0)
            return true;
    return false;
}

/* the entity type a principal/resource scope pins down, or NULL */
static const char *pinned_type(const cscopec *c)
{
    if (c->kind == CS_IS || c->kind == CS_IS_IN)
        return c->is_type;
    if (c->kind == CS_EQ && !c->slot)
        return c->uid.ty;
    return NULL;
}

static bool attr_declared(const cstype *rec, const char *name)
{
    for (size_t i = 0; rec && i < rec->nattr; i++)
        if (strcmp(rec->attr_names[i], name) == 0)
            return true;
    return false;
}

static bool entity_attr_ok(vctx *V, bool principal, const char *name)
{
    const char *pin = pinned_type(principal ? &V->p->principal : &V->p->resource);
    for (size_t i = 0; i < V->nact; i++) {
        const csaction *a = &V->s->actions[V->act[i]];
        const char *const *tys = principal ? a->principals : a->resources;
        size_t n = principal ? a->nprincipals : a->nresources;
        for (size_t k = 0; k < n; k++) {
            if (pin && strcmp(pin, tys[k]) != 0)
                continue;
            const csentity *e = cschema_entity(V->s, tys[k]);
            if (e && attr_declared(e->attrs, name))
                return true;
        }
    }
    return false;
}

static int walk(vctx *V, const cexpr *x)
{
    if (!x)
        return WR_OK;
    if (x->op == OP_LIT && x->lit.k == CV_ENT) {
        cuid u = {x->lit.u.e.ty, x->lit.u.e.id, x->lit.u.e.idn};
        if (check_uid(V, &u, x->line, x->col))
            return WR_EINVAL;
    }
    if (x->op == OP_IS && !is_action_type(x->name) && check_type(V, x->name, x->line, x->col))
        return WR_EINVAL;
    if (x->op == OP_ATTR && x->k[0]->op == OP_VAR && V->nact) {
        int var = x->k[0]->var;
        bool ok = true;
        if (var == VAR_CONTEXT) {
            ok = false;
            for (size_t i = 0; i < V->nact && !ok; i++)
                ok = attr_declared(V->s->actions[V->act[i]].context, x->name);
        } else if (var == VAR_PRINCIPAL || var == VAR_RESOURCE) {
            ok = entity_attr_ok(V, var == VAR_PRINCIPAL, x->name);
        }
        if (!ok)
            return verr(V, x->line, x->col, "attribute '%s' is not declared for %s", x->name,
                        var == VAR_CONTEXT ? "the context of any applicable action"
                        : var == VAR_PRINCIPAL ? "any applicable principal type"
                                               : "any applicable resource type");
    }
    for (size_t i = 0; i < x->nk; i++)
        if (walk(V, x->k[i]))
            return WR_EINVAL;
    return WR_OK;
}

static int check_scope_uid(vctx *V, const cscopec *c)
{
    if (c->is_type && check_type(V, c->is_type, c->line, c->col))
        return WR_EINVAL;
    if (!c->slot && c->kind != CS_ANY && c->kind != CS_IS && c->uid.ty &&
        check_uid(V, &c->uid, c->line, c->col))
        return WR_EINVAL;
    for (size_t i = 0; i < c->nlist; i++)
        if (check_uid(V, &c->list[i], c->line, c->col))
            return WR_EINVAL;
    return WR_OK;
}

static int validate_one(vctx *V)
{
    const cpolicy *p = V->p;
    if (check_scope_uid(V, &p->principal) || check_scope_uid(V, &p->action) ||
        check_scope_uid(V, &p->resource))
        return WR_EINVAL;
    const char *pt = pinned_type(&p->principal), *rt = pinned_type(&p->resource);
    V->nact = 0;
    for (size_t i = 0; i < V->s->nactions && V->nact < 512; i++) {
        const csaction *a = &V->s->actions[i];
        bool m = p->action.kind == CS_ANY;
        if (p->action.kind == CS_EQ)
            m = strcmp(a->type, p->action.uid.ty) == 0 && strcmp(a->id, p->action.uid.id) == 0;
        for (size_t k = 0; k < p->action.nlist && !m; k++)
            m = action_in(V->s, a, &p->action.list[k], 0);
        if (!m || !a->applies)
            continue;
        if (pt && !list_has(a->principals, a->nprincipals, pt))
            continue;
        if (rt && !list_has(a->resources, a->nresources, rt))
            continue;
        V->act[V->nact++] = i;
    }
    if (!V->nact)
        return verr(V, p->line, p->col,
                    "no action in the schema applies to this policy's scope%s%s", "", NULL);
    for (size_t i = 0; i < p->ncond; i++)
        if (walk(V, p->conds[i].e))
            return WR_EINVAL;
    return WR_OK;
}

int wr_policy_set_validate(const wr_policy_set *ps, const wr_schema *schema, wr_err *err)
{
    if (!ps || !schema)
        return wr_fail(err, WR_EINVAL, "validate: missing policy set or schema");
    vctx V;
    memset(&V, 0, sizeof V);
    V.s = schema;
    V.err = err;
    for (size_t i = 0; i < ps->n; i++) {
        V.p = ps->pol[i];
        int rc = validate_one(&V);
        if (rc)
            return rc;
    }
    return WR_OK;
}
