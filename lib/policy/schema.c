/*
 * schema.c — parser for Cedar's human-readable schema format (.cedarschema).
 *
 *   Schema   ::= {Namespace | Decl}
 *   Namespace::= 'namespace' Path '{' {Decl} '}'
 *   Decl     ::= {Annotation} (Entity | Action | 'type' IDENT '=' Type ';')
 *   Entity   ::= 'entity' Names ['in' Types] [['='] Record] ['tags' Type] ';'
 *              | 'entity' Names 'enum' '[' STR {',' STR} ']' ';'
 *   Action   ::= 'action' Names ['in' Refs] ['appliesTo' '{' ... '}'] ';'
 *   Type     ::= Path | 'Set' '<' Type '>' | '{' [Attr {',' Attr}] '}'
 *   Attr     ::= {Annotation} Name ['?'] ':' Type
 * Declarations are collected with names qualified by their namespace, then
 * a resolution pass turns every type name into a concrete type: a common
 * type (`type X = ...`) of that namespace, else an entity type, else a
 * primitive (Bool, Long, String, ipaddr, decimal, datetime, duration,
 * also as __cedar::X), else the same lookups in the empty namespace.
 * Unknown names are errors with their line:col.
 */
#include "policy/lexer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctypedef { const char *name; cstype *t; bool busy; } ctypedef;

typedef struct sparser {
    clexer L;
    wr_schema *s;
    carena *a;
    wr_err *err;
    bool failed;
    const char *ns;              /* current namespace ("" for none) */
    int depth;
    /* growable arrays (malloc'd during parsing; copied into the arena) */
    csentity *ents; size_t nents, capents;
    csaction *acts; size_t nacts, capacts;
    ctypedef *defs; size_t ndefs, capdefs;
    cstype **names; size_t nnames, capnames;   /* CST_NAME nodes to resolve */
} sparser;

static int serr(sparser *P, uint32_t line, uint32_t col, int code, const char *fmt, ...)
    WR_PRINTF(5, 6);
static int serr(sparser *P, uint32_t line, uint32_t col, int code, const char *fmt, ...)
{
    if (P->failed)
        return -1;
    P->failed = true;
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wr_fail(P->err, code, "%s:%u:%u: %s", P->L.file, line, col, msg);
    return -1;
}

static int sunexp(sparser *P, const char *want)
{
    char msg[200];
    clex_expected(&P->L, want, msg, sizeof msg);
    return serr(P, P->L.tok.line, P->L.tok.col, WR_EINVAL, "%s", msg);
}

static int soom(sparser *P)
{
    return serr(P, P->L.tok.line, P->L.tok.col, WR_ENOMEM, "out of memory");
}

static bool sacc(sparser *P, int tt) { return clex_accept(&P->L, tt); }

static int sexp(sparser *P, int tt)
{
    return sacc(P, tt) ? 0 : sunexp(P, clex_tokname(tt));
}

static bool sword(sparser *P, const char *w) { return clex_accept_word(&P->L, w); }

#define GROW(arr, n, cap)                                                          \
    ((n) < (cap) ? 0                                                               \
                 : ((cap) = (cap) ? (cap) * 2 : 8,                                 \
                    (arr) = reallocarray_or_null((arr), (cap), sizeof *(arr)),     \
                    (arr) ? 0 : -1))

static void *reallocarray_or_null(void *p, size_t n, size_t sz)
{
    if (n && sz > SIZE_MAX / n) {
        free(p);
        return NULL;
    }
    void *q = realloc(p, n * sz);
    if (!q)
        free(p);
    return q;
}

static char *qualify(sparser *P, const char *name)
{
    if (!P->ns[0])
        return ca_strndup(P->a, name, strlen(name));
    size_t a = strlen(P->ns), b = strlen(name);
    char *o = ca_alloc(P->a, a + b + 3);
    if (o) {
        memcpy(o, P->ns, a);
        memcpy(o + a, "::", 2);
        memcpy(o + a + 2, name, b + 1);
    }
    return o;
}

