/*
 * handlers_console.c — read-only routes the approver console needs and any
 * other client may use: the log's exact entry bytes and inclusion proofs
 * (so a browser can verify lineage itself against the signed checkpoint),
 * the verifier key, readiness of every scope and its snapshot history, and
 * recent denials.  Nothing here writes.  For AI principals' tokens the
 * readiness routes are governed reads (wr_read_check: /all keeps the
 * scopes the caller may read) and denials are those of changes it may
 * read; people's reads are not policy-checked.
 *
 *   GET /log/key                          verifier key (text, public)
 *   GET /v1/log/entries/{index}           entry bytes exactly as logged
 *   GET /v1/log/proof/inclusion?index=&size=
 *                                         RFC 9162 inclusion proof
 *   GET /v1/readiness/all                 wr_readiness_compute_all
 *   GET /v1/readiness/history?scope=&id=&limit=
 *                                         wr_readiness_history
 *   GET /v1/denials?limit=&initiator_kind=ai|human|all
 *                                         denied proposals and refused
 *                                         executions, newest first
 */
#include "console.h"

#include <stdlib.h>
#include <string.h>

/* A whole number query argument in lo..hi, def when absent; -1 answered. */
static int arg_int(srv_req *r, const char *key, long long lo, long long hi, long long def, long long *out)
{
    int present;
    *out = def;
    return srv_query_int(r, key, lo, hi, out, &present);
}

