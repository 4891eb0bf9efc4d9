/* test_ledger_tfile.c — the tile file (lib/ledger/tile_file.c): appends
 * write a record per full level-0 tile, byte for byte the stored tile;
 * proofs read it without the database and are the reference's; a damaged,
 * missing, misplaced, truncated or stale record (a rolled-back append's)
 * is never served and is repaired from the database; a read-only store
 * writes nothing; verification rewrites records that differ and fills the
 * file of a log older than it; a symbolic link in its place is not
 * followed; and
 * the check itself, exhaustively: no single changed bit in a record gets a
 * wrong node through. */
#include "check.h"
#include "ledger/ledger_internal.h"
#include "ledger_ref.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRIES 5000
#define TILES (ENTRIES / LG_TILE_W)   /* full level-0 tiles: 312 */

static char dir[4096];

static void tfile_path(char *out, size_t len)
{
    snprintf(out, len, "%s/ledger-tiles.cache", dir);
}

/* A log of `count` entries, appended in transactions of 700 (tagged
 * "tag/k" for the k-th). */
static void build_log(const char *tag, int count)
{
    wr_err e = {0};
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    strcpy(dir, test_tmpdir(tag));
    CHECK_OK(wr_store_open(dir, WR_STORE_CREATE, &s, &e));
    CHECK_OK(wr_ledger_keygen(dir, "test.example/tfile", &e));
    CHECK_OK(wr_ledger_open(s, &l, &e));
    for (int i = 0; i < count; i += 700) {
        char part[64];
        snprintf(part, sizeof part, "%s/%d", tag, i / 700);
        CHECK_OK(wr_store_begin(s, &e));
        CHECK_OK(ref_append_tagged(l, part, count - i < 700 ? count - i : 700, &e));
        CHECK_OK(wr_store_commit(s, &e));
    }
    wr_ledger_close(l);
    wr_store_close(s);
}

/* The stored form of level-0 tile n in the database. */
static void db_tile(wr_store *s, uint64_t n, uint8_t blob[LG_FULL_BLOB])
{
    wr_err e = {0};
    wr_stmt *st = NULL;
    CHECK_OK(wr_stmt_prepare(s, "SELECT hashes FROM ledger_subtile WHERE id=? AND width=16", &st, &e));
    wr_stmt_bind_int(st, 1, (int64_t)lg_tile_rowid(0, n));
    CHECK_EQ_INT(wr_stmt_step(st, &e), 1);
    size_t len = 0;
    const void *b = wr_stmt_blob(st, 0, &len);
    CHECK_EQ_INT(len, LG_FULL_BLOB);
    if (b && len == LG_FULL_BLOB)
        memcpy(blob, b, LG_FULL_BLOB);
    wr_stmt_done(st);
}

static int rec_read(uint64_t n, uint8_t rec[LG_TFILE_REC])
{
    char p[4200];
    tfile_path(p, sizeof p);
    int fd = open(p, O_RDONLY);
    ssize_t r = fd < 0 ? -1 : pread(fd, rec, LG_TFILE_REC, (off_t)(n * LG_TFILE_REC));
    if (fd >= 0)
        close(fd);
    return r == LG_TFILE_REC;
}

static void rec_write(uint64_t n, const uint8_t rec[LG_TFILE_REC])
{
    char p[4200];
    tfile_path(p, sizeof p);
    int fd = open(p, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, rec, LG_TFILE_REC, (off_t)(n * LG_TFILE_REC)) == LG_TFILE_REC);
    if (fd >= 0)
        close(fd);
}

/* Whether record n is tile n of the database, with its header. */
static int rec_matches(wr_store *s, uint64_t n)
{
    uint8_t rec[LG_TFILE_REC], blob[LG_FULL_BLOB];
    db_tile(s, n, blob);
    if (!rec_read(n, rec) || memcmp(rec, blob, LG_FULL_BLOB) != 0)
        return 0;
    uint64_t at = 0;
    for (unsigned i = 0; i < 8; i++)
        at |= (uint64_t)rec[LG_FULL_BLOB + i] << (8 * i);
    return at == n && memcmp(rec + LG_FULL_BLOB + 8, "WRLGTILE", 8) == 0;
}

static uint64_t tfile_records(void)
{
    char p[4200];
    struct stat sb;
    tfile_path(p, sizeof p);
    return stat(p, &sb) == 0 ? (uint64_t)sb.st_size / LG_TFILE_REC : 0;
}

/* A fresh reader that preloads the upper tiles at its first read, so
 * that every level-0 tile's top is in memory (the tile file's
 * precondition). */