/* IDENT {'::' IDENT} (not followed by a string) */
static char *spath(sparser *P)
{
    if (P->L.tok.t != T_IDENT) {
        sunexp(P, "a name");
        return NULL;
    }
    char buf[1024];
    size_t k = 0;
    for (;;) {
        if (k + P->L.tok.n + 3 >= sizeof buf) {
            serr(P, P->L.tok.line, P->L.tok.col, WR_ELIMIT, "name too long");
            return NULL;
        }
        memcpy(buf + k, P->L.tok.p, P->L.tok.n);
        k += P->L.tok.n;
        clex_next(&P->L);
        if (P->L.tok.t != T_COLON2 || clex_peek(&P->L).t != T_IDENT)
            break;
        clex_next(&P->L);
        memcpy(buf + k, "::", 2);
        k += 2;
    }
    char *o = ca_strndup(P->a, buf, k);
    if (!o)
        soom(P);
    return o;
}

/* Name ::= IDENT | STR */
static const char *sname(sparser *P)
{
    ctoken t = P->L.tok;
    char *o = NULL;
    if (t.t == T_IDENT) {
        o = ca_strndup(P->a, t.p, t.n);
    } else if (t.t == T_STR) {
        size_t n, bad;
        if (clex_unescape(P->a, t.p, t.n, false, &o, &n, NULL, &bad)) {
            serr(P, t.line, t.col, WR_EINVAL, "invalid escape in string");
            return NULL;
        }
    } else {
        sunexp(P, "a name");
        return NULL;
    }
    if (!o) {
        soom(P);
        return NULL;
    }
    clex_next(&P->L);
    return o;
}

static int skip_annotations(sparser *P)
{
    while (sacc(P, T_AT)) {
        if (P->L.tok.t != T_IDENT)
            return sunexp(P, "an annotation name");
        clex_next(&P->L);
        if (sacc(P, T_LP)) {
            if (P->L.tok.t != T_STR)
                return sunexp(P, "a string");
            clex_next(&P->L);
            if (sexp(P, T_RP))
                return -1;
        }
    }
    return 0;
}

static cstype *newtype(sparser *P, int k)
{
    cstype *t = ca_alloc(P->a, sizeof *t);
    if (!t) {
        soom(P);
        return NULL;
    }
    t->k = k;
    t->line = P->L.tok.line;
    t->col = P->L.tok.col;
    t->ns = P->ns;
    return t;
}

static cstype *stype(sparser *P);

static cstype *srecord(sparser *P)
{
    cstype *t = newtype(P, CST_RECORD);
    if (!t || sexp(P, T_LB))
        return NULL;
    size_t cap = 0;
    while (P->L.tok.t != T_RB) {
        if (skip_annotations(P))
            return NULL;
        ctoken at = P->L.tok;
        const char *name = sname(P);
        if (!name)
            return NULL;
        bool opt = sacc(P, T_QUESTION);
        if (sexp(P, T_COLON))
            return NULL;
        cstype *ty = stype(P);
        if (!ty)
            return NULL;
        for (size_t i = 0; i < t->nattr; i++)
            if (strcmp(t->attr_names[i], name) == 0) {
                serr(P, at.line, at.col, WR_EINVAL, "duplicate attribute '%s'", name);
                return NULL;
            }
        if (t->nattr == cap) {
            size_t nc = cap ? cap * 2 : 8;
            const char **nn = ca_alloc(P->a, nc * sizeof *nn);
            cstype **nt = ca_alloc(P->a, nc * sizeof *nt);
            bool *nr = ca_alloc(P->a, nc * sizeof *nr);
            if (!nn || !nt || !nr) {
                soom(P);
                return NULL;
            }
            if (cap) {
                memcpy(nn, t->attr_names, cap * sizeof *nn);
                memcpy(nt, t->attr_types, cap * sizeof *nt);
                memcpy(nr, t->attr_required, cap * sizeof *nr);
            }
            t->attr_names = nn;
            t->attr_types = nt;
            t->attr_required = nr;
            cap = nc;
        }
        t->attr_names[t->nattr] = name;
        t->attr_types[t->nattr] = ty;
        t->attr_required[t->nattr++] = !opt;
        if (!sacc(P, T_COMMA))
            break;
    }
    if (sexp(P, T_RB))
        return NULL;
    return t;
}

