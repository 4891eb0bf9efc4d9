/*
 * entities.c — the entity store: Cedar entity JSON, and the ancestor index.
 *
 * Every uid mentioned (as an entity or only as a parent) gets a node; a
 * hash map finds nodes by (type, id).  After loading, the transitive
 * closure of the parent relation is computed once: each node keeps the
 * sorted array of its ancestors' node indices, so `a in b` at decision
 * time is a hash lookup plus a binary search.  The closure is a graph walk
 * per node with a visited stamp, so cycles in the data terminate (members
 * of a cycle are simply ancestors of each other).
 *
 * With a schema, attributes and tags are interpreted per the declared
 * types, entity types must be declared, and the schema's actions (with
 * their action groups) are added as entities so action hierarchies work
 * even when the entity JSON does not list actions.
 */
#include "policy/cedar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const cnode *centities_get(const wr_entities *e, const char *ty, const char *id, size_t idn)
{
    if (!e)
        return NULL;
    uint32_t i = cuidmap_get(&e->map, ty, id, idn);
    return i == UINT32_MAX ? NULL : &e->nodes[i];
}

uint32_t centities_index(const wr_entities *e, const cv *v)
{
    if (!e)
        return CNODE_ABSENT;
    if (v->u.e.node)
        return v->u.e.node == CNODE_ABSENT ? CNODE_ABSENT : v->u.e.node - 1;
    return cuidmap_get(&e->map, v->u.e.ty, v->u.e.id, v->u.e.idn);
}

void centities_resolve(const wr_entities *e, cv *v)
{
    uint32_t i = cuidmap_get(e ? &e->map : &(cuidmap){0}, v->u.e.ty, v->u.e.id, v->u.e.idn);
    v->u.e.node = i == UINT32_MAX ? CNODE_ABSENT : i + 1;
}

