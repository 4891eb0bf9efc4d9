/*
 * ledger_internal.h — pieces shared by the files of lib/ledger: the
 * incremental tile builder (the "right edge" of the tree), range hashing
 * and proof generation over an abstract node source, and the signed-note
 * helpers.
 *
 * Storage tiles have height 4 ("subtiles"): a tile at tile-level S holds
 * up to 16 consecutive hashes of tree level 4S.  In memory (and in the
 * database) a tile also carries its interior: sublevel r (0..4) holds the
 * nodes of tree level 4S+r that the tile covers, so any complete node is
 * one array lookup away and proofs need no rehashing.  A stored full tile
 * (sublevels 0..3, 30 hashes = 960 bytes) fits in one 4 KiB database page;
 * a proof reads one such row per 4 tree levels instead of a 16 KiB
 * overflow chain per 8.  Two levels of subtiles make one C2SP tlog-tiles
 * tile of height 8 (tile-level L = subtile levels 2L and 2L+1), which is
 * what the export and the tile server assemble (lg_tlog_tile).
 */
#ifndef WARRANT_LEDGER_INTERNAL_H
#define WARRANT_LEDGER_INTERNAL_H

#include "warrant/ledger.h"

#define LG_TILE_H 4
#define LG_TILE_W 16
#define LG_LEVELS 16                    /* 16 tile levels cover 2^64 leaves */
#define LG_TILE_SLOTS 31                /* 16 + 8 + 4 + 2 + 1 */
#define LG_FULL_BLOB (30 * 32)          /* stored full tile: sublevels 0..3 */
#define LG_TLOG_H 8                     /* C2SP tlog-tiles: height 8 */
#define LG_TLOG_W 256

/* Offset of sublevel r inside a tile's 31-hash array. */
static inline unsigned lg_sub_off(unsigned r)
{
    return 2u * LG_TILE_W - ((2u * LG_TILE_W) >> r);
}

/* Row id of stored tile (level, n) in ledger_subtile (schema step 3):
 * every tile level has a range of its own, level 0 last:
 *   level S >= 1:  S << 56 | n        level 0:  16 << 56 | n
 * so the tiles above level 0 (1/15 of the rows) are one range of row ids,
 * [LG_UPPER_LO, LG_UPPER_HI), that a connection reads with one sequential
 * scan to fill its tile cache (a few MiB per million entries) instead of
 * one random read per tile.  The tiles of a level complete in index order,
 * so each range grows at its end: level 0's, 15/16 of the rows, is the end
 * of the table, where SQLite appends to the rightmost page; the upper
 * levels grow in the middle of the b-tree (balanced with their neighbours;
 * measured fill: bench/RESULTS-ledger.md).  The 16 subtiles of a C2SP tlog
 * tile (L, N) at level 2L are adjacent (lg_tlog_tile reads them as one
 * range).  Valid for logs below 2^60 entries (level-0 index < 2^56).
 * Step 2's layout (L << 60 | N << 5 | k) kept a tlog tile's 17 rows
 * together instead; ledger_schema.c converts it. */
#define LG_ROWID_SHIFT 56
#define LG_UPPER_LO ((uint64_t)1 << LG_ROWID_SHIFT)
#define LG_UPPER_HI ((uint64_t)LG_LEVELS << LG_ROWID_SHIFT)
static inline uint64_t lg_tile_rowid(unsigned level, uint64_t n)
{
    return (uint64_t)(level ? level : LG_LEVELS) << LG_ROWID_SHIFT | n;
}

/* One tile being filled (or a decoded full tile). */
typedef struct lg_tile {
    uint64_t n;        /* tile index within its level */
    unsigned w;        /* hashes present at sublevel 0 (0..256) */
    uint8_t h[LG_TILE_SLOTS][32];
} lg_tile;

/* Called when tile (level, t->n) becomes full (t->w == 256). */
typedef int (*lg_full_fn)(void *ctx, unsigned level, const lg_tile *t, wr_err *err);