static cstype *stype(sparser *P)
{
    if (++P->depth > WR_CEDAR_MAX_DEPTH) {
        serr(P, P->L.tok.line, P->L.tok.col, WR_ELIMIT, "type nesting deeper than %d",
             WR_CEDAR_MAX_DEPTH);
        return NULL;
    }
    cstype *t;
    if (P->L.tok.t == T_LB) {
        t = srecord(P);
    } else if (clex_is(&P->L.tok, "Set") && clex_peek(&P->L).t == T_LT) {
        t = newtype(P, CST_SET);
        clex_next(&P->L);
        clex_next(&P->L);
        if (t && !(t->elem = stype(P)))
            t = NULL;
        if (t && sexp(P, T_GT))
            t = NULL;
    } else {
        t = newtype(P, CST_NAME);
        if (t && !(t->name = spath(P)))
            t = NULL;
        if (t) {
            if (GROW(P->names, P->nnames, P->capnames)) {
                soom(P);
                return NULL;
            }
            P->names[P->nnames++] = t;
        }
    }
    P->depth--;
    return t;
}

/* EntOrTyps ::= Path | '[' [Path {',' Path}] ']' ; names stored unresolved */
static int stypelist(sparser *P, const char ***out, size_t *n)
{
    bool list = sacc(P, T_LBK);
    const char *items[256];
    size_t k = 0;
    while (!list || P->L.tok.t != T_RBK) {
        if (k == 256)
            return serr(P, P->L.tok.line, P->L.tok.col, WR_ELIMIT, "more than 256 types in a list");
        if (!(items[k++] = spath(P)))
            return -1;
        if (!list || !sacc(P, T_COMMA))
            break;
    }
    if (list && sexp(P, T_RBK))
        return -1;
    const char **v = ca_alloc(P->a, (k ? k : 1) * sizeof *v);
    if (!v)
        return soom(P);
    memcpy(v, items, k * sizeof *v);
    *out = v;
    *n = k;
    return 0;
}

static int snames(sparser *P, const char **items, size_t *n, ctoken *first)
{
    size_t k = 0;
    *first = P->L.tok;
    do {
        if (k == 256)
            return serr(P, P->L.tok.line, P->L.tok.col, WR_ELIMIT, "more than 256 names in a declaration");
        if (!(items[k++] = sname(P)))
            return -1;
    } while (sacc(P, T_COMMA));
    *n = k;
    return 0;
}

