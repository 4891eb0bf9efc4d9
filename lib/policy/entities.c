/*
 * entities.c — the entity store: Cedar entity JSON, and the ancestor index.
 *
 * Every uid mentioned (as an entity or only as a parent) gets a node; a
 * hash map (pre-sized from the JSON array) finds nodes by (type, id).
 *
 * Ancestors are computed lazily: a store of 100k entities is often built
 * for a handful of decisions that touch three of them, so computing the
 * transitive closure of every node at load time dominated loading.  The
 * first `in` query (or scope check) on a node walks its parent edges,
 * sorts the result and publishes it in the node with a release store; later
 * reads are one acquire load and a binary search.  Computation happens
 * under a per-store mutex (with a store-wide visited stamp array), so
 * concurrent read-only evaluation from many threads stays safe and each
 * array is computed once.  The walk stops at parents whose array is
 * already known and takes it whole, so memoised groups make their members
 * cheap.  Cycles terminate through the visited stamp; members of a cycle
 * are ancestors of each other (and of themselves).  The memoised arrays
 * live in their own capped arena (CANC_MEMO_MAX); past the cap an array is
 * computed into the caller's per-decision scratch instead of being kept.
 *
 * With a schema, attributes and tags are interpreted per the declared
 * types, entity types must be declared, and the schema's actions (with
 * their action groups) are added as entities so action hierarchies work
 * even when the entity JSON does not list actions.
 */
#include "policy/cedar.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Node of (ty, id) with hash h, or CNODE_ABSENT. */
static uint32_t nmap_find(const wr_entities *E, uint64_t h, const char *ty, const char *id, size_t idn)
{
    if (!E->scap)
        return CNODE_ABSENT;
    size_t mask = E->scap - 1;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t s = E->slots[i];
        if (!s)
            return CNODE_ABSENT;
        if ((uint32_t)(s >> 32) != tag)
            continue;
        const cnode *n = &E->nodes[(uint32_t)s - 1];
        if (n->hash == h && n->idn == idn && memcmp(n->id, id, idn) == 0 &&
            (n->ty == ty || strcmp(n->ty, ty) == 0))
            return (uint32_t)s - 1;
    }
}

static void nmap_put(uint64_t *slots, size_t cap, uint64_t h, uint32_t node)
{
    size_t mask = cap - 1, i = h & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = (h >> 32 << 32) | ((uint64_t)node + 1);
}

/* Makes room for `want` nodes (0, or -1 out of memory). */
static int nmap_reserve(wr_entities *E, size_t want)
{
    size_t cap = 64;
    while (cap < 2 * (want + 1))
        cap *= 2;
    if (cap <= E->scap)
        return 0;
    uint64_t *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < E->n; i++)
        nmap_put(ns, cap, E->nodes[i].hash, (uint32_t)i);
    free(E->slots);
    E->slots = ns;
    E->scap = cap;
    return 0;
}

const cnode *centities_get(const wr_entities *e, const char *ty, const char *id, size_t idn)
{
    if (!e)
        return NULL;
    uint32_t i = nmap_find(e, cuid_hash(ty, id, idn), ty, id, idn);
    return i == CNODE_ABSENT ? NULL : &e->nodes[i];
}

uint32_t centities_index(const wr_entities *e, const cv *v)
{
    if (!e)
        return CNODE_ABSENT;
    if (v->u.e.node)
        return v->u.e.node == CNODE_ABSENT ? CNODE_ABSENT : v->u.e.node - 1;
    return nmap_find(e, cuid_hash(v->u.e.ty, v->u.e.id, v->u.e.idn), v->u.e.ty, v->u.e.id, v->u.e.idn);
}

void centities_resolve(const wr_entities *e, cv *v)
{
    uint32_t i = e && e->scap ? nmap_find(e, cuid_hash(v->u.e.ty, v->u.e.id, v->u.e.idn), v->u.e.ty,
                                          v->u.e.id, v->u.e.idn)
                              : CNODE_ABSENT;
    v->u.e.node = i == CNODE_ABSENT ? CNODE_ABSENT : i + 1;
}

struct canc_memo {
    pthread_mutex_t lock;
    carena arena;                /* published arrays (capped) */
    uint32_t *stamp;             /* per node: epoch when visited (lazily allocated) */
    uint32_t *stack, *acc;       /* walk buffers, n + 1 entries each */
    uint32_t epoch;
};

