/*
 * refmap.c — text id -> (rid, system rid) of one inventory table, in memory.
 *
 * A bulk import resolves a reference per row (a grant names its account
 * and its entitlement by text id).  Asking SQLite each time is a B-tree
 * search of a text index (~2 us); ten million grants pay 20 s for it.  The
 * importer therefore loads a table's ids into this map once it has seen
 * enough lookups of that table in one import (import.c decides when).
 *
 * Layout: the ids are copied back to back into one arena (NUL-terminated);
 * an open-addressed table of slots {hash, arena offset, rid, sys} finds
 * them.  A hit compares the stored text, so a 64-bit hash collision can
 * never resolve a reference to the wrong object.  The arena and the table
 * are capped (inv_refmap_max_bytes); over the cap the map is not built and
 * the importer keeps asking SQLite.
 */
#include "import.h"
#include "core/bigmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t inv_refmap_max_bytes = INV_REFMAP_MAX_BYTES;

typedef struct refslot {
    uint64_t hash;      /* 0: empty */
    uint64_t off;       /* id text in the arena */
    int64_t rid, sys;
} refslot;

struct inv_refmap {
    refslot *slots;
    size_t cap, n;
    char *arena;
    size_t alen, acap;
};

/* Slot tables (and arenas) of SLOTS_HUGE bytes or more go on huge pages
 * (lib/core/bigmem.h): a probe lands at a random place of a table of up
 * to hundreds of MiB (perf, first load of 4.3M accounts: ~500 ns per id
 * checked with 4 KiB pages, ~280 ns with 2 MiB ones). */
#define SLOTS_HUGE ((size_t)4 << 20)

static refslot *slots_alloc(size_t n)
{
    size_t bytes = n * sizeof(refslot);
    return bytes < SLOTS_HUGE ? calloc(n, sizeof(refslot)) : wr_bigmem_alloc(bytes);
}

static void slots_free(refslot *p, size_t n)
{
    if (n * sizeof(refslot) < SLOTS_HUGE)
        free(p);
    else
        wr_bigmem_free(p, n * sizeof(refslot));
}

static int arena_put(inv_refmap *m, const char *id, size_t len, uint64_t *off)
{
    if (m->alen + len + 1 > m->acap) {
        size_t ncap = m->acap ? m->acap * 2 : 1 << 20;
        while (ncap < m->alen + len + 1)
            ncap *= 2;
        if (ncap > inv_refmap_max_bytes)
            return WR_ELIMIT;
        char *na = realloc(m->arena, ncap);
        if (!na)
            return WR_ENOMEM;
        m->arena = na;
        m->acap = ncap;
        /* a hit compares the text: the arena is probed at random too */
        if (ncap >= SLOTS_HUGE)
            wr_bigmem_advise(na, ncap);
    }
    memcpy(m->arena + m->alen, id, len + 1);
    *off = m->alen;
    m->alen += len + 1;
    return WR_OK;
}

/* The home slot of hash h in a table of cap slots: the high bits of
 * h * cap (a multiply, not a modulo), so cap need not be a power of two
 * and a reserved table is sized to its count, not rounded up to the next
 * power — which left a map of 4.3M ids a quarter full, 512 MiB of slots
 * to zero and miss in. */
static inline size_t home(uint64_t h, size_t cap)
{
    return (size_t)(((unsigned __int128)h * cap) >> 64);
}

static inline size_t next(size_t j, size_t cap)
{
    return ++j == cap ? 0 : j;
}

/* Rehashes into a table of ncap slots (> 2 * m->n). */
static int rehash(inv_refmap *m, size_t ncap)
{
    if (ncap * sizeof(refslot) > inv_refmap_max_bytes)
        return WR_ELIMIT;
    refslot *ns = slots_alloc(ncap);
    if (!ns)
        return WR_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].hash)
            continue;
        size_t j = home(m->slots[i].hash, ncap);
        while (ns[j].hash)
            j = next(j, ncap);
        ns[j] = m->slots[i];
    }
    slots_free(m->slots, m->cap);
    m->slots = ns;
    m->cap = ncap;
    return WR_OK;
}

static int grow(inv_refmap *m)
{
    return rehash(m, m->cap ? m->cap * 2 : 4096);
}

