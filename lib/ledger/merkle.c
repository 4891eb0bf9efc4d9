/*
 * merkle.c — the RFC 9162 Merkle tree: hashing, the incremental tile
 * builder, and proof generation and verification.
 *
 * Hashes (RFC 9162 §2.1.1): leaf = SHA-256(0x00 || entry), interior node =
 * SHA-256(0x01 || left || right); the tree over n leaves splits at the
 * largest power of two k < n, so every left subtree is complete.  A
 * complete subtree of 2^h leaves starting at leaf i*2^h is "node (h, i)";
 * every hash a proof needs is either such a node or the hash of a range
 * on the right edge, which lg_range_hash composes from complete nodes.
 *
 * The builder keeps one partially filled tile per tile level (the right
 * edge, O(log n) state) and computes each interior node once, when its
 * right child arrives, so appending is O(log n) hashes amortised O(1).
 */
/* The low-level SHA256_Init/Update/Final calls are deprecated in OpenSSL 3
 * but go straight to the SHA-NI code; the one-shot SHA256() and EVP fetch
 * a method under a lock on every call, which costs more than hashing the
 * 65 bytes of a Merkle node (measured: ~40% of verification time). */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "ledger_internal.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

void wr_merkle_leaf_hash(const void *entry, size_t len, uint8_t out[32])
{
    static const uint8_t zero = 0;
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, &zero, 1);
    SHA256_Update(&c, entry, len);
    SHA256_Final(out, &c);
}

void wr_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, left, 32);
    memcpy(buf + 33, right, 32);
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, buf, sizeof buf);
    SHA256_Final(out, &c);
}

/* ---- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) --------------------- */

/* "right-shift fn and sn equally until either LSB(fn) is set or fn is 0" */
static void shift_to_set_bit(uint64_t *fn, uint64_t *sn)
{
    while (*fn != 0 && !(*fn & 1)) {
        *fn >>= 1;
        *sn >>= 1;
    }
}