/* The right edge of a tree: one tile per level, being filled. */
typedef struct lg_builder {
    uint64_t size;
    lg_tile lv[LG_LEVELS];
} lg_builder;

void lg_builder_reset(lg_builder *b);
/* Adds a leaf hash; on_full is called for each tile that completes. */
int lg_builder_push(lg_builder *b, const uint8_t leaf[32], lg_full_fn on_full, void *ctx,
                    wr_err *err) WR_MUST_CHECK;
/* Root of the builder's tree (SHA-256("") when empty). */
void lg_builder_root(const lg_builder *b, uint8_t out[32]);

/* Serialised tile of width w (sublevels 0..7, w>>r hashes each); out must
 * hold LG_FULL_BLOB bytes.  Returns the length written. */
size_t lg_tile_encode(const lg_tile *t, uint8_t *out);
/* Decodes a stored tile of width w; checks the blob length.  The root
 * slot (h[LG_TILE_SLOTS - 1]) of a decoded full tile is not filled: it is
 * a node of the tile above, and nothing reads it from a stored tile (only
 * the builder's own tiles carry their root up). */
int lg_tile_decode(const void *blob, size_t len, unsigned w, lg_tile *t) WR_MUST_CHECK;
/* Stored length of a tile of width w. */
size_t lg_tile_blob_len(unsigned w);

/* A source of complete node hashes: level h, index i (the subtree of
 * leaves [i<<h, (i+1)<<h) must be complete). */
typedef int (*lg_node_fn)(void *ctx, unsigned h, uint64_t i, uint8_t out[32], wr_err *err);

/* MTH(D[lo:hi]) from complete nodes (RFC 9162 §2.1.1). */
int lg_range_hash(lg_node_fn get, void *ctx, uint64_t lo, uint64_t hi, uint8_t out[32],
                  wr_err *err) WR_MUST_CHECK;
/* RFC 9162 §2.1.3.1 PATH(m, D[n]) and §2.1.4.1 PROOF(m, D[n]); proof must
 * hold 128 hashes; *n receives the count. */
int lg_inclusion_path(lg_node_fn get, void *ctx, uint64_t m, uint64_t size,
                      uint8_t (*proof)[32], size_t *n, wr_err *err) WR_MUST_CHECK;
int lg_consistency_proof(lg_node_fn get, void *ctx, uint64_t m, uint64_t size,
                         uint8_t (*proof)[32], size_t *n, wr_err *err) WR_MUST_CHECK;
/* The same with the range hashes (MTH of [lo, hi), hi - lo not a power of
 * two: the right edge, the same for every proof at one size) taken from
 * `range`, which may memoise them; NULL = lg_range_hash. */
typedef int (*lg_range_fn)(void *ctx, uint64_t lo, uint64_t hi, uint8_t out[32], wr_err *err);
int lg_inclusion_path_ex(lg_node_fn get, lg_range_fn range, void *ctx, uint64_t m, uint64_t size,
                         uint8_t (*proof)[32], size_t *n, wr_err *err) WR_MUST_CHECK;
int lg_consistency_proof_ex(lg_node_fn get, lg_range_fn range, void *ctx, uint64_t m,
                            uint64_t size, uint8_t (*proof)[32], size_t *n, wr_err *err) WR_MUST_CHECK;

/* The W (1..256) hashes of C2SP tlog tile (L, N), assembled from the
 * stored subtiles at level 2L, into out (W * 32 bytes).  Runs in the
 * caller's transaction or read snapshot. */
int lg_tlog_tile(wr_store *s, unsigned L, uint64_t N, unsigned w, uint8_t *out,
                 wr_err *err) WR_MUST_CHECK;

/* ---- bounded LRU cache of full tiles (tile_cache.c) ---- */
typedef struct lg_cache lg_cache;
/* A cache of at most cap tiles (WR_EINVAL for 0 or > 2^24, WR_ENOMEM). */
int lg_cache_new(size_t cap, lg_cache **out) WR_MUST_CHECK;
void lg_cache_free(lg_cache *c);
void lg_cache_clear(lg_cache *c);
/* The cached tile id (now the most recent), or NULL. */
const lg_tile *lg_cache_get(lg_cache *c, uint64_t id);
/* A buffer for tile id, most recent, evicting the least recent tile if the
 * cache is full; the caller fills it, or lg_cache_remove()s id if it cannot.
 * NULL when out of memory. */
