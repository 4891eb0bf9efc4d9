/* test_ledger_cache.c — the proof path's caches and snapshots against
 * appends by another connection: a reader whose tile cache is full of the
 * old tree must prove the grown tree correctly; tiles cached inside a
 * rolled-back transaction must not survive; read snapshots isolate a
 * reader; the LRU cache itself; and the preload of the upper tiles into
 * the upper tier (after a number of one-at-a-time reads, bounded, never
 * inside a write transaction, same proofs, damage reported). */
#include "check.h"
#include "ledger/ledger_internal.h"
#include "ledger_ref.h"

/* Appends count entries tagged `tag` in one transaction on (s, l). */
static int append_many(wr_store *s, wr_ledger *l, const char *tag, int count, int commit)
{
    wr_err e = {0};
    int rc = wr_store_begin(s, &e);
    if (rc == WR_OK)
        rc = ref_append_tagged(l, tag, count, &e);
    if (rc == WR_OK && commit)
        rc = wr_store_commit(s, &e);
    else
        wr_store_rollback(s);
    if (rc)
        fprintf(stderr, "append_many: %s\n", e.msg);
    return rc;
}

/* Leaf hashes of the stored entries, read through l. */
static uint8_t (*leaf_hashes(wr_ledger *l, uint64_t n))[32]
{
    uint8_t (*lh)[32] = malloc((size_t)n * 32);
    wr_err e = {0};
    for (uint64_t i = 0; i < n; i++) {
        char *b = NULL;
        size_t len = 0;
        if (wr_ledger_entry(l, i, &b, &len, &e)) {
            fprintf(stderr, "entry %llu: %s\n", (unsigned long long)i, e.msg);
            exit(2);
        }
        wr_merkle_leaf_hash(b, len, lh[i]);
        free(b);
    }
    return lh;
}

/* Proves every step-th index (twice, so level-0 tiles enter the cache)
 * and consistency from a spread of old sizes, against the reference; then
 * the root. */
static void check_proofs(wr_ledger *l, uint8_t (*lh)[32], uint64_t n, uint64_t step)
{
    wr_err e = {0};
    uint8_t want[32], root[32];
    ref_mth(lh, n, want);
    /* proofs first: wr_ledger_root would sync the edge */
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t m = pass; m < n; m += step) {
            uint8_t (*proof)[32] = NULL, leaf[32], oroot[32];
            size_t np = 0;
            CHECK_OK(wr_ledger_prove_inclusion(l, m, n, leaf, &proof, &np, &e));
            CHECK(memcmp(leaf, lh[m], 32) == 0);
            CHECK_OK(wr_merkle_verify_inclusion(m, n, leaf, (const uint8_t (*)[32])proof, np, want));
            free(proof);
            uint64_t old = m + 1;
            ref_mth(lh, old, oroot);
            CHECK_OK(wr_ledger_prove_consistency(l, old, n, &proof, &np, &e));
            CHECK_OK(wr_merkle_verify_consistency(old, n, oroot, want, (const uint8_t (*)[32])proof,
                                                  np));
            free(proof);
        }
    }
    CHECK_OK(wr_ledger_root(l, n, root, &e));
    CHECK(memcmp(root, want, 32) == 0);
}

/* A new log and two connections to it, each with its ledger. */
static void open_pair(const char *tag, wr_store **s, wr_ledger **reader, wr_store **s2,
                      wr_ledger **writer)
{
    char dir[4096];
    strcpy(dir, test_tmpdir(tag));
    wr_err e = {0};
    CHECK_OK(wr_store_open(dir, WR_STORE_CREATE, s, &e));
    CHECK_OK(wr_ledger_keygen(dir, "test.example/log", &e));
    CHECK_OK(wr_store_open(dir, 0, s2, &e));
    CHECK_OK(wr_ledger_open(*s, reader, &e));
    CHECK_OK(wr_ledger_open(*s2, writer, &e));
}

