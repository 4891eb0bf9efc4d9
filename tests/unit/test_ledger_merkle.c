/* test_ledger_merkle.c — RFC 9162 hashing, proofs and verification against
 * the certificate-transparency test vectors (the 8-leaf tree of the RFC
 * 6962 test data, as published in transparency-dev/merkle's testonly and
 * proof/verify_test.go), and against a naive recursive implementation
 * written here from the RFC text. */
#include "check.h"
#include "ledger/ledger_internal.h"
#include "ledger_ref.h"

static const char *leaves_hex[8] = {"", "00", "10", "2021", "3031", "40414243",
                                    "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
static const char *roots_hex[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

static uint8_t leaves[8][16];
static size_t leaf_len[8];

static void load_leaves(void)
{
    for (int i = 0; i < 8; i++) {
        leaf_len[i] = strlen(leaves_hex[i]) / 2;
        if (wr_hex_decode(leaves_hex[i], leaves[i], leaf_len[i]) != WR_OK)
            abort();
    }
}

static void hx(const char *h, uint8_t out[32])
{
    if (wr_hex_decode(h, out, 32) != WR_OK)
        abort();
}

/* ---- naive RFC 9162 reference over an array of leaf hashes ---- */

static void ref_path(uint8_t (*lh)[32], uint64_t m, uint64_t n, uint8_t (*out)[32], size_t *k)
{
    if (n <= 1)
        return;
    uint64_t s = ref_k_below(n);
    if (m < s) {
        ref_path(lh, m, s, out, k);
        ref_mth(lh + s, n - s, out[(*k)++]);
    } else {
        ref_path(lh + s, m - s, n - s, out, k);
        ref_mth(lh, s, out[(*k)++]);
    }
}

static void ref_subproof(uint8_t (*lh)[32], uint64_t m, uint64_t n, int b, uint8_t (*out)[32], size_t *k)
{
    if (m == n) {
        if (!b)
            ref_mth(lh, n, out[(*k)++]);
        return;
    }
    uint64_t s = ref_k_below(n);
    if (m <= s) {
        ref_subproof(lh, m, s, b, out, k);
        ref_mth(lh + s, n - s, out[(*k)++]);
    } else {
        ref_subproof(lh + s, m - s, n - s, 0, out, k);
        ref_mth(lh, s, out[(*k)++]);
    }
}

/* node source for lg_* over the same array */
static int arr_node(void *ctx, unsigned h, uint64_t i, uint8_t out[32], wr_err *err)
{
    (void)err;
    uint8_t (*lh)[32] = ctx;
    ref_mth(lh + (i << h), (uint64_t)1 << h, out);
    return WR_OK;
}

TEST(test_hashes_and_roots)
{
    load_leaves();
    uint8_t want[32], got[32];
    hx("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", want);
    wr_merkle_leaf_hash("", 0, got);
    CHECK(memcmp(got, want, 32) == 0);
    hx("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56", want);
    wr_merkle_leaf_hash("L123456", 7, got);
    CHECK(memcmp(got, want, 32) == 0);
    lg_builder *b = malloc(sizeof *b);
    lg_builder_reset(b);
    lg_builder_root(b, got);
    hx("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    CHECK(memcmp(got, want, 32) == 0);
    for (int i = 0; i < 8; i++) {
        uint8_t lh[32];
        wr_merkle_leaf_hash(leaves[i], leaf_len[i], lh);
        CHECK_OK(lg_builder_push(b, lh, NULL, NULL, NULL));
        lg_builder_root(b, got);
        hx(roots_hex[i], want);
        CHECK(memcmp(got, want, 32) == 0);
    }
    free(b);
}

TEST(test_ct_inclusion_and_consistency_vectors)
{
    load_leaves();
    uint8_t lh[8][32], proof[64][32], root[32], exp[3][32];
    for (int i = 0; i < 8; i++)
        wr_merkle_leaf_hash(leaves[i], leaf_len[i], lh[i]);
    size_t n = 0;
    /* inclusion: leaf 0 of 8, leaf 5 of 8, leaf 2 of 3, leaf 1 of 5 */
    static const struct { uint64_t idx, size; int n; const char *h[3]; } inc[] = {
        {0, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                   "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                   "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
        {5, 8, 3, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                   "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                   "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
        {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
        {1, 5, 3, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                   "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                   "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    };
    for (size_t t = 0; t < sizeof inc / sizeof inc[0]; t++) {
        CHECK_OK(lg_inclusion_path(arr_node, lh, inc[t].idx, inc[t].size, proof, &n, NULL));
        CHECK_EQ_INT(n, inc[t].n);
        for (int i = 0; i < inc[t].n; i++) {
            hx(inc[t].h[i], exp[i]);
            CHECK(memcmp(proof[i], exp[i], 32) == 0);
        }
        hx(roots_hex[inc[t].size - 1], root);
        CHECK_OK(wr_merkle_verify_inclusion(inc[t].idx, inc[t].size, lh[inc[t].idx],
                                            (const uint8_t (*)[32])proof, n, root));
        /* corruptions from verify_test.go's probes */
        CHECK(wr_merkle_verify_inclusion(inc[t].idx + 1, inc[t].size, lh[inc[t].idx],
                                         (const uint8_t (*)[32])proof, n, root) != WR_OK);
        CHECK(wr_merkle_verify_inclusion(inc[t].idx, inc[t].size * 2, lh[inc[t].idx],
                                         (const uint8_t (*)[32])proof, n, root) != WR_OK);
        CHECK(wr_merkle_verify_inclusion(inc[t].idx, inc[t].size, lh[inc[t].idx],
                                         (const uint8_t (*)[32])proof, n - 1, root) != WR_OK);
        memcpy(proof[n], root, 32);
        CHECK(wr_merkle_verify_inclusion(inc[t].idx, inc[t].size, lh[inc[t].idx],
                                         (const uint8_t (*)[32])proof, n + 1, root) != WR_OK);
        proof[0][0] ^= 8;
        CHECK(wr_merkle_verify_inclusion(inc[t].idx, inc[t].size, lh[inc[t].idx],
                                         (const uint8_t (*)[32])proof, n, root) != WR_OK);
    }
    static const struct { uint64_t m, n; int k; const char *h[3]; } con[] = {
        {1, 1, 0, {NULL}},
        {1, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                   "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                   "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
        {6, 8, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                   "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                   "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
        {2, 5, 2, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                   "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    };
    for (size_t t = 0; t < sizeof con / sizeof con[0]; t++) {
        CHECK_OK(lg_consistency_proof(arr_node, lh, con[t].m, con[t].n, proof, &n, NULL));
        CHECK_EQ_INT(n, con[t].k);
        for (int i = 0; i < con[t].k; i++) {
            hx(con[t].h[i], exp[i]);
            CHECK(memcmp(proof[i], exp[i], 32) == 0);
        }
        uint8_t r1[32], r2[32];
        hx(roots_hex[con[t].m - 1], r1);
        hx(roots_hex[con[t].n - 1], r2);
        CHECK_OK(wr_merkle_verify_consistency(con[t].m, con[t].n, r1, r2,
                                              (const uint8_t (*)[32])proof, n));
        if (n) {
            CHECK(wr_merkle_verify_consistency(con[t].m, con[t].n, r2, r1,
                                               (const uint8_t (*)[32])proof, n) != WR_OK);
            proof[n - 1][3] ^= 1;
            CHECK(wr_merkle_verify_consistency(con[t].m, con[t].n, r1, r2,
                                               (const uint8_t (*)[32])proof, n) != WR_OK);
        }
    }
}

TEST(test_random_sizes_against_naive_reference)
{
    enum { N = 300 };
    uint8_t (*lh)[32] = malloc(N * 32), (*p1)[32] = malloc(128 * 32), (*p2)[32] = malloc(128 * 32);
    lg_builder *b = malloc(sizeof *b);
    lg_builder_reset(b);
    srand(7);
    for (int i = 0; i < N; i++) {
        char e[32];
        int len = snprintf(e, sizeof e, "entry-%d", i);
        wr_merkle_leaf_hash(e, (size_t)len, lh[i]);
        CHECK_OK(lg_builder_push(b, lh[i], NULL, NULL, NULL));
        uint8_t r1[32], r2[32];
        lg_builder_root(b, r1);
        ref_mth(lh, (uint64_t)i + 1, r2);
        CHECK(memcmp(r1, r2, 32) == 0);
    }
    for (int t = 0; t < 400; t++) {
        uint64_t n = 1 + (uint64_t)rand() % N, m = (uint64_t)rand() % n;
        size_t k1 = 0, k2 = 0;
        uint8_t root[32], oroot[32];
        ref_mth(lh, n, root);
        CHECK_OK(lg_inclusion_path(arr_node, lh, m, n, p1, &k1, NULL));
        ref_path(lh, m, n, p2, &k2);
        CHECK_EQ_INT(k1, k2);
        CHECK(memcmp(p1, p2, k1 * 32) == 0);
        CHECK_OK(wr_merkle_verify_inclusion(m, n, lh[m], (const uint8_t (*)[32])p1, k1, root));
        /* consistency from m+1 (0 < old <= new) */
        uint64_t old = m + 1;
        ref_mth(lh, old, oroot);
        k1 = k2 = 0;
        CHECK_OK(lg_consistency_proof(arr_node, lh, old, n, p1, &k1, NULL));
        if (old < n)
            ref_subproof(lh, old, n, 1, p2, &k2);
        CHECK_EQ_INT(k1, k2);
        CHECK(memcmp(p1, p2, k1 * 32) == 0);
        CHECK_OK(wr_merkle_verify_consistency(old, n, oroot, root, (const uint8_t (*)[32])p1, k1));
        if (k1 && old != n)
            CHECK(wr_merkle_verify_consistency(old, n, root, oroot, (const uint8_t (*)[32])p1, k1) != WR_OK);
    }
    /* the empty tree is consistent with everything; old > new is invalid */
    uint8_t e[32], r[32];
    wr_sha256("", 0, e);
    ref_mth(lh, 5, r);
    CHECK_OK(wr_merkle_verify_consistency(0, 5, e, r, NULL, 0));
    CHECK_EQ_INT(wr_merkle_verify_consistency(6, 5, e, r, NULL, 0), WR_EINVAL);
    CHECK_EQ_INT(wr_merkle_verify_inclusion(5, 5, lh[0], NULL, 0, r), WR_EINVAL);
    free(lh);
    free(p1);
    free(p2);
    free(b);
}

RUN_TESTS(T(test_hashes_and_roots), T(test_ct_inclusion_and_consistency_vectors),
          T(test_random_sizes_against_naive_reference))
