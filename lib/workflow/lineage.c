/*
 * lineage.c — decision lineage: building log entries and reading the story
 * of a change back out of the log.
 *
 * Every entry starts {"v":1,"kind":K,"at":T,"actor":{..},"channel":C} and
 * adds the fields of its kind (README, "Lineage entries").  Entries carry
 * digests of the data that informed a decision, never the data or secrets
 * themselves.  change_entries indexes entries by change so the lineage of
 * one change is read without scanning the log; the entries themselves are
 * then re-read from the log and their inclusion proofs checked against the
 * signed checkpoint, so the story shown is the one the log commits to.
 */
#include "workflow_internal.h"

#include <stdlib.h>
#include <string.h>

json_t *wf_entry_new(const char *kind, const json_t *principal, const wr_actor *actor)
{
    char ts[21];
    wr_time_format(wr_now(), ts);
    json_t *e = json_pack("{s:i,s:s,s:s,s:s}", "v", 1, "kind", kind, "at", ts, "channel",
                          actor && actor->channel ? actor->channel : "cli");
    /* no principal: the local administrator, or Warrant's own timer */
    int timer = actor && actor->channel && strcmp(actor->channel, "timer") == 0;
    json_object_set_new(e, "actor", principal ? wf_actor_json(principal, actor)
                                              : json_pack("{s:s,s:s}", "id", timer ? "warrant-timer" : "admin",
                                                          "kind", "system"));
    return e;
}

int wf_log(wr_ctx *ctx, json_t *entry, const char *change_id, uint64_t *index, wr_err *err)
{
    uint64_t idx;
    if (change_id)
        json_object_set_new(entry, "change", json_string(change_id));
    int rc = wr_ledger_append(ctx->ledger, entry, &idx, err);
    if (rc)
        return rc;
    if (change_id) {
        wr_stmt *st;
        if ((rc = wr_stmt_prepare(ctx->store, "INSERT INTO change_entries(change, ledger_index, kind) "
                                  "VALUES(?,?,?)", &st, err)))
            return rc;
        wr_stmt_bind_text(st, 1, change_id);
        wr_stmt_bind_int(st, 2, (int64_t)idx);
        wr_stmt_bind_text(st, 3, json_string_value(json_object_get(entry, "kind")));
        rc = wr_stmt_step(st, err);
        wr_stmt_done(st);
        if (rc < 0)
            return rc;
    }
    if (index)
        *index = idx;
    return WR_OK;
}

int wf_inputs_digest(const json_t *inputs, json_t **out, wr_err *err)
{
    json_t *res = json_array();
    if (inputs && !json_is_array(inputs)) {
        json_decref(res);
        return wr_fail(err, WR_EINVAL, "inputs: expected an array of {source, sha256|content}");
    }
    size_t i;
    json_t *in;
    json_array_foreach(inputs, i, in) {
        const char *source = json_string_value(json_object_get(in, "source"));
        json_t *sha = json_object_get(in, "sha256"), *content = json_object_get(in, "content");
        if (!json_is_object(in) || !source || !*source || (!sha && !content) || (sha && content)) {
            json_decref(res);
            return wr_fail(err, WR_EINVAL, "inputs[%zu]: expected {\"source\":..., \"sha256\":hex} or "
                           "{\"source\":..., \"content\":...}", i);
        }
        char digest[72];
        if (sha) {
            uint8_t raw[32];
            const char *hex = json_string_value(sha);
            if (hex && strncmp(hex, "sha256:", 7) == 0)
                hex += 7;
            if (!hex || wr_hex_decode(hex, raw, sizeof raw) != WR_OK) {
                json_decref(res);
                return wr_fail(err, WR_EINVAL, "inputs[%zu].sha256: expected 64 hex digits", i);
            }
            memcpy(digest, "sha256:", 7);
            wr_hex_encode(raw, 32, digest + 7);
        } else {
            /* hash the canonical form so the same data always has the same digest */
            char *canon = NULL;
            size_t len = 0;
            int rc = json_is_string(content)
                         ? (canon = strdup(json_string_value(content)), len = strlen(canon), WR_OK)
                         : wr_jcs_serialize(content, &canon, &len, err);
            if (rc) {
                json_decref(res);
                return wr_fail_wrap(err, "inputs[%zu].content", i);
            }
            wr_digest_string(canon, len, digest);
            free(canon);
        }
        json_t *item = json_pack("{s:s,s:s}", "source", source, "sha256", digest);
        json_t *desc = json_object_get(in, "description");
        if (json_is_string(desc))
            json_object_set(item, "description", desc);
        json_array_append_new(res, item);
    }
    *out = res;
    return WR_OK;
}

