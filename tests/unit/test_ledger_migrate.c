/* test_ledger_migrate.c — the stored tree layout and its migration.
 *
 * Logs written before ledger schema step 2 kept one row per tlog tile of
 * height 8 (ledger_tile: W hashes of level 8L, then the W/2 ... W/128 of
 * the levels above them).  Step 2 converts them to tiles of height 4
 * (ledger_subtile).  The test writes a log with the current code, keeps
 * its rows, rewrites the database the way the old code left it (the old
 * rows computed here from the entries by a naive encoder, schema version
 * 1), reopens it so the migration runs, and checks that the migrated rows
 * are byte for byte what the current code writes, that the log verifies,
 * proves and keeps appending, and that tampering is still located.  Sizes
 * cover empty, partial-only, exact tile boundaries, and a log with full
 * tiles on three tlog levels and partial ones on each. */
#include "check.h"
#include "ledger/ledger_internal.h"
#include "ledger_ref.h"

typedef struct rows {
    size_t n;
    int64_t *id, *width;
    uint8_t **h;
    size_t *len;
} rows;

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->h[i]);
    free(r->id);
    free(r->width);
    free(r->h);
    free(r->len);
    memset(r, 0, sizeof *r);
}

static void rows_load(wr_store *s, rows *r)
{
    wr_err e = {0};
    int64_t cnt = 0;
    wr_stmt *st;
    CHECK_OK(wr_stmt_prepare(s, "SELECT count(*) FROM ledger_subtile", &st, &e));
    CHECK_EQ_INT(wr_stmt_step(st, &e), 1);
    cnt = wr_stmt_int(st, 0);
    wr_stmt_done(st);
    r->n = 0;
    r->id = calloc((size_t)cnt + 1, sizeof *r->id);
    r->width = calloc((size_t)cnt + 1, sizeof *r->width);
    r->h = calloc((size_t)cnt + 1, sizeof *r->h);
    r->len = calloc((size_t)cnt + 1, sizeof *r->len);
    CHECK_OK(wr_stmt_prepare(s, "SELECT id, width, typeof(hashes), hashes FROM ledger_subtile "
                             "ORDER BY id", &st, &e));
    while (wr_stmt_step(st, &e) == 1 && r->n < (size_t)cnt) {
        size_t i = r->n++, len = 0;
        const void *p = wr_stmt_blob(st, 3, &len);
        CHECK_EQ_STR(wr_stmt_text(st, 2), "blob");
        r->id[i] = wr_stmt_int(st, 0);
        r->width[i] = wr_stmt_int(st, 1);
        r->h[i] = malloc(len + 1);
        memcpy(r->h[i], p, len);
        r->len[i] = len;
    }
    wr_stmt_done(st);
    CHECK_EQ_INT((int)r->n, (int)cnt);
}

/* Leaf hashes of the first n stored entries. */
static uint8_t (*stored_leaves(wr_store *s, uint64_t n))[32]
{
    wr_err e = {0};
    uint8_t (*lh)[32] = malloc((n + 1) * 32);
    wr_stmt *st;
    CHECK_OK(wr_stmt_prepare(s, "SELECT data FROM ledger_entry ORDER BY idx", &st, &e));
    for (uint64_t i = 0; i < n && wr_stmt_step(st, &e) == 1; i++) {
        size_t len = 0;
        const void *p = wr_stmt_blob(st, 0, &len);
        wr_merkle_leaf_hash(p ? p : "", len, lh[i]);
    }
    wr_stmt_done(st);
    return lh;
}

/* Rewrites the tree hashes as the code before step 2 stored them. */
static void downgrade(wr_store *s, uint64_t size)
{
    wr_err e = {0};
    uint8_t (*lv[64])[32] = {0};
    lv[0] = stored_leaves(s, size);
    for (unsigned h = 1; h < 64 && (size >> h); h++) {
        uint64_t cnt = size >> h;
        lv[h] = malloc(cnt * 32);
        for (uint64_t i = 0; i < cnt; i++)
            wr_merkle_node_hash(lv[h - 1][2 * i], lv[h - 1][2 * i + 1], lv[h][i]);
    }
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(wr_store_exec(s, "DROP TABLE ledger_subtile;"
                              "CREATE TABLE ledger_tile(id INTEGER PRIMARY KEY, width INTEGER NOT NULL,"
                              " hashes BLOB NOT NULL);"
                              "UPDATE schema_version SET version=1 WHERE module='ledger'", &e));
    uint8_t *blob = malloc(510 * 32);
    for (unsigned L = 0; L < 8 && (size >> (8 * L)); L++) {
        uint64_t cnt = size >> (8 * L);
        for (uint64_t N = 0; N * 256 < cnt; N++) {
            unsigned w = cnt - N * 256 >= 256 ? 256 : (unsigned)(cnt - N * 256);
            size_t off = 0;
            for (unsigned r = 0; r < 8 && (w >> r); r++) {
                memcpy(blob + off, lv[8 * L + r][N * (256u >> r)], (size_t)(w >> r) * 32);
                off += (size_t)(w >> r) * 32;
            }
            wr_stmt *st;
            CHECK_OK(wr_stmt_prepare(s, "INSERT INTO ledger_tile(id, width, hashes) VALUES(?,?,?)",
                                     &st, &e));
            wr_stmt_bind_int(st, 1, (int64_t)((uint64_t)L << 56 | N));
            wr_stmt_bind_int(st, 2, w);
            wr_stmt_bind_blob(st, 3, blob, off);
            CHECK_EQ_INT(wr_stmt_step(st, &e), 0);
            wr_stmt_done(st);
        }
    }
    CHECK_OK(wr_store_commit(s, &e));
    free(blob);
    for (unsigned h = 0; h < 64; h++)
        free(lv[h]);
}

