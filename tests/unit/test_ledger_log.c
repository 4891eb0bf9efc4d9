/* test_ledger_log.c — the stored log: keys, append inside transactions,
 * rollback, several connections, proofs against a naive reference built
 * from the stored entries, signed checkpoints, and tamper detection. */
#include "check.h"
#include "ledger/ledger_internal.h"
#include "ledger_ref.h"

#include <sys/stat.h>


static wr_store *open_new(const char *tag, char *dir_out)
{
    wr_store *s = NULL;
    wr_err e = {0};
    strcpy(dir_out, test_tmpdir(tag));
    if (wr_store_open(dir_out, WR_STORE_CREATE, &s, &e) || wr_ledger_keygen(dir_out, "test.example/log", &e)) {
        fprintf(stderr, "setup: %s\n", e.msg);
        exit(2);
    }
    return s;
}

static int append_tx(wr_store *s, wr_ledger *l, int i, uint64_t *idx)
{
    wr_err e = {0};
    json_t *v = json_pack("{s:s,s:i,s:f}", "kind", "test", "n", i, "x", i / 4.0);
    int rc = wr_store_begin(s, &e);
    if (rc == WR_OK && (rc = wr_ledger_append(l, v, idx, &e)) == WR_OK)
        rc = wr_store_commit(s, &e);
    else
        wr_store_rollback(s);
    json_decref(v);
    if (rc)
        fprintf(stderr, "append: %s\n", e.msg);
    return rc;
}

static int set_blob(wr_store *s, const char *sql, int64_t key, const void *data, size_t len)
{
    wr_stmt *st;
    wr_err e;
    if (wr_stmt_prepare(s, sql, &st, &e))
        return -1;
    wr_stmt_bind_blob(st, 1, data, len);
    wr_stmt_bind_int(st, 2, key);
    int rc = wr_stmt_step(st, &e);
    wr_stmt_done(st);
    return rc;
}

static int get_blob(wr_store *s, const char *sql, int64_t key, uint8_t **out, size_t *len)
{
    wr_stmt *st;
    wr_err e;
    if (wr_stmt_prepare(s, sql, &st, &e))
        return -1;
    wr_stmt_bind_int(st, 1, key);
    int rc = wr_stmt_step(st, &e);
    if (rc == 1) {
        const void *p = wr_stmt_blob(st, 0, len);
        *out = malloc(*len);
        memcpy(*out, p, *len);
    }
    wr_stmt_done(st);
    return rc == 1 ? 0 : -1;
}

