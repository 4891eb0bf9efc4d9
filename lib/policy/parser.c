/*
 * parser.c — Cedar policy text to AST.
 *
 * A recursive-descent parser over the grammar of the Cedar reference:
 *   Policy   ::= {Annotation} ('permit'|'forbid') '(' Scope ')' {Cond} ';'
 *   Expr     ::= 'if' Expr 'then' Expr 'else' Expr | Or
 *   Or/And   ::= left-associative '||' / '&&' chains
 *   Relation ::= Add [RELOP Add | 'has' Attr{'.'Attr} | 'like' STR
 *                     | 'is' Path ['in' Add]]
 *   Add/Mult ::= left-associative '+' '-' / '*'
 *   Unary    ::= {'!'|'-'} Member,   Member ::= Primary {'.'id['('args')'] | '['STR']'}
 * Nodes live in the policy set's arena.  Two limits keep evaluation's
 * recursion bounded: syntactic nesting (parentheses, brackets, unary
 * chains) at most WR_CEDAR_MAX_DEPTH, and AST height (which also grows
 * with long operator chains) at most CEDAR_MAX_HEIGHT.  Method names and
 * arities are checked here, as Cedar does, so a typo is a parse error and
 * not a runtime one.  `e has a.b` is desugared to `e has a && e.a has b`.
 */
#include "policy/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CEDAR_MAX_HEIGHT 1024

const cfninfo cfn_table[CFN__COUNT] = {
    [CFN_CONTAINS] = {"contains", 1, true}, [CFN_CONTAINSALL] = {"containsAll", 1, true},
    [CFN_CONTAINSANY] = {"containsAny", 1, true}, [CFN_ISEMPTY] = {"isEmpty", 0, true},
    [CFN_GETTAG] = {"getTag", 1, true}, [CFN_HASTAG] = {"hasTag", 1, true},
    [CFN_LESSTHAN] = {"lessThan", 1, true},
    [CFN_LESSTHANOREQUAL] = {"lessThanOrEqual", 1, true},
    [CFN_GREATERTHAN] = {"greaterThan", 1, true},
    [CFN_GREATERTHANOREQUAL] = {"greaterThanOrEqual", 1, true},
    [CFN_ISIPV4] = {"isIpv4", 0, true}, [CFN_ISIPV6] = {"isIpv6", 0, true},
    [CFN_ISLOOPBACK] = {"isLoopback", 0, true}, [CFN_ISMULTICAST] = {"isMulticast", 0, true},
    [CFN_ISINRANGE] = {"isInRange", 1, true}, [CFN_OFFSET] = {"offset", 1, true},
    [CFN_DURATIONSINCE] = {"durationSince", 1, true}, [CFN_TODATE] = {"toDate", 0, true},
    [CFN_TOTIME] = {"toTime", 0, true}, [CFN_TOMILLISECONDS] = {"toMilliseconds", 0, true},
    [CFN_TOSECONDS] = {"toSeconds", 0, true}, [CFN_TOMINUTES] = {"toMinutes", 0, true},
    [CFN_TOHOURS] = {"toHours", 0, true}, [CFN_TODAYS] = {"toDays", 0, true},
    [CFN_IP] = {"ip", 1, false}, [CFN_DECIMAL] = {"decimal", 1, false},
    [CFN_DATETIME] = {"datetime", 1, false}, [CFN_DURATION] = {"duration", 1, false},
};

typedef struct cparser {
    clexer L;
    carena *a;
    wr_err *err;
    bool failed;
    int depth;
} cparser;

static void *perr(cparser *P, const ctoken *t, int code, const char *fmt, ...) WR_PRINTF(4, 5);
static void *perr(cparser *P, const ctoken *t, int code, const char *fmt, ...)
{
    if (P->failed)
        return NULL;
    P->failed = true;
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wr_fail(P->err, code, "%s:%u:%u: %s", P->L.file, t->line, t->col, msg);
    return NULL;
}

static void *unexpected(cparser *P, const char *want)
{
    char msg[200];
    clex_expected(&P->L, want, msg, sizeof msg);
    return perr(P, &P->L.tok, WR_EINVAL, "%s", msg);
}

static bool accept(cparser *P, int tt) { return clex_accept(&P->L, tt); }

static bool expect(cparser *P, int tt)
{
    if (accept(P, tt))
        return true;
    unexpected(P, clex_tokname(tt));
    return false;
}

static bool accept_word(cparser *P, const char *w) { return clex_accept_word(&P->L, w); }