static void open_reader(int flags, wr_store **s, wr_ledger **l)
{
    wr_err e = {0};
    CHECK_OK(wr_store_open(dir, flags, s, &e));
    CHECK_OK(wr_ledger_open(*s, l, &e));
    lg_ledger_preload_set(*l, 0, 1 << 16);
}

/* Every index's inclusion proof and every size's consistency proof at
 * size n, against the reference. */
static void check_all_proofs(wr_ledger *l, uint64_t n)
{
    wr_err e = {0};
    uint8_t (*lh)[32] = malloc((size_t)n * 32), want[32];
    for (uint64_t i = 0; i < n; i++) {
        char *b = NULL;
        size_t len = 0;
        CHECK_OK(wr_ledger_entry(l, i, &b, &len, &e));
        wr_merkle_leaf_hash(b, len, lh[i]);
        free(b);
    }
    ref_mth(lh, n, want);
    int bad = 0;
    for (uint64_t m = 0; m < n; m++) {
        uint8_t (*proof)[32] = NULL, leaf[32], old[32];
        size_t np = 0;
        if (wr_ledger_prove_inclusion(l, m, n, leaf, &proof, &np, &e) != WR_OK ||
            memcmp(leaf, lh[m], 32) != 0 ||
            wr_merkle_verify_inclusion(m, n, leaf, (const uint8_t (*)[32])proof, np, want) != WR_OK)
            bad++;
        free(proof);
        proof = NULL;
        if (m % 3 == 0) {   /* consistency from m + 1 (ref_mth is O(n) per size) */
            ref_mth(lh, m + 1, old);
            if (wr_ledger_prove_consistency(l, m + 1, n, &proof, &np, &e) != WR_OK ||
                wr_merkle_verify_consistency(m + 1, n, old, want, (const uint8_t (*)[32])proof,
                                             np) != WR_OK)
                bad++;
            free(proof);
        }
    }
    CHECK_EQ_INT(bad, 0);
    free(lh);
}

