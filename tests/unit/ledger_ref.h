/* ledger_ref.h — a naive RFC 9162 Merkle tree hash (the recursive
 * definition, §2.1.1) shared by the ledger tests as their reference. */
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
#endif
