/*
 * ledger.c — the lineage log: entries, stored tree hashes, checkpoints,
 * proofs and verification.
 *
 * Entries.  An entry is any JSON object; it is stored as its RFC 8785
 * canonical bytes (jcs.c), at most WR_LEDGER_MAX_ENTRY bytes (and at most
 * 65535 if the log is to be exported as tlog-tiles, whose entry bundles
 * carry 16-bit lengths).  The ledger gives the bytes no meaning: the
 * lineage schema (kinds, fields) belongs to the workflow layer.  Entry i
 * is leaf i of an RFC 9162 Merkle tree (merkle.c).
 *
 * On-disk layout (tables in ledger_schema.c, all in warrant.db):
 *   ledger_entry(idx, data)            the entries, idx = 0, 1, 2, ...
 *   ledger_subtile(id, width, hashes)  the tree as tiles of height 4:
 *       tile (S, n), id = lg_tile_rowid(S, n), holds the hashes of tree
 *       level 4S at indices n*16 ... n*16+W-1, followed by its interior:
 *       the W/2 nodes of level 4S+1, W/4 of 4S+2, W/8 of 4S+3 (960 bytes
 *       when full: one b-tree page).  Full tiles (W = 16) never change;
 *       the rightmost tile of each level is partial and is rewritten as it
 *       grows.  Storing the interior makes every complete node one lookup,
 *       so a proof costs a few small row reads (one per 4 tree levels,
 *       most of them cached) and no hashing.  Each tile level has a range
 *       of row ids of its own, level 0 last (schema step 3): the tiles
 *       above level 0 are one range, read in bulk by a proving connection
 *       (preload_upper).  C2SP tlog-tiles hash tiles (height 8) are
 *       assembled from them (lg_tlog_tile).
 *   ledger_checkpoint(size, root, note) the latest signed checkpoint
 *       (note.c), rewritten by every append in the same transaction.
 * Beside it, the tile file (tile_file.c): an untrusted copy of the full
 * level-0 tiles, written as they fill, read by proofs without a snapshot.
 *
 * In memory a wr_ledger keeps the right edge (lg_builder: one partial tile
 * per level, O(log n)), so an append hashes O(log n) nodes and writes the
 * entry, the partial tiles it touched and the checkpoint; and full tiles,
 * which are immutable (tile_cache.c, ~1 KiB each, 64 MiB at most): a
 * bounded LRU cache of tiles read one at a time (LG_CACHE_TILES), and the
 * upper tier (LG_TIER_TILES), the tiles above level 0 read in bulk, kept in
 * one array per level.  Before each operation the stored (size, root) is
 * compared with the in-memory one: if another process appended, or the
 * caller rolled back a transaction holding our append, the edge is
 * reloaded; the LRU cache survives unless it holds a tile cached inside a
 * write transaction (which may have been rolled back); the tier holds only
 * committed tiles and always survives.
 *
 * Proofs (cost at 10M entries: see bench/RESULTS-ledger.md).  A proof at a
 * size covered by an edge that is a committed state needs no checkpoint
 * check, and no database access at all if its tiles are cached or its
 * level-0 tile can be read from the tile file and checked against the
 * level-4 node above it in memory (see prove, level0_node).  Otherwise it
 * runs in one read snapshot (wr_store_read_begin): the checkpoint check
 * and the tile reads share one read lock.  Tiles
 * above level 0 are cached when first read, and once a connection has read
 * 1 in 16 of them one at a time (preload_due), all of them (up to the
 * tier's size) are read with one sequential scan per level into the tier
 * (preload_upper: ~35 ms at 10M entries, ~0.85 us a tile against ~2.7 us
 * for a tile read on its own), where a lookup is an array index.  A
 * level-0 tile missed for the first time is read in place (`held`: the
 * row stays stepped until the proof ends and the 4 or so hashes are
 * copied straight out of it); only a second miss (the
 * doorkeeper `seen`) admits it to the cache, so random one-off tiles do
 * not evict tiles in use.  Every proof at one size folds the same
 * right-edge ranges: they are memoised.
 *
 * Verification (wr_ledger_verify) trusts nothing stored: it rehashes every
 * entry, rebuilds every tile, compares them with the stored ones, checks
 * the root against the checkpoint and the checkpoint's signature against
 * the key in log.key, and reports the smallest entry index whose entry or
 * covering hash is damaged.
 */
#include "ledger_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Full tiles in memory: 64 MiB at most (backed as used), in two parts.
 * The upper tier (preload_upper) holds up to 48k tiles above level 0 read
 * in bulk: at 10M entries there are 42k (~41 MiB), so a long-running
 * prover keeps the whole tree above tree level 4 and a proof reads one
 * row.  The LRU cache (16k tiles) holds the tiles read one at a time: upper
 * tiles before the preload (or beyond the tier), level-0 tiles used twice.
 * The preload runs once a connection has read 1 in LG_PRELOAD_RATIO of the
 * upper tiles one at a time (preload_due, ledger_internal.h): not for a
 * process making a few proofs (the CLI). */
#define LG_CACHE_TILES 16384
#define LG_TIER_TILES 49152
#define LG_SEEN_SLOTS 4096      /* doorkeeper: tile ids missed once (32 KiB) */
#define LG_MEMO_SLOTS 64        /* memoised right-edge range hashes */
#define LG_MAX_PROOF 128

struct wr_ledger {
    wr_store *s;
    lg_key key;
    int key_rc;
    char key_msg[256];
    lg_builder *b;           /* the right edge of the stored tree */
    uint8_t root[32];
    int loaded;              /* b and root reflect the store */
    unsigned dirty;          /* edge levels to write at flush */
    lg_cache *cache;         /* full tiles */
    /* A cold level-0 tile is read in place: its statement stays stepped
     * (inside the operation's read snapshot) and nodes are copied straight
     * from the row, instead of copying the tile into the cache (evicting
     * one in use) for one proof that needs 4 of its 30 hashes.  held_id
     * (a row id) = UINT64_MAX: none held. */
    wr_stmt *held;
    uint64_t held_id;
    const uint8_t *held_blob;
    /* doorkeeper: a level-0 tile enters the cache on its second miss, so
     * random one-off tiles do not evict tiles that are used again */
    uint64_t seen[LG_SEEN_SLOTS];
    /* memo of right-edge range hashes (hi = 0: empty slot): every proof at
     * one size folds the same ~log2(n) edge ranges, ~10 node hashes at 10M.
     * Cleared by any append or reload: a range over entries that were
     * rolled back must not survive. */
    struct {
        uint64_t lo, hi;
        uint8_t h[32];
    } memo[LG_MEMO_SLOTS];
    /* a tile was cached inside a write transaction, which may still roll
     * back: the cache cannot outlive a reload (see sync_edge) */
    int cache_tainted;
    /* the edge is a committed state of the log (read outside any write
     * transaction, no append since): proofs at sizes it covers need no
     * checkpoint read (see prove) */
    int edge_committed;
    /* ledger_node may not read the database (cache_only); it could not
     * (uncached) */
    int cache_only, uncached;
    int mapped;   /* the connection reads through a memory map (read_mode) */
    /* preload_upper: upper tiles read one at a time (into the LRU cache);
     * whether the preload ran; when it runs (preload_due) */
    unsigned upper_misses;
    int preloaded;
    unsigned preload_after;   /* LG_PRELOAD_AUTO: preload_due's rule */
    lg_tier tier;   /* committed full tiles above level 0, read in bulk */
    lg_tfile tf;    /* the tile file: level-0 tiles outside the database */
    int proof_cache;   /* the 8 MiB page cache for proofs is set (proof_mode) */
};

static uint64_t tile_id(unsigned level, uint64_t n)
{
    return lg_tile_rowid(level, n);
}

