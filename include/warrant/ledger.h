/*
 * warrant/ledger.h — the lineage log: an append-only, tamper-evident
 * transparency log of every governance decision.
 *
 * Entries are JSON objects serialised with the JSON Canonicalization Scheme
 * (RFC 8785).  They are the leaves of an RFC 9162 Merkle tree (SHA-256,
 * leaf = H(0x00 || entry), node = H(0x01 || left || right)); the log
 * publishes C2SP tlog-checkpoint notes signed with Ed25519 (C2SP
 * signed-note) and can be exported as C2SP tlog-tiles.
 *
 * Atomicity: wr_ledger_append must be called inside a store transaction
 * (wr_store_begin); the entry, its hashes and the new checkpoint commit or
 * roll back with the state change they record.
 */
#ifndef WARRANT_LEDGER_H
#define WARRANT_LEDGER_H

#include "warrant/core.h"
#include "warrant/store.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wr_ledger wr_ledger;

#define WR_LEDGER_MAX_ENTRY (1u << 20)  /* 1 MiB per entry */

/* ---- RFC 8785 canonical JSON --------------------------------------------- */
/* Canonical serialisation of v (caller frees *out). */
int wr_jcs_serialize(const json_t *v, char **out, size_t *len, wr_err *err) WR_MUST_CHECK;

/* ---- RFC 9162 Merkle tree primitives (pure functions) -------------------- */
void wr_merkle_leaf_hash(const void *entry, size_t len, uint8_t out[32]);
void wr_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);
/* Verify an inclusion proof (RFC 9162 §2.1.3.2). */
int wr_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
                               const uint8_t (*proof)[32], size_t nproof,
                               const uint8_t root[32]) WR_MUST_CHECK;
/* Verify a consistency proof (RFC 9162 §2.1.4.2). */
int wr_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                 const uint8_t old_root[32], const uint8_t new_root[32],
                                 const uint8_t (*proof)[32], size_t nproof) WR_MUST_CHECK;

/* ---- keys --------------------------------------------------------------- */
/* Generates the log's Ed25519 key in dir/log.key (mode 0600) for origin
 * (the checkpoint's first line, e.g. "warrant.example/log/<random>").
 * Refuses to overwrite an existing key. */
int wr_ledger_keygen(const char *dir, const char *origin, wr_err *err) WR_MUST_CHECK;

/* ---- the log ---------------------------------------------------------------- */
int wr_ledger_open(wr_store *store, wr_ledger **out, wr_err *err) WR_MUST_CHECK;
void wr_ledger_close(wr_ledger *l);

/* Appends one entry (canonicalised here) inside the caller's transaction;
 * *index receives its position.  Also updates the stored tree hashes and
 * the signed checkpoint. */
int wr_ledger_append(wr_ledger *l, const json_t *entry, uint64_t *index, wr_err *err) WR_MUST_CHECK;

uint64_t wr_ledger_size(wr_ledger *l);
/* Exact bytes of entry idx (caller frees). */
int wr_ledger_entry(wr_ledger *l, uint64_t idx, char **bytes, size_t *len, wr_err *err) WR_MUST_CHECK;
/* Root hash of the tree of the first `size` entries. */
int wr_ledger_root(wr_ledger *l, uint64_t size, uint8_t root[32], wr_err *err) WR_MUST_CHECK;
/* Latest signed checkpoint note (caller frees). */
int wr_ledger_checkpoint(wr_ledger *l, char **note, wr_err *err) WR_MUST_CHECK;
/* The verifier key "name+keyhash+base64key" (caller frees). */
int wr_ledger_verifier_key(wr_ledger *l, char **vkey, wr_err *err) WR_MUST_CHECK;
/* Inclusion proof of idx in the tree of `size` entries (caller frees *proof). */
int wr_ledger_prove_inclusion(wr_ledger *l, uint64_t idx, uint64_t size, uint8_t leaf[32],
                              uint8_t (**proof)[32], size_t *nproof, wr_err *err) WR_MUST_CHECK;
int wr_ledger_prove_consistency(wr_ledger *l, uint64_t old_size, uint64_t new_size,
                                uint8_t (**proof)[32], size_t *nproof, wr_err *err) WR_MUST_CHECK;
/* Recomputes everything from the entries; on damage returns WR_ECORRUPT
 * with *bad_index the first bad entry index. */
int wr_ledger_verify(wr_ledger *l, uint64_t *bad_index, wr_err *err) WR_MUST_CHECK;
/* Writes the C2SP tlog-tiles export into outdir. */
int wr_ledger_export_tiles(wr_ledger *l, const char *outdir, wr_err *err) WR_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