static void *oom(cparser *P)
{
    return perr(P, &P->L.tok, WR_ENOMEM, "out of memory (policy arena limit)");
}

static cexpr *mk(cparser *P, int op, const ctoken *at, size_t nk)
{
    cexpr *x = ca_alloc(P->a, sizeof *x);
    if (!x || (nk && !(x->k = ca_alloc(P->a, nk * sizeof *x->k))))
        return oom(P);
    x->op = (uint8_t)op;
    x->nk = nk;
    x->line = at->line;
    x->col = at->col;
    return x;
}

static bool is_reserved(const ctoken *t)
{
    static const char *const words[] = {"true", "false", "if", "then", "else", "in", "is",
                                        "like", "has", "__cedar", NULL};
    for (int i = 0; words[i]; i++)
        if (clex_is(t, words[i]))
            return true;
    return false;
}

/* Path ::= IDENT {'::' IDENT}; stops before '::' STR.  Returns the joined
 * name in the arena. */
static const char *parse_path(cparser *P)
{
    if (P->L.tok.t != T_IDENT)
        return unexpected(P, "a name");
    const char *start = P->L.tok.p;
    const char *end = start + P->L.tok.n;
    clex_next(&P->L);
    while (P->L.tok.t == T_COLON2) {
        ctoken nx = clex_peek(&P->L);
        if (nx.t != T_IDENT)
            break;
        clex_next(&P->L);
        end = P->L.tok.p + P->L.tok.n;
        clex_next(&P->L);
    }
    /* copy without interior whitespace/comments: rebuild from pieces */
    char *out = ca_alloc(P->a, (size_t)(end - start) + 1);
    if (!out)
        return oom(P);
    size_t k = 0;
    for (const char *c = start; c < end; c++) {
        if (*c == '/' && c + 1 < end && c[1] == '/') {
            while (c < end && *c != '\n')
                c++;
            continue;
        }
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r')
            out[k++] = *c;
    }
    out[k] = '\0';
    return out;
}

static bool parse_str(cparser *P, const char **out, size_t *outn)
{
    if (P->L.tok.t != T_STR) {
        unexpected(P, "a string literal");
        return false;
    }
    char *s;
    size_t n, bad;
    int rc = clex_unescape(P->a, P->L.tok.p, P->L.tok.n, false, &s, &n, NULL, &bad);
    if (rc == -2) {
        oom(P);
        return false;
    }
    if (rc) {
        ctoken at = P->L.tok;
        at.col += (uint32_t)bad + 1;
        perr(P, &at, WR_EINVAL, "invalid escape sequence in string literal");
        return false;
    }
    *out = s;
    *outn = n;
    clex_next(&P->L);
    return true;
}

/* Entity uid: Path '::' STR (the path has been read into ty). */
static bool parse_uid_after_path(cparser *P, const char *ty, cuid *u)
{
    if (!expect(P, T_COLON2))
        return false;
    u->ty = ty;
    return parse_str(P, &u->id, &u->idn);
}

static bool parse_uid(cparser *P, cuid *u)
{
    const char *ty = parse_path(P);
    return ty && parse_uid_after_path(P, ty, u);
}

/* ---- expressions ------------------------------------------------------------ */
static cexpr *parse_expr(cparser *P);

static bool enter(cparser *P)
{
    if (++P->depth > WR_CEDAR_MAX_DEPTH) {
        perr(P, &P->L.tok, WR_ELIMIT, "expression nesting deeper than %d", WR_CEDAR_MAX_DEPTH);
        return false;
    }
    return true;
}

/* Records the node height so long operator chains cannot make the
 * evaluator recurse without bound. */
static cexpr *seal(cparser *P, cexpr *x)
{
    if (!x)
        return NULL;
    uint32_t h = 0;
    for (size_t i = 0; i < x->nk; i++)
        if (x->k[i] && x->k[i]->height > h)
            h = x->k[i]->height;
    x->height = h + 1;
    if (x->height > CEDAR_MAX_HEIGHT) {
        ctoken at = {0, NULL, 0, x->line, x->col};
        return perr(P, &at, WR_ELIMIT, "expression too deep (more than %d levels)",
                    CEDAR_MAX_HEIGHT);
    }
    return x;
}

static cexpr *bin(cparser *P, int op, const ctoken *at, cexpr *l, cexpr *r)
{
    if (!l || !r)
        return NULL;
    cexpr *x = mk(P, op, at, 2);
    if (!x)
        return NULL;
    x->k[0] = l;
    x->k[1] = r;
    return seal(P, x);
}