static const canc canc_none = {0};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void sort_u32(uint32_t *v, size_t n)
{
    if (n > 256) {
        qsort(v, n, sizeof *v, cmp_u32);
        return;
    }
    /* shell sort inline: no comparison callbacks for the usual sizes */
    static const size_t gaps[] = {57, 23, 10, 4, 1};
    for (size_t gi = 0; gi < sizeof gaps / sizeof *gaps; gi++) {
        size_t gap = gaps[gi];
        for (size_t k = gap; k < n; k++) {
            uint32_t x = v[k];
            size_t j = k;
            for (; j >= gap && v[j - gap] > x; j -= gap)
                v[j] = v[j - gap];
            v[j] = x;
        }
    }
}

/* Adds p to the walk's result unless already visited. */
static inline bool visit(canc_memo *m, uint32_t p, size_t *na)
{
    if (m->stamp[p] == m->epoch)
        return false;
    m->stamp[p] = m->epoch;
    m->acc[(*na)++] = p;
    return true;
}

/* Computes node i's ancestors; the memo lock is held.  Publishes the array
 * in the node unless the memo is full (then it goes to scratch). */
static const canc *closure_locked(const wr_entities *E, uint32_t i, carena *scratch)
{
    canc_memo *m = E->memo;
    if (!m->stamp) {
        m->stamp = calloc(E->n, sizeof *m->stamp);
        m->stack = malloc((E->n + 1) * sizeof *m->stack);
        m->acc = malloc((E->n + 1) * sizeof *m->acc);
        if (!m->stamp || !m->stack || !m->acc) {
            free(m->stamp);
            free(m->stack);
            free(m->acc);
            m->stamp = m->stack = m->acc = NULL;
            return NULL;
        }
    }
    if (++m->epoch == 0) {
        memset(m->stamp, 0, E->n * sizeof *m->stamp);
        m->epoch = 1;
    }
    /* the start node is not stamped: reaching it again means a cycle, and
     * then it is its own ancestor (pushed a second time, at most) */
    size_t sp = 0, na = 0;
    m->stack[sp++] = i;
    while (sp) {
        const cnode *x = &E->nodes[m->stack[--sp]];
        for (uint32_t k = 0; k < x->nparents; k++) {
            uint32_t p = x->parents[k];
            if (!visit(m, p, &na))
                continue;
            /* writes happen under this lock, so a relaxed read suffices */
            const canc *pa = atomic_load_explicit(&E->nodes[p].anc, memory_order_relaxed);
            if (pa) {
                /* p's array is complete: everything above p is in it */
                for (uint32_t q = 0; q < pa->n; q++)
                    (void)visit(m, pa->v[q], &na);
            } else if (E->nodes[p].nparents) {
                m->stack[sp++] = p;
            }
        }
    }
    sort_u32(m->acc, na);
    size_t bytes = sizeof(canc) + na * sizeof(uint32_t);
    canc *a = ca_alloc_nz(&m->arena, bytes);
    bool keep = a != NULL;
    if (!a && (!scratch || !(a = ca_alloc_nz(scratch, bytes))))
        return NULL;
    a->n = (uint32_t)na;
    memcpy(a->v, m->acc, na * sizeof(uint32_t));
    if (keep)
        atomic_store_explicit(&E->nodes[i].anc, a, memory_order_release);
    return a;
}

const canc *centities_anc(const wr_entities *E, uint32_t i, carena *scratch)
{
    cnode *n = &E->nodes[i];
    if (!n->nparents)
        return &canc_none;
    const canc *a = atomic_load_explicit(&n->anc, memory_order_acquire);
    if (a)
        return a;
    pthread_mutex_lock(&E->memo->lock);
    a = atomic_load_explicit(&n->anc, memory_order_relaxed);
    if (!a)
        a = closure_locked(E, i, scratch);
    pthread_mutex_unlock(&E->memo->lock);
    return a;
}

void centities_memo_cap(wr_entities *e, size_t max)
{
    e->memo->arena.max = max;
}