TEST(test_reader_cache_survives_foreign_appends)
{
    wr_err e = {0};
    wr_store *s = NULL, *s2 = NULL;
    wr_ledger *reader = NULL, *writer = NULL;
    open_pair("lg-cache", &s, &reader, &s2, &writer);

    /* the writer appends; the reader proves and caches the old tree */
    CHECK_OK(append_many(s2, writer, "a", 1000, 1));
    uint8_t (*lh)[32] = leaf_hashes(writer, 1000);
    check_proofs(reader, lh, 1000, 7);
    free(lh);

    /* the writer grows the tree past several full tiles: the reader's
     * cached tiles stay valid, its edge is reloaded */
    CHECK_OK(append_many(s2, writer, "b", 1300, 1));
    CHECK_EQ_INT(wr_ledger_size(reader), 2300);
    lh = leaf_hashes(writer, 2300);
    check_proofs(reader, lh, 2300, 5);
    free(lh);

    /* the reader appends inside a transaction, completing tiles and
     * caching it, proves inside the transaction, then rolls back */
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(ref_append_tagged(reader, "rolled-back", 100, &e));
    uint8_t (*proof)[32] = NULL, leaf[32];
    size_t np = 0;
    for (int pass = 0; pass < 2; pass++) {
        CHECK_OK(wr_ledger_prove_inclusion(reader, 2049, 2400, leaf, &proof, &np, &e));
        free(proof);
    }
    wr_store_rollback(s);

    /* the writer fills the same indices with other entries: nothing of the
     * rolled-back tile may be used */
    CHECK_OK(append_many(s2, writer, "c", 400, 1));
    lh = leaf_hashes(writer, 2700);
    /* the same requests as inside the rolled-back transaction, at the old
     * size 2400 (its right-edge ranges were memoised then), and the rest */
    uint8_t want[32];
    ref_mth(lh, 2400, want);
    CHECK_OK(wr_ledger_prove_inclusion(reader, 2049, 2400, leaf, &proof, &np, &e));
    CHECK(memcmp(leaf, lh[2049], 32) == 0);
    CHECK_OK(wr_merkle_verify_inclusion(2049, 2400, leaf, (const uint8_t (*)[32])proof, np, want));
    free(proof);
    check_proofs(reader, lh, 2400, 7);
    check_proofs(reader, lh, 2700, 3);
    free(lh);
    uint64_t bad = 0;
    CHECK_OK(wr_ledger_verify(reader, &bad, &e));

    /* a read snapshot does not see a commit made meanwhile */
    CHECK_OK(wr_store_read_begin(s, &e));
    CHECK_OK(wr_store_read_begin(s, &e));   /* nests */
    CHECK_EQ_INT(wr_ledger_size(reader), 2700);
    CHECK_OK(append_many(s2, writer, "d", 10, 1));
    CHECK_EQ_INT(wr_ledger_size(reader), 2700);
    CHECK_EQ_INT(wr_ledger_prove_inclusion(reader, 2705, 2710, leaf, &proof, &np, &e), WR_EINVAL);
    CHECK_EQ_INT(wr_store_begin(s, &e), WR_ESTATE);
    wr_store_read_end(s);
    CHECK_EQ_INT(wr_ledger_size(reader), 2700);   /* the outer snapshot is still open */
    wr_store_read_end(s);
    CHECK_EQ_INT(wr_ledger_size(reader), 2710);
    wr_store_read_end(s);   /* unbalanced: ignored */
    CHECK_OK(append_many(s, reader, "e", 3, 1));   /* writes work again */
    CHECK_EQ_INT(wr_ledger_size(writer), 2713);
    lh = leaf_hashes(writer, 2713);
    check_proofs(reader, lh, 2713, 11);
    check_proofs(writer, lh, 2713, 13);
    free(lh);

    wr_ledger_close(reader);
    wr_ledger_close(writer);
    wr_store_close(s);
    wr_store_close(s2);
}

/* Proofs at sizes the reader's committed edge covers skip the checkpoint
 * (and, when cached, the database): they must stay right while another
 * connection appends, and the shortcut must not survive the reader's own
 * appends, committed or rolled back. */