/* comma-separated expressions up to the closing token */
static cexpr *parse_list(cparser *P, int op, const ctoken *at, int close)
{
    cexpr *items[64];
    cexpr **v = items;
    size_t n = 0, cap = 64;
    if (P->L.tok.t != close) {
        for (;;) {
            cexpr *e = parse_expr(P);
            if (!e)
                return NULL;
            if (n == cap) {
                cexpr **nv = ca_alloc(P->a, cap * 2 * sizeof *nv);
                if (!nv)
                    return oom(P);
                memcpy(nv, v, n * sizeof *nv);
                v = nv;
                cap *= 2;
            }
            v[n++] = e;
            if (!accept(P, T_COMMA))
                break;
            if (P->L.tok.t == close && close == T_RBK)
                break; /* trailing comma in set literal */
        }
    }
    if (!expect(P, close))
        return NULL;
    cexpr *x = mk(P, op, at, n);
    if (!x)
        return NULL;
    if (n)
        memcpy(x->k, v, n * sizeof *v);
    return seal(P, x);
}

static cexpr *parse_record(cparser *P, const ctoken *at)
{
    size_t n = 0, cap = 8;
    cexpr **v = ca_alloc(P->a, cap * sizeof *v);
    const char **keys = ca_alloc(P->a, cap * sizeof *keys);
    if (!v || !keys)
        return oom(P);
    while (P->L.tok.t != T_RB) {
        ctoken kt = P->L.tok;
        const char *key;
        if (kt.t == T_IDENT) {
            key = ca_strndup(P->a, kt.p, kt.n);
            if (!key)
                return oom(P);
            clex_next(&P->L);
        } else if (kt.t == T_STR) {
            size_t kn;
            if (!parse_str(P, &key, &kn))
                return NULL;
        } else {
            return unexpected(P, "a record key");
        }
        for (size_t i = 0; i < n; i++)
            if (strcmp(keys[i], key) == 0)
                return perr(P, &kt, WR_EINVAL, "duplicate key '%s' in record literal", key);
        if (!expect(P, T_COLON))
            return NULL;
        cexpr *e = parse_expr(P);
        if (!e)
            return NULL;
        if (n == cap) {
            cexpr **nv = ca_alloc(P->a, cap * 2 * sizeof *nv);
            const char **nkeys = ca_alloc(P->a, cap * 2 * sizeof *nkeys);
            if (!nv || !nkeys)
                return oom(P);
            memcpy(nv, v, n * sizeof *v);
            memcpy(nkeys, keys, n * sizeof *keys);
            v = nv;
            keys = nkeys;
            cap *= 2;
        }
        keys[n] = key;
        v[n++] = e;
        if (!accept(P, T_COMMA))
            break;
    }
    if (!expect(P, T_RB))
        return NULL;
    cexpr *x = mk(P, OP_REC, at, n);
    if (!x)
        return NULL;
    if (n)
        memcpy(x->k, v, n * sizeof *v);
    x->keys = keys;
    return seal(P, x);
}

static int find_fn(const ctoken *t, bool method)
{
    for (int i = 0; i < CFN__COUNT; i++)
        if (cfn_table[i].method == method && clex_is(t, cfn_table[i].name))
            return i;
    return -1;
}

static cexpr *parse_call_args(cparser *P, cexpr *x, const ctoken *name, int fn, cexpr *self)
{
    ctoken at = *name;
    cexpr *args = parse_list(P, OP_SET, &at, T_RP);
    if (!args)
        return NULL;
    int want = cfn_table[fn].nargs;
    if ((int)args->nk != want)
        return perr(P, name, WR_EINVAL, "%s expects %d argument%s, got %zu", cfn_table[fn].name,
                    want, want == 1 ? "" : "s", args->nk);
    size_t off = self ? 1 : 0;
    x->nk = args->nk + off;
    x->k = ca_alloc(P->a, (x->nk ? x->nk : 1) * sizeof *x->k);
    if (!x->k)
        return oom(P);
    if (self)
        x->k[0] = self;
    for (size_t i = 0; i < args->nk; i++)
        x->k[i + off] = args->k[i];
    x->fn = (uint8_t)fn;
    return seal(P, x);
}