static int sentity(sparser *P)
{
    const char *names[256];
    size_t nn = 0;
    ctoken first;
    if (snames(P, names, &nn, &first))
        return -1;
    csentity proto;
    memset(&proto, 0, sizeof proto);
    if (sword(P, "enum")) {
        if (sexp(P, T_LBK))
            return -1;
        const char *vals[1024];
        size_t nv = 0;
        while (P->L.tok.t == T_STR) {
            if (nv == 1024)
                return serr(P, P->L.tok.line, P->L.tok.col, WR_ELIMIT, "too many enum values");
            if (!(vals[nv++] = sname(P)))
                return -1;
            if (!sacc(P, T_COMMA))
                break;
        }
        if (!nv)
            return sunexp(P, "an enum value (string)");
        if (sexp(P, T_RBK))
            return -1;
        proto.enums = ca_alloc(P->a, nv * sizeof *proto.enums);
        if (!proto.enums)
            return soom(P);
        memcpy(proto.enums, vals, nv * sizeof *vals);
        proto.nenum = nv;
    } else {
        if (sword(P, "in") && stypelist(P, &proto.parents, &proto.nparents))
            return -1;
        sacc(P, T_ASSIGN);
        if (P->L.tok.t == T_LB && !(proto.attrs = srecord(P)))
            return -1;
        if (sword(P, "tags") && !(proto.tags = stype(P)))
            return -1;
    }
    if (!proto.attrs && !(proto.attrs = newtype(P, CST_RECORD)))
        return -1;
    if (sexp(P, T_SEMI))
        return -1;
    for (size_t i = 0; i < nn; i++) {
        char *q = qualify(P, names[i]);
        if (!q)
            return soom(P);
        for (size_t k = 0; k < P->nents; k++)
            if (strcmp(P->ents[k].name, q) == 0)
                return serr(P, first.line, first.col, WR_EINVAL, "entity type %s declared twice", q);
        if (GROW(P->ents, P->nents, P->capents))
            return soom(P);
        P->ents[P->nents] = proto;
        P->ents[P->nents++].name = q;
    }
    return 0;
}

/* Ref ::= Path '::' STR | Name ; gives (type, id) of an action */
static int saction_ref(sparser *P, const char **ty, const char **id)
{
    if (P->L.tok.t == T_STR) {
        *ty = qualify(P, "Action");
        *id = sname(P);
        return *ty && *id ? 0 : -1;
    }
    if (P->L.tok.t != T_IDENT)
        return sunexp(P, "an action name");
    if (clex_peek(&P->L).t != T_COLON2) {
        *ty = qualify(P, "Action");
        *id = sname(P);
        return *ty && *id ? 0 : -1;
    }
    char *path = spath(P);
    if (!path || sexp(P, T_COLON2))
        return -1;
    *ty = path;
    if (P->L.tok.t != T_STR)
        return sunexp(P, "a string");
    *id = sname(P);
    return *id ? 0 : -1;
}

static int saction(sparser *P)
{
    const char *names[256];
    size_t nn = 0;
    ctoken first;
    if (snames(P, names, &nn, &first))
        return -1;
    csaction proto;
    memset(&proto, 0, sizeof proto);
    if (sword(P, "in")) {
        bool list = sacc(P, T_LBK);
        const char *tys[256], *ids[256];
        size_t k = 0;
        while (!list || P->L.tok.t != T_RBK) {
            if (k == 256)
                return serr(P, P->L.tok.line, P->L.tok.col, WR_ELIMIT, "too many action groups");
            if (saction_ref(P, &tys[k], &ids[k]))
                return -1;
            k++;
            if (!list || !sacc(P, T_COMMA))
                break;
        }
        if (list && sexp(P, T_RBK))
            return -1;
        proto.parent_types = ca_alloc(P->a, (k ? k : 1) * sizeof(char *));
        proto.parent_ids = ca_alloc(P->a, (k ? k : 1) * sizeof(char *));
        if (!proto.parent_types || !proto.parent_ids)
            return soom(P);
        memcpy(proto.parent_types, tys, k * sizeof(char *));
        memcpy(proto.parent_ids, ids, k * sizeof(char *));
        proto.nparents = k;
    }
    if (sword(P, "appliesTo")) {
        proto.applies = true;
        if (sexp(P, T_LB))
            return -1;
        while (P->L.tok.t != T_RB) {
            ctoken kt = P->L.tok;
            if (sword(P, "principal")) {
                if (sexp(P, T_COLON) || stypelist(P, &proto.principals, &proto.nprincipals))
                    return -1;
            } else if (sword(P, "resource")) {
                if (sexp(P, T_COLON) || stypelist(P, &proto.resources, &proto.nresources))
                    return -1;
            } else if (sword(P, "context")) {
                if (sexp(P, T_COLON) || !(proto.context = stype(P)))
                    return -1;
            } else {
                return serr(P, kt.line, kt.col, WR_EINVAL,
                            "expected 'principal', 'resource' or 'context' in appliesTo");
            }
            if (!sacc(P, T_COMMA))
                break;
        }
        if (sexp(P, T_RB))
            return -1;
    }
    if (skip_annotations(P) || sexp(P, T_SEMI))
        return -1;
    if (!proto.context && !(proto.context = newtype(P, CST_RECORD)))
        return -1;
    for (size_t i = 0; i < nn; i++) {
        const char *ty = qualify(P, "Action");
        if (!ty)
            return soom(P);
        for (size_t k = 0; k < P->nacts; k++)
            if (strcmp(P->acts[k].type, ty) == 0 && strcmp(P->acts[k].id, names[i]) == 0)
                return serr(P, first.line, first.col, WR_EINVAL, "action \"%s\" declared twice",
                            names[i]);
        if (GROW(P->acts, P->nacts, P->capacts))
            return soom(P);
        P->acts[P->nacts] = proto;
        P->acts[P->nacts].type = ty;
        P->acts[P->nacts++].id = names[i];
    }
    return 0;
}