TEST(test_proofs_from_committed_edge)
{
    wr_err e = {0};
    wr_store *s = NULL, *s2 = NULL;
    wr_ledger *reader = NULL, *writer = NULL;
    open_pair("lg-committed", &s, &reader, &s2, &writer);
    CHECK_OK(append_many(s2, writer, "a", 600, 1));
    CHECK_EQ_INT(wr_ledger_size(reader), 600);
    uint8_t (*lh)[32] = leaf_hashes(writer, 600);
    check_proofs(reader, lh, 600, 7);   /* twice: the tiles are cached */
    free(lh);
    /* the writer appends; the reader still proves the tree of 600 (from
     * its edge and cache) and, syncing, the tree of 1000 */
    CHECK_OK(append_many(s2, writer, "b", 400, 1));
    lh = leaf_hashes(writer, 1000);
    check_proofs(reader, lh, 600, 5);
    check_proofs(reader, lh, 1000, 9);
    CHECK_EQ_INT(wr_ledger_size(reader), 1000);
    /* the reader's own appends, rolled back, then other entries at the
     * same indices by the writer */
    CHECK_OK(append_many(s, reader, "rolled-back", 70, 0));
    CHECK_OK(append_many(s2, writer, "c", 70, 1));
    free(lh);
    lh = leaf_hashes(writer, 1070);
    check_proofs(reader, lh, 1070, 3);
    check_proofs(reader, lh, 1000, 11);
    /* the reader's own appends, committed, inside and after the transaction */
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(ref_append_tagged(reader, "own", 40, &e));
    check_proofs(reader, lh, 1070, 13);
    CHECK_OK(wr_store_commit(s, &e));
    free(lh);
    lh = leaf_hashes(writer, 1110);
    check_proofs(reader, lh, 1110, 7);
    check_proofs(writer, lh, 1110, 7);
    free(lh);
    wr_ledger_close(reader);
    wr_ledger_close(writer);
    wr_store_close(s);
    wr_store_close(s2);
}

TEST(test_lru_cache)
{
    lg_cache *c = NULL;
    CHECK_EQ_INT(lg_cache_new(0, &c), WR_EINVAL);
    CHECK_OK(lg_cache_new(3, &c));
    for (uint64_t id = 1; id <= 3; id++) {
        lg_tile *t = lg_cache_claim(c, id);
        CHECK(t != NULL);
        t->n = id;
    }
    CHECK(lg_cache_get(c, 1) != NULL);        /* 1 is now the most recent */
    lg_tile *t = lg_cache_claim(c, 4);        /* evicts 2, the least recent */
    t->n = 4;
    CHECK(lg_cache_get(c, 2) == NULL);
    CHECK(lg_cache_get(c, 1) && lg_cache_get(c, 1)->n == 1);
    CHECK(lg_cache_get(c, 3) && lg_cache_get(c, 3)->n == 3);
    CHECK(lg_cache_get(c, 4) && lg_cache_get(c, 4)->n == 4);
    lg_cache_remove(c, 1);                    /* a failed fill */
    CHECK(lg_cache_get(c, 1) == NULL);
    CHECK(lg_cache_get(c, 3) && lg_cache_get(c, 3)->n == 3);
    t = lg_cache_claim(c, 5);                 /* fits without evicting */
    t->n = 5;
    CHECK(lg_cache_get(c, 3) && lg_cache_get(c, 4) && lg_cache_get(c, 5));
    CHECK(lg_cache_get(c, 5)->n == 5 && lg_cache_get(c, 4)->n == 4);
    /* many ids through a small cache: never more than 3, always the last 3 */
    for (uint64_t id = 100; id < 10000; id++)
        lg_cache_claim(c, id)->n = id;
    CHECK(lg_cache_get(c, 9999) && lg_cache_get(c, 9998) && lg_cache_get(c, 9997));
    CHECK(lg_cache_get(c, 9996) == NULL && lg_cache_get(c, 5) == NULL);
    lg_cache_clear(c);
    CHECK(lg_cache_get(c, 9999) == NULL);
    lg_cache_free(c);
}

/* 3 full level-2 tiles (4096 entries each) and 51 full level-1 tiles. */
#define PRE_N (3 * 4096 + 777)
#define PRE_UPPER (3 + PRE_N / 256)

