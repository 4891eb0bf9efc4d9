/* ledger_ref.h — a naive RFC 9162 Merkle tree hash (the recursive
 * definition, §2.1.1) shared by the ledger tests as their reference; a
 * digest of a log's proofs, to compare them byte for byte across layouts
 * and caches (include check.h first); and appends of numbered entries. */
#ifndef LEDGER_REF_H
#define LEDGER_REF_H
#include "warrant/ledger.h"
#include <string.h>

static inline uint64_t ref_k_below(uint64_t n)
{
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

/* MTH over n leaf hashes. */
static inline void ref_mth(uint8_t (*lh)[32], uint64_t n, uint8_t out[32])
{
    if (n == 0) {
        wr_sha256("", 0, out);
    } else if (n == 1) {
        memcpy(out, lh[0], 32);
    } else {
        uint64_t k = ref_k_below(n);
        uint8_t a[32], b[32];
        ref_mth(lh, k, a);
        ref_mth(lh + k, n - k, b);
        wr_merkle_node_hash(a, b, out);
    }
}

/* Appends count entries {"tag": tag, "i": 0 ... count-1} inside the
 * caller's transaction; stops at the first failure. */
static inline int ref_append_tagged(wr_ledger *l, const char *tag, int count, wr_err *err)
{
    int rc = WR_OK;
    for (int i = 0; i < count && rc == WR_OK; i++) {
        json_t *v = json_pack("{s:s,s:i}", "tag", tag, "i", i);
        rc = wr_ledger_append(l, v, NULL, err);
        json_decref(v);
    }
    return rc;
}

#ifdef CHECK_OK
/* SHA-256 over the inclusion proofs (leaf hash and path) of every step-th
 * index and the consistency proofs from every step-th size + 1, at size n. */
static inline void ref_proofs_digest(wr_ledger *l, uint64_t n, uint64_t step, uint8_t out[32])
{
    wr_err e = {0};
    wr_buf all = WR_BUF_INIT;
    for (uint64_t m = 0; m < n; m += step) {
        uint8_t (*proof)[32] = NULL, leaf[32];
        size_t np = 0;
        CHECK_OK(wr_ledger_prove_inclusion(l, m, n, leaf, &proof, &np, &e));
        CHECK_OK(wr_buf_append(&all, leaf, 32));
        CHECK_OK(wr_buf_append(&all, proof, np * 32));
        free(proof);
        CHECK_OK(wr_ledger_prove_consistency(l, m + 1, n, &proof, &np, &e));
        CHECK_OK(wr_buf_append(&all, proof, np * 32));
        free(proof);
    }
    wr_sha256(all.data ? (const void *)all.data : "", all.len, out);
    wr_buf_free(&all);
}
#endif
#endif