void h_log_key(srv_req *r)
{
    char *key = NULL;
    wr_err err = {0};
    if (wr_ledger_verifier_key(wr_ctx_ledger(r->w->ctx), &key, &err) != WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    size_t n = strlen(key);
    char *body = realloc(key, n + 2);
    if (!body) {
        free(key);
        srv_error(r, 500, NULL, "out of memory");
        return;
    }
    body[n] = '\n';
    body[n + 1] = '\0';
    srv_raw(r, 200, "text/plain; charset=utf-8", body, n + 1);
    r->cache = "no-cache";
}

void h_log_entry(srv_req *r)
{
    char *end;
    unsigned long long idx = strtoull(r->params[0], &end, 10);
    if (*end || r->params[0][0] < '0' || r->params[0][0] > '9') {
        srv_error(r, 400, NULL, "log entry index '%s' is not a whole number", r->params[0]);
        return;
    }
    wr_ledger *l = wr_ctx_ledger(r->w->ctx);
    wr_err err = {0};
    char *bytes = NULL;
    size_t len = 0;
    if (idx >= wr_ledger_size(l)) {
        srv_error(r, 404, NULL, "log entry %llu: the log has %llu entries", idx,
                  (unsigned long long)wr_ledger_size(l));
        return;
    }
    if (wr_ledger_entry(l, idx, &bytes, &len, &err) != WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    /* the exact bytes that were hashed into the tree: never re-encoded */
    srv_raw(r, 200, "application/json", bytes, len);
    r->cache = "private, max-age=31536000, immutable";
}

static json_t *b64(const uint8_t *h, size_t n)
{
    char *s = NULL;
    if (wr_base64_encode(h, n, &s) != WR_OK)
        return NULL;
    json_t *v = json_string(s);
    free(s);
    return v;
}

void h_log_inclusion(srv_req *r)
{
    wr_ledger *l = wr_ctx_ledger(r->w->ctx);
    long long size = (long long)wr_ledger_size(l), index;
    if (arg_int(r, "size", 1, size > 0 ? size : 1, size, &size) || arg_int(r, "index", 0, size - 1, -1, &index))
        return;
    if (index < 0) {
        srv_error(r, 400, NULL, "query argument 'index' is required");
        return;
    }
    uint8_t leaf[32], (*proof)[32] = NULL;
    size_t n = 0;
    wr_err err = {0};
    if (wr_ledger_prove_inclusion(l, (uint64_t)index, (uint64_t)size, leaf, &proof, &n, &err) != WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    json_t *path = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(path, b64(proof[i], 32));
    free(proof);
    srv_json(r, 200, json_pack("{s:I,s:I,s:o,s:o}", "index", (json_int_t)index, "size", (json_int_t)size,
                               "leaf_hash", b64(leaf, 32), "proof", path));
}

/* Drops from obj the scopes an AI reader may not read; -1 on a failure
 * other than a denial (answered). */
static int readable_only(srv_req *r, json_t *obj, const char *scope)
{
    wr_actor a = srv_actor(r);
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(obj, tmp, k, v) {
        wr_err err = {0};
        int rc = wr_read_check(r->w->ctx, &a, "readiness", scope, k, NULL, &err);
        if (rc == WR_EDENIED) {
            json_object_del(obj, k);
        } else if (rc) {
            srv_fail(r, &err, NULL);
            return -1;
        }
    }
    return 0;
}

void h_readiness_all(srv_req *r)
{
    json_t *out = NULL;
    wr_err err = {0};
    if (wr_readiness_compute_all(wr_ctx_store(r->w->ctx), &out, &err) != WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    if (srv_is_ai(r)) {
        /* governed reads: an AI principal sees the scopes it may read */
        wr_actor a = srv_actor(r);
        if (wr_read_check(r->w->ctx, &a, "readiness", "overall", NULL, NULL, &err) == WR_EDENIED)
            json_object_del(out, "overall");
        if (readable_only(r, json_object_get(out, "domains"), "domain") ||
            readable_only(r, json_object_get(out, "systems"), "system")) {
            json_decref(out);
            return;
        }
    }
    srv_json(r, 200, out);
}

void h_readiness_history(srv_req *r)
{
    const char *scope, *id;
    long long limit;
    if (srv_readiness_scope(r, &scope, &id) || arg_int(r, "limit", 1, 1000, 100, &limit) ||
        !srv_read_ok(r, "readiness", scope, id))
        return;
    json_t *out = NULL;
    wr_err err = {0};
    if (wr_readiness_history(wr_ctx_store(r->w->ctx), scope, id, (size_t)limit, &out, &err) != WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    srv_json(r, 200, json_pack("{s:s,s:s?,s:o}", "scope", scope, "id", id, "items", out));
}

/* ---- denials ----------------------------------------------------------------- */
static int kind_wanted(const char *want, const char *kind)
{
    if (strcmp(want, "all") == 0)
        return 1;
    int human = kind && strcmp(kind, "human") == 0;
    return strcmp(want, "human") == 0 ? human : !human;
}

/* One denial from its log entry: who, what, why. */
static json_t *denial_of(uint64_t idx, const json_t *e)
{
    const json_t *d = json_object_get(e, "decision");
    json_t *ops = json_object_get(e, "operations");
    return json_pack("{s:I,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "index", (json_int_t)idx, "kind",
                     json_object_get(e, "kind"), "at", json_object_get(e, "at"), "change",
                     json_object_get(e, "change"), "actor", json_object_get(e, "actor"), "mode",
                     json_object_get(e, "mode") ? json_object_get(e, "mode") : json_null(), "operations",
                     ops ? ops : json_null(), "system",
                     json_object_get(d, "system") ? json_object_get(d, "system") : json_null(), "domain",
                     json_object_get(d, "domain") ? json_object_get(d, "domain") : json_null(), "reasons",
                     json_object_get(d, "explanation") ? json_object_get(d, "explanation") : json_null());
}

void h_denials(srv_req *r)
{
    long long limit;
    if (arg_int(r, "limit", 1, 500, 50, &limit))
        return;
    const char *want = srv_query(r, "initiator_kind");
    if (!want)
        want = "ai";
    if (strcmp(want, "ai") != 0 && strcmp(want, "human") != 0 && strcmp(want, "all") != 0) {
        srv_error(r, 400, NULL, "query argument 'initiator_kind' must be ai, human or all");
        return;
    }
    /* The workflow indexes log entries by change (change_entries); a
     * denial is a refused execution, or the proposal of a change that
     * policy denied.  Read-only; the entries themselves come from the log. */
    wr_store *s = wr_ctx_store(r->w->ctx);
    wr_stmt *st;
    wr_err err = {0};
    if (wr_stmt_prepare(s,
                        "SELECT ledger_index FROM change_entries WHERE kind='change.execution_denied' "
                        "UNION ALL SELECT e.ledger_index FROM change_entries e JOIN changes c ON c.id=e.change "
                        "WHERE c.state='denied' AND e.kind='change.proposed' ORDER BY 1 DESC LIMIT 2000",
                        &st, &err) != WR_OK) {
        srv_fail(r, &err, NULL);
        return;
    }
    uint64_t idx[2000];
    size_t n = 0;
    int rc;
    while ((rc = wr_stmt_step(st, &err)) == 1 && n < sizeof idx / sizeof idx[0])
        idx[n++] = (uint64_t)wr_stmt_int(st, 0);
    wr_stmt_done(st);
    if (rc < 0) {
        srv_fail(r, &err, NULL);
        return;
    }
    json_t *items = json_array();
    int ai = srv_is_ai(r);
    wr_actor a = srv_actor(r);
    for (size_t i = 0; i < n && (long long)json_array_size(items) < limit; i++) {
        char *bytes = NULL;
        size_t len = 0;
        if (wr_ledger_entry(wr_ctx_ledger(r->w->ctx), idx[i], &bytes, &len, &err) != WR_OK) {
            json_decref(items);
            srv_fail(r, &err, NULL);
            return;
        }
        json_t *e = json_loadb(bytes, len, 0, NULL);
        free(bytes);
        const char *kind = json_string_value(json_object_get(json_object_get(e, "actor"), "kind"));
        /* an AI principal sees the denials of changes it may read */
        const char *chg = json_string_value(json_object_get(e, "change"));
        wr_err rerr = {0};
        if (e && ai && (!chg || wr_read_check(r->w->ctx, &a, "change", NULL, chg, NULL, &rerr) != WR_OK)) {
            json_decref(e);
            continue;
        }
        if (e && kind_wanted(want, kind))
            json_array_append_new(items, denial_of(idx[i], e));
        json_decref(e);
    }
    srv_json(r, 200, json_pack("{s:o,s:s}", "items", items, "initiator_kind", want));
}