void inv_refmap_reserve(inv_refmap *m, uint64_t n)
{
    /* at most half full (linear probing stays short), with room for an
     * estimate that falls a little short */
    size_t ncap = (size_t)(n * 2 + n / 8 + 64);
    /* too big, or no memory: the map grows as it fills, as without */
    if (ncap > m->cap && ncap * sizeof(refslot) <= inv_refmap_max_bytes)
        (void)rehash(m, ncap);
}

static uint64_t id_hash(const char *id, size_t len)
{
    uint64_t h = inv_hash64(id, len, 0x5eed);
    return h ? h : 1;
}

/* Adds id unless present (check: compare with the ids already there);
 * 1 added, 0 present, or a negative status. */
static int put(inv_refmap *m, const char *id, int64_t rid, int64_t sys, int check)
{
    int rc;
    if ((m->n + 1) * 2 > m->cap && (rc = grow(m)))
        return rc;
    size_t len = strlen(id);
    uint64_t h = id_hash(id, len), off;
    size_t j = home(h, m->cap);
    for (; m->slots[j].hash; j = next(j, m->cap))
        if (check && m->slots[j].hash == h && strcmp(m->arena + m->slots[j].off, id) == 0)
            return 0;
    if ((rc = arena_put(m, id, len, &off)))
        return rc;
    m->slots[j] = (refslot){h, off, rid, sys};
    m->n++;
    return 1;
}

int inv_refmap_add(inv_refmap *m, const char *id, int64_t rid, int64_t sys)
{
    int rc = put(m, id, rid, sys, 0);
    return rc < 0 ? rc : WR_OK;
}

int inv_refmap_claim(inv_refmap *m, const char *id, int64_t rid, int64_t sys)
{
    return put(m, id, rid, sys, 1);
}

void inv_refmap_prefetch(const inv_refmap *m, const char *id)
{
    if (m->cap)
        __builtin_prefetch(&m->slots[home(id_hash(id, strlen(id)), m->cap)], 1);
}

void inv_refmap_free(inv_refmap *m)
{
    if (!m)
        return;
    slots_free(m->slots, m->cap);
    free(m->arena);
    free(m);
}

int inv_refmap_load(wr_store *s, char type, inv_refmap **out, wr_err *err)
{
    /* each table's id, rid and system rid */
    const char *table = type == 'A' ? "accounts" : type == 'E' ? "entitlements"
                      : type == 'S' ? "systems" : "identities";
    const char *sys = type == 'A' || type == 'E' ? "system_rid" : type == 'S' ? "rid" : "0";
    char sql[96], q[64];
    snprintf(sql, sizeof sql, "SELECT id, rid, %s FROM %s", sys, table);
    snprintf(q, sizeof q, "SELECT ifnull(max(rid), 0) FROM %s", table);
    *out = NULL;
    inv_refmap *m = calloc(1, sizeof *m);
    if (!m)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    /* rids are dense in practice, so the largest bounds the count without
     * a scan; the table is then sized once instead of doubled ~20 times
     * (each a rehash of every slot so far) */
    int64_t maxrid = 0;
    int rc = inv_query_ints(s, q, NULL, &maxrid, NULL, err);
    if (rc) {
        free(m);
        return rc;
    }
    inv_refmap_reserve(m, (uint64_t)maxrid);
    wr_stmt *st;
    rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc) {
        free(m);
        return rc;
    }
    while ((rc = wr_stmt_step(st, err)) == 1) {
        int a = inv_refmap_add(m, wr_stmt_text(st, 0), wr_stmt_int(st, 1), wr_stmt_int(st, 2));
        if (a) {
            /* too big or no memory: the caller keeps using SQL */
            rc = a == WR_ENOMEM ? wr_fail(err, WR_ENOMEM, "out of memory") : WR_OK;
            wr_stmt_done(st);
            inv_refmap_free(m);
            return rc;
        }
    }
    wr_stmt_done(st);
    if (rc < 0) {
        inv_refmap_free(m);
        return rc;
    }
    *out = m;
    return WR_OK;
}

int inv_refmap_get(const inv_refmap *m, const char *id, int64_t *rid, int64_t *sys)
{
    *rid = *sys = 0;
    if (!m->cap)
        return 0;
    size_t len = strlen(id);
    uint64_t h = id_hash(id, len);
    size_t j = home(h, m->cap);
    while (m->slots[j].hash) {
        const refslot *sl = &m->slots[j];
        if (sl->hash == h && strcmp(m->arena + sl->off, id) == 0) {
            *rid = sl->rid;
            *sys = sl->sys;
            return 1;
        }
        j = next(j, m->cap);
    }
    return 0;
}