TEST(test_preload_upper_tier)
{
    wr_err e = {0};
    wr_store *s = NULL, *s2 = NULL, *s3 = NULL;
    wr_ledger *reader = NULL, *writer = NULL, *plain = NULL;
    open_pair("lg-preload", &s, &reader, &s2, &writer);
    CHECK_OK(append_many(s2, writer, "a", PRE_N, 1));
    CHECK_OK(wr_store_open(wr_store_dir(s), 0, &s3, &e));
    CHECK_OK(wr_ledger_open(s3, &plain, &e));
    lg_ledger_preload_set(plain, 0, 0);   /* a tier of 0 tiles: no preload */
    lg_ledger_preload_set(reader, 6, 1000);
    uint8_t (*lh)[32] = leaf_hashes(writer, PRE_N);
    /* one-at-a-time reads first: no preload until 6 upper tiles were read */
    uint8_t (*proof)[32] = NULL, leaf[32];
    size_t np = 0;
    CHECK_OK(wr_ledger_prove_inclusion(reader, 5, PRE_N, leaf, &proof, &np, &e));
    free(proof);
    CHECK_EQ_INT((int)lg_ledger_preloaded(reader), 0);
    for (uint64_t m = 300; m < PRE_N; m += 997) {
        CHECK_OK(wr_ledger_prove_inclusion(reader, m, PRE_N, leaf, &proof, &np, &e));
        free(proof);
    }
    CHECK_EQ_INT((int)lg_ledger_preloaded(reader), PRE_UPPER);
    /* the same proofs, byte for byte, with and without the tier */
    uint8_t d1[32], d2[32];
    ref_proofs_digest(reader, PRE_N, 41, d1);
    ref_proofs_digest(plain, PRE_N, 41, d2);
    CHECK(memcmp(d1, d2, 32) == 0);
    CHECK_EQ_INT((int)lg_ledger_preloaded(plain), 0);
    check_proofs(reader, lh, PRE_N, 509);
    /* the automatic rule: once 1 in LG_PRELOAD_RATIO of the 54 upper tiles
     * were read one at a time (checked as a proof starts: never at the
     * first), after as many proofs at most (each reads at least one) */
    wr_ledger *fresh = NULL;
    CHECK_OK(wr_ledger_open(s3, &fresh, &e));
    CHECK(PRE_UPPER / LG_PRELOAD_RATIO >= 1);
    for (uint64_t k = 0; k <= PRE_UPPER / LG_PRELOAD_RATIO; k++) {
        CHECK_OK(wr_ledger_prove_inclusion(fresh, 256 * k + 1, PRE_N, leaf, &proof, &np, &e));
        free(proof);
        if (k == 0)
            CHECK_EQ_INT((int)lg_ledger_preloaded(fresh), 0);
    }
    CHECK_EQ_INT((int)lg_ledger_preloaded(fresh), PRE_UPPER);
    wr_ledger_close(fresh);
    /* the log grows: tiles completed since come from the store (LRU), the
     * tier stays as it is */
    CHECK_OK(append_many(s2, writer, "b", 3000, 1));
    free(lh);
    lh = leaf_hashes(writer, PRE_N + 3000);
    check_proofs(reader, lh, PRE_N + 3000, 401);
    check_proofs(reader, lh, PRE_N, 433);
    CHECK_EQ_INT((int)lg_ledger_preloaded(reader), PRE_UPPER);
    ref_proofs_digest(reader, PRE_N + 3000, 53, d1);
    ref_proofs_digest(plain, PRE_N + 3000, 53, d2);
    CHECK(memcmp(d1, d2, 32) == 0);
    free(lh);
    wr_ledger_close(reader);
    wr_ledger_close(plain);
    wr_ledger_close(writer);
    wr_store_close(s);
    wr_store_close(s2);
    wr_store_close(s3);
}