static cexpr *parse_primary(cparser *P)
{
    ctoken t = P->L.tok;
    cexpr *x;
    switch (t.t) {
    case T_INT: {
        uint64_t v = 0;
        for (size_t i = 0; i < t.n; i++) {
            unsigned d = (unsigned)(t.p[i] - '0');
            if (v > (UINT64_C(9223372036854775807) - d) / 10)
                return perr(P, &t, WR_EINVAL, "integer literal '%.*s' out of range",
                            (int)(t.n > 30 ? 30 : t.n), t.p);
            v = v * 10 + d;
        }
        clex_next(&P->L);
        if (!(x = mk(P, OP_LIT, &t, 0)))
            return NULL;
        x->lit.k = CV_LONG;
        x->lit.u.i = (int64_t)v;
        return seal(P, x);
    }
    case T_STR:
        if (!(x = mk(P, OP_LIT, &t, 0)))
            return NULL;
        x->lit.k = CV_STR;
        if (!parse_str(P, &x->lit.u.s.p, &x->lit.u.s.n))
            return NULL;
        return seal(P, x);
    case T_SLOT: {
        bool pr = t.n == 9 && memcmp(t.p, "principal", 9) == 0;
        bool rs = t.n == 8 && memcmp(t.p, "resource", 8) == 0;
        if (!pr && !rs)
            return perr(P, &t, WR_EINVAL, "unknown template slot '?%.*s'", (int)t.n, t.p);
        return perr(P, &t, WR_EINVAL, "template slot '?%.*s' may only appear in the policy scope",
                    (int)t.n, t.p);
    }
    case T_LP:
        clex_next(&P->L);
        x = parse_expr(P);
        if (!x || !expect(P, T_RP))
            return NULL;
        return x;
    case T_LBK:
        clex_next(&P->L);
        return parse_list(P, OP_SET, &t, T_RBK);
    case T_LB:
        clex_next(&P->L);
        return parse_record(P, &t);
    case T_IDENT:
        break;
    default:
        return unexpected(P, "an expression");
    }
    if (clex_is(&t, "true") || clex_is(&t, "false")) {
        clex_next(&P->L);
        if (!(x = mk(P, OP_LIT, &t, 0)))
            return NULL;
        x->lit.k = CV_BOOL;
        x->lit.u.b = t.p[0] == 't';
        return seal(P, x);
    }
    static const char *const vars[] = {"principal", "action", "resource", "context"};
    for (int i = 0; i < 4; i++) {
        if (clex_is(&t, vars[i])) {
            ctoken nx = clex_peek(&P->L);
            if (nx.t == T_COLON2)
                break; /* e.g. a type named like a variable */
            clex_next(&P->L);
            if (!(x = mk(P, OP_VAR, &t, 0)))
                return NULL;
            x->var = (uint8_t)i;
            return seal(P, x);
        }
    }
    ctoken nx = clex_peek(&P->L);
    if (nx.t == T_LP) {
        int fn = find_fn(&t, false);
        if (fn < 0)
            return perr(P, &t, WR_EINVAL, "unknown function '%.*s'", (int)t.n, t.p);
        clex_next(&P->L);
        clex_next(&P->L);
        if (!(x = mk(P, OP_CALL, &t, 0)))
            return NULL;
        return parse_call_args(P, x, &t, fn, NULL);
    }
    if (nx.t != T_COLON2) {
        if (is_reserved(&t))
            return perr(P, &t, WR_EINVAL, "unexpected keyword '%.*s'", (int)t.n, t.p);
        return perr(P, &t, WR_EINVAL, "unknown variable '%.*s'", (int)t.n, t.p);
    }
    const char *ty = parse_path(P);
    if (!ty)
        return NULL;
    if (!(x = mk(P, OP_LIT, &t, 0)))
        return NULL;
    cuid u;
    if (!parse_uid_after_path(P, ty, &u))
        return NULL;
    x->lit.k = CV_ENT;
    x->lit.u.e.ty = u.ty;
    x->lit.u.e.id = u.id;
    x->lit.u.e.idn = u.idn;
    return seal(P, x);
}

