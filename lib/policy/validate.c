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
 *     context;
 *   - type inference toward Cedar's strict typechecker: every condition is
 *     typed in each request environment the scope allows (principal type x
 *     applicable action x resource type); operand types of arithmetic,
 *     comparisons, `==`, `in`, `like`, `&&`/`||`/`!`, if-then-else, methods
 *     and extension constructors are checked; attributes of entities and of
 *     schema records (also nested ones) must be declared; an optional
 *     attribute may only be read under a `has` guard (a capability carried
 *     through the right side of `&&` and the `then` branch of `if`).
 *     Unknown types (records built in the policy, untyped schema parts) are
 *     accepted, so only definite errors are reported.  A policy is rejected
 *     when no environment typechecks (the first environment's error is
 *     reported), which never rejects a policy Cedar accepts.
 */
#include "policy/cedar.h"

#include <stdarg.h>
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

/* ---- type inference ----------------------------------------------------------- */
enum { VT_ANY, VT_BOOL, VT_LONG, VT_STR, VT_SET, VT_REC, VT_ENT, VT_IP, VT_DEC, VT_DT, VT_DUR };
static const char *const vt_name[] = {"any", "Bool", "Long", "String", "Set", "Record", "Entity",
                                      "ipaddr", "decimal", "datetime", "duration"};

typedef struct vty {
    int k;
    const cstype *st;            /* VT_REC: declared record type; VT_SET: declared set type */
    const char *ety;             /* VT_ENT: entity type (NULL: unknown) */
} vty;

#define VCAP_MAX 64
typedef struct venv {
    vctx *V;
    const char *pty, *rty;       /* principal / resource entity types */
    const csaction *act;
    uint32_t line, col;          /* first type error */
    char msg[400];
    bool failed;
    const cexpr *cap[VCAP_MAX];  /* `x has a` facts currently known true */
    size_t ncap;
} venv;

static void tfail(venv *E, const cexpr *x, const char *fmt, ...) WR_PRINTF(3, 4);
static void tfail(venv *E, const cexpr *x, const char *fmt, ...)
{
    if (E->failed)
        return;
    E->failed = true;
    E->line = x->line;
    E->col = x->col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(E->msg, sizeof E->msg, fmt, ap);
    va_end(ap);
}

static vty of_schema(const cstype *t)
{
    vty v = {VT_ANY, NULL, NULL};
    if (!t)
        return v;
    switch (t->k) {
    case CST_BOOL: v.k = VT_BOOL; break;
    case CST_LONG: v.k = VT_LONG; break;
    case CST_STRING: v.k = VT_STR; break;
    case CST_SET: v.k = VT_SET; v.st = t; break;
    case CST_RECORD: v.k = VT_REC; v.st = t; break;
    case CST_ENTITY: v.k = VT_ENT; v.ety = t->name; break;
    case CST_IP: v.k = VT_IP; break;
    case CST_DECIMAL: v.k = VT_DEC; break;
    case CST_DATETIME: v.k = VT_DT; break;
    case CST_DURATION: v.k = VT_DUR; break;
    default: break;
    }
    return v;
}

static vty mk(int k)
{
    vty v = {k, NULL, NULL};
    return v;
}

static vty infer(venv *E, const cexpr *x);

/* Requires x to have kind k (unknown passes); returns its type. */
static vty want(venv *E, const cexpr *x, int k, const char *what)
{
    vty t = infer(E, x);
    if (t.k != VT_ANY && t.k != k)
        tfail(E, x, "type error: %s expects %s, found %s", what, vt_name[k], vt_name[t.k]);
    return t;
}

static bool cap_known(const venv *E, const cexpr *obj, const char *name)
{
    for (size_t i = 0; i < E->ncap; i++)
        if (strcmp(E->cap[i]->name, name) == 0 && cexpr_equal(E->cap[i]->k[0], obj))
            return true;
    return false;
}

