/* test_ledger_cache.c — the proof path's caches and snapshots against
 * appends by another connection: a reader whose tile cache is full of the
 * old tree must prove the grown tree correctly; tiles cached inside a
 * rolled-back transaction must not survive; read snapshots isolate a
 * reader; and the LRU cache itself. */
#include "check.h"
#include "ledger/ledger_internal.h"
#include "ledger_ref.h"

/* Appends count entries tagged `tag` in one transaction on (s, l). */
static int append_many(wr_store *s, wr_ledger *l, const char *tag, int count, int commit)
{
    wr_err e = {0};
    int rc = wr_store_begin(s, &e);
    for (int i = 0; i < count && rc == WR_OK; i++) {
        json_t *v = json_pack("{s:s,s:i}", "tag", tag, "i", i);
        rc = wr_ledger_append(l, v, NULL, &e);
        json_decref(v);
    }
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
    for (int i = 0; i < 100; i++) {
        json_t *v = json_pack("{s:s,s:i}", "tag", "rolled-back", "i", i);
        CHECK_OK(wr_ledger_append(reader, v, NULL, &e));
        json_decref(v);
    }
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
    for (int i = 0; i < 40; i++) {
        json_t *v = json_pack("{s:s,s:i}", "tag", "own", "i", i);
        CHECK_OK(wr_ledger_append(reader, v, NULL, &e));
        json_decref(v);
    }
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

RUN_TESTS(T(test_reader_cache_survives_foreign_appends), T(test_proofs_from_committed_edge),
          T(test_lru_cache))