static int no_mem(wr_err *err)
{
    return wr_fail(err, WR_ENOMEM, "out of memory");
}

/* ---- stored tiles --------------------------------------------------------- */

static int tile_read(wr_ledger *l, unsigned level, uint64_t n, unsigned w, lg_tile *t, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(l->s, "SELECT width, hashes FROM ledger_subtile WHERE id=?", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, (int64_t)tile_id(level, n));
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        size_t len = 0;
        const void *blob = wr_stmt_blob(st, 1, &len);
        if (wr_stmt_int(st, 0) != (int64_t)w || !blob || lg_tile_decode(blob, len, w, t) != WR_OK)
            rc = wr_fail(err, WR_ECORRUPT, "ledger: stored tile %u/%llu is damaged (want width %u)",
                         level, (unsigned long long)n, w);
        else
            rc = WR_OK;
        t->n = n;
    } else if (rc == 0) {
        rc = wr_fail(err, WR_ECORRUPT, "ledger: stored tile %u/%llu is missing", level,
                     (unsigned long long)n);
    }
    wr_stmt_done(st);
    return rc;
}

static int tile_write(wr_ledger *l, unsigned level, const lg_tile *t, wr_err *err)
{
    uint8_t *blob = malloc(LG_FULL_BLOB);
    if (!blob)
        return no_mem(err);
    size_t len = lg_tile_encode(t, blob);
    wr_stmt *st;
    int rc = wr_stmt_prepare(l->s, "INSERT OR REPLACE INTO ledger_subtile(id, width, hashes) "
                             "VALUES(?,?,?)", &st, err);
    if (rc == WR_OK) {
        wr_stmt_bind_int(st, 1, (int64_t)tile_id(level, t->n));
        wr_stmt_bind_int(st, 2, t->w);
        wr_stmt_bind_blob(st, 3, blob, len);
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
        rc = rc < 0 ? rc : WR_OK;
    }
    free(blob);
    return rc;
}

static void cache_drop(wr_ledger *l)
{
    lg_cache_clear(l->cache);
    l->cache_tainted = 0;
}

static void cache_put(wr_ledger *l, unsigned level, const lg_tile *t)
{
    lg_tile *c = lg_cache_claim(l->cache, tile_id(level, t->n));
    if (!c)
        return;   /* caching is optional */
    memcpy(c, t, sizeof *t);
    l->cache_tainted |= wr_store_in_transaction(l->s);
}

/* The tile file, opened at first use (a connection that never proves or
 * appends does not touch it). */
static int tfile_ready(wr_ledger *l)
{
    return l->tf.fd >= 0 || lg_tfile_open(&l->tf, wr_store_dir(l->s), wr_store_readonly(l->s));
}

/* A stored level-0 tile read from the database: written to the tile file
 * if its record there was missing or failed (tile_file.c). */
static void tfile_repair(wr_ledger *l, uint64_t n, const uint8_t *blob)
{
    if (l->tf.repair == n)
        lg_tfile_put(&l->tf, n, blob);
}

/* Full level-0 tile t into the tile file. */
static void tfile_put_tile(wr_ledger *l, const lg_tile *t)
{
    uint8_t blob[LG_FULL_BLOB];
    lg_tile_encode(t, blob);
    lg_tfile_put(&l->tf, t->n, blob);
}

/* Tree level 4 node n, the top of level-0 tile n, if it is in memory
 * (upper tier, LRU cache or edge: all read from the database); out may be
 * NULL.  Only such a node can vouch for a record of the tile file. */
static int top_in_memory(wr_ledger *l, uint64_t n, uint8_t out[32])
{
    uint64_t n1 = n >> LG_TILE_H;
    unsigned j = (unsigned)(n & (LG_TILE_W - 1));
    const lg_tile *t = lg_tier_get(&l->tier, 1, n1);
    if (!t && n1 < l->b->lv[1].n)
        t = lg_cache_get(l->cache, tile_id(1, n1));
    if (!t && n1 == l->b->lv[1].n && j < l->b->lv[1].w)
        t = &l->b->lv[1];
    if (t && out)
        memcpy(out, t->h[j], 32);
    return t != NULL;
}

/* Whether the tile file may serve level-0 tile n: its record has not
 * failed, and the node that checks it is in memory (copied to top, which
 * may be NULL). */
static int tfile_can_serve(wr_ledger *l, uint64_t n, uint8_t top[32])
{
    return l->tf.repair != n && tfile_ready(l) && top_in_memory(l, n, top);
}

/* A full tile, from the cache or the store. */
static int full_tile(wr_ledger *l, unsigned level, uint64_t n, const lg_tile **out, wr_err *err)
{
    uint64_t id = tile_id(level, n);
    const lg_tile *hit = lg_cache_get(l->cache, id);
    if (hit) {
        *out = hit;
        return WR_OK;
    }
    lg_tile *c = lg_cache_claim(l->cache, id);
    if (!c)
        return no_mem(err);
    int rc = tile_read(l, level, n, LG_TILE_W, c, err);
    if (rc) {
        lg_cache_remove(l->cache, id);
        return rc;
    }
    if (level > 0 && l->upper_misses < UINT_MAX)
        l->upper_misses++;
    if (level == 0 && l->tf.repair == n)   /* see tfile_repair */
        tfile_put_tile(l, c);
    l->cache_tainted |= wr_store_in_transaction(l->s);
    *out = c;
    return WR_OK;
}

/* Ends the in-place read of a level-0 tile (before the snapshot ends) and
 * drops the tile file's record (the end of a proof). */
static void held_release(wr_ledger *l)
{
    lg_tfile_release(&l->tf);
    if (l->held_id != UINT64_MAX) {
        wr_stmt_done(l->held);
        l->held_id = UINT64_MAX;
    }
}

/* Node (r, j) of full tile (level, n), row id `id`, read in place (see
 * `held`). */
static int held_node(wr_ledger *l, unsigned level, uint64_t n, uint64_t id, unsigned r, uint64_t j,
                     uint8_t out[32], wr_err *err)
{
    if (l->held_id != id) {
        held_release(l);
        /* a statement of its own: tile_read may run while this one is held */
        int rc = wr_stmt_prepare(l->s, "SELECT hashes FROM ledger_subtile WHERE id=? AND width=16",
                                 &l->held, err);
        if (rc)
            return rc;
        wr_stmt_bind_int(l->held, 1, (int64_t)id);
        rc = wr_stmt_step(l->held, err);
        size_t len = 0;
        const void *blob = rc == 1 ? wr_stmt_blob(l->held, 0, &len) : NULL;
        if (!blob || len != LG_FULL_BLOB) {
            wr_stmt_done(l->held);
            return rc < 0 ? rc : wr_fail(err, WR_ECORRUPT, "ledger: stored tile %u/%llu is missing "
                                         "or damaged", level, (unsigned long long)n);
        }
        l->held_blob = blob;
        l->held_id = id;
        tfile_repair(l, n, blob);
    }
    /* a full tile is stored as the in-memory layout without the root */
    memcpy(out, l->held_blob + (lg_sub_off(r) + j) * 32, 32);
    return WR_OK;
}

/* Records a miss of tile row id; true unless it was the last one recorded
 * in its doorkeeper slot. */
static int first_miss(wr_ledger *l, uint64_t id)
{
    uint64_t *seen = &l->seen[(id * 0x9e3779b97f4a7c15ull) >> 52];
    if (*seen == id)
        return 0;
    *seen = id;
    return 1;
}

static int not_cached(wr_ledger *l, wr_err *err)
{
    l->uncached = 1;
    return wr_fail(err, WR_ESTATE, "ledger: tile not cached");
}