static cexpr *parse_member(cparser *P)
{
    cexpr *x = parse_primary(P);
    while (x) {
        ctoken t = P->L.tok;
        if (t.t == T_DOT) {
            clex_next(&P->L);
            ctoken nt = P->L.tok;
            if (nt.t != T_IDENT)
                return unexpected(P, "an attribute or method name");
            clex_next(&P->L);
            if (P->L.tok.t == T_LP) {
                int fn = find_fn(&nt, true);
                if (fn < 0)
                    return perr(P, &nt, WR_EINVAL, "unknown method '%.*s'", (int)nt.n, nt.p);
                clex_next(&P->L);
                cexpr *m = mk(P, OP_METHOD, &nt, 0);
                if (!m)
                    return NULL;
                x = parse_call_args(P, m, &nt, fn, x);
            } else {
                cexpr *m = mk(P, OP_ATTR, &nt, 1);
                if (!m || !(m->name = ca_strndup(P->a, nt.p, nt.n)))
                    return m ? oom(P) : NULL;
                m->k[0] = x;
                x = seal(P, m);
            }
        } else if (t.t == T_LBK) {
            clex_next(&P->L);
            cexpr *m = mk(P, OP_ATTR, &t, 1);
            size_t n;
            if (!m || !parse_str(P, &m->name, &n) || !expect(P, T_RBK))
                return NULL;
            m->k[0] = x;
            x = seal(P, m);
        } else {
            break;
        }
    }
    return x;
}

static cexpr *parse_unary(cparser *P)
{
    ctoken ops[WR_CEDAR_MAX_DEPTH];
    int nops = 0;
    while (P->L.tok.t == T_NOT || P->L.tok.t == T_MINUS) {
        if (nops == WR_CEDAR_MAX_DEPTH)
            return perr(P, &P->L.tok, WR_ELIMIT, "too many unary operators");
        ops[nops++] = P->L.tok;
        clex_next(&P->L);
    }
    cexpr *x;
    if (nops && ops[nops - 1].t == T_MINUS && P->L.tok.t == T_INT) {
        /* a negative literal: allows -9223372036854775808 */
        ctoken t = P->L.tok;
        uint64_t v = 0;
        for (size_t i = 0; i < t.n; i++) {
            unsigned d = (unsigned)(t.p[i] - '0');
            if (v > (UINT64_C(9223372036854775808) - d) / 10)
                return perr(P, &t, WR_EINVAL, "integer literal '-%.*s' out of range",
                            (int)(t.n > 30 ? 30 : t.n), t.p);
            v = v * 10 + d;
        }
        clex_next(&P->L);
        if (!(x = mk(P, OP_LIT, &ops[nops - 1], 0)))
            return NULL;
        x->lit.k = CV_LONG;
        x->lit.u.i = v == UINT64_C(9223372036854775808) ? INT64_MIN : -(int64_t)v;
        x = seal(P, x);
        nops--;
        /* member access binds tighter than unary minus */
        while (x && (P->L.tok.t == T_DOT || P->L.tok.t == T_LBK)) {
            return perr(P, &P->L.tok, WR_EINVAL,
                        "member access on a negative literal needs parentheses");
        }
    } else {
        x = parse_member(P);
    }
    while (x && nops > 0) {
        ctoken *o = &ops[--nops];
        cexpr *u = mk(P, o->t == T_NOT ? OP_NOT : OP_NEG, o, 1);
        if (!u)
            return NULL;
        u->k[0] = x;
        x = seal(P, u);
    }
    return x;
}

static cexpr *parse_mult(cparser *P)
{
    cexpr *x = parse_unary(P);
    while (x && P->L.tok.t == T_STAR) {
        ctoken t = P->L.tok;
        clex_next(&P->L);
        x = bin(P, OP_MUL, &t, x, parse_unary(P));
    }
    return x;
}

static cexpr *parse_add(cparser *P)
{
    cexpr *x = parse_mult(P);
    while (x && (P->L.tok.t == T_PLUS || P->L.tok.t == T_MINUS)) {
        ctoken t = P->L.tok;
        clex_next(&P->L);
        x = bin(P, t.t == T_PLUS ? OP_ADD : OP_SUB, &t, x, parse_mult(P));
    }
    return x;
}

