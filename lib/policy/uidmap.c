/*
 * uidmap.c — open-addressing hash map keyed by an entity uid (type, id).
 *
 * Used for the entity store (uid -> node) and the policy scope index
 * (uid -> candidate list).  Keys are borrowed strings that must outlive the
 * map (they live in the owner's arena).  Lookups only read, so a built map
 * is safe to share between threads.  Capacity is a power of two, kept at
 * most half full so probes stay short.
 */
#include "policy/cedar.h"

#include <stdlib.h>
#include <string.h>

uint64_t cuid_hash(const char *ty, const char *id, size_t idn)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)ty; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (size_t i = 0; i < idn; i++)
        h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
    h ^= h >> 29;
    return h ? h : 1; /* 0 marks empty slots */
}

/* The stored hash is compared first, so a probe over other keys rarely
 * touches their strings. */
static bool slot_is(const cuid_slot *s, uint64_t h, const char *ty, const char *id, size_t idn)
{
    return s->hash == h && s->idn == idn && memcmp(s->id, id, idn) == 0 && strcmp(s->ty, ty) == 0;
}

uint32_t cuidmap_get_h(const cuidmap *m, uint64_t h, const char *ty, const char *id, size_t idn)
{
    if (!m->cap)
        return UINT32_MAX;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const cuid_slot *s = &m->slots[i];
        if (!s->hash)
            return UINT32_MAX;
        if (slot_is(s, h, ty, id, idn))
            return s->val;
    }
}

uint32_t cuidmap_get(const cuidmap *m, const char *ty, const char *id, size_t idn)
{
    if (!m->cap)
        return UINT32_MAX;
    return cuidmap_get_h(m, cuid_hash(ty, id, idn), ty, id, idn);
}

/* Rehashes into ncap slots (a power of two above 2 * n). */
static int rehash(cuidmap *m, size_t ncap)
{
    cuid_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t j = 0; j < m->cap; j++) {
        cuid_slot *s = &m->slots[j];
        if (!s->hash)
            continue;
        size_t i = s->hash & (ncap - 1);
        while (ns[i].hash)
            i = (i + 1) & (ncap - 1);
        ns[i] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

static int grow(cuidmap *m)
{
    return rehash(m, m->cap ? m->cap * 2 : 64);
}

int cuidmap_reserve(cuidmap *m, size_t n)
{
    size_t cap = 64;
    while (cap < 2 * (n + 1))
        cap *= 2;
    return cap > m->cap ? rehash(m, cap) : 0;
}

uint32_t cuidmap_put(cuidmap *m, const char *ty, const char *id, size_t idn, uint32_t val)
{
    return cuidmap_put_h(m, cuid_hash(ty, id, idn), ty, id, idn, val);
}

uint32_t cuidmap_put_h(cuidmap *m, uint64_t h, const char *ty, const char *id, size_t idn,
                       uint32_t val)
{
    if (idn > UINT32_MAX || ((m->n + 1) * 2 > m->cap && grow(m) != 0))
        return UINT32_MAX;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        cuid_slot *s = &m->slots[i];
        if (!s->hash) {
            s->ty = ty;
            s->id = id;
            s->idn = (uint32_t)idn;
            s->val = val;
            s->hash = h;
            m->n++;
            return val;
        }
        if (slot_is(s, h, ty, id, idn))
            return s->val;
    }
}

void cuidmap_free(cuidmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}