/* Node (r, j) of full level-0 tile n (row id `id`), not in the cache.
 * From the tile file if its top is in memory (no database read); else, or
 * if the record fails, from the database: read in place on a first miss
 * (`held`), into the cache on a second (the doorkeeper).  On a second
 * miss a record that passes enters the cache whole. */
static int level0_node(wr_ledger *l, uint64_t n, uint64_t id, unsigned r, uint64_t j,
                       uint8_t out[32], wr_err *err)
{
    if (l->held_id == id)
        return held_node(l, 0, n, id, r, j, out, err);
    int again = -1;   /* the doorkeeper's verdict, asked once */
    uint8_t top[32];
    if (l->tf.held != n && tfile_can_serve(l, n, top)) {
        again = !first_miss(l, id);
        if (lg_tfile_load(&l->tf, n, top) && again) {
            lg_tile *c = lg_cache_claim(l->cache, id);
            if (c && lg_tfile_tile(&l->tf, c)) {
                l->cache_tainted |= wr_store_in_transaction(l->s);
                memcpy(out, c->h[lg_sub_off(r) + j], 32);
                return WR_OK;
            }
            if (c)
                lg_cache_remove(l->cache, id);
        }
    }
    if (l->tf.held == n && lg_tfile_node(&l->tf, r, j, out))
        return WR_OK;
    if (l->cache_only)
        return not_cached(l, err);
    if (again < 0)
        again = !first_miss(l, id);
    if (!again)
        return held_node(l, 0, n, id, r, j, out, err);
    const lg_tile *t;
    int rc = full_tile(l, 0, n, &t, err);
    if (rc == WR_OK)
        memcpy(out, t->h[lg_sub_off(r) + j], 32);
    return rc;
}

/* lg_node_fn over the stored tree: node (h, i) must be complete. */
static int ledger_node(void *ctx, unsigned h, uint64_t i, uint8_t out[32], wr_err *err)
{
    wr_ledger *l = ctx;
    unsigned level = h / LG_TILE_H, r = h % LG_TILE_H;
    if (level >= LG_LEVELS)
        return wr_fail(err, WR_EINTERNAL, "ledger: node level %u out of range", h);
    uint64_t n = (i << r) >> LG_TILE_H;
    uint64_t j = i - (n << (LG_TILE_H - r));
    const lg_tile *t = &l->b->lv[level];
    if (n > t->n || (n == t->n && j >= (t->w >> r)))
        return wr_fail(err, WR_EINTERNAL, "ledger: node %u/%llu is not in the tree", h,
                       (unsigned long long)i);
    if (n < t->n) {
        uint64_t id = tile_id(level, n);
        const lg_tile *hit = level ? lg_tier_get(&l->tier, level, n) : NULL;
        if (!hit)
            hit = lg_cache_get(l->cache, id);
        if (hit) {
            t = hit;
        } else if (level == 0) {
            return level0_node(l, n, id, r, j, out, err);
        } else if (l->cache_only) {
            return not_cached(l, err);
        } else {
            int rc = full_tile(l, level, n, &t, err);
            if (rc)
                return rc;
        }
    }
    memcpy(out, t->h[lg_sub_off(r) + j], 32);
    return WR_OK;
}

/* Reads the full tiles above level 0 into the upper tier with one range
 * scan per level, top level first, until the tier is full: at 10M entries
 * 42k rows (~40 MiB, ~10k page reads, ~35 ms, more than half of it the
 * kernel providing the 40 MiB of memory) instead of a random read per
 * tile as proofs first need them, which a fresh process pays for most of
 * its first tens of thousands of proofs (the level-1 tile of a random index
 * is rarely cached yet).  Once per connection, in a proof's read snapshot,
 * when preload_due, so that a process making a few proofs does not read
 * the whole upper tree.  Only tiles the edge covers (n < edge n: full, and
 * committed, as the caller is outside any write transaction) are read;
 * they never change, so the tier is never dropped.  Tiles completed later
 * are read one at a time into the LRU cache as before. */
static int preload_upper(wr_ledger *l, wr_err *err)
{
    l->preloaded = 1;
    int rc = WR_OK;
    for (unsigned level = LG_LEVELS - 1; level > 0 && rc == WR_OK; level--) {
        uint64_t end = l->b->lv[level].n;
        if (end == 0)
            continue;
        wr_stmt *st;
        if ((rc = wr_stmt_prepare(l->s, "SELECT id, hashes FROM ledger_subtile WHERE id >= ? AND id < ? "
                                  "ORDER BY id", &st, err)))
            return rc;
        wr_stmt_bind_int(st, 1, (int64_t)tile_id(level, 0));
        wr_stmt_bind_int(st, 2, (int64_t)tile_id(level, end));
        lg_tile *slot;
        while ((slot = lg_tier_next(&l->tier, level)) && (rc = wr_stmt_step(st, err)) == 1) {
            /* a missing or damaged row ends the level's array (a proof
             * that needs it reads it and reports the damage) */
            uint64_t n = l->tier.n[level];
            size_t len = 0;
            const void *blob = wr_stmt_blob(st, 1, &len);
            if ((uint64_t)wr_stmt_int(st, 0) != tile_id(level, n) || !blob ||
                lg_tile_decode(blob, len, LG_TILE_W, slot) != WR_OK)
                break;
            slot->n = n;
            lg_tier_commit(&l->tier, level);
        }
        wr_stmt_done(st);
        rc = rc < 0 ? rc : WR_OK;
        if (!slot)
            break;   /* the tier is full */
    }
    return rc;
}

/* Whether the preload is due: once 1 in LG_PRELOAD_RATIO of the tiles
 * it will read were read one at a time (~2.6k at 10M entries: a fresh
 * process's first ~1,500 random proofs).  Early on purpose: a tile read
 * on its own costs ~2.7 us, in bulk ~0.85 us, and every proof after the
 * preload ~1-2 us less, so a process that keeps proving (the server) is
 * ahead after some 20k proofs; waiting until the single reads had cost as
 * much as the preload (ratio ~4, ski rental) bounds what a process that
 * stops right after it wastes (about 2x), but measured, a fresh process's
 * 40k random proofs then cost 5-13 % more in total than without any
 * preload, and with 16, 5-17 % less; a process that stops after 2k-6k
 * random proofs pays the preload (~35 ms) for little (bench/RESULTS-ledger.md). */
static int preload_due(const wr_ledger *l)
{
    if (l->preload_after != LG_PRELOAD_AUTO)
        return l->upper_misses >= l->preload_after;
    uint64_t tiles = 0;
    for (unsigned level = 1; level < LG_LEVELS; level++)
        tiles += l->b->lv[level].n;
    if (tiles > l->tier.cap)
        tiles = l->tier.cap;
    return l->upper_misses >= tiles / LG_PRELOAD_RATIO;
}

void lg_ledger_preload_set(wr_ledger *l, unsigned after, size_t max_tiles)
{
    l->preload_after = after;
    if (!l->preloaded) {
        lg_tier_free(&l->tier);
        lg_tier_init(&l->tier, max_tiles);
    }
}

size_t lg_ledger_preloaded(const wr_ledger *l)
{
    return lg_tier_count(&l->tier);
}

size_t lg_ledger_cached(const wr_ledger *l)
{
    return lg_cache_count(l->cache);
}

lg_tfile *lg_ledger_tfile(wr_ledger *l)
{
    return &l->tf;
}

/* Reads through a memory map (map = 1: verification's scan) or plain reads
 * (proofs; see wr_ledger_open).  The map stays until a proof needs plain
 * reads, so repeated verifications reuse it. */
static void read_mode(wr_ledger *l, int map)
{
    if (l->mapped == map)
        return;
    wr_err e;
    if (wr_store_exec(l->s, map ? "PRAGMA mmap_size=1099511627776" : "PRAGMA mmap_size=0", &e) == WR_OK)
        l->mapped = map;
}