/* Pushes the `has` facts that hold when x is true (conjunctions of has). */
static void cap_push(venv *E, const cexpr *x)
{
    if (x->op == OP_HAS && E->ncap < VCAP_MAX) {
        E->cap[E->ncap++] = x;
    } else if (x->op == OP_AND) {
        cap_push(E, x->k[0]);
        cap_push(E, x->k[1]);
    }
}

static const cstype *rec_field(const cstype *rec, const char *name, bool *required)
{
    for (size_t i = 0; rec && i < rec->nattr; i++)
        if (strcmp(rec->attr_names[i], name) == 0) {
            *required = rec->attr_required[i];
            return rec->attr_types[i];
        }
    return NULL;
}

static vty infer_attr(venv *E, const cexpr *x, bool has)
{
    vty o = infer(E, x->k[0]);
    const cstype *rec = NULL;
    const char *where = "record";
    if (o.k == VT_ENT) {
        if (!o.ety)
            return mk(has ? VT_BOOL : VT_ANY);
        if (is_action_type(o.ety))
            return mk(has ? VT_BOOL : VT_ANY);
        const csentity *se = cschema_entity(E->V->s, o.ety);
        if (!se)
            return mk(has ? VT_BOOL : VT_ANY);
        rec = se->attrs;
        where = o.ety;
    } else if (o.k == VT_REC) {
        if (!o.st)
            return mk(has ? VT_BOOL : VT_ANY);   /* record literal: fields not tracked */
        rec = o.st;
    } else if (o.k != VT_ANY) {
        tfail(E, x->k[0], "type error: %s expects an entity or a record, found %s",
              has ? "'has'" : "attribute access", vt_name[o.k]);
        return mk(has ? VT_BOOL : VT_ANY);
    } else {
        return mk(has ? VT_BOOL : VT_ANY);
    }
    bool required = false;
    const cstype *ft = rec_field(rec, x->name, &required);
    if (has)
        return mk(VT_BOOL);
    if (!ft) {
        tfail(E, x, "attribute '%s' is not declared for %s", x->name, where);
        return mk(VT_ANY);
    }
    if (!required && !cap_known(E, x->k[0], x->name))
        tfail(E, x, "attribute '%s' of %s is optional: test it with `has` before reading it",
              x->name, where);
    return of_schema(ft);
}

static vty infer_method(venv *E, const cexpr *x)
{
    const char *nm = cfn_table[x->fn].name;
    char what[64];
    snprintf(what, sizeof what, "method %s", nm);
    switch (x->fn) {
    case CFN_CONTAINS: {
        vty s = want(E, x->k[0], VT_SET, what);
        (void)infer(E, x->k[1]);
        (void)s;
        return mk(VT_BOOL);
    }
    case CFN_CONTAINSALL: case CFN_CONTAINSANY:
        want(E, x->k[0], VT_SET, what);
        want(E, x->k[1], VT_SET, what);
        return mk(VT_BOOL);
    case CFN_ISEMPTY:
        want(E, x->k[0], VT_SET, what);
        return mk(VT_BOOL);
    case CFN_GETTAG: case CFN_HASTAG: {
        vty o = want(E, x->k[0], VT_ENT, what);
        want(E, x->k[1], VT_STR, what);
        if (x->fn == CFN_HASTAG)
            return mk(VT_BOOL);
        const csentity *se = o.ety ? cschema_entity(E->V->s, o.ety) : NULL;
        if (se && !se->tags)
            tfail(E, x, "entity type %s has no tags", o.ety);
        return se ? of_schema(se->tags) : mk(VT_ANY);
    }
    case CFN_LESSTHAN: case CFN_LESSTHANOREQUAL: case CFN_GREATERTHAN:
    case CFN_GREATERTHANOREQUAL:
        want(E, x->k[0], VT_DEC, what);
        want(E, x->k[1], VT_DEC, what);
        return mk(VT_BOOL);
    case CFN_ISIPV4: case CFN_ISIPV6: case CFN_ISLOOPBACK: case CFN_ISMULTICAST:
        want(E, x->k[0], VT_IP, what);
        return mk(VT_BOOL);
    case CFN_ISINRANGE:
        want(E, x->k[0], VT_IP, what);
        want(E, x->k[1], VT_IP, what);
        return mk(VT_BOOL);
    case CFN_OFFSET:
        want(E, x->k[0], VT_DT, what);
        want(E, x->k[1], VT_DUR, what);
        return mk(VT_DT);
    case CFN_DURATIONSINCE:
        want(E, x->k[0], VT_DT, what);
        want(E, x->k[1], VT_DT, what);
        return mk(VT_DUR);
    case CFN_TODATE:
        want(E, x->k[0], VT_DT, what);
        return mk(VT_DT);
    case CFN_TOTIME:
        want(E, x->k[0], VT_DT, what);
        return mk(VT_DUR);
    default:
        want(E, x->k[0], VT_DUR, what);
        return mk(VT_LONG);
    }
}

