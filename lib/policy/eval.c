/*
 * eval.c — the Cedar expression evaluator.
 *
 * A direct recursive walk over the AST (its height is bounded at parse
 * time).  Semantics follow the Cedar reference: `&&`, `||` and if-then-else
 * short-circuit and require booleans; arithmetic is on 64-bit longs with
 * overflow errors; `<` family compares longs, datetimes or durations; `==`
 * never errors (different types are simply unequal); `in` searches the
 * entity store's ancestor arrays (memoised on first use); attribute access
 * on an entity absent from the store is an error while `has` on it is
 * false.  Any error aborts
 * the policy (the caller skips it and reports its id).  Intermediate sets
 * and records are built in the per-decision arena, never with malloc.
 */
#include "policy/cedar.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(ceval *ev, const cexpr *x, const char *fmt, ...) WR_PRINTF(3, 4);
static int fail(ceval *ev, const cexpr *x, const char *fmt, ...)
{
    int n = snprintf(ev->msg, sizeof ev->msg, "%u:%u: ", x->line, x->col);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->msg + n, sizeof ev->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int type_err(ceval *ev, const cexpr *x, const char *what, const char *want, const cv *got)
{
    return fail(ev, x, "type error: %s expects %s, got %s", what, want, cv_kind_name(got->k));
}

static int oom(ceval *ev, const cexpr *x)
{
    return fail(ev, x, "evaluation ran out of scratch memory");
}

bool cv_like(const char *s, size_t n, const char *pat, const uint8_t *star, size_t patn)
{
    /* greedy matching with backtracking to the last star: O(n*m) worst case */
    size_t i = 0, j = 0, si = SIZE_MAX, sj = 0;
    while (i < n) {
        if (j < patn && star[j]) {
            si = j++;
            sj = i;
        } else if (j < patn && pat[j] == s[i]) {
            i++;
            j++;
        } else if (si != SIZE_MAX) {
            j = si + 1;
            i = ++sj;
        } else {
            return false;
        }
    }
    while (j < patn && star[j])
        j++;
    return j == patn;
}

static void uid_text(const cv *e, char *buf, size_t n)
{
    snprintf(buf, n, "%s::\"%.*s\"", e->u.e.ty, (int)(e->u.e.idn > 100 ? 100 : e->u.e.idn),
             e->u.e.id);
}

static int eval_k(ceval *ev, const cexpr *x, size_t i, int kind, const char *what, cv *out)
{
    if (ceval_expr(ev, x->k[i], out))
        return -1;
    if (kind >= 0 && out->k != kind)
        return type_err(ev, x->k[i], what, cv_kind_name(kind), out);
    return 0;
}

static int arith(ceval *ev, const cexpr *x, cv *out)
{
    cv a, b;
    const char *what = x->op == OP_ADD ? "'+'" : x->op == OP_SUB ? "'-'" : "'*'";
    if (eval_k(ev, x, 0, CV_LONG, what, &a) || eval_k(ev, x, 1, CV_LONG, what, &b))
        return -1;
    int64_t r;
    bool ovf = x->op == OP_ADD   ? __builtin_add_overflow(a.u.i, b.u.i, &r)
               : x->op == OP_SUB ? __builtin_sub_overflow(a.u.i, b.u.i, &r)
                                 : __builtin_mul_overflow(a.u.i, b.u.i, &r);
    if (ovf)
        return fail(ev, x, "integer overflow: %lld %s %lld", (long long)a.u.i,
                    x->op == OP_ADD ? "+" : x->op == OP_SUB ? "-" : "*", (long long)b.u.i);
    out->k = CV_LONG;
    out->u.i = r;
    return 0;
}

static int compare(ceval *ev, const cexpr *x, cv *out)
{
    cv a, b;
    if (ceval_expr(ev, x->k[0], &a) || ceval_expr(ev, x->k[1], &b))
        return -1;
    if (a.k != b.k || (a.k != CV_LONG && a.k != CV_DT && a.k != CV_DUR))
        return fail(ev, x, "type error: comparison needs two longs, datetimes or durations, got %s and %s",
                    cv_kind_name(a.k), cv_kind_name(b.k));
    int64_t l = a.u.i, r = b.u.i;
    out->k = CV_BOOL;
    out->u.b = x->op == OP_LT ? l < r : x->op == OP_LE ? l <= r : x->op == OP_GT ? l > r : l >= r;
    return 0;
}

/* out = (a in b); fails only when a's ancestors cannot be computed. */
static int in_one(ceval *ev, const cexpr *x, const cv *a, const cv *b, cv *out)
{
    int r = centities_in(ev->ents, a, b, ev->arena);
    if (r < 0)
        return fail(ev, x, "entity hierarchy too large (out of memory computing ancestors)");
    out->u.b = r == 1;
    return 0;
}

static int eval_in(ceval *ev, const cexpr *x, cv *out)
{
    cv a, b;
    if (eval_k(ev, x, 0, CV_ENT, "'in'", &a) || ceval_expr(ev, x->k[1], &b))
        return -1;
    out->k = CV_BOOL;
    out->u.b = false;
    if (b.k == CV_ENT)
        return in_one(ev, x, &a, &b, out);
    if (b.k != CV_SET)
        return type_err(ev, x->k[1], "'in'", "an entity or a set of entities", &b);
    for (size_t i = 0; i < b.u.set.n; i++)
        if (b.u.set.v[i].k != CV_ENT)
            return type_err(ev, x->k[1], "'in'", "a set of entities", &b.u.set.v[i]);
    for (size_t i = 0; i < b.u.set.n && !out->u.b; i++)
        if (in_one(ev, x, &a, &b.u.set.v[i], out))
            return -1;
    return 0;
}

/* Attribute access and `has` on an entity or record. */
static int attr(ceval *ev, const cexpr *x, bool has, cv *out)
{
    cv a;
    if (ceval_expr(ev, x->k[0], &a))
        return -1;
    const cv *rec;
    if (a.k == CV_ENT) {
        uint32_t ni = centities_index(ev->ents, &a);
        const cnode *n = ni == CNODE_ABSENT ? NULL : &ev->ents->nodes[ni];
        if (!n || !n->present) {
            if (has) {
                out->k = CV_BOOL;
                out->u.b = false;
                return 0;
            }
            char b[160];
            uid_text(&a, b, sizeof b);
            return fail(ev, x, "entity %s does not exist (attribute '%s')", b, x->name);
        }
        rec = &n->attrs;
    } else if (a.k == CV_REC) {
        rec = &a;
    } else {
        return type_err(ev, x->k[0], has ? "'has'" : "attribute access", "an entity or record", &a);
    }
    const cv *v = rec->k == CV_REC ? cv_rec_get(rec, x->name) : NULL;
    if (has) {
        out->k = CV_BOOL;
        out->u.b = v != NULL;
        return 0;
    }
    if (!v) {
        if (a.k == CV_ENT) {
            char b[160];
            uid_text(&a, b, sizeof b);
            return fail(ev, x, "entity %s does not have attribute '%s'", b, x->name);
        }
        return fail(ev, x, "record does not have attribute '%s'", x->name);
    }
    *out = *v;
    return 0;
}

static int eval_set(ceval *ev, const cexpr *x, cv *out)
{
    out->k = CV_SET;
    out->u.set.n = x->nk;
    if (x->nk && !(out->u.set.v = ca_alloc(ev->arena, x->nk * sizeof(cv))))
        return oom(ev, x);
    for (size_t i = 0; i < x->nk; i++)
        if (ceval_expr(ev, x->k[i], &out->u.set.v[i]))
            return -1;
    return 0;
}

static int eval_rec(ceval *ev, const cexpr *x, cv *out)
{
    out->k = CV_REC;
    out->u.rec.n = x->nk;
    if (x->nk && (!(out->u.rec.v = ca_alloc(ev->arena, x->nk * sizeof(cv))) ||
                  !(out->u.rec.keys = ca_alloc(ev->arena, x->nk * sizeof(char *)))))
        return oom(ev, x);
    for (size_t i = 0; i < x->nk; i++) {
        out->u.rec.keys[i] = x->keys[i];
        if (ceval_expr(ev, x->k[i], &out->u.rec.v[i]))
            return -1;
    }
    cv_rec_sort(ev->arena, out);
    return 0;
}

static int ext_status(ceval *ev, const cexpr *x, int rc, const char *what)
{
    if (rc == WR_OK)
        return 0;
    if (rc == WR_ELIMIT)
        return fail(ev, x, "overflow in %s", what);
    return fail(ev, x, "invalid argument to %s", what);
}

static int method(ceval *ev, const cexpr *x, cv *out)
{
    int fn = x->fn;
    const char *nm = cfn_table[fn].name;
    cv self, arg;
    if (ceval_expr(ev, x->k[0], &self))
        return -1;
    if (x->nk > 1 && ceval_expr(ev, x->k[1], &arg))
        return -1;
    out->k = CV_BOOL;
    switch (fn) {
    case CFN_CONTAINS:
        if (self.k != CV_SET)
            return type_err(ev, x, nm, "a set", &self);
        out->u.b = cv_set_has(&self, &arg);
        return 0;
    case CFN_CONTAINSALL:
    case CFN_CONTAINSANY:
        if (self.k != CV_SET)
            return type_err(ev, x, nm, "a set", &self);
        if (arg.k != CV_SET)
            return type_err(ev, x, nm, "a set argument", &arg);
        out->u.b = fn == CFN_CONTAINSALL;
        for (size_t i = 0; i < arg.u.set.n; i++) {
            bool has = cv_set_has(&self, &arg.u.set.v[i]);
            if (fn == CFN_CONTAINSALL && !has) {
                out->u.b = false;
                break;
            }
            if (fn == CFN_CONTAINSANY && has) {
                out->u.b = true;
                break;
            }
        }
        return 0;
    case CFN_ISEMPTY:
        if (self.k != CV_SET)
            return type_err(ev, x, nm, "a set", &self);
        out->u.b = self.u.set.n == 0;
        return 0;
    case CFN_GETTAG:
    case CFN_HASTAG: {
        if (self.k != CV_ENT)
            return type_err(ev, x, nm, "an entity", &self);
        if (arg.k != CV_STR)
            return type_err(ev, x, nm, "a string argument", &arg);
        uint32_t ni = centities_index(ev->ents, &self);
        const cnode *n = ni == CNODE_ABSENT ? NULL : &ev->ents->nodes[ni];
        char key[256];
        if (arg.u.s.n >= sizeof key || memchr(arg.u.s.p, 0, arg.u.s.n)) {
            if (fn == CFN_HASTAG) {
                out->u.b = false;
                return 0;
            }
            return fail(ev, x, "tag not found");
        }
        memcpy(key, arg.u.s.p, arg.u.s.n);
        key[arg.u.s.n] = '\0';
        const cv *t = n && n->present && n->tags ? cv_rec_get(n->tags, key) : NULL;
        if (fn == CFN_HASTAG) {
            out->u.b = t != NULL;
            return 0;
        }
        if (!t) {
            char b[160];
            uid_text(&self, b, sizeof b);
            if (!n || !n->present)
                return fail(ev, x, "entity %s does not exist (tag '%s')", b, key);
            return fail(ev, x, "entity %s does not have tag '%s'", b, key);
        }
        *out = *t;
        return 0;
    }
    case CFN_LESSTHAN: case CFN_LESSTHANOREQUAL: case CFN_GREATERTHAN:
    case CFN_GREATERTHANOREQUAL:
        if (self.k != CV_DEC)
            return type_err(ev, x, nm, "a decimal", &self);
        if (arg.k != CV_DEC)
            return type_err(ev, x, nm, "a decimal argument", &arg);
        out->u.b = fn == CFN_LESSTHAN ? self.u.i < arg.u.i
                   : fn == CFN_LESSTHANOREQUAL ? self.u.i <= arg.u.i
                   : fn == CFN_GREATERTHAN ? self.u.i > arg.u.i : self.u.i >= arg.u.i;
        return 0;
    case CFN_ISIPV4: case CFN_ISIPV6: case CFN_ISLOOPBACK: case CFN_ISMULTICAST:
        if (self.k != CV_IP)
            return type_err(ev, x, nm, "an ipaddr", &self);
        out->u.b = fn == CFN_ISIPV4 ? wr_ext_ip_is_ipv4(&self.u.ip)
                   : fn == CFN_ISIPV6 ? wr_ext_ip_is_ipv6(&self.u.ip)
                   : fn == CFN_ISLOOPBACK ? wr_ext_ip_is_loopback(&self.u.ip)
                                          : wr_ext_ip_is_multicast(&self.u.ip);
        return 0;
    case CFN_ISINRANGE:
        if (self.k != CV_IP)
            return type_err(ev, x, nm, "an ipaddr", &self);
        if (arg.k != CV_IP)
            return type_err(ev, x, nm, "an ipaddr argument", &arg);
        out->u.b = wr_ext_ip_in_range(&self.u.ip, &arg.u.ip);
        return 0;
    case CFN_OFFSET:
        if (self.k != CV_DT)
            return type_err(ev, x, nm, "a datetime", &self);
        if (arg.k != CV_DUR)
            return type_err(ev, x, nm, "a duration argument", &arg);
        out->k = CV_DT;
        return ext_status(ev, x, wr_ext_datetime_offset(self.u.i, arg.u.i, &out->u.i), nm);
    case CFN_DURATIONSINCE:
        if (self.k != CV_DT)
            return type_err(ev, x, nm, "a datetime", &self);
        if (arg.k != CV_DT)
            return type_err(ev, x, nm, "a datetime argument", &arg);
        out->k = CV_DUR;
        return ext_status(ev, x, wr_ext_datetime_duration_since(self.u.i, arg.u.i, &out->u.i), nm);
    case CFN_TODATE:
        if (self.k != CV_DT)
            return type_err(ev, x, nm, "a datetime", &self);
        out->k = CV_DT;
        return ext_status(ev, x, wr_ext_datetime_to_date(self.u.i, &out->u.i), nm);
    case CFN_TOTIME:
        if (self.k != CV_DT)
            return type_err(ev, x, nm, "a datetime", &self);
        out->k = CV_DUR;
        out->u.i = wr_ext_datetime_to_time(self.u.i);
        return 0;
    case CFN_TOMILLISECONDS: case CFN_TOSECONDS: case CFN_TOMINUTES: case CFN_TOHOURS:
    case CFN_TODAYS: {
        static const int64_t unit[] = {1, 1000, 60000, 3600000, 86400000};
        if (self.k != CV_DUR)
            return type_err(ev, x, nm, "a duration", &self);
        out->k = CV_LONG;
        out->u.i = wr_ext_duration_to(self.u.i, unit[fn - CFN_TOMILLISECONDS]);
        return 0;
    }
    default:
        return fail(ev, x, "unknown method");
    }
}

static int call(ceval *ev, const cexpr *x, cv *out)
{
    cv a;
    if (eval_k(ev, x, 0, CV_STR, cfn_table[x->fn].name, &a))
        return -1;
    int rc = cv_ext_parse(x->fn, a.u.s.p, a.u.s.n, out);
    if (rc != WR_OK)
        return fail(ev, x, "%s(\"%.*s\"): %s", cfn_table[x->fn].name,
                    (int)(a.u.s.n > 80 ? 80 : a.u.s.n), a.u.s.p,
                    rc == WR_ELIMIT ? "value out of range" : "malformed literal");
    return 0;
}

int ceval_expr(ceval *ev, const cexpr *x, cv *out)
{
    cv a;
    switch (x->op) {
    case OP_LIT:
        *out = x->lit;
        return 0;
    case OP_VAR:
        *out = ev->var[x->var];
        return 0;
    case OP_NOT:
        if (eval_k(ev, x, 0, CV_BOOL, "'!'", &a))
            return -1;
        out->k = CV_BOOL;
        out->u.b = !a.u.b;
        return 0;
    case OP_NEG:
        if (eval_k(ev, x, 0, CV_LONG, "unary '-'", &a))
            return -1;
        if (a.u.i == INT64_MIN)
            return fail(ev, x, "integer overflow: -(%lld)", (long long)a.u.i);
        out->k = CV_LONG;
        out->u.i = -a.u.i;
        return 0;
    case OP_ADD: case OP_SUB: case OP_MUL:
        return arith(ev, x, out);
    case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        return compare(ev, x, out);
    case OP_EQ: case OP_NE: {
        cv b;
        if (ceval_expr(ev, x->k[0], &a) || ceval_expr(ev, x->k[1], &b))
            return -1;
        out->k = CV_BOOL;
        out->u.b = cv_equal(&a, &b) == (x->op == OP_EQ);
        return 0;
    }
    case OP_IN:
        return eval_in(ev, x, out);
    case OP_AND: case OP_OR: {
        const char *what = x->op == OP_AND ? "'&&'" : "'||'";
        if (eval_k(ev, x, 0, CV_BOOL, what, &a))
            return -1;
        if (a.u.b == (x->op == OP_OR)) {
            *out = a;
            return 0;
        }
        return eval_k(ev, x, 1, CV_BOOL, what, out);
    }
    case OP_IF:
        if (eval_k(ev, x, 0, CV_BOOL, "if-then-else", &a))
            return -1;
        return ceval_expr(ev, x->k[a.u.b ? 1 : 2], out);
    case OP_HAS:
        return attr(ev, x, true, out);
    case OP_ATTR:
        return attr(ev, x, false, out);
    case OP_LIKE:
        if (eval_k(ev, x, 0, CV_STR, "'like'", &a))
            return -1;
        out->k = CV_BOOL;
        out->u.b = cv_like(a.u.s.p, a.u.s.n, x->pat, x->star, x->patn);
        return 0;
    case OP_IS:
        if (eval_k(ev, x, 0, CV_ENT, "'is'", &a))
            return -1;
        out->k = CV_BOOL;
        out->u.b = strcmp(a.u.e.ty, x->name) == 0;
        return 0;
    case OP_METHOD:
        return method(ev, x, out);
    case OP_CALL:
        return call(ev, x, out);
    case OP_SET:
        return eval_set(ev, x, out);
    case OP_REC:
        return eval_rec(ev, x, out);
    default:
        return fail(ev, x, "template slot outside a linked policy");
    }
}

int ceval_conds(ceval *ev, const cpolicy *p)
{
    for (size_t i = 0; i < p->ncond; i++) {
        cv r;
        if (ceval_expr(ev, p->conds[i].e, &r))
            return -1;
        if (r.k != CV_BOOL) {
            fail(ev, p->conds[i].e, "type error: %s condition must be a boolean, got %s",
                 p->conds[i].when ? "when" : "unless", cv_kind_name(r.k));
            return -1;
        }
        if (r.u.b != p->conds[i].when)
            return 0;
    }
    return 1;
}