int wr_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
                               const uint8_t (*proof)[32], size_t nproof,
                               const uint8_t root[32])
{
    if (index >= size)
        return WR_EINVAL;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[32];
    memcpy(r, leaf, 32);
    for (size_t i = 0; i < nproof; i++) {
        if (sn == 0)
            return WR_ECORRUPT;
        if ((fn & 1) || fn == sn) {
            wr_merkle_node_hash(proof[i], r, r);
            shift_to_set_bit(&fn, &sn);
        } else {
            wr_merkle_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return (sn == 0 && memcmp(r, root, 32) == 0) ? WR_OK : WR_ECORRUPT;
}

int wr_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const uint8_t old_root[32], const uint8_t new_root[32],
                                 const uint8_t (*proof)[32], size_t nproof)
{
    if (old_size > new_size)
        return WR_EINVAL;
    if (old_size == new_size)   /* the empty proof: the roots must agree */
        return nproof == 0 && memcmp(old_root, new_root, 32) == 0 ? WR_OK : WR_ECORRUPT;
    if (old_size == 0)          /* every tree extends the empty tree */
        return nproof == 0 ? WR_OK : WR_ECORRUPT;
    if (nproof == 0)
        return WR_ECORRUPT;
    size_t i = 0;
    const uint8_t *first;
    /* if old_size is a power of two, old_root is the implicit first hash */
    if ((old_size & (old_size - 1)) == 0) {
        first = old_root;
    } else {
        first = proof[0];
        i = 1;
    }
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[32], sr[32];
    memcpy(fr, first, 32);
    memcpy(sr, first, 32);
    for (; i < nproof; i++) {
        if (sn == 0)
            return WR_ECORRUPT;
        if ((fn & 1) || fn == sn) {
            wr_merkle_node_hash(proof[i], fr, fr);
            wr_merkle_node_hash(proof[i], sr, sr);
            shift_to_set_bit(&fn, &sn);
        } else {
            wr_merkle_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return (sn == 0 && memcmp(fr, old_root, 32) == 0 && memcmp(sr, new_root, 32) == 0)
               ? WR_OK : WR_ECORRUPT;
}

/* ---- proof generation -------------------------------------------------- */

static void reverse(uint8_t (*proof)[32], size_t k)
{
    for (size_t i = 0; i < k / 2; i++) {
        uint8_t t[32];
        memcpy(t, proof[i], 32);
        memcpy(proof[i], proof[k - 1 - i], 32);
        memcpy(proof[k - 1 - i], t, 32);
    }
}

static uint64_t pow2_below(uint64_t n)   /* largest power of two < n, n >= 2 */
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

int lg_range_hash(lg_node_fn get, void *ctx, uint64_t lo, uint64_t hi, uint8_t out[32],
                  wr_err *err)
{
    if (hi <= lo) {
        wr_sha256("", 0, out);
        return WR_OK;
    }
    uint64_t n = hi - lo;
    if ((n & (n - 1)) == 0) {
        unsigned h = (unsigned)__builtin_ctzll(n);
        return get(ctx, h, lo >> h, out, err);
    }
    /* right edge: fold the complete subtrees of [lo, hi) from the right */
    uint8_t acc[32], node[32];
    int have = 0, rc;
    uint64_t end = hi;
    while (end > lo) {
        uint64_t span = end - lo;
        unsigned h = (unsigned)__builtin_ctzll(span);   /* smallest block at the end */
        uint64_t start = end - ((uint64_t)1 << h);
        if ((rc = get(ctx, h, start >> h, node, err)))
            return rc;
        if (have)
            wr_merkle_node_hash(node, acc, acc);
        else
            memcpy(acc, node, 32);
        have = 1;
        end = start;
    }
    memcpy(out, acc, 32);
    return WR_OK;
}

/* A range hash through the caller's memo when it has one. */
static int range_of(lg_node_fn get, lg_range_fn range, void *ctx, uint64_t lo, uint64_t hi,
                    uint8_t out[32], wr_err *err)
{
    return range ? range(ctx, lo, hi, out, err) : lg_range_hash(get, ctx, lo, hi, out, err);
}

int lg_inclusion_path(lg_node_fn get, void *ctx, uint64_t m, uint64_t size,
                      uint8_t (*proof)[32], size_t *n, wr_err *err)
{
    return lg_inclusion_path_ex(get, NULL, ctx, m, size, proof, n, err);
}

int lg_consistency_proof(lg_node_fn get, void *ctx, uint64_t m, uint64_t size,
                         uint8_t (*proof)[32], size_t *n, wr_err *err)
{
    return lg_consistency_proof_ex(get, NULL, ctx, m, size, proof, n, err);
}

int lg_inclusion_path_ex(lg_node_fn get, lg_range_fn range, void *ctx, uint64_t m, uint64_t size,
                         uint8_t (*proof)[32], size_t *n, wr_err *err)
{
    /* PATH(m, D[lo:hi]) walked top-down; the spec lists hashes bottom-up,
     * so collect them and reverse. */
    uint64_t lo = 0, hi = size;
    size_t k = 0;
    int rc;
    while (hi - lo > 1) {
        uint64_t split = lo + pow2_below(hi - lo);
        if (m < split) {
            rc = range_of(get, range, ctx, split, hi, proof[k++], err);
            hi = split;
        } else {
            rc = range_of(get, range, ctx, lo, split, proof[k++], err);
            lo = split;
        }
        if (rc)
            return rc;
    }
    reverse(proof, k);
    *n = k;
    return WR_OK;
}

int lg_consistency_proof_ex(lg_node_fn get, lg_range_fn range, void *ctx, uint64_t m,
                            uint64_t size, uint8_t (*proof)[32], size_t *n, wr_err *err)
{
    /* SUBPROOF(m, D[lo:hi], b), iteratively; hashes collected top-down. */
    uint64_t lo = 0, hi = size;
    int b = 1, rc = WR_OK;
    size_t k = 0;
    if (m == 0 || m >= size) {
        *n = 0;
        return WR_OK;
    }
    for (;;) {
        if (m == hi - lo) {
            if (!b)
                rc = range_of(get, range, ctx, lo, hi, proof[k++], err);
            break;
        }
        uint64_t kk = pow2_below(hi - lo);
        if (m <= kk) {
            rc = range_of(get, range, ctx, lo + kk, hi, proof[k++], err);
            hi = lo + kk;
        } else {
            rc = range_of(get, range, ctx, lo, lo + kk, proof[k++], err);
            m -= kk;
            lo += kk;
            b = 0;
        }
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    reverse(proof, k);
    *n = k;
    return WR_OK;
}

/* ---- tiles and the builder --------------------------------------------- */

void lg_builder_reset(lg_builder *b)
{
    b->size = 0;
    for (unsigned l = 0; l < LG_LEVELS; l++) {
        b->lv[l].n = 0;
        b->lv[l].w = 0;
    }
}

static int push_level(lg_builder *b, unsigned level, const uint8_t hash[32], lg_full_fn on_full,
                      void *ctx, wr_err *err)
{
    if (level >= LG_LEVELS)
        return wr_fail(err, WR_ELIMIT, "ledger: tree larger than 2^64 leaves");
    lg_tile *t = &b->lv[level];
    memcpy(t->h[t->w], hash, 32);
    t->w++;
    /* each completed pair at sublevel r-1 yields one node at sublevel r */
    for (unsigned r = 1; r <= LG_TILE_H && (t->w & ((1u << r) - 1)) == 0; r++) {
        unsigned j = (t->w >> r) - 1;
        wr_merkle_node_hash(t->h[lg_sub_off(r - 1) + 2 * j], t->h[lg_sub_off(r - 1) + 2 * j + 1],
                            t->h[lg_sub_off(r) + j]);
    }
    if (t->w < LG_TILE_W)
        return WR_OK;
    int rc = on_full ? on_full(ctx, level, t, err) : WR_OK;
    if (rc)
        return rc;
    uint8_t root[32];
    memcpy(root, t->h[LG_TILE_SLOTS - 1], 32);
    t->n++;
    t->w = 0;
    return push_level(b, level + 1, root, on_full, ctx, err);
}

int lg_builder_push(lg_builder *b, const uint8_t leaf[32], lg_full_fn on_full, void *ctx,
                    wr_err *err)
{
    int rc = push_level(b, 0, leaf, on_full, ctx, err);
    if (rc == WR_OK)
        b->size++;
    return rc;
}

void lg_builder_root(const lg_builder *b, uint8_t out[32])
{
    /* the complete subtrees of the tree are the set bits of size, each the
     * last node of its level in the edge tile; fold them right to left */
    uint64_t n = b->size;
    if (n == 0) {
        wr_sha256("", 0, out);
        return;
    }
    uint8_t acc[32];
    int have = 0;
    for (unsigned h = 0; h < 64; h++) {
        if (!(n >> h & 1))
            continue;
        unsigned level = h / LG_TILE_H, r = h % LG_TILE_H;
        uint64_t idx = (n >> h) - 1;
        const lg_tile *t = &b->lv[level];
        const uint8_t *node = t->h[lg_sub_off(r) + (idx & ((LG_TILE_W >> r) - 1))];
        if (have)
            wr_merkle_node_hash(node, acc, acc);
        else
            memcpy(acc, node, 32);
        have = 1;
    }
    memcpy(out, acc, 32);
}

size_t lg_tile_blob_len(unsigned w)
{
    size_t n = 0;
    for (unsigned r = 0; r < LG_TILE_H; r++)
        n += w >> r;
    return n * 32;
}

size_t lg_tile_encode(const lg_tile *t, uint8_t *out)
{
    size_t off = 0;
    for (unsigned r = 0; r < LG_TILE_H; r++) {
        size_t bytes = (size_t)(t->w >> r) * 32;
        memcpy(out + off, t->h[lg_sub_off(r)], bytes);
        off += bytes;
    }
    return off;
}

int lg_tile_decode(const void *blob, size_t len, unsigned w, lg_tile *t)
{
    if (w == 0 || w > LG_TILE_W || len != lg_tile_blob_len(w))
        return WR_ECORRUPT;
    const uint8_t *p = blob;
    for (unsigned r = 0; r < LG_TILE_H; r++) {
        size_t bytes = (size_t)(w >> r) * 32;
        memcpy(t->h[lg_sub_off(r)], p, bytes);
        p += bytes;
    }
    t->w = w;
    return WR_OK;
}