lg_tile *lg_cache_claim(lg_cache *c, uint64_t id);
void lg_cache_remove(lg_cache *c, uint64_t id);
/* Number of tiles cached. */
size_t lg_cache_count(const lg_cache *c);

/* ---- the upper tier (tile_cache.c) ----
 * Full tiles above level 0 read in bulk (ledger.c, preload_upper), held by
 * (level, n): one array per level, tiles 0 ... n[level]-1, so a lookup is
 * an index (no hashing, no recency list: in the LRU each lookup of a tile
 * not in the CPU caches cost several cache misses).  Nothing is evicted;
 * at most cap tiles.  The arrays are consecutive slices of one arena: a
 * level is filled once, levels one after the other. */
typedef struct lg_tier {
    lg_tile *arena;             /* cap slots, mapped at the first fill; NULL before */
    size_t cap, used;
    int open_level;             /* the level being filled, -1 none */
    lg_tile *lv[LG_LEVELS];     /* level's first tile */
    uint64_t n[LG_LEVELS];      /* tiles held per level */
} lg_tier;

/* An empty tier of at most cap tiles (no memory until filled). */
void lg_tier_init(lg_tier *t, size_t cap);
void lg_tier_free(lg_tier *t);
static inline const lg_tile *lg_tier_get(const lg_tier *t, unsigned level, uint64_t n)
{
    return n < t->n[level] ? &t->lv[level][n] : NULL;
}
/* The slot for tile n[level] of level, to fill and then lg_tier_commit;
 * NULL if the tier is full, out of memory, or level was filled before
 * another level (each level's array is one slice). */
lg_tile *lg_tier_next(lg_tier *t, unsigned level);
void lg_tier_commit(lg_tier *t, unsigned level);
/* Tiles held. */
static inline size_t lg_tier_count(const lg_tier *t)
{
    return t->used;
}

/* ---- the tile file (tile_file.c) ----
 * An untrusted copy of the full level-0 tiles beside the database, one
 * 1024-byte record per tile, for proofs without a read snapshot.  Nothing
 * read from it is used unless it hashes up to a level-4 node the caller
 * holds from the database (see tile_file.c).  Every write is best effort. */
#define LG_TFILE_REC 1024
typedef struct lg_tfile {
    int fd;              /* -1: none (not opened yet, or cannot be) */
    int tried, writable;
    uint64_t held;       /* tile whose record is in rec; UINT64_MAX none */
    uint32_t valid;      /* nodes of rec proved (bit lg_sub_off(r) + j) */
    uint64_t repair;     /* tile whose record was missing or failed; UINT64_MAX none */
    uint64_t served, written;   /* statistics (tests, benchmarks) */
    uint8_t top[32];     /* the level-4 node over `held`, from the database */
    uint8_t rec[LG_TFILE_REC];
} lg_tfile;

void lg_tfile_init(lg_tfile *f);
/* Opens (creating unless readonly) the tile file in dir, once; 1 if open. */
int lg_tfile_open(lg_tfile *f, const char *dir, int readonly);
void lg_tfile_close(lg_tfile *f);
/* Writes full level-0 tile n (its stored form, LG_FULL_BLOB bytes). */
void lg_tfile_put(lg_tfile *f, uint64_t n, const uint8_t blob[LG_FULL_BLOB]);
/* Reads record n and holds it, to be checked against top (the tree level 4
 * node n); 0 if missing or not a record of tile n (repair = n). */
int lg_tfile_load(lg_tfile *f, uint64_t n, const uint8_t top[32]) WR_MUST_CHECK;
/* The same for a record in memory (LG_TFILE_REC bytes; fuzzing). */
int lg_tfile_take(lg_tfile *f, uint64_t n, const uint8_t *rec, const uint8_t top[32]) WR_MUST_CHECK;
/* Node (r, j) of the held tile, proved against top first; 0 (and the
 * record dropped, repair = its tile) if it fails. */
