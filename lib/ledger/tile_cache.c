/*
 * tile_cache.c — a bounded least-recently-used cache of full tiles, and
 * the upper tier (ledger_internal.h: lg_tier, at the end of this file).
 *
 * Why LRU: every proof touches one tile per tile level.  The few upper
 * tiles (level 1 and above: 1/16 of the level-0 count) are touched by
 * every proof, the level-0 tiles by one proof each when the indices are
 * random.  A direct-mapped cache lets each random level-0 tile evict
 * whatever upper tile shares its slot, so a proof paid a second tile read
 * now and then; with LRU the upper tiles stay resident and random level-0
 * tiles only displace each other.
 *
 * Data structure: at most `cap` entries, a doubly linked recency list
 * through the entries (head = most recent) and a chained hash table of
 * 2^k >= 2*cap buckets keyed by tile id.  Entries are addressed by 32-bit
 * index; NIL marks the end of a list.  Entry i's tile is slot i of one
 * arena of cap tiles (about 1 KiB each), reserved as address space when
 * the first tile is cached and backed by memory only as slots are used
 * (slots are used in order, so memory is about used * 1 KiB).  One arena
 * rather than a malloc per tile (the upper tier is one too): filling 42k
 * tiles (ledger.c, preload_upper, at 10M entries) cost about as much in
 * malloc and page faults as in reading the rows; the arenas ask for
 * transparent huge pages, so that is a fault per 2 MiB instead of per
 * 4 KiB (preload 56 -> 34 ms), and the TLB covers the tiles with a few
 * dozen entries.
 */
#include "ledger_internal.h"
#include "core/bigmem.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

typedef struct centry {
    uint64_t id;
    lg_tile *t;
    uint32_t prev, next;   /* recency list */
    uint32_t hnext;        /* hash chain */
} centry;

struct lg_cache {
    size_t cap, used;
    uint32_t head, tail;
    uint32_t nbucket;      /* power of two */
    uint32_t *bucket;
    centry *e;
    lg_tile *arena;        /* cap slots, mapped at the first claim; NULL before */
};

static size_t arena_bytes(const lg_cache *c)
{
    return c->cap * sizeof(lg_tile);
}

/* Maps the arena: address space for cap tiles, backed as used, huge
 * pages asked for (lib/core/bigmem.h).  Entries get their slots as they
 * are first used (lg_cache_claim): touching all cap entries here would
 * fault in their 2 MiB at the first tile a one-off proof caches. */
static int arena_map(lg_cache *c)
{
    return (c->arena = wr_bigmem_alloc(arena_bytes(c))) ? WR_OK : WR_ENOMEM;
}

static uint32_t bucket_of(const lg_cache *c, uint64_t id)
{
    return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (c->nbucket - 1);
}

int lg_cache_new(size_t cap, lg_cache **out)
{
    if (cap == 0 || cap > (1u << 24))
        return WR_EINVAL;
    lg_cache *c = calloc(1, sizeof *c);
    uint32_t nb = 1;
    while (nb < 2 * cap)
        nb <<= 1;
    if (c) {
        c->bucket = malloc(nb * sizeof *c->bucket);
        c->e = calloc(cap, sizeof *c->e);
    }
    if (!c || !c->bucket || !c->e) {
        if (c) {
            free(c->bucket);
            free(c->e);
        }
        free(c);
        return WR_ENOMEM;
    }
    c->cap = cap;
    c->nbucket = nb;
    lg_cache_clear(c);
    *out = c;
    return WR_OK;
}

void lg_cache_free(lg_cache *c)
{
    if (!c)
        return;
    if (c->arena)
        wr_bigmem_free(c->arena, arena_bytes(c));
    free(c->e);
    free(c->bucket);
    free(c);
}

/* Forgets every tile (the arena stays mapped for reuse). */
void lg_cache_clear(lg_cache *c)
{
    for (uint32_t i = 0; i < c->nbucket; i++)
        c->bucket[i] = NIL;
    c->head = c->tail = NIL;
    c->used = 0;
}