TEST(test_appends_write_records)
{
    build_log("tf-write", ENTRIES);
    CHECK_EQ_INT(tfile_records(), TILES);
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    open_reader(0, &s, &l);
    int same = 0;
    for (uint64_t n = 0; n < TILES; n++)
        same += rec_matches(s, n);
    CHECK_EQ_INT(same, TILES);
    check_all_proofs(l, ENTRIES);
    lg_tfile *f = lg_ledger_tfile(l);
    /* the proofs took their level-0 nodes from the file, and found nothing
     * to repair */
    CHECK(f->served >= TILES);
    CHECK_EQ_INT(f->written, 0);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_damage_never_served_and_repaired)
{
    build_log("tf-damage", ENTRIES);
    uint8_t rec[LG_TFILE_REC];
    /* a flipped bit among the leaves, in the interior, in the header */
    CHECK(rec_read(3, rec));
    rec[5 * 32 + 7] ^= 0x10;
    rec_write(3, rec);
    CHECK(rec_read(40, rec));
    rec[(16 + 8 + 4) * 32 + 31] ^= 0x01;   /* sublevel 3, node 0 */
    rec_write(40, rec);
    CHECK(rec_read(41, rec));
    rec[LG_FULL_BLOB + 9] ^= 0x01;   /* the magic */
    rec_write(41, rec);
    /* zeros; another tile's record under this tile's header */
    memset(rec, 0, sizeof rec);
    rec_write(77, rec);
    CHECK(rec_read(100, rec));
    rec[LG_FULL_BLOB] = 101;
    rec_write(101, rec);
    /* the tail lost, as after a crash */
    char p[4200];
    tfile_path(p, sizeof p);
    CHECK(truncate(p, 250 * LG_TFILE_REC + 100) == 0);

    wr_store *s = NULL;
    wr_ledger *l = NULL;
    open_reader(0, &s, &l);
    check_all_proofs(l, ENTRIES);
    /* every damaged record was read from the database instead and written
     * back: the file is whole again */
    int same = 0;
    for (uint64_t n = 0; n < TILES; n++)
        same += rec_matches(s, n);
    CHECK_EQ_INT(same, TILES);
    lg_tfile *f = lg_ledger_tfile(l);
    CHECK_EQ_INT(f->written, 5 + (TILES - 250));
    /* and the second time round no record fails */
    uint64_t before = f->written;
    check_all_proofs(l, ENTRIES);
    CHECK_EQ_INT(f->written, before);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_rolled_back_record_not_served)
{
    build_log("tf-rollback", 4000);   /* tiles 0 .. 249 */
    wr_err e = {0};
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    CHECK_OK(wr_store_open(dir, 0, &s, &e));
    CHECK_OK(wr_ledger_open(s, &l, &e));
    /* an append completing tiles 250 .. 259, rolled back: its records were
     * written (inside the transaction) and are kept aside */
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(ref_append_tagged(l, "rolled-back", 160, &e));
    uint8_t stale[10][LG_TFILE_REC];
    for (int k = 0; k < 10; k++)
        CHECK(rec_read(250 + (uint64_t)k, stale[k]));
    wr_store_rollback(s);
    /* other entries fill the same indices and commit; then the rolled-back
     * records come back (a write of the commit's records lost) */
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(ref_append_tagged(l, "kept", 160, &e));
    CHECK_OK(wr_store_commit(s, &e));
    for (int k = 0; k < 10; k++)
        rec_write(250 + (uint64_t)k, stale[k]);
    wr_ledger_close(l);
    wr_store_close(s);

    open_reader(0, &s, &l);
    check_all_proofs(l, 4160);
    int same = 0;
    for (uint64_t n = 0; n < 260; n++)
        same += rec_matches(s, n);
    CHECK_EQ_INT(same, 260);
    CHECK_EQ_INT(lg_ledger_tfile(l)->written, 10);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_readonly_store_writes_nothing)
{
    build_log("tf-readonly", ENTRIES);
    uint8_t rec[LG_TFILE_REC], damaged[LG_TFILE_REC];
    CHECK(rec_read(9, rec));
    rec[0] ^= 0xff;
    rec_write(9, rec);
    memcpy(damaged, rec, sizeof rec);
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    open_reader(WR_STORE_READONLY, &s, &l);
    check_all_proofs(l, ENTRIES);
    CHECK(lg_ledger_tfile(l)->served > 0);
    CHECK_EQ_INT(lg_ledger_tfile(l)->written, 0);
    CHECK(rec_read(9, rec) && memcmp(rec, damaged, sizeof rec) == 0);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_verify_rewrites_records)
{
    build_log("tf-verify", ENTRIES);
    uint8_t rec[LG_TFILE_REC];
    CHECK(rec_read(20, rec));
    rec[100] ^= 0x04;
    rec_write(20, rec);
    memset(rec, 0, sizeof rec);
    rec_write(311, rec);
    wr_err e = {0};
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    open_reader(0, &s, &l);
    uint64_t bad = 0;
    CHECK_OK(wr_ledger_verify(l, &bad, &e));   /* not damage to the log */
    CHECK_EQ_INT(lg_ledger_tfile(l)->written, 2);
    int same = 0;
    for (uint64_t n = 0; n < TILES; n++)
        same += rec_matches(s, n);
    CHECK_EQ_INT(same, TILES);
    /* a second verification finds nothing to rewrite */
    CHECK_OK(wr_ledger_verify(l, &bad, &e));
    CHECK_EQ_INT(lg_ledger_tfile(l)->written, 2);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_old_log_filled_by_verify)
{
    build_log("tf-old", ENTRIES);
    char p[4200];
    tfile_path(p, sizeof p);
    CHECK(unlink(p) == 0);   /* a log from before the tile file */
    wr_err e = {0};
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    open_reader(0, &s, &l);
    uint64_t bad = 0;
    CHECK_OK(wr_ledger_verify(l, &bad, &e));
    CHECK_EQ_INT(tfile_records(), TILES);
    int same = 0;
    for (uint64_t n = 0; n < TILES; n++)
        same += rec_matches(s, n);
    CHECK_EQ_INT(same, TILES);
    /* without the file at all, proofs read the database and fill it */
    wr_ledger_close(l);
    wr_store_close(s);
    CHECK(unlink(p) == 0);
    open_reader(0, &s, &l);
    check_all_proofs(l, ENTRIES);
    CHECK_EQ_INT(lg_ledger_tfile(l)->written, TILES);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_symlink_not_followed)
{
    build_log("tf-link", ENTRIES);
    char p[4200], victim[4200];
    tfile_path(p, sizeof p);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    FILE *v = fopen(victim, "w");
    CHECK(v && fputs("not a tile file", v) >= 0);
    if (v)
        fclose(v);
    CHECK(unlink(p) == 0 && symlink(victim, p) == 0);
    wr_store *s = NULL;
    wr_ledger *l = NULL;
    open_reader(0, &s, &l);
    check_all_proofs(l, ENTRIES);   /* from the database */
    CHECK_EQ_INT(lg_ledger_tfile(l)->served, 0);
    CHECK_EQ_INT(lg_ledger_tfile(l)->written, 0);
    struct stat sb;
    CHECK(stat(victim, &sb) == 0 && sb.st_size == 15);
    wr_ledger_close(l);
    wr_store_close(s);
}