static int stypedecl(sparser *P)
{
    ctoken at = P->L.tok;
    if (at.t != T_IDENT)
        return sunexp(P, "a type name");
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)at.n, at.p);
    clex_next(&P->L);
    if (sexp(P, T_ASSIGN))
        return -1;
    cstype *t = stype(P);
    if (!t || sexp(P, T_SEMI))
        return -1;
    char *q = qualify(P, name);
    if (!q)
        return soom(P);
    for (size_t k = 0; k < P->ndefs; k++)
        if (strcmp(P->defs[k].name, q) == 0)
            return serr(P, at.line, at.col, WR_EINVAL, "common type %s declared twice", q);
    if (GROW(P->defs, P->ndefs, P->capdefs))
        return soom(P);
    P->defs[P->ndefs].name = q;
    P->defs[P->ndefs].busy = false;
    P->defs[P->ndefs++].t = t;
    return 0;
}

static int sdecls(sparser *P, bool in_ns)
{
    while (P->L.tok.t != T_EOF && !(in_ns && P->L.tok.t == T_RB)) {
        if (skip_annotations(P))
            return -1;
        if (sword(P, "entity")) {
            if (sentity(P))
                return -1;
        } else if (sword(P, "action")) {
            if (saction(P))
                return -1;
        } else if (sword(P, "type")) {
            if (stypedecl(P))
                return -1;
        } else if (!in_ns && sword(P, "namespace")) {
            char *ns = spath(P);
            if (!ns || sexp(P, T_LB))
                return -1;
            P->ns = ns;
            if (sdecls(P, true) || sexp(P, T_RB))
                return -1;
            P->ns = "";
        } else {
            return sunexp(P, "'entity', 'action', 'type' or 'namespace'");
        }
    }
    return 0;
}

/* ---- resolution ------------------------------------------------------------------ */
static bool entity_declared(sparser *P, const char *name)
{
    for (size_t k = 0; k < P->nents; k++)
        if (strcmp(P->ents[k].name, name) == 0)
            return true;
    return false;
}

static ctypedef *find_def(sparser *P, const char *name)
{
    for (size_t k = 0; k < P->ndefs; k++)
        if (strcmp(P->defs[k].name, name) == 0)
            return &P->defs[k];
    return NULL;
}

static int prim_kind(const char *n)
{
    if (strncmp(n, "__cedar::", 9) == 0)
        n += 9;
    static const struct { const char *n; int k; } prims[] = {
        {"Bool", CST_BOOL}, {"Boolean", CST_BOOL}, {"Long", CST_LONG}, {"String", CST_STRING},
        {"ipaddr", CST_IP}, {"decimal", CST_DECIMAL}, {"datetime", CST_DATETIME},
        {"duration", CST_DURATION}};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (strcmp(prims[i].n, n) == 0)
            return prims[i].k;
    return -1;
}