TEST(test_keygen_rules)
{
    char dir[4096];
    wr_store *s = open_new("lg-key", dir);
    wr_err e = {0};
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/log.key", dir);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(wr_ledger_keygen(dir, "test.example/log", &e), WR_ESTATE);
    CHECK(strstr(e.msg, "refusing") != NULL);
    CHECK_EQ_INT(wr_ledger_keygen(dir, "bad name", &e), WR_EINVAL);
    wr_ledger *l = NULL;
    CHECK_OK(wr_ledger_open(s, &l, &e));
    json_t *v = json_pack("{s:i}", "a", 1);
    uint64_t idx;
    CHECK_EQ_INT(wr_ledger_append(l, v, &idx, &e), WR_ESTATE);   /* no transaction */
    json_t *arr = json_array();
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_EQ_INT(wr_ledger_append(l, arr, &idx, &e), WR_EINVAL);
    wr_store_rollback(s);
    char *vk = NULL, *note = NULL;
    CHECK_OK(wr_ledger_verifier_key(l, &vk, &e));
    CHECK(strncmp(vk, "test.example/log+", 17) == 0);
    CHECK_OK(wr_ledger_checkpoint(l, &note, &e));   /* empty log: size 0 */
    uint64_t size = 99;
    uint8_t root[32], empty[32];
    wr_sha256("", 0, empty);
    CHECK_OK(wr_ledger_checkpoint_verify(note, vk, &size, root, &e));
    CHECK_EQ_INT(size, 0);
    CHECK(memcmp(root, empty, 32) == 0);
    free(vk);
    free(note);
    json_decref(v);
    json_decref(arr);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_append_proofs_rollback_and_two_connections)
{
    char dir[4096];
    wr_store *s = open_new("lg-app", dir), *s2 = NULL;
    wr_err e = {0};
    wr_ledger *l = NULL, *l2 = NULL;
    CHECK_OK(wr_ledger_open(s, &l, &e));
    CHECK_OK(wr_store_open(dir, 0, &s2, &e));
    CHECK_OK(wr_ledger_open(s2, &l2, &e));
    enum { N = 600 };
    uint64_t idx = 0;
    for (int i = 0; i < N; i++) {
        /* alternate writers: each must see the other's appends */
        CHECK_OK(append_tx(i % 3 ? s : s2, i % 3 ? l : l2, i, &idx));
        CHECK_EQ_INT(idx, i);
        if (i == 300) {
            /* an append rolled back by the caller leaves no trace */
            json_t *v = json_pack("{s:s}", "kind", "rolled-back");
            CHECK_OK(wr_store_begin(s, &e));
            CHECK_OK(wr_ledger_append(l, v, &idx, &e));
            CHECK_EQ_INT(idx, 301);
            wr_store_rollback(s);
            json_decref(v);
            CHECK_EQ_INT(wr_ledger_size(l), 301);
        }
    }
    CHECK_EQ_INT(wr_ledger_size(l), N);
    CHECK_EQ_INT(wr_ledger_size(l2), N);
    /* leaf hashes from the stored bytes, for the naive reference */
    uint8_t (*lh)[32] = malloc(N * 32);
    for (int i = 0; i < N; i++) {
        char *b = NULL;
        size_t len = 0;
        CHECK_OK(wr_ledger_entry(l, (uint64_t)i, &b, &len, &e));
        wr_merkle_leaf_hash(b, len, lh[i]);
        if (i == 5) {
            char want[128];
            snprintf(want, sizeof want, "{\"kind\":\"test\",\"n\":5,\"x\":1.25}");
            CHECK_EQ_STR(b, want);
        }
        free(b);
    }
    char *b = NULL;
    CHECK_EQ_INT(wr_ledger_entry(l, N, &b, NULL, &e), WR_ENOTFOUND);
    srand(11);
    for (int t = 0; t < 300; t++) {
        uint64_t n = 1 + (uint64_t)rand() % N, m = (uint64_t)rand() % n, old = 1 + m;
        uint8_t root[32], want[32], oroot[32], leaf[32];
        CHECK_OK(wr_ledger_root(l, n, root, &e));
        ref_mth(lh, n, want);
        CHECK(memcmp(root, want, 32) == 0);
        uint8_t (*proof)[32] = NULL;
        size_t np = 0;
        CHECK_OK(wr_ledger_prove_inclusion(t % 2 ? l : l2, m, n, leaf, &proof, &np, &e));
        CHECK(memcmp(leaf, lh[m], 32) == 0);
        CHECK_OK(wr_merkle_verify_inclusion(m, n, leaf, (const uint8_t (*)[32])proof, np, want));
        free(proof);
        ref_mth(lh, old, oroot);
        CHECK_OK(wr_ledger_prove_consistency(l, old, n, &proof, &np, &e));
        CHECK_OK(wr_merkle_verify_consistency(old, n, oroot, want, (const uint8_t (*)[32])proof, np));
        free(proof);
    }
    uint8_t (*proof)[32] = NULL;
    size_t np = 0;
    uint8_t leaf[32];
    CHECK_EQ_INT(wr_ledger_prove_inclusion(l, N, N, leaf, &proof, &np, &e), WR_EINVAL);
    CHECK_EQ_INT(wr_ledger_prove_inclusion(l, 0, N + 1, leaf, &proof, &np, &e), WR_EINVAL);
    CHECK_EQ_INT(wr_ledger_prove_consistency(l, 5, 4, &proof, &np, &e), WR_EINVAL);
    CHECK_EQ_INT(wr_ledger_prove_consistency(l, 1, N + 1, &proof, &np, &e), WR_EINVAL);
    /* the signed checkpoint names the current size and root */
    char *note = NULL, *vk = NULL;
    uint64_t size = 0;
    uint8_t root[32], want[32];
    CHECK_OK(wr_ledger_checkpoint(l2, &note, &e));
    CHECK_OK(wr_ledger_verifier_key(l2, &vk, &e));
    CHECK_OK(wr_ledger_checkpoint_verify(note, vk, &size, root, &e));
    CHECK_EQ_INT(size, N);
    ref_mth(lh, N, want);
    CHECK(memcmp(root, want, 32) == 0);
    char *p = strstr(note, "\n600\n");
    CHECK(p != NULL);
    if (p)
        p[3] = '1';   /* claim 610 entries */
    CHECK_EQ_INT(wr_ledger_checkpoint_verify(note, vk, &size, root, &e), WR_ECORRUPT);
    free(note);
    free(vk);
    uint64_t bad = 0;
    CHECK_OK(wr_ledger_verify(l, &bad, &e));
    free(lh);
    wr_ledger_close(l);
    wr_ledger_close(l2);
    wr_store_close(s);
    wr_store_close(s2);
}