/* Proofs: plain reads, not a memory map, and an 8 MiB page cache
 * (per-connection settings, made at the first proof so that a connection
 * that never proves keeps the map and the store's small cache).  A proof
 * reads one or two random 1 KiB rows: read() costs ~1.5 us per cold page,
 * a first touch of a mapped page more (a fault mapping its neighbours too);
 * and at its next read after any commit by another connection (e.g. the
 * group committer) SQLite unmaps the whole file, so a mapped page rarely
 * stays mapped in a server that appends (measured: random proofs 18 us
 * with the map, 9.5 us without, while appending; see
 * bench/RESULTS-ledger.md).  The page cache keeps the b-tree interior pages
 * (a few MiB at 10M entries).  Verification, a sequential scan, maps the
 * file again (read_mode). */
static void proof_mode(wr_ledger *l)
{
    if (!l->proof_cache) {
        wr_err e;
        l->proof_cache = wr_store_exec(l->s, "PRAGMA cache_size=-8192", &e) == WR_OK;
    }
    read_mode(l, 0);
}

static void memo_clear(wr_ledger *l)
{
    for (size_t i = 0; i < LG_MEMO_SLOTS; i++)
        l->memo[i].hi = 0;
}

/* lg_range_fn: MTH(D[lo:hi]) through the memo. */
static int ledger_range(void *ctx, uint64_t lo, uint64_t hi, uint8_t out[32], wr_err *err)
{
    wr_ledger *l = ctx;
    uint64_t n = hi - lo;
    if (hi <= lo || (n & (n - 1)) == 0)   /* empty or one node: nothing to fold */
        return lg_range_hash(ledger_node, l, lo, hi, out, err);
    size_t slot = (size_t)(((lo * 0x9e3779b97f4a7c15ull) ^ hi) * 0xff51afd7ed558ccdull >> 58);
    if (l->memo[slot].hi == hi && l->memo[slot].lo == lo) {
        memcpy(out, l->memo[slot].h, 32);
        return WR_OK;
    }
    int rc = lg_range_hash(ledger_node, l, lo, hi, out, err);
    if (rc == WR_OK) {
        l->memo[slot].lo = lo;
        l->memo[slot].hi = hi;
        memcpy(l->memo[slot].h, out, 32);
    }
    return rc;
}

/* ---- loading the right edge ---------------------------------------------- */

static int read_checkpoint(wr_ledger *l, uint64_t *size, uint8_t root[32], char **note, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(l->s, "SELECT size, root, note FROM ledger_checkpoint WHERE id=1",
                             &st, err);
    if (rc)
        return rc;
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        size_t len = 0;
        const void *r = wr_stmt_blob(st, 1, &len);
        *size = (uint64_t)wr_stmt_int(st, 0);
        rc = WR_OK;
        if (len != 32 || !r)
            rc = wr_fail(err, WR_ECORRUPT, "ledger: stored checkpoint root is damaged");
        else
            memcpy(root, r, 32);
        if (rc == WR_OK && note) {
            const char *t = wr_stmt_text(st, 2);
            if (!(*note = strdup(t ? t : "")))
                rc = no_mem(err);
        }
    } else if (rc == 0) {
        *size = 0;
        wr_sha256("", 0, root);
        if (note)
            *note = NULL;
    }
    wr_stmt_done(st);
    return rc;
}

static int reload(wr_ledger *l, uint64_t size, const uint8_t root[32], wr_err *err)
{
    l->loaded = 0;
    l->edge_committed = 0;
    l->dirty = 0;
    /* Committed full tiles never change, so tiles read outside a write
     * transaction stay valid when another connection appends.  A tile
     * cached inside one of our write transactions may have been rolled
     * back (and its index refilled differently since): drop them all. */
    if (l->cache_tainted)
        cache_drop(l);
    memo_clear(l);
    lg_builder_reset(l->b);
    l->b->size = size;
    for (unsigned level = 0; level < LG_LEVELS; level++) {
        uint64_t cnt = level * LG_TILE_H < 64 ? size >> (level * LG_TILE_H) : 0;
        lg_tile *t = &l->b->lv[level];
        t->n = cnt >> LG_TILE_H;
        t->w = (unsigned)(cnt & (LG_TILE_W - 1));
        if (t->w) {
            int rc = tile_read(l, level, t->n, t->w, t, err);
            if (rc)
                return rc;
        }
    }
    uint8_t got[32];
    lg_builder_root(l->b, got);
    if (memcmp(got, root, 32) != 0)
        return wr_fail(err, WR_ECORRUPT, "ledger: stored tiles do not match the checkpoint root "
                       "at size %llu (run 'warrant log verify')", (unsigned long long)size);
    memcpy(l->root, root, 32);
    l->loaded = 1;
    return WR_OK;
}

/* Brings the in-memory edge in line with the store (see the file comment). */
static int sync_edge(wr_ledger *l, wr_err *err)
{
    uint64_t size;
    uint8_t root[32];
    int rc = read_checkpoint(l, &size, root, NULL, err);
    if (rc)
        return rc;
    if (!(l->loaded && size == l->b->size && memcmp(root, l->root, 32) == 0) &&
        (rc = reload(l, size, root, err)))
        return rc;
    /* inside a write transaction the store may hold uncommitted appends */
    if (!wr_store_in_transaction(l->s))
        l->edge_committed = 1;
    return WR_OK;
}

/* Syncs the edge and checks that a tree of `size` entries exists. */
static int sync_upto(wr_ledger *l, uint64_t size, wr_err *err)
{
    int rc = sync_edge(l, err);
    if (rc == WR_OK && size > l->b->size)
        rc = wr_fail(err, WR_EINVAL, "ledger: tree size %llu is beyond the log size %llu",
                     (unsigned long long)size, (unsigned long long)l->b->size);
    return rc;
}

/* ---- open / close ---------------------------------------------------------- */

int wr_ledger_open(wr_store *store, wr_ledger **out, wr_err *err)
{
    wr_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->b = malloc(sizeof *l->b))) {
        free(l);
        return no_mem(err);
    }
    l->s = store;
    if (lg_cache_new(LG_CACHE_TILES, &l->cache) != WR_OK) {
        free(l->b);
        free(l);
        return no_mem(err);
    }
    l->held_id = UINT64_MAX;
    l->preload_after = LG_PRELOAD_AUTO;
    lg_tier_init(&l->tier, LG_TIER_TILES);
    lg_tfile_init(&l->tf);
    memo_clear(l);
    for (size_t i = 0; i < LG_SEEN_SLOTS; i++)
        l->seen[i] = UINT64_MAX;
    /* The connection reads through a memory map until the first proof
     * (proof_mode): the other modules' scans (sync, readiness, imports)
     * then keep their pages file-backed instead of in the heap. */
    l->mapped = 0;   /* unknown: read_mode sets it */
    read_mode(l, 1);
    wr_err kerr = {0};
    l->key_rc = lg_key_load(wr_store_dir(store), &l->key, &kerr);
    snprintf(l->key_msg, sizeof l->key_msg, "%s", kerr.msg);
    /* a damaged edge is reported by the operations that need it, so that
     * verify can still run and name the damage */
    *out = l;
    return WR_OK;
}

void wr_ledger_close(wr_ledger *l)
{
    if (!l)
        return;
    held_release(l);
    lg_tfile_close(&l->tf);
    lg_cache_free(l->cache);
    lg_tier_free(&l->tier);
    wr_wipe(&l->key, sizeof l->key);
    free(l->b);
    free(l);
}

static int need_key(wr_ledger *l, wr_err *err)
{
    if (l->key_rc)
        return wr_fail(err, l->key_rc, "%s", l->key_msg);
    return WR_OK;
}

/* ---- appending ------------------------------------------------------------- */