/* Binary search in a node's sorted ancestor array. */
static bool has_ancestor(const cnode *n, uint32_t anc)
{
    size_t lo = 0, hi = n->nanc;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t v = n->anc[mid];
        if (v == anc)
            return true;
        if (v < anc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool centities_in(const wr_entities *e, const cv *a, const cv *b)
{
    uint32_t ia = centities_index(e, a), ib = centities_index(e, b);
    if (ia != CNODE_ABSENT && ib != CNODE_ABSENT)
        return ia == ib || has_ancestor(&e->nodes[ia], ib);
    /* at most one of them is stored: only equality can hold */
    return cv_equal(a, b);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Finds or creates the node for a uid (strings copied into the arena). */
static int node_get(wr_entities *E, const char *ty, const char *id, size_t idn, uint32_t *out,
                    wr_err *err)
{
    uint64_t h = cuid_hash(ty, id, idn);
    uint32_t i = cuidmap_get_h(&E->map, h, ty, id, idn);
    if (i != UINT32_MAX) {
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
    n->idn = idn;
    n->hash = h;
    n->attrs.k = n->tags.k = CV_REC;
    if (!n->ty || !n->id || cuidmap_put_h(&E->map, h, n->ty, n->id, idn, (uint32_t)E->n) == UINT32_MAX)
        return wr_fail(err, WR_ENOMEM, "out of memory");
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

/* "entities[idx]<suffix>" for messages, formatted only on errors. */
static const char *epath(char *buf, size_t n, size_t idx, const char *suffix)
{
    snprintf(buf, n, "entities[%zu]%s", idx, suffix);
    return buf;
}

/* Reads an entity uid ({"type","id"} or {"__entity":{..}}) without copying
 * its strings; false when malformed (the caller then asks
 * cv_uid_from_json for the message). */
static bool uid_peek(const json_t *j, const char **ty, const char **id, size_t *idn)
{
    const json_t *e = json_object_get(j, "__entity");
    if (e)
        j = e;
    const json_t *t = json_object_get(j, "type"), *i = json_object_get(j, "id");
    if (!json_is_string(t) || !json_is_string(i))
        return false;
    *ty = json_string_value(t);
    *id = json_string_value(i);
    *idn = json_string_length(i);
    return (*ty)[0] && strlen(*ty) == json_string_length(t) && *idn <= UINT32_MAX;
}

static int load_one(wr_entities *E, const json_t *o, size_t idx, const wr_schema *s, wr_err *err)
{
    char path[192], sub[192];
    if (!json_is_object(o))
        return wr_fail(err, WR_EINVAL, "%s: expected an object", epath(path, sizeof path, idx, ""));
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val) {
        if (strcmp(key, "uid") && strcmp(key, "attrs") && strcmp(key, "parents") && strcmp(key, "tags"))
            return wr_fail(err, WR_EINVAL, "%s: unexpected field \"%s\"", epath(path, sizeof path, idx, ""),
                           key);
    }
    const json_t *uid = json_object_get(o, "uid");
    if (!uid)
        return wr_fail(err, WR_EINVAL, "%s: missing \"uid\"", epath(path, sizeof path, idx, ""));
    cv u;
    memset(&u, 0, sizeof u);
    size_t idn;
    int rc;
    if (!uid_peek(uid, &u.u.e.ty, &u.u.e.id, &idn)) {
        rc = cv_uid_from_json(&E->arena, uid, epath(sub, sizeof sub, idx, ".uid"), &u, err);
        return rc ? rc : wr_fail(err, WR_EINVAL, "%s: invalid entity uid", sub);
    }
    u.u.e.idn = (uint32_t)idn;
    const csentity *se = NULL;
    if (s && !is_action_type(u.u.e.ty)) {
        se = cschema_entity(s, u.u.e.ty);
        if (!se)
            return wr_fail(err, WR_EINVAL, "%s: entity type %s is not declared in the schema",
                           epath(sub, sizeof sub, idx, ".uid"), u.u.e.ty);
        if (se->nenum) {
            size_t k = 0;
            while (k < se->nenum && !(strlen(se->enums[k]) == u.u.e.idn &&
                                      memcmp(se->enums[k], u.u.e.id, u.u.e.idn) == 0))
                k++;
            if (k == se->nenum)
                return wr_fail(err, WR_EINVAL, "%s: \"%.*s\" is not one of the values of enumerated type %s",
                               epath(sub, sizeof sub, idx, ".uid"),
                               (int)(u.u.e.idn > 80 ? 80 : u.u.e.idn), u.u.e.id, u.u.e.ty);
        }
    }
    uint32_t ni;
    if ((rc = node_get(E, u.u.e.ty, u.u.e.id, u.u.e.idn, &ni, err)))
        return rc;
    if (E->nodes[ni].present)
        return wr_fail(err, WR_EINVAL, "%s: duplicate entity %s::\"%.*s\"",
                       epath(sub, sizeof sub, idx, ".uid"), u.u.e.ty,
                       (int)(u.u.e.idn > 80 ? 80 : u.u.e.idn), u.u.e.id);
    E->nodes[ni].present = true;
    const json_t *attrs = json_object_get(o, "attrs"), *tags = json_object_get(o, "tags");
    cjpath p0 = {NULL, "entities", 0}, p1 = {&p0, NULL, idx};
    if (attrs && !json_is_null(attrs)) {
        if (!json_is_object(attrs))
            return wr_fail(err, WR_EINVAL, "%s: expected an object", epath(sub, sizeof sub, idx, ".attrs"));
        cv a;
        cjpath pa = {&p1, "attrs", 0};
        if ((rc = cv_from_json_p(&E->arena, attrs, se ? se->attrs : NULL, s, &pa, 1, &a, err)))
            return rc;
        E->nodes[ni].attrs = a;
    } else if (se && se->attrs) {
        for (size_t k = 0; k < se->attrs->nattr; k++)
            if (se->attrs->attr_required[k])
                return wr_fail(err, WR_EINVAL, "%s: required attribute '%s' is missing",
                               epath(path, sizeof path, idx, ""), se->attrs->attr_names[k]);
    }
    if (tags && !json_is_null(tags)) {
        epath(sub, sizeof sub, idx, ".tags");
        if (!json_is_object(tags))
            return wr_fail(err, WR_EINVAL, "%s: expected an object", sub);
        if (se && !se->tags && json_object_size(tags))
            return wr_fail(err, WR_EINVAL, "%s: entity type %s does not allow tags", sub, se->name);
        cv t;
        t.k = CV_REC;
        size_t n = json_object_size(tags), i = 0;
        t.u.rec.n = n;
        t.u.rec.keys = n ? ca_alloc(&E->arena, n * sizeof(char *)) : NULL;
        t.u.rec.v = n ? ca_alloc(&E->arena, n * sizeof(cv)) : NULL;
        if (n && (!t.u.rec.keys || !t.u.rec.v))
            return wr_fail(err, WR_ENOMEM, "out of memory");
        const char *tk;
        const json_t *tv;
        cjpath pt = {&p1, "tags", 0};
        json_object_foreach((json_t *)tags, tk, tv) {
            cjpath pk = {&pt, tk, 0};
            if (!(t.u.rec.keys[i] = ca_strndup(&E->arena, tk, strlen(tk))))
                return wr_fail(err, WR_ENOMEM, "out of memory");
            if ((rc = cv_from_json_p(&E->arena, tv, se ? se->tags : NULL, s, &pk, 2, &t.u.rec.v[i], err)))
                return rc;
            i++;
        }
        cv_rec_sort(&E->arena, &t);
        E->nodes[ni].tags = t;
    }
    const json_t *parents = json_object_get(o, "parents");
    if (parents && !json_is_null(parents)) {
        if (!json_is_array(parents))
            return wr_fail(err, WR_EINVAL, "%s: expected an array", epath(sub, sizeof sub, idx, ".parents"));
        for (size_t k = 0; k < json_array_size(parents); k++) {
            const json_t *pj = json_array_get(parents, k);
            const char *pty, *pid;
            size_t pidn;
            uint32_t pi;
            if (!uid_peek(pj, &pty, &pid, &pidn)) {
                cv p;
                char sfx[48];
                snprintf(sfx, sizeof sfx, ".parents[%zu]", k);
                rc = cv_uid_from_json(&E->arena, pj, epath(sub, sizeof sub, idx, sfx), &p, err);
                return rc ? rc : wr_fail(err, WR_EINVAL, "%s: invalid entity uid", sub);
            }
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

/* Transitive closure: a walk from each node over parent edges. */
static int build_ancestors(wr_entities *E, wr_err *err)
{
    if (!E->n)
        return WR_OK;
    uint32_t *stamp = calloc(E->n, sizeof *stamp);
    uint32_t *stack = malloc(E->n * sizeof *stack);
    uint32_t *acc = malloc(E->n * sizeof *acc);
    int rc = WR_OK;
    if (!stamp || !stack || !acc) {
        rc = wr_fail(err, WR_ENOMEM, "out of memory computing the entity hierarchy");
        goto out;
    }
    for (uint32_t i = 0; i < E->n; i++) {
        size_t sp = 0, na = 0;
        uint32_t mark = i + 1;
        stack[sp++] = i;
        while (sp) {
            const cnode *n = &E->nodes[stack[--sp]];
            for (size_t k = 0; k < n->nparents; k++) {
                uint32_t p = n->parents[k];
                if (stamp[p] == mark)
                    continue;
                stamp[p] = mark;
                acc[na++] = p;
                stack[sp++] = p;
            }
        }
        if (!na)
            continue;
        if (na <= 256) {
            /* shell sort inline: no comparison callbacks for the usual sizes */
            static const size_t gaps[] = {57, 23, 10, 4, 1};
            for (size_t gi = 0; gi < sizeof gaps / sizeof *gaps; gi++) {
                size_t gap = gaps[gi];
                for (size_t k = gap; k < na; k++) {
                    uint32_t x = acc[k];
                    size_t j = k;
                    for (; j >= gap && acc[j - gap] > x; j -= gap)
                        acc[j] = acc[j - gap];
                    acc[j] = x;
                }
            }
        } else {
            qsort(acc, na, sizeof *acc, cmp_u32);
        }
        uint32_t *anc = ca_alloc(&E->arena, na * sizeof *anc);
        if (!anc) {
            rc = wr_fail(err, WR_ELIMIT, "entity hierarchy too large (ancestor index over the memory limit)");
            goto out;
        }
        memcpy(anc, acc, na * sizeof *anc);
        E->nodes[i].anc = anc;
        E->nodes[i].nanc = na;
    }
out:
    free(stamp);
    free(stack);
    free(acc);
    return rc;
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

void wr_entities_free(wr_entities *e)
{
    if (!e)
        return;
    cuidmap_free(&e->map);
    free(e->nodes);
    ca_free(&e->arena);
    free(e);
}

int wr_entities_from_json(const json_t *array, const wr_schema *schema, wr_entities **out,
                          wr_err *err)
{
    if (!json_is_array(array))
        return wr_fail(err, WR_EINVAL, "entities: expected a JSON array of entities");
    wr_entities *E = calloc(1, sizeof *E);
    if (!E)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    int rc = WR_OK;
    for (size_t i = 0; i < json_array_size(array) && rc == WR_OK; i++)
        rc = load_one(E, json_array_get(array, i), i, schema, err);
    if (rc == WR_OK && schema)
        rc = add_schema_actions(E, schema, err);
    if (rc == WR_OK)
        rc = build_ancestors(E, err);
    for (size_t i = 0; rc == WR_OK && i < E->n; i++) {
        resolve_refs(E, &E->nodes[i].attrs);
        resolve_refs(E, &E->nodes[i].tags);
    }
    if (rc != WR_OK) {
        wr_entities_free(E);
        return rc;
    }
    *out = E;
    return WR_OK;
}

int wr_entities_parse(const char *json, size_t len, const wr_schema *schema, wr_entities **out,
                      wr_err *err)
{
    json_error_t je;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return wr_fail(err, WR_EINVAL, "entities JSON:%d:%d: %s", je.line, je.column, je.text);
    int rc = wr_entities_from_json(j, schema, out, err);
    json_decref(j);
    return rc;
}