static int resolve(sparser *P, cstype *t, int depth);

/* Candidate full names for a reference written in namespace ns. */
static const char *ns_name(sparser *P, const char *ns, const char *name, char *buf, size_t n)
{
    (void)P;
    if (!ns || !ns[0])
        return name;
    snprintf(buf, n, "%s::%s", ns, name);
    return buf;
}

static int resolve_name(sparser *P, cstype *t, int depth)
{
    char buf[1200];
    const char *cands[2] = {ns_name(P, t->ns, t->name, buf, sizeof buf), t->name};
    for (int pass = 0; pass < 2; pass++) {
        const char *c = cands[pass];
        if (pass == 1 && c == cands[0])
            break;
        ctypedef *d = find_def(P, c);
        if (d) {
            if (d->busy)
                return serr(P, t->line, t->col, WR_EINVAL, "common type %s refers to itself", c);
            d->busy = true;
            int rc = resolve(P, d->t, depth + 1);
            d->busy = false;
            if (rc)
                return rc;
            uint32_t line = t->line, col = t->col;
            *t = *d->t;
            t->line = line;
            t->col = col;
            return 0;
        }
        if (entity_declared(P, c)) {
            t->k = CST_ENTITY;
            t->name = ca_strndup(P->a, c, strlen(c));
            return t->name ? 0 : soom(P);
        }
        if (pass == 0 || !strchr(c, ':') || strncmp(c, "__cedar::", 9) == 0) {
            int pk = prim_kind(t->name);
            if (pk >= 0) {
                t->k = pk;
                return 0;
            }
        }
    }
    return serr(P, t->line, t->col, WR_EINVAL, "unknown type '%s'", t->name);
}

static int resolve(sparser *P, cstype *t, int depth)
{
    if (depth > WR_CEDAR_MAX_DEPTH)
        return serr(P, t->line, t->col, WR_ELIMIT, "type definitions nested deeper than %d",
                    WR_CEDAR_MAX_DEPTH);
    switch (t->k) {
    case CST_NAME:
        return resolve_name(P, t, depth);
    case CST_SET:
        return resolve(P, t->elem, depth + 1);
    case CST_RECORD:
        for (size_t i = 0; i < t->nattr; i++)
            if (resolve(P, t->attr_types[i], depth + 1))
                return -1;
        return 0;
    default:
        return 0;
    }
}

static int resolve_etypes(sparser *P, const char **v, size_t n, const char *ns, uint32_t line,
                          uint32_t col)
{
    char buf[1200];
    for (size_t i = 0; i < n; i++) {
        const char *q = ns_name(P, ns, v[i], buf, sizeof buf);
        if (entity_declared(P, q)) {
            if (!(v[i] = ca_strndup(P->a, q, strlen(q))))
                return soom(P);
        } else if (!entity_declared(P, v[i])) {
            return serr(P, line, col, WR_EINVAL, "unknown entity type '%s'", v[i]);
        }
    }
    return 0;
}

static const char *ns_of(carena *a, const char *qualified)
{
    const char *last = NULL;
    for (const char *p = qualified; (p = strstr(p, "::")); p += 2)
        last = p;
    return last ? ca_strndup(a, qualified, (size_t)(last - qualified)) : "";
}