static int on_full_store(void *ctx, unsigned level, const lg_tile *t, wr_err *err)
{
    wr_ledger *l = ctx;
    int rc = tile_write(l, level, t, err);
    if (rc)
        return rc;
    /* inside the caller's transaction: should it roll back, the record
     * fails its check and is rewritten (tile_file.c) */
    if (level == 0 && tfile_ready(l))
        tfile_put_tile(l, t);
    cache_put(l, level, t);
    if (level + 1 < LG_LEVELS)
        l->dirty |= 2u << level;
    return WR_OK;
}

int lg_ledger_begin(wr_ledger *l, wr_err *err)
{
    if (!wr_store_in_transaction(l->s))
        return wr_fail(err, WR_ESTATE, "ledger: append outside a store transaction");
    int rc = need_key(l, err);
    if (rc == WR_OK)
        rc = sync_edge(l, err);
    return rc;
}

int lg_ledger_add(wr_ledger *l, const void *data, size_t len, uint64_t *index, wr_err *err)
{
    if (len > WR_LEDGER_MAX_ENTRY)
        return wr_fail(err, WR_ELIMIT, "ledger: entry of %zu bytes exceeds the limit of %u",
                       len, WR_LEDGER_MAX_ENTRY);
    uint64_t idx = l->b->size;
    wr_stmt *st;
    int rc = wr_stmt_prepare(l->s, "INSERT INTO ledger_entry(idx, data) VALUES(?,?)", &st, err);
    if (rc)
        goto fail;
    wr_stmt_bind_int(st, 1, (int64_t)idx);
    wr_stmt_bind_blob(st, 2, data, len);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        goto fail;
    uint8_t leaf[32];
    wr_merkle_leaf_hash(data, len, leaf);
    l->dirty |= 1;
    l->edge_committed = 0;
    memo_clear(l);
    if ((rc = lg_builder_push(l->b, leaf, on_full_store, l, err)))
        goto fail;
    if (index)
        *index = idx;
    return WR_OK;
fail:
    l->loaded = 0;   /* the edge may be half-updated: reload next time */
    return rc;
}

int lg_ledger_flush(wr_ledger *l, wr_err *err)
{
    int rc = WR_OK;
    for (unsigned level = 0; level < LG_LEVELS && rc == WR_OK; level++)
        if ((l->dirty >> level & 1) && l->b->lv[level].w)
            rc = tile_write(l, level, &l->b->lv[level], err);
    char *note = NULL;
    uint8_t root[32];
    lg_builder_root(l->b, root);
    if (rc == WR_OK)
        rc = lg_checkpoint_sign(&l->key, l->b->size, root, &note, err);
    if (rc == WR_OK) {
        wr_stmt *st;
        rc = wr_stmt_prepare(l->s, "INSERT OR REPLACE INTO ledger_checkpoint(id, size, root, note) "
                             "VALUES(1,?,?,?)", &st, err);
        if (rc == WR_OK) {
            wr_stmt_bind_int(st, 1, (int64_t)l->b->size);
            wr_stmt_bind_blob(st, 2, root, 32);
            wr_stmt_bind_text(st, 3, note);
            rc = wr_stmt_step(st, err);
            wr_stmt_done(st);
            rc = rc < 0 ? rc : WR_OK;
        }
    }
    free(note);
    if (rc) {
        l->loaded = 0;
        return rc;
    }
    memcpy(l->root, root, 32);
    l->dirty = 0;
    return WR_OK;
}

int wr_ledger_append(wr_ledger *l, const json_t *entry, uint64_t *index, wr_err *err)
{
    if (!json_is_object(entry))
        return wr_fail(err, WR_EINVAL, "$: a ledger entry must be a JSON object");
    char *bytes = NULL;
    size_t len = 0;
    int rc = wr_jcs_serialize(entry, &bytes, &len, err);
    if (rc)
        return rc;
    uint64_t idx = 0;
    if ((rc = lg_ledger_begin(l, err)) == WR_OK && (rc = lg_ledger_add(l, bytes, len, &idx, err)) == WR_OK)
        rc = lg_ledger_flush(l, err);
    free(bytes);
    if (rc == WR_OK && index)
        *index = idx;
    return rc;
}

/* ---- reading ------------------------------------------------------------------ */

uint64_t wr_ledger_size(wr_ledger *l)
{
    wr_err e;
    uint64_t size = 0;
    uint8_t root[32];
    int snap = wr_store_read_begin(l->s, &e) == WR_OK;   /* checkpoint and edge tiles agree */
    if (sync_edge(l, &e) == WR_OK)
        size = l->b->size;
    else if (read_checkpoint(l, &size, root, NULL, &e) != WR_OK)
        size = 0;
    if (snap)
        wr_store_read_end(l->s);
    return size;
}

int wr_ledger_entry(wr_ledger *l, uint64_t idx, char **bytes, size_t *len, wr_err *err)
{
    uint64_t size;
    uint8_t root[32];
    int rc = read_checkpoint(l, &size, root, NULL, err);
    if (rc)
        return rc;
    if (idx >= size)
        return wr_fail(err, WR_ENOTFOUND, "ledger: entry %llu does not exist (the log has %llu)",
                       (unsigned long long)idx, (unsigned long long)size);
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(l->s, "SELECT data FROM ledger_entry WHERE idx=?", &st, err)))
        return rc;
    wr_stmt_bind_int(st, 1, (int64_t)idx);
    rc = wr_stmt_step(st, err);
    if (rc == 1) {
        size_t n = 0;
        const void *p = wr_stmt_blob(st, 0, &n);
        char *b = malloc(n + 1);
        if (!b) {
            rc = no_mem(err);
        } else {
            if (n)
                memcpy(b, p, n);
            b[n] = '\0';
            *bytes = b;
            if (len)
                *len = n;
            rc = WR_OK;
        }
    } else if (rc == 0) {
        rc = wr_fail(err, WR_ECORRUPT, "ledger: entry %llu is missing from the store",
                     (unsigned long long)idx);
    }
    wr_stmt_done(st);
    return rc;
}

int wr_ledger_root(wr_ledger *l, uint64_t size, uint8_t root[32], wr_err *err)
{
    int rc = wr_store_read_begin(l->s, err);
    if (rc)
        return rc;
    if ((rc = sync_upto(l, size, err)) == WR_OK)
        rc = ledger_range(l, 0, size, root, err);
    held_release(l);
    wr_store_read_end(l->s);
    return rc;
}

int wr_ledger_checkpoint(wr_ledger *l, char **note, wr_err *err)
{
    uint64_t size;
    uint8_t root[32];
    char *n = NULL;
    int rc = read_checkpoint(l, &size, root, &n, err);
    if (rc)
        return rc;
    if (n) {
        *note = n;
        return WR_OK;
    }
    /* empty log: sign the size-0 checkpoint (Ed25519 is deterministic, so
     * this is the same note every time) */
    if ((rc = need_key(l, err)))
        return rc;
    return lg_checkpoint_sign(&l->key, 0, root, note, err);
}

int wr_ledger_verifier_key(wr_ledger *l, char **vkey, wr_err *err)
{
    int rc = need_key(l, err);
    if (rc)
        return rc;
    if (lg_vkey_format(l->key.name, l->key.pk, vkey))
        return no_mem(err);
    return WR_OK;
}

static int alloc_proof(uint8_t (*tmp)[32], size_t n, uint8_t (**proof)[32], size_t *nproof,
                       wr_err *err)
{
    uint8_t (*p)[32] = malloc((n ? n : 1) * 32);
    if (!p)
        return no_mem(err);
    if (n)
        memcpy(p, tmp, n * 32);
    *proof = p;
    *nproof = n;
    return WR_OK;
}

/* One proof: inclusion of index a, or consistency from old size a, in the
 * tree of `size` entries. */