static vty infer(venv *E, const cexpr *x)
{
    vty a, b;
    switch (x->op) {
    case OP_LIT:
        switch (x->lit.k) {
        case CV_BOOL: return mk(VT_BOOL);
        case CV_LONG: return mk(VT_LONG);
        case CV_STR: return mk(VT_STR);
        case CV_ENT: { vty v = mk(VT_ENT); v.ety = x->lit.u.e.ty; return v; }
        default: return mk(VT_ANY);
        }
    case OP_VAR:
        switch (x->var) {
        case VAR_PRINCIPAL: { vty v = mk(VT_ENT); v.ety = E->pty; return v; }
        case VAR_RESOURCE: { vty v = mk(VT_ENT); v.ety = E->rty; return v; }
        case VAR_ACTION: { vty v = mk(VT_ENT); v.ety = E->act ? E->act->type : NULL; return v; }
        default: { vty v = mk(VT_REC); v.st = E->act ? E->act->context : NULL; return v; }
        }
    case OP_SLOT:
        return mk(VT_ENT);
    case OP_NOT:
        want(E, x->k[0], VT_BOOL, "'!'");
        return mk(VT_BOOL);
    case OP_NEG:
        want(E, x->k[0], VT_LONG, "unary '-'");
        return mk(VT_LONG);
    case OP_ADD: case OP_SUB: case OP_MUL: {
        const char *w = x->op == OP_ADD ? "'+'" : x->op == OP_SUB ? "'-'" : "'*'";
        want(E, x->k[0], VT_LONG, w);
        want(E, x->k[1], VT_LONG, w);
        return mk(VT_LONG);
    }
    case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        a = infer(E, x->k[0]);
        b = infer(E, x->k[1]);
        if ((a.k != VT_ANY && a.k != VT_LONG && a.k != VT_DT && a.k != VT_DUR) ||
            (b.k != VT_ANY && b.k != VT_LONG && b.k != VT_DT && b.k != VT_DUR) ||
            (a.k != VT_ANY && b.k != VT_ANY && a.k != b.k))
            tfail(E, x, "type error: comparison needs two Longs, datetimes or durations, found %s and %s",
                  vt_name[a.k], vt_name[b.k]);
        return mk(VT_BOOL);
    case OP_EQ: case OP_NE:
        a = infer(E, x->k[0]);
        b = infer(E, x->k[1]);
        if (a.k != VT_ANY && b.k != VT_ANY && a.k != b.k)
            tfail(E, x, "type error: '%s' compares %s with %s (never equal)",
                  x->op == OP_EQ ? "==" : "!=", vt_name[a.k], vt_name[b.k]);
        return mk(VT_BOOL);
    case OP_IN:
        want(E, x->k[0], VT_ENT, "'in'");
        b = infer(E, x->k[1]);
        if (b.k != VT_ANY && b.k != VT_ENT && b.k != VT_SET)
            tfail(E, x->k[1], "type error: 'in' expects an entity or a set of entities, found %s",
                  vt_name[b.k]);
        else if (b.k == VT_SET && b.st && b.st->elem && b.st->elem->k != CST_ENTITY)
            tfail(E, x->k[1], "type error: 'in' expects a set of entities, found a set of %s",
                  vt_name[of_schema(b.st->elem).k]);
        else if (b.k == VT_SET && x->k[1]->op == OP_SET)
            for (size_t i = 0; i < x->k[1]->nk; i++)
                want(E, x->k[1]->k[i], VT_ENT, "'in' (set element)");
        return mk(VT_BOOL);
    case OP_AND: case OP_OR: {
        const char *w = x->op == OP_AND ? "'&&'" : "'||'";
        want(E, x->k[0], VT_BOOL, w);
        size_t saved = E->ncap;
        if (x->op == OP_AND)
            cap_push(E, x->k[0]);
        want(E, x->k[1], VT_BOOL, w);
        E->ncap = saved;
        return mk(VT_BOOL);
    }
    case OP_IF: {
        want(E, x->k[0], VT_BOOL, "if-then-else");
        size_t saved = E->ncap;
        cap_push(E, x->k[0]);
        a = infer(E, x->k[1]);
        E->ncap = saved;
        b = infer(E, x->k[2]);
        if (a.k != VT_ANY && b.k != VT_ANY && a.k != b.k)
            tfail(E, x, "type error: if-then-else branches have types %s and %s", vt_name[a.k],
                  vt_name[b.k]);
        return a.k == b.k ? a : mk(VT_ANY);
    }
    case OP_HAS:
        return infer_attr(E, x, true);
    case OP_ATTR:
        return infer_attr(E, x, false);
    case OP_LIKE:
        want(E, x->k[0], VT_STR, "'like'");
        return mk(VT_BOOL);
    case OP_IS:
        want(E, x->k[0], VT_ENT, "'is'");
        return mk(VT_BOOL);
    case OP_METHOD:
        return infer_method(E, x);
    case OP_CALL: {
        want(E, x->k[0], VT_STR, cfn_table[x->fn].name);
        static const int res[] = {[CFN_IP] = VT_IP, [CFN_DECIMAL] = VT_DEC,
                                  [CFN_DATETIME] = VT_DT, [CFN_DURATION] = VT_DUR};
        return mk(x->fn >= CFN_IP && x->fn <= CFN_DURATION ? res[x->fn] : VT_ANY);
    }
    case OP_SET:
        for (size_t i = 0; i < x->nk; i++)
            (void)infer(E, x->k[i]);
        return mk(VT_SET);
    case OP_REC:
        for (size_t i = 0; i < x->nk; i++)
            (void)infer(E, x->k[i]);
        return mk(VT_REC);
    default:
        return mk(VT_ANY);
    }
}