static cexpr *parse_relation(cparser *P)
{
    cexpr *x = parse_add(P);
    if (!x)
        return NULL;
    ctoken t = P->L.tok;
    int op = -1;
    switch (t.t) {
    case T_LT: op = OP_LT; break;
    case T_LE: op = OP_LE; break;
    case T_GT: op = OP_GT; break;
    case T_GE: op = OP_GE; break;
    case T_EQ: op = OP_EQ; break;
    case T_NE: op = OP_NE; break;
    case T_ASSIGN:
        return perr(P, &t, WR_EINVAL, "'=' is not an operator; use '=='");
    default:
        break;
    }
    if (clex_is(&t, "in"))
        op = OP_IN;
    if (op >= 0) {
        clex_next(&P->L);
        return bin(P, op, &t, x, parse_add(P));
    }
    if (clex_is(&t, "has")) {
        clex_next(&P->L);
        cexpr *res = NULL, *base = x;
        for (;;) {
            ctoken at = P->L.tok;
            const char *name;
            size_t nn;
            if (at.t == T_IDENT) {
                if (!(name = ca_strndup(P->a, at.p, at.n)))
                    return oom(P);
                clex_next(&P->L);
            } else if (at.t == T_STR) {
                if (!parse_str(P, &name, &nn))
                    return NULL;
            } else {
                return unexpected(P, "an attribute name after 'has'");
            }
            cexpr *h = mk(P, OP_HAS, &t, 1);
            if (!h)
                return NULL;
            h->k[0] = base;
            h->name = name;
            h = seal(P, h);
            res = res ? bin(P, OP_AND, &t, res, h) : h;
            if (!res)
                return NULL;
            if (P->L.tok.t != T_DOT)
                break;
            clex_next(&P->L);
            cexpr *g = mk(P, OP_ATTR, &at, 1);
            if (!g)
                return NULL;
            g->k[0] = base;
            g->name = name;
            if (!(base = seal(P, g)))
                return NULL;
        }
        return res;
    }
    if (clex_is(&t, "like")) {
        clex_next(&P->L);
        ctoken pt = P->L.tok;
        if (pt.t != T_STR)
            return unexpected(P, "a pattern string after 'like'");
        cexpr *l = mk(P, OP_LIKE, &t, 1);
        if (!l)
            return NULL;
        char *pat;
        uint8_t *star;
        size_t bad;
        int rc = clex_unescape(P->a, pt.p, pt.n, true, &pat, &l->patn, &star, &bad);
        if (rc == -2)
            return oom(P);
        if (rc) {
            pt.col += (uint32_t)bad + 1;
            return perr(P, &pt, WR_EINVAL, "invalid escape sequence in pattern");
        }
        clex_next(&P->L);
        l->pat = pat;
        l->star = star;
        l->k[0] = x;
        return seal(P, l);
    }
    if (clex_is(&t, "is")) {
        clex_next(&P->L);
        const char *ty = parse_path(P);
        if (!ty)
            return NULL;
        cexpr *is = mk(P, OP_IS, &t, 1);
        if (!is)
            return NULL;
        is->name = ty;
        is->k[0] = x;
        is = seal(P, is);
        if (is && clex_is(&P->L.tok, "in")) {
            ctoken it = P->L.tok;
            clex_next(&P->L);
            cexpr *in = bin(P, OP_IN, &it, x, parse_add(P));
            return bin(P, OP_AND, &t, is, in);
        }
        return is;
    }
    return x;
}

static cexpr *parse_and(cparser *P)
{
    cexpr *x = parse_relation(P);
    while (x && P->L.tok.t == T_AND) {
        ctoken t = P->L.tok;
        clex_next(&P->L);
        x = bin(P, OP_AND, &t, x, parse_relation(P));
    }
    return x;
}

static cexpr *parse_or(cparser *P)
{
    cexpr *x = parse_and(P);
    while (x && P->L.tok.t == T_OR) {
        ctoken t = P->L.tok;
        clex_next(&P->L);
        x = bin(P, OP_OR, &t, x, parse_and(P));
    }
    return x;
}

static cexpr *parse_expr(cparser *P)
{
    if (!enter(P))
        return NULL;
    cexpr *x;
    ctoken t = P->L.tok;
    if (clex_is(&t, "if")) {
        clex_next(&P->L);
        cexpr *c = parse_expr(P);
        if (!c)
            return NULL;
        if (!accept_word(P, "then"))
            return unexpected(P, "'then'");
        cexpr *a = parse_expr(P);
        if (!a)
            return NULL;
        if (!accept_word(P, "else"))
            return unexpected(P, "'else'");
        cexpr *b = parse_expr(P);
        if (!b || !(x = mk(P, OP_IF, &t, 3)))
            return NULL;
        x->k[0] = c;
        x->k[1] = a;
        x->k[2] = b;
        x = seal(P, x);
    } else {
        x = parse_or(P);
    }
    P->depth--;
    return x;
}

/* ---- policies ------------------------------------------------------------------ */
static bool parse_slot_or_uid(cparser *P, const char *var, cscopec *c)
{
    ctoken t = P->L.tok;
    if (t.t == T_SLOT) {
        if (strlen(var) != t.n || memcmp(t.p, var, t.n) != 0) {
            perr(P, &t, WR_EINVAL, "slot '?%.*s' is not allowed in the %s constraint", (int)t.n,
                 t.p, var);
            return false;
        }
        c->slot = true;
        clex_next(&P->L);
        return true;
    }
    return parse_uid(P, &c->uid);
}