typedef struct proof_req {
    int consistency;
    uint64_t a, size;
    uint8_t *leaf;   /* inclusion: receives the leaf hash */
} proof_req;

static int prove_body(wr_ledger *l, const proof_req *q, uint8_t (*tmp)[32], size_t *n, wr_err *err)
{
    if (q->consistency) {
        if (q->a > q->size)
            return wr_fail(err, WR_EINVAL, "ledger: old size %llu is larger than new size %llu",
                           (unsigned long long)q->a, (unsigned long long)q->size);
        return lg_consistency_proof_ex(ledger_node, ledger_range, l, q->a, q->size, tmp, n, err);
    }
    if (q->a >= q->size)
        return wr_fail(err, WR_EINVAL, "ledger: index %llu is not in a tree of size %llu",
                       (unsigned long long)q->a, (unsigned long long)q->size);
    /* the leaf last: the path ends in the leaf's tile, which is still held
     * (fetched before the path, it would count as a second miss) */
    int rc = lg_inclusion_path_ex(ledger_node, ledger_range, l, q->a, q->size, tmp, n, err);
    return rc ? rc : ledger_node(l, 0, q->a, q->leaf, err);
}

/* Whether the level-0 tile a proof ends in (the leaf's, or old size - 1's)
 * is in memory, or can be read from the tile file and checked against a
 * node in memory: then, most likely, the whole proof can be made without
 * the database. */
static int proof_cached(wr_ledger *l, const proof_req *q)
{
    if (q->consistency && (q->a == 0 || q->a >= q->size))
        return 1;   /* no hashes needed */
    uint64_t n = (q->consistency ? q->a - 1 : q->a) >> LG_TILE_H;
    return n >= l->b->lv[0].n || lg_cache_get(l->cache, tile_id(0, n)) != NULL ||
           tfile_can_serve(l, n, NULL);
}

/* A proof at a size the in-memory edge covers, with that edge a committed
 * state (edge_committed), needs no checkpoint read: committed tree nodes
 * never change, so whatever was appended since, the tree of `size`
 * entries is the one the edge and the cache describe.  If its tiles are
 * all cached, it needs no database access at all (no read snapshot, no
 * lock system calls); otherwise, or without a committed edge, it reads the
 * checkpoint (if needed) and the tiles in one read snapshot, which takes
 * the database's read lock once instead of once per statement. */
static int prove(wr_ledger *l, const proof_req *q, uint8_t (**proof)[32], size_t *nproof,
                 wr_err *err)
{
    uint8_t tmp[LG_MAX_PROOF][32];
    size_t n = 0;
    int rc, committed = l->loaded && l->edge_committed && q->size <= l->b->size;
    if (committed && proof_cached(l, q)) {
        l->cache_only = 1;
        l->uncached = 0;
        rc = prove_body(l, q, tmp, &n, err);
        l->cache_only = 0;
        if (!l->uncached) {
            lg_tfile_release(&l->tf);
            return rc ? rc : alloc_proof(tmp, n, proof, nproof, err);
        }
    }
    proof_mode(l);
    if ((rc = wr_store_read_begin(l->s, err))) {
        lg_tfile_release(&l->tf);
        return rc;
    }
    if (!committed)
        rc = sync_upto(l, q->size, err);
    if (rc == WR_OK && !l->preloaded && preload_due(l) &&
        !wr_store_in_transaction(l->s))
        rc = preload_upper(l, err);
    if (rc == WR_OK)
        rc = prove_body(l, q, tmp, &n, err);
    held_release(l);
    wr_store_read_end(l->s);
    return rc ? rc : alloc_proof(tmp, n, proof, nproof, err);
}

int wr_ledger_prove_inclusion(wr_ledger *l, uint64_t idx, uint64_t size, uint8_t leaf[32],
                              uint8_t (**proof)[32], size_t *nproof, wr_err *err)
{
    proof_req q = {0, idx, size, leaf};
    return prove(l, &q, proof, nproof, err);
}

int wr_ledger_prove_consistency(wr_ledger *l, uint64_t old_size, uint64_t new_size,
                                uint8_t (**proof)[32], size_t *nproof, wr_err *err)
{
    proof_req q = {1, old_size, new_size, NULL};
    return prove(l, &q, proof, nproof, err);
}

/* ---- verification ------------------------------------------------------------- */

typedef struct verify_ctx {
    wr_ledger *l;
    uint64_t bad;        /* smallest damaged entry index so far, UINT64_MAX if none */
    char msg[512];
    uint8_t *blob;       /* scratch: encoded recomputed tile */
    /* child_bad[L][j]: the tile below base hash j of the current level-L
     * tile differed at its top sublevel, so a difference at that base
     * hash is inherited, not where the damage is */
    uint8_t child_bad[LG_LEVELS + 1][LG_TILE_W];
    /* verify_row: a cursor per tile level; state 0 = step next,
     * 1 = on an unread row, 2 = at the end */
    wr_stmt *cur[LG_LEVELS];
    int cur_state[LG_LEVELS];
    lg_tfile_scan *tscan;   /* the tile file's records, NULL: no file */
} verify_ctx;

static void note_bad(verify_ctx *v, uint64_t idx, const char *fmt, ...) WR_PRINTF(3, 4);
static void note_bad(verify_ctx *v, uint64_t idx, const char *fmt, ...)
{
    if (idx >= v->bad)
        return;
    v->bad = idx;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof v->msg, fmt, ap);
    va_end(ap);
}

/* The stored row `id` of a tile of `level`: 1 (and its width and hashes,
 * valid until the next call for the same level), 0 if missing.  The
 * builder completes the tiles of each level in index order, which is
 * row-id order within the level's range (lg_tile_rowid), so one cursor per
 * level walks its rows in order: a step per tile instead of a b-tree
 * lookup.  Rows it passes over are strays, counted by verify_run. */
static int verify_row(verify_ctx *v, unsigned level, uint64_t id, int64_t *width,
                      const uint8_t **blob, size_t *len, wr_err *err)
{
    int rc;
    if (!v->cur[level]) {
        char sql[96];   /* one statement per level: all are stepped at once */
        snprintf(sql, sizeof sql, "SELECT id, width, hashes FROM ledger_subtile WHERE id >= ? "
                 "ORDER BY id /* %u */", level);
        if ((rc = wr_stmt_prepare(v->l->s, sql, &v->cur[level], err)))
            return rc;
        wr_stmt_bind_int(v->cur[level], 1, (int64_t)lg_tile_rowid(level, 0));
        v->cur_state[level] = 0;
    }
    for (;;) {
        if (v->cur_state[level] == 0) {   /* step to the next row */
            if ((rc = wr_stmt_step(v->cur[level], err)) < 0)
                return rc;
            v->cur_state[level] = rc == 1 ? 1 : 2;
        }
        if (v->cur_state[level] == 2)     /* no more rows */
            return 0;
        uint64_t at = (uint64_t)wr_stmt_int(v->cur[level], 0);
        if (at > id)
            return 0;
        v->cur_state[level] = 0;
        if (at == id) {
            *width = wr_stmt_int(v->cur[level], 1);
            *blob = wr_stmt_blob(v->cur[level], 2, len);
            return 1;
        }
    }
}