/* Types every condition of the policy in one environment. */
static bool env_ok(venv *E)
{
    const cpolicy *p = E->V->p;
    for (size_t i = 0; i < p->ncond && !E->failed; i++)
        want(E, p->conds[i].e, VT_BOOL, p->conds[i].when ? "a when condition" : "an unless condition");
    return !E->failed;
}

/* Environments: each applicable action x its principal types x its
 * resource types (filtered by the scope's pinned types).  Valid when one
 * of them typechecks. */
static int typecheck(vctx *V)
{
    const char *pt = pinned_type(&V->p->principal), *rt = pinned_type(&V->p->resource);
    venv first;
    bool have_first = false;
    size_t tried = 0;
    for (size_t i = 0; i < V->nact; i++) {
        const csaction *a = &V->s->actions[V->act[i]];
        for (size_t pi = 0; pi < a->nprincipals; pi++) {
            if (pt && strcmp(pt, a->principals[pi]) != 0)
                continue;
            for (size_t ri = 0; ri < a->nresources; ri++) {
                if (rt && strcmp(rt, a->resources[ri]) != 0)
                    continue;
                venv E;
                memset(&E, 0, sizeof E);
                E.V = V;
                E.act = a;
                E.pty = a->principals[pi];
                E.rty = a->resources[ri];
                if (env_ok(&E))
                    return WR_OK;
                if (!have_first) {
                    first = E;
                    have_first = true;
                }
                if (++tried >= 4096)
                    goto done;
            }
        }
    }
done:
    if (!have_first)
        return WR_OK;
    return verr(V, first.line, first.col, "%s%s", first.msg, NULL);
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
    return typecheck(V);
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