static int keep_tile(void *ctx, unsigned level, const lg_tile *t, wr_err *err)
{
    (void)err;
    if (level == 0)
        *(lg_tile *)ctx = *t;
    return WR_OK;
}

/* One full level-0 tile of 16 known leaves, its record and its top. */
static void make_tile(uint8_t rec[LG_TFILE_REC], uint8_t top[32], lg_tile *want)
{
    lg_builder *b = malloc(sizeof *b);
    lg_builder_reset(b);
    wr_err e = {0};
    for (unsigned i = 0; i < LG_TILE_W; i++) {
        uint8_t leaf[32];
        char data[16];
        snprintf(data, sizeof data, "entry %u", i);
        wr_merkle_leaf_hash(data, strlen(data), leaf);
        CHECK_OK(lg_builder_push(b, leaf, keep_tile, want, &e));
    }
    memset(rec, 0, LG_TFILE_REC);
    CHECK_EQ_INT(lg_tile_encode(want, rec), LG_FULL_BLOB);
    rec[LG_FULL_BLOB] = 7;   /* tile 7 */
    memcpy(rec + LG_FULL_BLOB + 8, "WRLGTILE", 8);
    memcpy(top, b->lv[1].h[0], 32);
    CHECK(memcmp(top, want->h[LG_TILE_SLOTS - 1], 32) == 0);
    free(b);
}

TEST(test_check_lets_no_changed_bit_through)
{
    uint8_t rec[LG_TFILE_REC], top[32], out[32];
    lg_tile want;
    make_tile(rec, top, &want);
    lg_tfile f;
    lg_tfile_init(&f);
    /* the sound record: every node served, in any order, and whole */
    CHECK(lg_tfile_take(&f, 7, rec, top));
    int served = 0;
    for (unsigned r = LG_TILE_H; r-- > 0;)
        for (unsigned j = 0; j < (unsigned)(LG_TILE_W >> r); j++)
            served += lg_tfile_node(&f, r, j, out) && memcmp(out, want.h[lg_sub_off(r) + j], 32) == 0;
    CHECK_EQ_INT(served, 30);
    lg_tile t;
    CHECK(lg_tfile_take(&f, 7, rec, top) && lg_tfile_tile(&f, &t));
    CHECK(memcmp(t.h, want.h, (LG_TILE_SLOTS - 1) * 32) == 0);
    CHECK(!lg_tfile_take(&f, 8, rec, top));   /* another tile's record */
    CHECK_EQ_INT(f.repair, 8);
    /* every single bit changed: no node that differs is ever served, and
     * the changed node itself never */
    int wrong = 0, let_through = 0;
    for (unsigned pos = 0; pos < LG_FULL_BLOB + 16; pos++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            rec[pos] ^= (uint8_t)(1u << bit);
            for (unsigned order = 0; order < 2; order++) {
                if (!lg_tfile_take(&f, 7, rec, top))
                    continue;   /* the header */
                for (unsigned k = 0; k < 30; k++) {
                    unsigned slot = order ? 29 - k : k, r = 0;
                    while (slot >= lg_sub_off(r + 1))
                        r++;
                    unsigned j = slot - lg_sub_off(r);
                    if (!lg_tfile_node(&f, r, j, out))
                        break;   /* the record is dropped */
                    wrong += memcmp(out, want.h[slot], 32) != 0;
                    let_through += pos < LG_FULL_BLOB && slot == pos / 32;
                }
            }
            lg_tile whole;
            if (lg_tfile_take(&f, 7, rec, top) && lg_tfile_tile(&f, &whole))
                wrong += pos < LG_FULL_BLOB;
            rec[pos] ^= (uint8_t)(1u << bit);
        }
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(let_through, 0);
    /* a wrong top: nothing */
    top[0] ^= 1;
    CHECK(lg_tfile_take(&f, 7, rec, top));
    CHECK(!lg_tfile_node(&f, 0, 0, out));
    CHECK(!lg_tfile_take(&f, 7, rec, top) || !lg_tfile_tile(&f, &t));
}

RUN_TESTS(T(test_appends_write_records), T(test_damage_never_served_and_repaired),
          T(test_rolled_back_record_not_served), T(test_readonly_store_writes_nothing),
          T(test_verify_rewrites_records), T(test_symlink_not_followed), T(test_old_log_filled_by_verify), T(test_check_lets_no_changed_bit_through))