/* Compares a recomputed tile with the stored one. */
static int verify_tile(verify_ctx *v, unsigned level, const lg_tile *t, wr_err *err)
{
    int64_t width = 0;
    size_t len = 0;
    const uint8_t *blob = NULL;
    int rc = verify_row(v, level, tile_id(level, t->n), &width, &blob, &len, err);
    if (rc < 0)
        return rc;
    uint64_t first = (t->n << LG_TILE_H) << (level * LG_TILE_H);
    size_t want = lg_tile_encode(t, v->blob);
    /* diff[r][j]: stored and recomputed node (r, j) of this tile differ */
    static const unsigned rows = LG_TILE_H;
    uint8_t diff[LG_TILE_H][LG_TILE_W];
    memset(diff, rc == 1 && width == (int64_t)t->w && len == want && blob ? 0 : 1, sizeof diff);
    int sound = 0;   /* stored exactly as recomputed */
    if (rc == 0) {
        note_bad(v, first, "tile %u/%llu is missing", level, (unsigned long long)t->n);
    } else if (diff[0][0]) {
        note_bad(v, first, "tile %u/%llu has the wrong width", level, (unsigned long long)t->n);
    } else if (!(sound = memcmp(blob, v->blob, want) == 0)) {
        /* Name the damage where it starts: a node whose children agree
         * but which differs itself.  (A damaged entry changes every hash
         * above it; those inherited differences are not reported.) */
        size_t off = 0;
        for (unsigned r = 0; r < rows; r++) {
            for (unsigned j = 0; j < (t->w >> r); j++, off += 32) {
                if (memcmp(blob + off, v->blob + off, 32) == 0)
                    continue;
                diff[r][j] = 1;
                int inherited = r > 0 ? diff[r - 1][2 * j] | diff[r - 1][2 * j + 1]
                                      : level > 0 && v->child_bad[level][j];
                if (inherited)
                    continue;
                uint64_t idx = first + (((uint64_t)j << r) << (level * LG_TILE_H));
                if (level == 0 && r == 0)
                    note_bad(v, idx, "entry %llu does not match its stored leaf hash "
                             "(tile 0/%llu)", (unsigned long long)idx, (unsigned long long)t->n);
                else
                    note_bad(v, idx, "stored hash of tree level %u node %llu (tile %u/%llu) is "
                             "damaged", level * LG_TILE_H + r,
                             (unsigned long long)(idx >> (level * LG_TILE_H + r)), level,
                             (unsigned long long)t->n);
            }
        }
    }
    if (t->w == LG_TILE_W && level + 1 <= LG_LEVELS)
        v->child_bad[level + 1][t->n & (LG_TILE_W - 1)] = diff[LG_TILE_H - 1][0] | diff[LG_TILE_H - 1][1];
    /* the tile file's record of a sound full level-0 tile: rewritten if
     * it differs or is missing (a log older than the file gets them all
     * here); never an error, as proofs check every record they use */
    if (level == 0 && t->w == LG_TILE_W && v->tscan && sound)
        lg_tfile_scan_check(&v->l->tf, v->tscan, t->n, v->blob);
    return WR_OK;
}

static int on_full_verify(void *ctx, unsigned level, const lg_tile *t, wr_err *err)
{
    return verify_tile(ctx, level, t, err);
}

static int scalar(wr_store *s, const char *sql, int64_t *out, wr_err *err)
{
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    rc = wr_stmt_step(st, err);
    if (rc == 1)
        *out = wr_stmt_int(st, 0);
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

static int verify_run(wr_ledger *l, verify_ctx *v, lg_builder *b, wr_err *err)
{
    uint64_t size;
    uint8_t root[32];
    char *note = NULL;
    int rc = read_checkpoint(l, &size, root, &note, err);
    if (rc)
        return rc;
    if (note) {
        uint64_t nsize = 0;
        uint8_t nroot[32];
        wr_err e = {0};
        if (lg_checkpoint_open(note, l->key.name, l->key.pk, &nsize, nroot, &e))
            note_bad(v, size, "checkpoint note: %s", e.msg);
        else if (nsize != size || memcmp(nroot, root, 32) != 0)
            note_bad(v, size, "checkpoint note does not match the stored size and root");
        free(note);
    } else if (size != 0) {
        note_bad(v, 0, "checkpoint note is missing");
    }
    /* rehash every entry in order */
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(l->s, "SELECT idx, data FROM ledger_entry ORDER BY idx", &st, err)))
        return rc;
    uint64_t expect = 0;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        uint64_t idx = (uint64_t)wr_stmt_int(st, 0);
        size_t len = 0;
        const void *data = wr_stmt_blob(st, 1, &len);
        if (idx >= size) {
            note_bad(v, size, "entry %llu is beyond the checkpoint size %llu",
                     (unsigned long long)idx, (unsigned long long)size);
            break;
        }
        if (idx != expect) {
            note_bad(v, expect, "entry %llu is missing", (unsigned long long)expect);
            break;
        }
        uint8_t leaf[32];
        wr_merkle_leaf_hash(data ? data : "", len, leaf);
        if ((rc = lg_builder_push(b, leaf, on_full_verify, v, err)))
            break;
        expect++;
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (expect < size && expect == b->size)
        note_bad(v, expect, "entry %llu is missing", (unsigned long long)expect);
    /* the partial tiles of the edge (meaningless if entries were missing) */
    for (unsigned level = 0; level < LG_LEVELS && b->size == size; level++)
        if (b->lv[level].w && (rc = verify_tile(v, level, &b->lv[level], err)))
            return rc;
    /* no stray tiles */
    int64_t tiles = 0;
    uint64_t want_tiles = 0;
    for (unsigned level = 0; level < LG_LEVELS; level++) {
        uint64_t cnt = size >> (level * LG_TILE_H);
        want_tiles += (cnt + LG_TILE_W - 1) / LG_TILE_W;
    }
    if ((rc = scalar(l->s, "SELECT count(*) FROM ledger_subtile", &tiles, err)))
        return rc;
    if ((uint64_t)tiles != want_tiles)
        note_bad(v, size, "%lld stored tiles, expected %llu", (long long)tiles,
                 (unsigned long long)want_tiles);
    if (v->bad == UINT64_MAX && b->size == size) {
        uint8_t got[32];
        lg_builder_root(b, got);
        if (memcmp(got, root, 32) != 0)
            note_bad(v, size, "checkpoint root does not match the entries");
    }
    return WR_OK;
}

int wr_ledger_verify(wr_ledger *l, uint64_t *bad_index, wr_err *err)
{
    int rc = need_key(l, err);
    if (rc)
        return rc;
    verify_ctx v = {l, UINT64_MAX, "", NULL, {{0}}, {0}, {0}, NULL};
    if (tfile_ready(l))
        v.tscan = calloc(1, sizeof *v.tscan);   /* none: the file is not checked */
    lg_builder *b = malloc(sizeof *b);
    v.blob = malloc(LG_FULL_BLOB);
    if (!b || !v.blob) {
        free(b);
        free(v.blob);
        free(v.tscan);
        return no_mem(err);
    }
    lg_builder_reset(b);
    /* one read snapshot for the whole walk, over a memory map: a scan of
     * every page reads faster mapped (see wr_ledger_open) */
    read_mode(l, 1);
    if ((rc = wr_store_read_begin(l->s, err)) == WR_OK) {
        rc = verify_run(l, &v, b, err);
        for (unsigned level = 0; level < LG_LEVELS; level++)
            if (v.cur[level])
                wr_stmt_done(v.cur[level]);
        wr_store_read_end(l->s);
    }
    free(b);
    free(v.blob);
    free(v.tscan);
    if (rc)
        return rc;
    if (v.bad != UINT64_MAX) {
        if (bad_index)
            *bad_index = v.bad;
        return wr_fail(err, WR_ECORRUPT, "ledger: damage at index %llu: %s",
                       (unsigned long long)v.bad, v.msg);
    }
    return WR_OK;
}

/* ---- tlog-tiles export ----------------------------------------------------------- */

