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
    return h ^ (h >> 29);
}

static bool slot_is(const cuid_slot *s, const char *ty, const char *id, size_t idn)
{
    return s->idn == idn && strcmp(s->ty, ty) == 0 && memcmp(s->id, id, idn) == 0;
}

uint32_t cuidmap_get(const cuidmap *m, const char *ty, const char *id, size_t idn)
{
    if (!m->cap)
        return UINT32_MAX;
    size_t mask = m->cap - 1;
    for (size_t i = cuid_hash(ty, id, idn) & mask;; i = (i + 1) & mask) {
        const cuid_slot *s = &m->slots[i];
        if (!s->used)
            return UINT32_MAX;
        if (slot_is(s, ty, id, idn))
            return s->val;
    }
}

static int grow(cuidmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    cuid_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t j = 0; j < m->cap; j++) {
        cuid_slot *s = &m->slots[j];
        if (!s->used)
            continue;
        size_t i = cuid_hash(s->ty, s->id, s->idn) & (ncap - 1);
        while (ns[i].used)
            i = (i + 1) & (ncap - 1);
        ns[i] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

uint32_t cuidmap_put(cuidmap *m, const char *ty, const char *id, size_t idn, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
        return UINT32_MAX;
    size_t mask = m->cap - 1;
    for (size_t i = cuid_hash(ty, id, idn) & mask;; i = (i + 1) & mask) {
        cuid_slot *s = &m->slots[i];
        if (!s->used) {
            s->ty = ty;
            s->id = id;
            s->idn = idn;
            s->val = val;
            s->used = 1;
            m->n++;
            return val;
        }
        if (slot_is(s, ty, id, idn))
            return s->val;
    }
}

void cuidmap_free(cuidmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}