/* Base64 of a 32-byte hash (caller frees). */
static char *b64(const uint8_t h[32])
{
    char *s = NULL;
    return wr_base64_encode(h, 32, &s) == WR_OK ? s : NULL;
}

int wr_change_lineage(wr_ctx *ctx, const char *id, json_t **out, wr_err *err)
{
    json_t *change = NULL;
    int rc = wf_change_load(ctx, id, &change, err);
    if (rc)
        return rc;
    json_decref(change);
    uint64_t size = wr_ledger_size(ctx->ledger);
    uint8_t root[32];
    if ((rc = wr_ledger_root(ctx->ledger, size, root, err)))
        return rc;
    wr_stmt *st;
    if ((rc = wr_stmt_prepare(ctx->store, "SELECT ledger_index FROM change_entries WHERE change=? "
                              "ORDER BY ledger_index", &st, err)))
        return rc;
    wr_stmt_bind_text(st, 1, id);
    json_t *entries = json_array();
    uint64_t indexes[4096];
    size_t n = 0;
    while ((rc = wr_stmt_step(st, err)) == 1 && n < sizeof indexes / sizeof indexes[0])
        indexes[n++] = (uint64_t)wr_stmt_int(st, 0);
    wr_stmt_done(st);
    if (rc < 0) {
        json_decref(entries);
        return rc;
    }
    int all_verified = 1;
    uint64_t first_bad = 0;
    for (size_t i = 0; i < n; i++) {
        char *bytes = NULL;
        size_t len = 0;
        uint8_t leaf[32], (*proof)[32] = NULL;
        size_t nproof = 0;
        if ((rc = wr_ledger_entry(ctx->ledger, indexes[i], &bytes, &len, err)) ||
            (rc = wr_ledger_prove_inclusion(ctx->ledger, indexes[i], size, leaf, &proof, &nproof, err))) {
            free(bytes);
            json_decref(entries);
            return rc;
        }
        /* Check independently of the store: the leaf is the hash of these
         * exact bytes, and the proof leads from it to the signed root. */
        uint8_t recomputed[32];
        wr_merkle_leaf_hash(bytes, len, recomputed);
        int verified = memcmp(recomputed, leaf, 32) == 0 &&
                       wr_merkle_verify_inclusion(indexes[i], size, leaf,
                                                  (const uint8_t(*)[32])proof, nproof, root) == WR_OK;
        if (!verified && all_verified)
            first_bad = indexes[i];
        all_verified &= verified;
        json_t *entry = json_loadb(bytes, len, 0, NULL);
        char *leaf_b64 = b64(leaf);
        json_array_append_new(entries, json_pack("{s:I,s:o,s:b,s:s?}", "index", (json_int_t)indexes[i],
                                                 "entry", entry ? entry : json_null(), "verified", verified,
                                                 "leaf_hash", leaf_b64));
        free(leaf_b64);
        free(proof);
        free(bytes);
    }
    if (!all_verified) {
        json_decref(entries);
        return wr_fail(err, WR_ECORRUPT, "lineage of %s: log entry %llu does not verify against the "
                       "signed tree of size %llu", id, (unsigned long long)first_bad,
                       (unsigned long long)size);
    }
    char *root_b64 = b64(root);
    *out = json_pack("{s:s,s:I,s:s?,s:b,s:o}", "change", id, "tree_size", (json_int_t)size,
                     "root_hash", root_b64, "verified", 1, "entries", entries);
    free(root_b64);
    return WR_OK;
}