int lg_tlog_tile(wr_store *s, unsigned L, uint64_t N, unsigned w, uint8_t *out, wr_err *err)
{
    /* the lower subtiles 16N ... 16N+15 of level 2L: adjacent row ids */
    unsigned level = 2 * L, parts = (w + LG_TILE_W - 1) / LG_TILE_W, k = 0;
    uint64_t first = N * LG_TILE_W;
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT id, width, hashes FROM ledger_subtile WHERE id BETWEEN ? AND ? "
                             "ORDER BY id", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, (int64_t)lg_tile_rowid(level, first));
    wr_stmt_bind_int(st, 2, (int64_t)lg_tile_rowid(level, first + parts - 1));
    while (k < parts && (rc = wr_stmt_step(st, err)) == 1) {
        /* a stored partial subtile may be wider than the tile asked for:
         * complete nodes never change, so any prefix is that tile */
        unsigned want = k + 1 < parts || w % LG_TILE_W == 0 ? LG_TILE_W : w % LG_TILE_W;
        int64_t have = wr_stmt_int(st, 1);
        size_t len = 0;
        const void *blob = wr_stmt_blob(st, 2, &len);
        if ((uint64_t)wr_stmt_int(st, 0) != lg_tile_rowid(level, first + k) || have < (int64_t)want ||
            have > LG_TILE_W || !blob || len != lg_tile_blob_len((unsigned)have))
            break;
        memcpy(out + (size_t)k * LG_TILE_W * 32, blob, (size_t)want * 32);
        k++;
    }
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (k < parts)
        return wr_fail(err, WR_ECORRUPT, "ledger: stored tile %u/%llu (hash tile %u/%llu) is "
                       "missing or damaged", level, (unsigned long long)(first + k), L,
                       (unsigned long long)N);
    return WR_OK;
}

/* "tile/<L>/x001/x234/067[.p/<W>]" below outdir. */
static void tile_path(char *out, size_t outlen, const char *outdir, const char *kind, uint64_t n,
                      unsigned w)
{
    /* decimal, left-padded to a multiple of 3 digits, cut into 3-digit
     * path segments of which all but the last start with 'x' */
    char digits[32], segs[64];
    int k = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    int pad = (3 - k % 3) % 3;
    char padded[40];
    snprintf(padded, sizeof padded, "%.*s%s", pad, "00", digits);
    size_t pl = strlen(padded), o = 0;
    for (size_t i = 0; i < pl; i += 3) {
        int last = i + 3 >= pl;
        o += (size_t)snprintf(segs + o, sizeof segs - o, "%s%.3s%s", last ? "" : "x", padded + i,
                              last ? "" : "/");
    }
    if (w)
        snprintf(out, outlen, "%s/tile/%s/%s.p/%u", outdir, kind, segs, w);
    else
        snprintf(out, outlen, "%s/tile/%s/%s", outdir, kind, segs);
}

static int write_file(const char *path, const void *data, size_t len, wr_err *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        int rc = wr_mkdirs(dir, 0755, err);
        if (rc)
            return rc;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return wr_fail(err, WR_EIO, "%s: %s", path, strerror(errno));
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    if (fclose(f) != 0 || w != len)
        return wr_fail(err, WR_EIO, "%s: write failed", path);
    return WR_OK;
}

int wr_ledger_hash_tile(wr_ledger *l, unsigned level, uint64_t n, unsigned w, uint8_t **out,
                        wr_err *err)
{
    if (level * LG_TLOG_H >= 64 || w == 0 || w > LG_TLOG_W)
        return wr_fail(err, WR_EINVAL, "ledger: no hash tile %u/%llu of width %u", level,
                       (unsigned long long)n, w);
    uint8_t *h = malloc((size_t)w * 32);
    if (!h)
        return no_mem(err);
    int rc = lg_tlog_tile(l->s, level, n, w, h, err);
    if (rc) {
        free(h);
        return rc;
    }
    *out = h;
    return WR_OK;
}

static int export_run(wr_ledger *l, const char *outdir, wr_err *err)
{
    uint64_t size;
    uint8_t root[32];
    char *note = NULL, path[4096];
    int rc = read_checkpoint(l, &size, root, &note, err);
    if (rc)
        return rc;
    if (!note) {
        if ((rc = need_key(l, err)) || (rc = lg_checkpoint_sign(&l->key, 0, root, &note, err)))
            return rc;
    }
    wr_stmt *st;
    /* hash tiles of height 8, assembled from the stored subtiles */
    uint8_t *hashes = malloc(LG_TLOG_W * 32);
    if (!hashes)
        rc = no_mem(err);
    for (unsigned level = 0; level * LG_TLOG_H < 64 && rc == WR_OK; level++) {
        uint64_t cnt = size >> (level * LG_TLOG_H);
        for (uint64_t n = 0; n * LG_TLOG_W < cnt && rc == WR_OK; n++) {
            unsigned w = cnt - n * LG_TLOG_W >= LG_TLOG_W ? LG_TLOG_W
                         : (unsigned)(cnt - n * LG_TLOG_W);
            if ((rc = lg_tlog_tile(l->s, level, n, w, hashes, err)) == WR_OK) {
                char kind[8];
                snprintf(kind, sizeof kind, "%u", level);
                tile_path(path, sizeof path, outdir, kind, n, w == LG_TLOG_W ? 0 : w);
                rc = write_file(path, hashes, (size_t)w * 32, err);
            }
        }
    }
    free(hashes);
    /* entry bundles: each entry as a big-endian uint16 length and its bytes */
    wr_buf bundle = WR_BUF_INIT;
    uint64_t idx = 0;
    if (rc == WR_OK && (rc = wr_stmt_prepare(l->s, "SELECT idx, data FROM ledger_entry WHERE idx < ? "
                                             "ORDER BY idx", &st, err)) == WR_OK) {
        wr_stmt_bind_int(st, 1, (int64_t)size);
        while ((rc = wr_stmt_step(st, err)) == 1) {
            size_t len = 0;
            const void *data = wr_stmt_blob(st, 1, &len);
            if ((uint64_t)wr_stmt_int(st, 0) != idx) {
                rc = wr_fail(err, WR_ECORRUPT, "ledger: entry %llu is missing", (unsigned long long)idx);
                break;
            }
            if (len > 0xffff) {
                rc = wr_fail(err, WR_ELIMIT, "ledger: entry %llu is %zu bytes; tlog-tiles entry "
                             "bundles hold at most 65535", (unsigned long long)idx, len);
                break;
            }
            uint8_t be[2] = {(uint8_t)(len >> 8), (uint8_t)len};
            if (wr_buf_append(&bundle, be, 2) || wr_buf_append(&bundle, data ? data : "", len)) {
                rc = no_mem(err);
                break;
            }
            idx++;
            if (idx % LG_TLOG_W == 0 || idx == size) {
                unsigned w = idx % LG_TLOG_W ? (unsigned)(idx % LG_TLOG_W) : 0;
                tile_path(path, sizeof path, outdir, "entries", (idx - 1) / LG_TLOG_W, w);
                if ((rc = write_file(path, bundle.data, bundle.len, err)))
                    break;
                wr_buf_reset(&bundle);
            }
        }
        wr_stmt_done(st);
        if (rc == 0 && idx != size)
            rc = wr_fail(err, WR_ECORRUPT, "ledger: entry %llu is missing", (unsigned long long)idx);
    }
    wr_buf_free(&bundle);
    /* the checkpoint last, so a reader never sees one without its tiles */
    if (rc == WR_OK) {
        snprintf(path, sizeof path, "%s/checkpoint", outdir);
        rc = write_file(path, note, strlen(note), err);
    }
    free(note);
    return rc;
}

int wr_ledger_export_tiles(wr_ledger *l, const char *outdir, wr_err *err)
{
    int rc = wr_mkdirs(outdir, 0755, err);
    if (rc)
        return rc;
    if ((rc = wr_store_read_begin(l->s, err)))
        return rc;
    rc = export_run(l, outdir, err);
    wr_store_read_end(l->s);
    return rc;
}