static void append_n(wr_store *s, wr_ledger *l, uint64_t from, uint64_t n)
{
    wr_err e = {0};
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(lg_ledger_begin(l, &e));
    for (uint64_t i = from; i < from + n; i++) {
        char ent[64];
        int len = snprintf(ent, sizeof ent, "{\"m\":%llu}", (unsigned long long)i);
        CHECK_OK(lg_ledger_add(l, ent, (size_t)len, NULL, &e));
        /* several flushes, as group commit does */
        if (i % 997 == 0)
            CHECK_OK(lg_ledger_flush(l, &e));
    }
    CHECK_OK(lg_ledger_flush(l, &e));
    CHECK_OK(wr_store_commit(s, &e));
}

static void check_log(wr_store *s, wr_ledger *l, uint64_t size)
{
    wr_err e = {0};
    uint64_t bad = 0;
    CHECK_EQ_INT((int)wr_ledger_size(l), (int)size);
    CHECK_OK(wr_ledger_verify(l, &bad, &e));
    if (size == 0)
        return;
    uint8_t (*lh)[32] = stored_leaves(s, size), want[32], root[32];
    ref_mth(lh, size, want);
    CHECK_OK(wr_ledger_root(l, size, root, &e));
    CHECK(memcmp(root, want, 32) == 0);
    for (uint64_t m = 0; m < size; m += 1 + size / 97) {
        uint8_t (*proof)[32] = NULL, leaf[32];
        size_t np = 0;
        CHECK_OK(wr_ledger_prove_inclusion(l, m, size, leaf, &proof, &np, &e));
        CHECK(memcmp(leaf, lh[m], 32) == 0);
        CHECK_OK(wr_merkle_verify_inclusion(m, size, leaf, (const uint8_t (*)[32])proof, np, want));
        free(proof);
    }
    free(lh);
}

/* Step 2's row id of tile (level, n): L << 60 | N << 5 | k. */
static int64_t step2_rowid(unsigned level, uint64_t n)
{
    uint64_t hi = (uint64_t)(level >> 1) << 60;
    return (int64_t)(level & 1 ? hi | n << 5 | 16 : hi | (n >> 4) << 5 | (n & 15));
}

/* Rewrites ledger_subtile with step 2's row ids (same rows otherwise). */
static void to_step2(wr_store *s, const rows *native)
{
    wr_err e = {0};
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(wr_store_exec(s, "DROP TABLE ledger_subtile;"
                              "CREATE TABLE ledger_subtile(id INTEGER PRIMARY KEY, width INTEGER NOT NULL,"
                              " hashes BLOB NOT NULL);"
                              "UPDATE schema_version SET version=2 WHERE module='ledger'", &e));
    for (size_t i = 0; i < native->n; i++) {
        uint64_t id = (uint64_t)native->id[i];
        unsigned level = (unsigned)(id >> 56) % 16;
        uint64_t n = id & (((uint64_t)1 << 56) - 1);
        wr_stmt *st;
        CHECK_OK(wr_stmt_prepare(s, "INSERT INTO ledger_subtile(id, width, hashes) VALUES(?,?,?)", &st, &e));
        wr_stmt_bind_int(st, 1, step2_rowid(level, n));
        wr_stmt_bind_int(st, 2, native->width[i]);
        wr_stmt_bind_blob(st, 3, native->h[i], native->len[i]);
        CHECK_EQ_INT(wr_stmt_step(st, &e), 0);
        wr_stmt_done(st);
    }
    CHECK_OK(wr_store_commit(s, &e));
}

/* Writes a log of `size` entries with the current code, rewrites its tree
 * rows the way schema step `from` (1 or 2) left them, reopens (the
 * migration runs) and checks: the rows equal the native ones byte for
 * byte, no old table is left, the proofs are the same bytes as before,
 * verify and proofs pass, and the log keeps growing. */