static bool parse_pr_scope(cparser *P, const char *var, cscopec *c)
{
    ctoken t = P->L.tok;
    c->line = t.line;
    c->col = t.col;
    if (!accept_word(P, var)) {
        unexpected(P, var);
        return false;
    }
    if (accept(P, T_EQ)) {
        c->kind = CS_EQ;
        return parse_slot_or_uid(P, var, c);
    }
    if (accept_word(P, "in")) {
        c->kind = CS_IN;
        return parse_slot_or_uid(P, var, c);
    }
    if (accept_word(P, "is")) {
        c->kind = CS_IS;
        if (!(c->is_type = parse_path(P)))
            return false;
        if (accept_word(P, "in")) {
            c->kind = CS_IS_IN;
            return parse_slot_or_uid(P, var, c);
        }
        return true;
    }
    c->kind = CS_ANY;
    return true;
}

static bool check_action_uid(cparser *P, const ctoken *at, const cuid *u)
{
    size_t n = strlen(u->ty);
    if (strcmp(u->ty, "Action") == 0 || (n > 8 && strcmp(u->ty + n - 8, "::Action") == 0))
        return true;
    perr(P, at, WR_EINVAL, "expected an action entity (type Action), found type '%s'", u->ty);
    return false;
}

static bool parse_action_scope(cparser *P, cscopec *c)
{
    ctoken t = P->L.tok;
    c->line = t.line;
    c->col = t.col;
    if (!accept_word(P, "action")) {
        unexpected(P, "action");
        return false;
    }
    if (accept(P, T_EQ)) {
        c->kind = CS_EQ;
        ctoken at = P->L.tok;
        if (P->L.tok.t == T_SLOT) {
            perr(P, &at, WR_EINVAL, "template slots are not allowed in the action constraint");
            return false;
        }
        return parse_uid(P, &c->uid) && check_action_uid(P, &at, &c->uid);
    }
    if (clex_is(&P->L.tok, "is")) {
        perr(P, &P->L.tok, WR_EINVAL, "'is' is not allowed in the action constraint");
        return false;
    }
    if (!accept_word(P, "in")) {
        c->kind = CS_ANY;
        return true;
    }
    c->kind = CS_IN;
    if (P->L.tok.t == T_SLOT) {
        perr(P, &P->L.tok, WR_EINVAL, "template slots are not allowed in the action constraint");
        return false;
    }
    bool list = accept(P, T_LBK);
    size_t cap = 4;
    c->list = ca_alloc(P->a, cap * sizeof *c->list);
    if (!c->list) {
        oom(P);
        return false;
    }
    bool empty = list && P->L.tok.t == T_RBK;
    while (!empty) {
        if (c->nlist == cap) {
            cuid *nl = ca_alloc(P->a, cap * 2 * sizeof *nl);
            if (!nl) {
                oom(P);
                return false;
            }
            memcpy(nl, c->list, cap * sizeof *nl);
            c->list = nl;
            cap *= 2;
        }
        ctoken at = P->L.tok;
        if (!parse_uid(P, &c->list[c->nlist]) || !check_action_uid(P, &at, &c->list[c->nlist]))
            return false;
        c->nlist++;
        if (!list || !accept(P, T_COMMA))
            break;
    }
    return !list || expect(P, T_RBK);
}