int lg_tfile_node(lg_tfile *f, unsigned r, uint64_t j, uint8_t out[32]) WR_MUST_CHECK;
/* The whole held tile, every node proved, decoded into t. */
int lg_tfile_tile(lg_tfile *f, lg_tile *t) WR_MUST_CHECK;
/* Drops the held record (end of a proof). */
void lg_tfile_release(lg_tfile *f);
/* Verification's pass over the file in tile order: records read
 * LG_TFILE_SCAN at a time.  lg_tfile_scan_check makes record n hold blob
 * (a rebuilt, checked tile), rewriting it if it differs or is missing;
 * 1 if it did.  Start with an lg_tfile_scan whose count is 0. */
#define LG_TFILE_SCAN 256
typedef struct lg_tfile_scan {
    uint64_t first, count;   /* the records in buf */
    uint8_t buf[LG_TFILE_SCAN * LG_TFILE_REC];
} lg_tfile_scan;
int lg_tfile_scan_check(lg_tfile *f, lg_tfile_scan *sc, uint64_t n, const uint8_t blob[LG_FULL_BLOB]);

/* ---- signed notes (note.c) ---- */
typedef struct lg_key {
    char name[256];
    uint8_t pk[32];
    uint8_t sk[64];    /* libsodium secret key (seed || pk); zero if absent */
    int has_sk;
    uint8_t keyhash[4];
} lg_key;

/* Loads dir/log.key (the signer key). */
int lg_key_load(const char *dir, lg_key *k, wr_err *err) WR_MUST_CHECK;
/* "origin\nsize\nbase64(root)\n" signed: caller frees *note. */
int lg_checkpoint_sign(const lg_key *k, uint64_t size, const uint8_t root[32], char **note,
                       wr_err *err) WR_MUST_CHECK;
/* Verifies note against the key (name, keyhash, pk) and parses it. */
int lg_checkpoint_open(const char *note, const char *name, const uint8_t pk[32],
                       uint64_t *size, uint8_t root[32], wr_err *err) WR_MUST_CHECK;
int lg_vkey_format(const char *name, const uint8_t pk[32], char **out) WR_MUST_CHECK;
int lg_vkey_parse(const char *vkey, char name[256], uint8_t pk[32], wr_err *err) WR_MUST_CHECK;

/* ---- the append path in pieces (ledger.c), for group commit ---- */
/* Checks the transaction and key, and reloads the edge if the store moved. */
int lg_ledger_begin(wr_ledger *l, wr_err *err) WR_MUST_CHECK;
/* Adds canonical entry bytes; full tiles are written at once. */
int lg_ledger_add(wr_ledger *l, const void *data, size_t len, uint64_t *index,
                  wr_err *err) WR_MUST_CHECK;
/* Writes the partial tiles and the signed checkpoint. */
int lg_ledger_flush(wr_ledger *l, wr_err *err) WR_MUST_CHECK;
/* The preload of the upper tiles (ledger.c, preload_upper): after `after`
 * upper tiles read one at a time (default LG_PRELOAD_AUTO: the rule in
 * preload_due), into a tier of at most max_tiles (default LG_TIER_TILES;
 * 0: no preload).  The tier size only changes before the preload ran. */
#define LG_PRELOAD_AUTO UINT32_MAX
#define LG_PRELOAD_RATIO 16   /* the automatic rule (ledger.c, preload_due) */
void lg_ledger_preload_set(wr_ledger *l, unsigned after, size_t max_tiles);
/* Tiles in l's LRU cache and in its upper tier (tests). */
size_t lg_ledger_cached(const wr_ledger *l);
size_t lg_ledger_preloaded(const wr_ledger *l);
/* l's tile file (tests, benchmarks: statistics, damage). */
lg_tfile *lg_ledger_tfile(wr_ledger *l);

#endif