static void migrate_at(uint64_t size, int from)
{
    char dir[4096], tag[64];
    snprintf(tag, sizeof tag, "lg-migrate%d-%llu", from, (unsigned long long)size);
    strcpy(dir, test_tmpdir(tag));
    wr_err e = {0};
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    uint8_t before[32], after[32];
    CHECK_OK(wr_store_open(dir, WR_STORE_CREATE, &s, &e));
    CHECK_OK(wr_ledger_keygen(dir, "test.example/log", &e));
    CHECK_OK(wr_ledger_open(s, &l, &e));
    if (size)
        append_n(s, l, 0, size);
    ref_proofs_digest(l, size, 1 + size / 61, before);
    rows native = {0};
    rows_load(s, &native);
    wr_ledger_close(l);
    if (from == 1)
        downgrade(s, size);
    else
        to_step2(s, &native);
    wr_store_close(s);

    /* reopening runs the steps after `from` */
    CHECK_OK(wr_store_open(dir, 0, &s, &e));
    rows migrated = {0};
    rows_load(s, &migrated);
    CHECK_EQ_INT((int)migrated.n, (int)native.n);
    for (size_t i = 0; i < native.n && i < migrated.n; i++) {
        CHECK(migrated.id[i] == native.id[i]);
        CHECK(migrated.width[i] == native.width[i]);
        CHECK(migrated.len[i] == native.len[i] &&
              memcmp(migrated.h[i], native.h[i], native.len[i]) == 0);
    }
    rows_free(&native);
    rows_free(&migrated);
    int64_t old = -1;
    wr_stmt *st;
    CHECK_OK(wr_stmt_prepare(s, "SELECT count(*) FROM sqlite_master WHERE name IN ('ledger_tile', "
                             "'ledger_subtile3')", &st, &e));
    if (wr_stmt_step(st, &e) == 1)
        old = wr_stmt_int(st, 0);
    wr_stmt_done(st);
    CHECK(old == 0);
    CHECK_OK(wr_ledger_open(s, &l, &e));
    ref_proofs_digest(l, size, 1 + size / 61, after);
    CHECK(memcmp(before, after, 32) == 0);
    check_log(s, l, size);
    /* the migrated log keeps growing */
    append_n(s, l, size, 300);
    check_log(s, l, size + 300);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_migration_from_height_8_tiles)
{
    static const uint64_t sizes[] = {0, 5, 16, 256, 300, 4096, 65536 + 300 + 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        migrate_at(sizes[i], 1);
}

TEST(test_migration_from_step2_rowids)
{
    /* partial tiles only; exact level-0, level-1, level-2 boundaries and
     * one past them; full tiles on levels 0-3 with partial ones on each */
    static const uint64_t sizes[] = {0, 5, 16, 17, 255, 256, 257, 4096, 4096 + 17,
                                     65536 + 4096 * 3 + 256 * 5 + 16 * 7 + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        migrate_at(sizes[i], 2);
}

/* Row ids: a range per tile level, level 0 last; the upper levels form
 * one range; a tlog tile's 16 lower subtiles are adjacent. */
TEST(test_tile_rowid_layout)
{
    const uint64_t top = (uint64_t)1 << 56;
    CHECK(lg_tile_rowid(1, 0) == top);
    CHECK(lg_tile_rowid(1, 5) == top + 5);
    CHECK(lg_tile_rowid(2, 0) == 2 * top);
    CHECK(lg_tile_rowid(15, 7) == 15 * top + 7);
    CHECK(lg_tile_rowid(0, 0) == 16 * top);
    CHECK(lg_tile_rowid(0, 12345) == 16 * top + 12345);
    CHECK(LG_UPPER_LO == lg_tile_rowid(1, 0) && LG_UPPER_HI == lg_tile_rowid(0, 0));
    for (unsigned level = 1; level < LG_LEVELS; level++) {
        /* inside the upper range, below the next level's first row */
        CHECK(lg_tile_rowid(level, 0) >= LG_UPPER_LO);
        CHECK(lg_tile_rowid(level, top - 1) < LG_UPPER_HI);
        CHECK(lg_tile_rowid(level, top - 1) < lg_tile_rowid(level + 1 < LG_LEVELS ? level + 1 : 0, 0));
    }
    for (uint64_t N = 0; N < 4; N++)
        for (uint64_t k = 0; k + 1 < 16; k++)
            CHECK(lg_tile_rowid(0, 16 * N + k) + 1 == lg_tile_rowid(0, 16 * N + k + 1));
    CHECK_EQ_INT((int)lg_tile_blob_len(16), 960);
    CHECK_EQ_INT((int)lg_tile_blob_len(7), (7 + 3 + 1) * 32);
}

RUN_TESTS(T(test_migration_from_height_8_tiles), T(test_migration_from_step2_rowids),
          T(test_tile_rowid_layout))