static cpolicy *parse_policy(cparser *P, size_t index)
{
    cpolicy *p = ca_alloc(P->a, sizeof *p);
    if (!p)
        return oom(P);
    p->file = P->L.file;
    p->line = P->L.tok.line;
    p->col = P->L.tok.col;
    size_t cap = 0;
    while (P->L.tok.t == T_AT) {
        clex_next(&P->L);
        ctoken kt = P->L.tok;
        if (kt.t != T_IDENT)
            return unexpected(P, "an annotation name");
        clex_next(&P->L);
        const char *key = ca_strndup(P->a, kt.p, kt.n), *val = "";
        size_t vn;
        if (!key)
            return oom(P);
        if (accept(P, T_LP)) {
            if (!parse_str(P, &val, &vn) || !expect(P, T_RP))
                return NULL;
        }
        for (size_t i = 0; i < p->nannot; i++)
            if (strcmp(p->annot_keys[i], key) == 0)
                return perr(P, &kt, WR_EINVAL, "duplicate annotation '@%s'", key);
        if (p->nannot == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            const char **nk = ca_alloc(P->a, ncap * sizeof *nk);
            const char **nv = ca_alloc(P->a, ncap * sizeof *nv);
            if (!nk || !nv)
                return oom(P);
            if (cap) {
                memcpy(nk, p->annot_keys, cap * sizeof *nk);
                memcpy(nv, p->annot_vals, cap * sizeof *nv);
            }
            p->annot_keys = nk;
            p->annot_vals = nv;
            cap = ncap;
        }
        p->annot_keys[p->nannot] = key;
        p->annot_vals[p->nannot++] = val;
    }
    ctoken et = P->L.tok;
    if (accept_word(P, "permit"))
        p->effect = 1;
    else if (accept_word(P, "forbid"))
        p->effect = 0;
    else
        return unexpected(P, "'permit' or 'forbid'");
    (void)et;
    if (!expect(P, T_LP) || !parse_pr_scope(P, "principal", &p->principal) ||
        !expect(P, T_COMMA) || !parse_action_scope(P, &p->action) || !expect(P, T_COMMA) ||
        !parse_pr_scope(P, "resource", &p->resource))
        return NULL;
    if (P->L.tok.t == T_COMMA) {
        ctoken nx = clex_peek(&P->L);
        if (nx.t == T_RP)
            clex_next(&P->L);
    }
    if (!expect(P, T_RP))
        return NULL;
    size_t ccap = 0;
    for (;;) {
        bool when = clex_is(&P->L.tok, "when");
        if (!when && !clex_is(&P->L.tok, "unless"))
            break;
        clex_next(&P->L);
        if (!expect(P, T_LB))
            return NULL;
        if (P->L.tok.t == T_RB)
            return perr(P, &P->L.tok, WR_EINVAL, "empty %s condition", when ? "when" : "unless");
        cexpr *e = parse_expr(P);
        if (!e || !expect(P, T_RB))
            return NULL;
        if (p->ncond == ccap) {
            size_t ncap = ccap ? ccap * 2 : 2;
            ccond *nc = ca_alloc(P->a, ncap * sizeof *nc);
            if (!nc)
                return oom(P);
            if (ccap)
                memcpy(nc, p->conds, ccap * sizeof *nc);
            p->conds = nc;
            ccap = ncap;
        }
        p->conds[p->ncond].when = when;
        p->conds[p->ncond++].e = e;
    }
    if (!expect(P, T_SEMI))
        return NULL;
    p->is_template = p->principal.slot || p->resource.slot;
    const char *id = NULL;
    for (size_t i = 0; i < p->nannot; i++)
        if (strcmp(p->annot_keys[i], "id") == 0)
            id = p->annot_vals[i];
    if (!id) {
        char buf[32];
        snprintf(buf, sizeof buf, "policy%zu", index);
        id = ca_strndup(P->a, buf, strlen(buf));
        if (!id)
            return oom(P);
    }
    p->id = id;
    return p;
}


int cpolicy_parse_text(wr_policy_set *ps, const char *text, size_t len, const char *file,
                       wr_err *err)
{
    if (len > WR_CEDAR_MAX_POLICY_BYTES)
        return wr_fail(err, WR_ELIMIT, "%s: policy text larger than %u bytes", file ? file : "<input>",
                       WR_CEDAR_MAX_POLICY_BYTES);
    cparser P;
    memset(&P, 0, sizeof P);
    P.a = &ps->arena;
    P.err = err;
    const char *fname = ca_strndup(P.a, file ? file : "<input>", strlen(file ? file : "<input>"));
    if (!fname)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    clex_init(&P.L, text, len, fname);
    size_t start = ps->n;
    int rc = WR_OK;
    for (size_t i = 0; P.L.tok.t != T_EOF; i++) {
        ctoken at = P.L.tok;
        cpolicy *p = parse_policy(&P, i);
        if (!p) {
            rc = err ? err->code : WR_EINVAL;
            if (!rc)
                rc = WR_EINVAL;
            break;
        }
        wr_err e2 = {0};
        if ((rc = cps_append(ps, p, &e2)) != WR_OK) {
            wr_fail(err, rc, "%s:%u:%u: %s", fname, at.line, at.col, e2.msg);
            break;
        }
    }
    if (rc != WR_OK)
        cps_truncate(ps, start); /* roll back this text's policies */
    ps->index_ok = false;
    return rc;
}