/* Flips one byte of a stored blob, expects verify to name `want`, restores. */
static void flip_and_verify(wr_store *s, wr_ledger *l, const char *get_sql, const char *set_sql,
                            int64_t key, size_t off, uint64_t want)
{
    uint8_t *blob = NULL;
    size_t len = 0;
    wr_err e = {0};
    CHECK(get_blob(s, get_sql, key, &blob, &len) == 0);
    if (!blob)
        return;
    blob[off] ^= 0x20;
    CHECK(set_blob(s, set_sql, key, blob, len) == 0);
    uint64_t bad = UINT64_MAX;
    CHECK_EQ_INT(wr_ledger_verify(l, &bad, &e), WR_ECORRUPT);
    CHECK_EQ_INT(bad, want);
    blob[off] ^= 0x20;
    CHECK(set_blob(s, set_sql, key, blob, len) == 0);
    CHECK_OK(wr_ledger_verify(l, &bad, &e));
    free(blob);
}

TEST(test_tamper_detection_and_large_tree)
{
    char dir[4096];
    wr_store *s = open_new("lg-tamper", dir);
    wr_err e = {0};
    wr_ledger *l = NULL;
    CHECK_OK(wr_ledger_open(s, &l, &e));
    /* 70000 entries in one transaction: completes a level-1 tile */
    enum { N = 70000 };
    CHECK_OK(wr_store_begin(s, &e));
    CHECK_OK(lg_ledger_begin(l, &e));
    lg_builder *b = malloc(sizeof *b);
    lg_builder_reset(b);
    for (int i = 0; i < N; i++) {
        char ent[64];
        int len = snprintf(ent, sizeof ent, "{\"n\":%d}", i);
        uint8_t lh[32];
        wr_merkle_leaf_hash(ent, (size_t)len, lh);
        CHECK_OK(lg_builder_push(b, lh, NULL, NULL, NULL));
        CHECK_OK(lg_ledger_add(l, ent, (size_t)len, NULL, &e));
    }
    CHECK_OK(lg_ledger_flush(l, &e));
    CHECK_OK(wr_store_commit(s, &e));
    uint8_t root[32], want[32];
    lg_builder_root(b, want);
    CHECK_OK(wr_ledger_root(l, N, root, &e));
    CHECK(memcmp(root, want, 32) == 0);
    uint64_t bad = 0;
    CHECK_OK(wr_ledger_verify(l, &bad, &e));
    /* a fresh connection loads the edge from the tiles and proves */
    wr_ledger *l2 = NULL;
    CHECK_OK(wr_ledger_open(s, &l2, &e));
    for (uint64_t m = 0; m < N; m += 6999) {
        uint8_t (*proof)[32] = NULL, leaf[32];
        size_t np = 0;
        CHECK_OK(wr_ledger_prove_inclusion(l2, m, N, leaf, &proof, &np, &e));
        CHECK_OK(wr_merkle_verify_inclusion(m, N, leaf, (const uint8_t (*)[32])proof, np, want));
        free(proof);
    }
    wr_ledger_close(l2);
    const char *ge = "SELECT data FROM ledger_entry WHERE idx=?";
    const char *se = "UPDATE ledger_entry SET data=? WHERE idx=?";
    const char *gt = "SELECT hashes FROM ledger_subtile WHERE id=?";
    const char *st = "UPDATE ledger_subtile SET hashes=? WHERE id=?";
    /* stored tiles have height 4: row lg_tile_rowid(level, n), sublevel r
     * at byte 32 * (16 + 8 + ...) (r terms) */
    flip_and_verify(s, l, ge, se, 12345, 3, 12345);           /* an entry */
    flip_and_verify(s, l, ge, se, N - 1, 2, N - 1);           /* the newest entry */
    /* leaf hash 785 = hash 1 of tile 0/49 */
    flip_and_verify(s, l, gt, st, (int64_t)lg_tile_rowid(0, 49), 32 * 1 + 5, 785);
    /* tree level 1 node 388 (leaves 776, 777) = sublevel 1 node 4 of tile 0/48 */
    flip_and_verify(s, l, gt, st, (int64_t)lg_tile_rowid(0, 48), 16 * 32 + 32 * 4, 776);
    /* tree level 7 node 6 (leaves 768...) = sublevel 3 node 0 of tile 1/3 */
    flip_and_verify(s, l, gt, st, (int64_t)lg_tile_rowid(1, 3), 28 * 32, 768);
    /* tree level 8 node 9 = hash 9 of tile 2/0 */
    flip_and_verify(s, l, gt, st, (int64_t)lg_tile_rowid(2, 0), 32 * 9, 9 * 256);
    /* the partial tile 1/273 (width 7): tree level 4 node 4368 */
    flip_and_verify(s, l, gt, st, (int64_t)lg_tile_rowid(1, 273), 0, 273 * 256);
    /* a deleted tile row is named by the first entry it covers, and the
     * rows after it are still checked (verify walks the rows in order) */
    {
        uint8_t *saved = NULL;
        size_t slen = 0;
        int64_t id = (int64_t)lg_tile_rowid(0, 100);
        CHECK(get_blob(s, gt, id, &saved, &slen) == 0);
        wr_stmt *dst;
        CHECK_OK(wr_stmt_prepare(s, "DELETE FROM ledger_subtile WHERE id=?", &dst, &e));
        wr_stmt_bind_int(dst, 1, id);
        CHECK_EQ_INT(wr_stmt_step(dst, &e), 0);
        wr_stmt_done(dst);
        CHECK_EQ_INT(wr_ledger_verify(l, &bad, &e), WR_ECORRUPT);
        CHECK_EQ_INT(bad, 1600);
        CHECK(strstr(e.msg, "missing") != NULL);
        CHECK(set_blob(s, "INSERT INTO ledger_subtile(hashes, id, width) VALUES(?,?,16)", id, saved,
                       slen) == 0);
        CHECK_OK(wr_ledger_verify(l, &bad, &e));
        /* a stray row (no tile has id 20) is passed over: damage after it
         * is still found, and the stray itself is reported */
        CHECK(set_blob(s, "INSERT INTO ledger_subtile(hashes, id, width) VALUES(?,?,16)", 20, saved,
                       slen) == 0);
        uint8_t *row = NULL;
        size_t rlen = 0;
        int64_t rid = (int64_t)lg_tile_rowid(0, 4000);
        CHECK(get_blob(s, gt, rid, &row, &rlen) == 0);
        row[8] ^= 1;
        CHECK(set_blob(s, st, rid, row, rlen) == 0);
        CHECK_EQ_INT(wr_ledger_verify(l, &bad, &e), WR_ECORRUPT);
        CHECK_EQ_INT(bad, 64000);
        row[8] ^= 1;
        CHECK(set_blob(s, st, rid, row, rlen) == 0);
        free(row);
        CHECK_EQ_INT(wr_ledger_verify(l, &bad, &e), WR_ECORRUPT);
        CHECK_EQ_INT(bad, N);
        CHECK(strstr(e.msg, "stored tiles") != NULL);
        CHECK_OK(wr_store_exec(s, "DELETE FROM ledger_subtile WHERE id=20", &e));
        CHECK_OK(wr_ledger_verify(l, &bad, &e));
        free(saved);
    }
    /* a deleted entry is named */
    CHECK_OK(wr_store_exec(s, "DELETE FROM ledger_entry WHERE idx=500", &e));
    CHECK_EQ_INT(wr_ledger_verify(l, &bad, &e), WR_ECORRUPT);
    CHECK_EQ_INT(bad, 500);
    CHECK(strstr(e.msg, "500") != NULL);
    free(b);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_checkpoint_tamper_detected)
{
    char dir[4096];
    wr_store *s = open_new("lg-cp", dir);
    wr_err e = {0};
    wr_ledger *l = NULL;
    CHECK_OK(wr_ledger_open(s, &l, &e));
    uint64_t idx, bad = 0;
    for (int i = 0; i < 10; i++)
        CHECK_OK(append_tx(s, l, i, &idx));
    CHECK_OK(wr_store_exec(s, "UPDATE ledger_checkpoint SET note=replace(note, 'test.example/log 1', "
                              "'test.example/log 2')", &e));
    uint8_t *n = NULL;
    size_t len = 0;
    CHECK(get_blob(s, "SELECT note FROM ledger_checkpoint WHERE id=?", 1, &n, &len) == 0);
    free(n);
    /* flip one base64 character of the signature */
    CHECK_OK(wr_store_exec(s, "UPDATE ledger_checkpoint SET note=substr(note,1,length(note)-10)||"
                              "(CASE substr(note,length(note)-9,1) WHEN 'A' THEN 'B' ELSE 'A' END)||"
                              "substr(note,length(note)-8)", &e));
    CHECK_EQ_INT(wr_ledger_verify(l, &bad, &e), WR_ECORRUPT);
    CHECK(strstr(e.msg, "checkpoint") != NULL);
    wr_ledger_close(l);
    wr_store_close(s);
}

RUN_TESTS(T(test_keygen_rules), T(test_append_proofs_rollback_and_two_connections),
          T(test_tamper_detection_and_large_tree), T(test_checkpoint_tamper_detected))