static void list_unlink(lg_cache *c, uint32_t i)
{
    centry *x = &c->e[i];
    if (x->prev != NIL)
        c->e[x->prev].next = x->next;
    else
        c->head = x->next;
    if (x->next != NIL)
        c->e[x->next].prev = x->prev;
    else
        c->tail = x->prev;
}

static void list_push_front(lg_cache *c, uint32_t i)
{
    centry *x = &c->e[i];
    x->prev = NIL;
    x->next = c->head;
    if (c->head != NIL)
        c->e[c->head].prev = i;
    c->head = i;
    if (c->tail == NIL)
        c->tail = i;
}

static void hash_unlink(lg_cache *c, uint32_t i)
{
    uint32_t *p = &c->bucket[bucket_of(c, c->e[i].id)];
    while (*p != NIL && *p != i)
        p = &c->e[*p].hnext;
    if (*p == i)
        *p = c->e[i].hnext;
}

static uint32_t find(const lg_cache *c, uint64_t id)
{
    uint32_t i = c->bucket[bucket_of(c, id)];
    while (i != NIL && c->e[i].id != id)
        i = c->e[i].hnext;
    return i;
}

const lg_tile *lg_cache_get(lg_cache *c, uint64_t id)
{
    uint32_t i = find(c, id);
    if (i == NIL)
        return NULL;
    if (c->head != i) {
        list_unlink(c, i);
        list_push_front(c, i);
    }
    return c->e[i].t;
}

lg_tile *lg_cache_claim(lg_cache *c, uint64_t id)
{
    uint32_t i = find(c, id);
    if (i != NIL) {
        lg_cache_get(c, id);
        return c->e[i].t;
    }
    if (!c->arena && arena_map(c) != WR_OK)
        return NULL;
    if (c->used < c->cap) {
        /* Entries past the most ever used have no slot yet; below it each
         * holds a distinct slot (lg_cache_remove swaps, never frees). */
        i = (uint32_t)c->used++;
        if (!c->e[i].t)
            c->e[i].t = &c->arena[i];
    } else {
        i = c->tail;   /* evict the least recently used */
        hash_unlink(c, i);
        list_unlink(c, i);
    }
    centry *x = &c->e[i];
    x->id = id;
    uint32_t *b = &c->bucket[bucket_of(c, id)];
    x->hnext = *b;
    *b = i;
    list_push_front(c, i);
    return x->t;
}

size_t lg_cache_count(const lg_cache *c)
{
    return c->used;
}

void lg_cache_remove(lg_cache *c, uint64_t id)
{
    uint32_t i = find(c, id);
    if (i == NIL)
        return;
    hash_unlink(c, i);
    list_unlink(c, i);
    /* keep the slots dense: move the last used entry into slot i */
    uint32_t last = (uint32_t)--c->used;
    if (last != i) {
        lg_tile *spare = c->e[i].t;
        centry *y = &c->e[last];
        hash_unlink(c, last);
        list_unlink(c, last);
        c->e[i] = *y;
        y->t = spare;
        uint32_t *b = &c->bucket[bucket_of(c, c->e[i].id)];
        c->e[i].hnext = *b;
        *b = i;
        list_push_front(c, i);
    }
}

/* ---- the upper tier ---------------------------------------------------- */

void lg_tier_init(lg_tier *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->open_level = -1;
}

void lg_tier_free(lg_tier *t)
{
    if (t->arena)
        wr_bigmem_free(t->arena, t->cap * sizeof(lg_tile));
    lg_tier_init(t, t->cap);
}

lg_tile *lg_tier_next(lg_tier *t, unsigned level)
{
    if (level >= LG_LEVELS || t->used >= t->cap)
        return NULL;
    if (t->open_level != (int)level) {
        if (t->n[level])
            return NULL;   /* filled before: its slice cannot grow */
        if (!t->arena && !(t->arena = wr_bigmem_alloc(t->cap * sizeof(lg_tile))))
            return NULL;
        t->open_level = (int)level;
        t->lv[level] = t->arena + t->used;
    }
    return &t->arena[t->used];
}

void lg_tier_commit(lg_tier *t, unsigned level)
{
    if (t->open_level == (int)level && t->used < t->cap) {
        t->used++;
        t->n[level]++;
    }
}