/* Binary search in a sorted ancestor array. */
static bool has_ancestor(const canc *a, uint32_t anc)
{
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t v = a->v[mid];
        if (v == anc)
            return true;
        if (v < anc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

int centities_in(const wr_entities *e, const cv *a, const cv *b, carena *scratch)
{
    uint32_t ia = centities_index(e, a), ib = centities_index(e, b);
    if (ia != CNODE_ABSENT && ib != CNODE_ABSENT) {
        if (ia == ib)
            return 1;
        const canc *an = centities_anc(e, ia, scratch);
        return an ? has_ancestor(an, ib) : -1;
    }
    /* at most one of them is stored: only equality can hold */
    return cv_equal(a, b);
}

/* Finds or creates the node for a uid (strings copied into the arena). */
static int node_get(wr_entities *E, const char *ty, const char *id, size_t idn, uint32_t *out,
                    wr_err *err)
{
    uint64_t h = cuid_hash(ty, id, idn);
    uint32_t i = nmap_find(E, h, ty, id, idn);
    if (i != CNODE_ABSENT) {
        *out = i;
        return WR_OK;
    }
    if (E->n >= UINT32_MAX - 1)
        return wr_fail(err, WR_ELIMIT, "too many entities");
    if (E->n == E->cap) {
        size_t ncap = E->cap ? E->cap * 2 : 64;
        cnode *nn = realloc(E->nodes, ncap * sizeof *nn);
        if (!nn)
            return wr_fail(err, WR_ENOMEM, "out of memory");
        E->nodes = nn;
        E->cap = ncap;
    }
    if (2 * (E->n + 2) > E->scap && nmap_reserve(E, 2 * E->n + 1) != 0)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    cnode *n = &E->nodes[E->n];
    memset(n, 0, sizeof *n);
    /* few distinct types: share one copy of each name */
    n->ty = NULL;
    for (size_t k = 0; k < E->ntypes && !n->ty; k++)
        if (strcmp(E->types[k], ty) == 0)
            n->ty = E->types[k];
    if (!n->ty && (n->ty = ca_strndup(&E->arena, ty, strlen(ty))) &&
        E->ntypes < sizeof E->types / sizeof *E->types)
        E->types[E->ntypes++] = n->ty;
    n->id = ca_strndup(&E->arena, id, idn);
    n->idn = (uint32_t)idn;
    n->hash = h;
    n->attrs.k = CV_REC;
    if (!n->ty || !n->id)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    nmap_put(E->slots, E->scap, h, (uint32_t)E->n);
    *out = (uint32_t)E->n++;
    return WR_OK;
}

static int add_parent(wr_entities *E, uint32_t child, uint32_t parent, wr_err *err)
{
    cnode *n = &E->nodes[child];
    for (size_t i = 0; i < n->nparents; i++)
        if (n->parents[i] == parent)
            return WR_OK;
    /* parents arrays grow by doubling inside the arena (power-of-two sizes) */
    size_t cnt = n->nparents;
    if (cnt == 0 || (cnt & (cnt - 1)) == 0) {
        uint32_t *np = ca_alloc(&E->arena, (cnt ? cnt * 2 : 1) * sizeof *np);
        if (!np)
            return wr_fail(err, WR_ENOMEM, "out of memory (entity arena limit)");
        if (cnt)
            memcpy(np, n->parents, cnt * sizeof *np);
        n->parents = np;
    }
    n->parents[n->nparents++] = parent;
    return WR_OK;
}

static bool is_action_type(const char *ty)
{
    size_t n = strlen(ty);
    return strcmp(ty, "Action") == 0 || (n > 8 && strcmp(ty + n - 8, "::Action") == 0);
}

/* Reads an entity uid ({"type","id"} or {"__entity":{..}}) without copying
 * its strings; false when malformed (the caller then asks cv_uid_from_cj
 * for the message).  The type is returned NUL-terminated: an interned name
 * when the store has seen it, else a copy in buf (or the arena). */
static bool uid_peek(wr_entities *E, const cjtree *t, uint32_t j, char *buf, size_t bufn,
                     const char **ty, const char **id, size_t *idn)
{
    uint32_t ti = CJ_NONE, ii = CJ_NONE, e = CJ_NONE;
    for (int round = 0; round < 2; round++) {
        if (t->v[j].k != CJ_OBJ)
            return false;
        CJ_EACH(t, j, c) {
            const cjnode *m = &t->v[c];
            if (cj_key_is(m, "type", 4))
                ti = c;
            else if (cj_key_is(m, "id", 2))
                ii = c;
            else if (round == 0 && cj_key_is(m, "__entity", 8))
                e = c;
        }
        if (e == CJ_NONE)
            break;
        /* {"__entity": {...}}: the uid is inside */
        j = e;
        e = ti = ii = CJ_NONE;
    }
    if (ti == CJ_NONE || ii == CJ_NONE || t->v[ti].k != CJ_STR || t->v[ii].k != CJ_STR)
        return false;
    const char *tp = t->v[ti].u.s.p;
    size_t tn = t->v[ti].u.s.n;
    if (!tn || memchr(tp, 0, tn))
        return false;
    *id = t->v[ii].u.s.p;
    *idn = t->v[ii].u.s.n;
    for (size_t k = 0; k < E->ntypes; k++)
        if (strncmp(E->types[k], tp, tn) == 0 && E->types[k][tn] == '\0') {
            *ty = E->types[k];
            return true;
        }
    char *c = tn < bufn ? buf : ca_alloc_nz(&E->arena, tn + 1);
    if (!c)
        return false;
    memcpy(c, tp, tn);
    c[tn] = '\0';
    *ty = c;
    return true;
}

/* Malformed uid at node j: the message from cv_uid_from_cj. */
static int bad_uid(wr_entities *E, const cjtree *t, uint32_t j, wr_err *err)
{
    cv u;
    char p[512];
    int rc = cv_uid_from_cj(&E->arena, t, j, &u, err);
    return rc ? rc : wr_fail(err, WR_EINVAL, "%s: invalid entity uid", cjtree_path(t, j, p, sizeof p));
}

typedef struct loader {
    wr_entities *E;
    const wr_schema *s;
} loader;

/* Interprets one element of the entity array (node o of tree t). */
static int load_one(void *ctx, const cjtree *t, uint32_t o, wr_err *err)
{
    wr_entities *E = ((loader *)ctx)->E;
    const wr_schema *s = ((loader *)ctx)->s;
    char path[512], tybuf[256];
    if (t->v[o].k != CJ_OBJ)
        return wr_fail(err, WR_EINVAL, "%s: expected an object", cjtree_path(t, o, path, sizeof path));
    /* one pass over the keys (no lookups per field) */
    uint32_t uid = CJ_NONE, attrs = CJ_NONE, tags = CJ_NONE, parents = CJ_NONE;
    CJ_EACH(t, o, c) {
        const cjnode *m = &t->v[c];
        if (cj_key_is(m, "uid", 3))
            uid = c;
        else if (cj_key_is(m, "attrs", 5))
            attrs = c;
        else if (cj_key_is(m, "parents", 7))
            parents = c;
        else if (cj_key_is(m, "tags", 4))
            tags = c;
        else
            return wr_fail(err, WR_EINVAL, "%s: unexpected field \"%.*s\"",
                           cjtree_path(t, o, path, sizeof path), (int)(m->pos > 80 ? 80 : m->pos), m->key);
    }
    if (uid == CJ_NONE)
        return wr_fail(err, WR_EINVAL, "%s: missing \"uid\"", cjtree_path(t, o, path, sizeof path));
    const char *ty, *id;
    size_t idn;
    int rc;
    if (!uid_peek(E, t, uid, tybuf, sizeof tybuf, &ty, &id, &idn))
        return bad_uid(E, t, uid, err);
    const csentity *se = NULL;
    if (s && !is_action_type(ty)) {
        se = cschema_entity(s, ty);
        if (!se)
            return wr_fail(err, WR_EINVAL, "%s: entity type %s is not declared in the schema",
                           cjtree_path(t, uid, path, sizeof path), ty);
        if (se->nenum) {
            size_t k = 0;
            while (k < se->nenum &&
                   !(strlen(se->enums[k]) == idn && memcmp(se->enums[k], id, idn) == 0))
                k++;
            if (k == se->nenum)
                return wr_fail(err, WR_EINVAL, "%s: \"%.*s\" is not one of the values of enumerated type %s",
                               cjtree_path(t, uid, path, sizeof path), (int)(idn > 80 ? 80 : idn), id, ty);
        }
    }
    uint32_t ni;
    if ((rc = node_get(E, ty, id, idn, &ni, err)))
        return rc;
    if (E->nodes[ni].present)
        return wr_fail(err, WR_EINVAL, "%s: duplicate entity %s::\"%.*s\"",
                       cjtree_path(t, uid, path, sizeof path), ty, (int)(idn > 80 ? 80 : idn), id);
    E->nodes[ni].present = true;
    if (attrs != CJ_NONE && t->v[attrs].k != CJ_NULL) {
        if (t->v[attrs].k != CJ_OBJ)
            return wr_fail(err, WR_EINVAL, "%s: expected an object", cjtree_path(t, attrs, path, sizeof path));
        cv a;
        if ((rc = cv_from_cj(&E->arena, t, attrs, se ? se->attrs : NULL, s, 1, &a, err)))
            return rc;
        E->nodes[ni].attrs = a;
    } else if (se && se->attrs) {
        for (size_t k = 0; k < se->attrs->nattr; k++)
            if (se->attrs->attr_required[k])
                return wr_fail(err, WR_EINVAL, "%s: required attribute '%s' is missing",
                               cjtree_path(t, o, path, sizeof path), se->attrs->attr_names[k]);
    }
    if (tags != CJ_NONE && t->v[tags].k != CJ_NULL) {
        const cjnode *tg = &t->v[tags];
        if (tg->k != CJ_OBJ)
            return wr_fail(err, WR_EINVAL, "%s: expected an object", cjtree_path(t, tags, path, sizeof path));
        if (se && !se->tags && tg->n)
            return wr_fail(err, WR_EINVAL, "%s: entity type %s does not allow tags",
                           cjtree_path(t, tags, path, sizeof path), se->name);
        cv tv;
        tv.k = CV_REC;
        size_t n = tg->n, i = 0;
        tv.u.rec.n = n;
        tv.u.rec.keys = n ? ca_alloc(&E->arena, n * sizeof(char *)) : NULL;
        tv.u.rec.v = n ? ca_alloc(&E->arena, n * sizeof(cv)) : NULL;
        if (n && (!tv.u.rec.keys || !tv.u.rec.v))
            return wr_fail(err, WR_ENOMEM, "out of memory");
        CJ_EACH(t, tags, c) {
            if (!(tv.u.rec.keys[i] = ca_strndup(&E->arena, t->v[c].key, t->v[c].pos)))
                return wr_fail(err, WR_ENOMEM, "out of memory");
            if ((rc = cv_from_cj(&E->arena, t, c, se ? se->tags : NULL, s, 2, &tv.u.rec.v[i], err)))
                return rc;
            i++;
        }
        const char *dup = cv_rec_sort(&E->arena, &tv);
        if (dup)
            return wr_fail(err, WR_EINVAL, "%s: duplicate key \"%s\"", cjtree_path(t, tags, path, sizeof path),
                           dup);
        cv *tp = ca_alloc_nz(&E->arena, sizeof *tp);
        if (!tp)
            return wr_fail(err, WR_ENOMEM, "out of memory");
        *tp = tv;
        E->nodes[ni].tags = tp;
    }
    if (parents != CJ_NONE && t->v[parents].k != CJ_NULL) {
        if (t->v[parents].k != CJ_ARR)
            return wr_fail(err, WR_EINVAL, "%s: expected an array", cjtree_path(t, parents, path, sizeof path));
        CJ_EACH(t, parents, c) {
            const char *pty, *pid;
            size_t pidn;
            uint32_t pi;
            if (!uid_peek(E, t, c, tybuf, sizeof tybuf, &pty, &pid, &pidn))
                return bad_uid(E, t, c, err);
            if ((rc = node_get(E, pty, pid, pidn, &pi, err)) || (rc = add_parent(E, ni, pi, err)))
                return rc;
        }
    }
    return WR_OK;
}

static int add_schema_actions(wr_entities *E, const wr_schema *s, wr_err *err)
{
    for (size_t i = 0; i < s->nactions; i++) {
        const csaction *a = &s->actions[i];
        uint32_t ni, pi;
        int rc = node_get(E, a->type, a->id, strlen(a->id), &ni, err);
        if (rc)
            return rc;
        E->nodes[ni].present = true;
        for (size_t k = 0; k < a->nparents; k++) {
            if ((rc = node_get(E, a->parent_types[k], a->parent_ids[k], strlen(a->parent_ids[k]), &pi,
                               err)) ||
                (rc = add_parent(E, ni, pi, err)))
                return rc;
            E->nodes[pi].present = true;
        }
    }
    return WR_OK;
}

/* Caches the node index of every entity reference inside attributes and
 * tags (see cv.u.e.node), so evaluation follows them without hashing. */
static void resolve_refs(const wr_entities *E, cv *v)
{
    switch (v->k) {
    case CV_ENT:
        centities_resolve(E, v);
        break;
    case CV_SET:
        for (size_t i = 0; i < v->u.set.n; i++)
            resolve_refs(E, &v->u.set.v[i]);
        break;
    case CV_REC:
        for (size_t i = 0; i < v->u.rec.n; i++)
            resolve_refs(E, &v->u.rec.v[i]);
        break;
    default:
        break;
    }
}

static void memo_free(canc_memo *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    ca_free(&m->arena);
    free(m->stamp);
    free(m->stack);
    free(m->acc);
    free(m);
}

void wr_entities_free(wr_entities *e)
{
    if (!e)
        return;
    free(e->slots);
    free(e->nodes);
    ca_free(&e->arena);
    memo_free(e->memo);
    free(e);
}

/* The store for one entity document, from text or from a jansson value:
 * both go through the same tree builder, streaming one entity at a time
 * into load_one.  count_hint pre-sizes the node array and uid map. */
static int entities_build(const char *text, size_t len, const json_t *array, size_t count_hint,
                          const wr_schema *schema, wr_entities **out, wr_err *err)
{
    wr_entities *E = calloc(1, sizeof *E);
    canc_memo *m = calloc(1, sizeof *m);
    if (!E || !m || pthread_mutex_init(&m->lock, NULL) != 0) {
        free(E);
        free(m);
        return wr_fail(err, WR_ENOMEM, "out of memory");
    }
    m->arena.max = CANC_MEMO_MAX;
    E->memo = m;
    /* one node per entity (plus schema actions) in the usual case: size the
     * node array and the uid map once instead of growing them */
    size_t want = count_hint + (schema ? schema->nactions : 0) + 16;
    int rc = WR_OK;
    if (want < UINT32_MAX / 2) {
        E->nodes = malloc(want * sizeof *E->nodes);
        if (!E->nodes || nmap_reserve(E, want) != 0)
            rc = wr_fail(err, WR_ENOMEM, "out of memory");
        E->cap = E->nodes ? want : 0;
    }
    carena tmem = {0};
    cjtree t;
    memset(&t, 0, sizeof t);
    t.root = "entities";
    t.mem = &tmem;
    loader ld = {E, schema};
    t.item = load_one;
    t.item_ctx = &ld;
    if (rc == WR_OK)
        rc = text ? cjtree_parse(&t, text, len, err) : cjtree_from_json(&t, array, err);
    if (rc == WR_OK && t.v[0].k != CJ_ARR)
        rc = wr_fail(err, WR_EINVAL, "entities: expected a JSON array of entities");
    cjtree_free(&t);
    ca_free(&tmem);
    if (rc == WR_OK && schema)
        rc = add_schema_actions(E, schema, err);
    for (size_t i = 0; rc == WR_OK && i < E->n; i++) {
        resolve_refs(E, &E->nodes[i].attrs);
        if (E->nodes[i].tags)
            resolve_refs(E, (cv *)E->nodes[i].tags);
    }
    if (rc != WR_OK) {
        wr_entities_free(E);
        return rc;
    }
    *out = E;
    return WR_OK;
}

int wr_entities_from_json(const json_t *array, const wr_schema *schema, wr_entities **out,
                          wr_err *err)
{
    if (!json_is_array(array))
        return wr_fail(err, WR_EINVAL, "entities: expected a JSON array of entities");
    return entities_build(NULL, 0, array, json_array_size(array), schema, out, err);
}

int wr_entities_parse(const char *json, size_t len, const wr_schema *schema, wr_entities **out,
                      wr_err *err)
{
    /* entities take at least ~30 bytes of text each: a cheap first size */
    return entities_build(json, len, NULL, len / 64, schema, out, err);
}
