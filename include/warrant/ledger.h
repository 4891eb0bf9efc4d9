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
/* (added) One double as RFC 8785 / ECMAScript writes it ("1e+21", "0.000001",
 * "-0" as "0"); WR_EINVAL for NaN and Infinity.  out holds 32 bytes.
 * Limits: nesting depth 256; json_int_t values beyond +-2^53 are refused
 * (no exact double).  Output capped at WR_BUF_DEFAULT_MAX. */
int wr_jcs_number(double v, char out[32]) WR_MUST_CHECK;

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

/* ---- the log ----------------------------------------------------------------
 * A wr_ledger belongs to one store connection and is used by one thread at
 * a time.  Several processes may append to the same data directory: each
 * call notices appends made elsewhere (or a rolled-back append of its own)
 * by comparing its in-memory tree edge with the stored checkpoint.
 * Caches at most 65536 full tiles of height 4 (1 KiB each, 64 MiB at most,
 * allocated as used; least recently used evicted; the cache survives
 * appends by other connections).  Opening sets the connection's
 * mmap_size=0 and cache_size=8 MiB (plain reads suit random small rows;
 * wr_ledger_verify maps the file while it scans).  A proof at a size its
 * committed in-memory edge covers reads no checkpoint, and no database at
 * all when its tiles are cached or its level-0 tile can be read from the
 * tile file "ledger-tiles.cache" in the data directory (an untrusted copy
 * of the level-0 tiles, every node checked against the tree above it;
 * written by appends, created at the first append or proof; deleting it
 * only slows proofs down); otherwise each proof or root runs in one
 * read snapshot of its own; a caller producing many proofs against one
 * state may hold wr_store_read_begin/end around them, which saves the
 * per-proof lock (but then sees no newer appends until read_end). */
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
 * with *bad_index the first bad entry index.  The tile file's records are
 * compared with the rebuilt tiles too, and those that differ or are
 * missing (e.g. a log older than the file) rewritten; that is not damage
 * to the log (proofs check every record they use), so not an error. */
int wr_ledger_verify(wr_ledger *l, uint64_t *bad_index, wr_err *err) WR_MUST_CHECK;
/* Writes the C2SP tlog-tiles export into outdir: checkpoint,
 * tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>] (N as x-prefixed
 * 3-digit path segments).  Entry bundles carry 16-bit lengths, so an entry
 * over 65535 bytes makes the export fail with WR_ELIMIT. */
int wr_ledger_export_tiles(wr_ledger *l, const char *outdir, wr_err *err) WR_MUST_CHECK;
/* (added) The w (1..256) hashes of C2SP tlog-tiles hash tile (level, n)
 * (level < 8) as stored now: *out receives w * 32 bytes (caller frees).
 * Runs in the caller's transaction or read snapshot (opens none itself),
 * so a caller serving a tile under a checkpoint reads both in one.  A
 * stored partial tile wider than w serves any narrower w.  WR_ECORRUPT if
 * the stored hashes are missing or damaged. */
int wr_ledger_hash_tile(wr_ledger *l, unsigned level, uint64_t n, unsigned w, uint8_t **out,
                        wr_err *err) WR_MUST_CHECK;

/* (added) Verifies a signed checkpoint note against a verifier key
 * "name+hash+base64key" and returns its tree size and root. */
int wr_ledger_checkpoint_verify(const char *note, const char *vkey, uint64_t *size,
                                uint8_t root[32], wr_err *err) WR_MUST_CHECK;

/* ---- group commit (added) -------------------------------------------------
 * Every durable commit costs an fsync; with one commit per entry, appends
 * are bounded by the disk's fsync rate.  A group commits many appends in
 * one transaction: a committer thread, with its own store connection on
 * data directory dir, takes every request queued (up to max_batch), and for
 * each runs the request's optional `apply` callback (the caller's state
 * change, on the committer's store, inside a SAVEPOINT: if it fails only
 * that request fails, with apply's error) and then appends its entry; then
 * it writes the tiles and ONE signed checkpoint and COMMITs.  Only after
 * COMMIT has returned (synchronous=FULL: durable) is each request
 * acknowledged, with its index.  If the batch cannot be committed, every
 * request in it fails and nothing of it is stored.
 *
 * Threads: submit/append may be called from any number of threads; apply
 * and ack run on the committer thread (keep them short; they must not call
 * back into the group).  Entries are canonicalised in the caller's thread.
 * The queue holds at most WR_LEDGER_GROUP_QUEUE requests; submit blocks
 * while it is full.  Plain wr_ledger_append by other processes (e.g. the
 * CLI) may run concurrently; SQLite serialises them. */
#define WR_LEDGER_GROUP_QUEUE 65536
typedef struct wr_ledger_group wr_ledger_group;
/* The caller's state change, run in the batch's transaction. */
typedef int (*wr_ledger_apply_fn)(wr_store *store, void *arg, wr_err *err);
/* Acknowledgement: rc WR_OK and index, or a failure and err (borrowed). */
typedef void (*wr_ledger_ack_fn)(void *arg, int rc, uint64_t index, const wr_err *err);

/* Opens the store in dir and starts the committer.  max_batch 0 = 4096. */
int wr_ledger_group_open(const char *dir, size_t max_batch, wr_ledger_group **out,
                         wr_err *err) WR_MUST_CHECK;
/* Queues one append; ack (may be NULL) is called once, after the commit
 * (or failure). */
int wr_ledger_group_submit(wr_ledger_group *g, const json_t *entry, wr_ledger_apply_fn apply,
                           void *apply_arg, wr_ledger_ack_fn ack, void *ack_arg,
                           wr_err *err) WR_MUST_CHECK;
/* Blocking form: returns when the entry is durable (or failed). */
int wr_ledger_group_append(wr_ledger_group *g, const json_t *entry, wr_ledger_apply_fn apply,
                           void *apply_arg, uint64_t *index, wr_err *err) WR_MUST_CHECK;
/* Commits what is queued, stops the committer, closes the store. */
void wr_ledger_group_close(wr_ledger_group *g);
/* Statistics: commits done and entries appended so far. */
void wr_ledger_group_stats(wr_ledger_group *g, uint64_t *commits, uint64_t *entries);

#ifdef __cplusplus
}
#endif
#endif