static int resolve_all(sparser *P)
{
    for (size_t i = 0; i < P->ndefs; i++) {
        P->defs[i].busy = true;
        int rc = resolve(P, P->defs[i].t, 0);
        P->defs[i].busy = false;
        if (rc)
            return -1;
    }
    for (size_t i = 0; i < P->nents; i++) {
        csentity *e = &P->ents[i];
        const char *ns = ns_of(P->a, e->name);
        if (!ns || resolve(P, e->attrs, 0) || (e->tags && resolve(P, e->tags, 0)) ||
            resolve_etypes(P, e->parents, e->nparents, ns, e->attrs->line, e->attrs->col))
            return -1;
    }
    for (size_t i = 0; i < P->nacts; i++) {
        csaction *a = &P->acts[i];
        const char *ns = ns_of(P->a, a->type);
        if (!ns || resolve(P, a->context, 0) ||
            resolve_etypes(P, a->principals, a->nprincipals, ns, a->context->line, a->context->col) ||
            resolve_etypes(P, a->resources, a->nresources, ns, a->context->line, a->context->col))
            return -1;
        if (a->context->k != CST_RECORD)
            return serr(P, a->context->line, a->context->col, WR_EINVAL,
                        "context of action \"%s\" must be a record type", a->id);
        for (size_t k = 0; k < a->nparents; k++) {
            bool found = false;
            for (size_t j = 0; j < P->nacts && !found; j++)
                found = strcmp(P->acts[j].type, a->parent_types[k]) == 0 &&
                        strcmp(P->acts[j].id, a->parent_ids[k]) == 0;
            if (!found)
                return serr(P, a->context->line, a->context->col, WR_EINVAL,
                            "action \"%s\" is in undeclared action group %s::\"%s\"", a->id,
                            a->parent_types[k], a->parent_ids[k]);
        }
    }
    return 0;
}

void wr_schema_free(wr_schema *s)
{
    if (!s)
        return;
    ca_free(&s->arena);
    free(s);
}

int wr_schema_parse(const char *text, size_t len, const char *filename, wr_schema **out,
                    wr_err *err)
{
    if (len > WR_CEDAR_MAX_POLICY_BYTES)
        return wr_fail(err, WR_ELIMIT, "%s: schema larger than %u bytes",
                       filename ? filename : "<schema>", WR_CEDAR_MAX_POLICY_BYTES);
    wr_schema *s = calloc(1, sizeof *s);
    if (!s)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    sparser P;
    memset(&P, 0, sizeof P);
    P.s = s;
    P.a = &s->arena;
    P.err = err;
    P.ns = "";
    const char *fname = ca_strndup(P.a, filename ? filename : "<schema>",
                                   strlen(filename ? filename : "<schema>"));
    int rc = -1;
    if (fname) {
        clex_init(&P.L, text, len, fname);
        rc = sdecls(&P, false);
        if (rc == 0)
            rc = resolve_all(&P);
    } else {
        wr_fail(err, WR_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        s->entities = ca_alloc(P.a, (P.nents ? P.nents : 1) * sizeof *s->entities);
        s->actions = ca_alloc(P.a, (P.nacts ? P.nacts : 1) * sizeof *s->actions);
        if (!s->entities || !s->actions) {
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
        } else {
            if (P.nents)
                memcpy(s->entities, P.ents, P.nents * sizeof *P.ents);
            if (P.nacts)
                memcpy(s->actions, P.acts, P.nacts * sizeof *P.acts);
            s->nentities = P.nents;
            s->nactions = P.nacts;
        }
    }
    free(P.ents);
    free(P.acts);
    free(P.defs);
    free(P.names);
    if (rc != 0) {
        if (err && !err->code)
            wr_fail(err, WR_EINVAL, "%s: invalid schema", fname ? fname : "<schema>");
        int code = err ? err->code : WR_EINVAL;
        wr_schema_free(s);
        return code ? code : WR_EINVAL;
    }
    *out = s;
    return WR_OK;
}

const csentity *cschema_entity(const wr_schema *s, const char *name)
{
    for (size_t i = 0; s && i < s->nentities; i++)
        if (strcmp(s->entities[i].name, name) == 0)
            return &s->entities[i];
    return NULL;
}

const csaction *cschema_action(const wr_schema *s, const char *ty, const char *id)
{
    for (size_t i = 0; s && i < s->nactions; i++)
        if (strcmp(s->actions[i].type, ty) == 0 && strcmp(s->actions[i].id, id) == 0)
            return &s->actions[i];
    return NULL;
}