TEST(test_preload_bounded_and_outside_transactions)
{
    wr_err e = {0};
    wr_store *s = NULL, *s2 = NULL;
    wr_ledger *reader = NULL, *writer = NULL;
    open_pair("lg-preload-bound", &s, &reader, &s2, &writer);
    CHECK_OK(append_many(s2, writer, "a", PRE_N, 1));
    uint8_t (*lh)[32] = leaf_hashes(writer, PRE_N);
    /* a tier of 10 tiles: the top level first (3 of level 2), then 7 of
     * level 1; the other tiles are read one at a time */
    lg_ledger_preload_set(reader, 0, 10);
    /* no preload inside a write transaction (it may read uncommitted rows) */
    CHECK_OK(wr_store_begin(s, &e));
    uint8_t (*proof)[32] = NULL, leaf[32];
    size_t np = 0;
    CHECK_OK(wr_ledger_prove_inclusion(reader, 4000, PRE_N, leaf, &proof, &np, &e));
    free(proof);
    CHECK_EQ_INT((int)lg_ledger_preloaded(reader), 0);
    wr_store_rollback(s);
    check_proofs(reader, lh, PRE_N, 311);
    CHECK_EQ_INT((int)lg_ledger_preloaded(reader), 10);
    free(lh);
    /* writer's own connection: damage level-1 tile 20's row; a fresh
     * reader's preload stops level 1 there and the proof that needs the
     * tile reports the damage */
    CHECK_OK(wr_store_begin(s2, &e));
    wr_stmt *st;
    CHECK_OK(wr_stmt_prepare(s2, "UPDATE ledger_subtile SET hashes = substr(hashes, 1, 100) WHERE id = ?",
                             &st, &e));
    wr_stmt_bind_int(st, 1, (int64_t)lg_tile_rowid(1, 20));
    CHECK_EQ_INT(wr_stmt_step(st, &e), 0);
    wr_stmt_done(st);
    CHECK_OK(wr_store_commit(s2, &e));
    wr_ledger_close(reader);
    CHECK_OK(wr_ledger_open(s, &reader, &e));
    lg_ledger_preload_set(reader, 0, 1000);
    CHECK_OK(wr_ledger_prove_inclusion(reader, 5, PRE_N, leaf, &proof, &np, &e));
    free(proof);
    CHECK_EQ_INT((int)lg_ledger_preloaded(reader), 3 + 20);
    CHECK_EQ_INT(wr_ledger_prove_inclusion(reader, 20 * 256 + 7, PRE_N, leaf, &proof, &np, &e),
                 WR_ECORRUPT);
    CHECK(strstr(e.msg, "tile 1/20") != NULL);
    wr_ledger_close(reader);
    wr_ledger_close(writer);
    wr_store_close(s);
    wr_store_close(s2);
}

TEST(test_upper_tier)
{
    lg_tier t;
    lg_tier_init(&t, 5);
    CHECK(lg_tier_get(&t, 3, 0) == NULL);
    for (uint64_t n = 0; n < 2; n++) {
        lg_tile *x = lg_tier_next(&t, 3);
        CHECK(x != NULL);
        x->n = 100 + n;
        lg_tier_commit(&t, 3);
    }
    for (uint64_t n = 0; n < 3; n++) {
        lg_tile *x = lg_tier_next(&t, 2);
        CHECK(x != NULL);
        x->n = 200 + n;
        lg_tier_commit(&t, 2);
    }
    CHECK(lg_tier_next(&t, 2) == NULL);   /* full: 5 tiles */
    CHECK(lg_tier_next(&t, 1) == NULL);
    CHECK_EQ_INT((int)lg_tier_count(&t), 5);
    CHECK(lg_tier_get(&t, 3, 1) && lg_tier_get(&t, 3, 1)->n == 101);
    CHECK(lg_tier_get(&t, 2, 2) && lg_tier_get(&t, 2, 2)->n == 202);
    CHECK(lg_tier_get(&t, 3, 2) == NULL && lg_tier_get(&t, 2, 3) == NULL);
    lg_tier_free(&t);
    /* a level filled before another cannot grow (its slice is closed) */
    lg_tier_init(&t, 10);
    CHECK(lg_tier_next(&t, 4) != NULL);
    lg_tier_commit(&t, 4);
    CHECK(lg_tier_next(&t, 3) != NULL);
    lg_tier_commit(&t, 3);
    CHECK(lg_tier_next(&t, 4) == NULL);
    lg_tier_commit(&t, 4);                /* ignored: not the open level */
    CHECK_EQ_INT((int)lg_tier_count(&t), 2);
    CHECK(lg_tier_get(&t, 4, 1) == NULL);
    lg_tier_free(&t);
    CHECK(lg_tier_get(&t, 4, 0) == NULL);
}

RUN_TESTS(T(test_reader_cache_survives_foreign_appends), T(test_proofs_from_committed_edge),
          T(test_lru_cache), T(test_preload_upper_tier), T(test_preload_bounded_and_outside_transactions),
          T(test_upper_tier))
