/*
 * sync.c — reconciliation of a system's inventory with its target
 * (`warrant sync SYSTEM`).
 *
 * The inventory side is walked first into three hash maps keyed by 64-bit
 * hashes of names — accounts (login), entitlements (group name) and grants
 * (login, group) — each slot holding a few flag bits, about 16 bytes per
 * object whatever the names' lengths.  The target is then streamed
 * through the connector's lister (accounts first, then groups with their
 * members): every account and membership is looked up, marked as seen,
 * and what the inventory lacks is imported at once through the streaming
 * importer (source "sync:<system>").  A second walk of the inventory finds
 * what the target lacks.  All of it — imports, removals of missing grants
 * and the "sync.drift" log entry — is one store transaction.
 *
 * A system's first sync (the walk finds nothing of it in the inventory)
 * takes the bulk-load path instead of the importer (sync_load.c): every
 * listed object is an addition, so compact rows go straight in, the
 * account map also holds each account's rid, no map of grants is kept,
 * and the journal gets one event per kind.
 *
 * Difference lists are summarised as a count, an order-independent digest
 * (the XOR of the SHA-256 of each item, so two reads of the same directory
 * in a different order agree) and the first list_cap items.
 */
#include "workflow_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a uint64 -> flags map ----------------------------------------------------------- */

typedef struct fmap {
    uint64_t *keys;
    uint8_t *vals;
    int64_t *rids;    /* with_rid: the inventory rid of each slot (bulk load) */
    size_t cap, n;
    int with_rid;
} fmap;

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = a; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h = (h ^ 0xff) * 0x100000001b3ULL;   /* separator no name holds */
    for (const char *p = b ? b : ""; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

static uint8_t *fmap_slot(fmap *m, uint64_t k, int create)
{
    if (create && (m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 1024;
        uint64_t *nk = calloc(ncap, sizeof *nk);
        uint8_t *nv = calloc(ncap, 1);
        int64_t *nr = m->with_rid ? calloc(ncap, sizeof *nr) : NULL;
        if (!nk || !nv || (m->with_rid && !nr)) {
            free(nk);
            free(nv);
            free(nr);
            return NULL;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = m->keys[i] & (ncap - 1);
            while (nk[j])
                j = (j + 1) & (ncap - 1);
            nk[j] = m->keys[i];
            nv[j] = m->vals[i];
            if (nr)
                nr[j] = m->rids[i];
        }
        free(m->keys);
        free(m->vals);
        free(m->rids);
        m->keys = nk;
        m->vals = nv;
        m->rids = nr;
        m->cap = ncap;
    }
    if (!m->cap)
        return NULL;
    size_t j = k & (m->cap - 1);
    while (m->keys[j] && m->keys[j] != k)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j]) {
        if (!create)
            return NULL;
        m->keys[j] = k;
        m->n++;
    }
    return &m->vals[j];
}

/* The rid slot of the value v returned by fmap_slot (with_rid maps). */
static int64_t *fmap_rid(fmap *m, const uint8_t *v)
{
    return &m->rids[v - m->vals];
}

static void fmap_free(fmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->rids);
}

/* ---- difference lists ------------------------------------------------------------------ */

typedef struct diff {
    const char *name;
    uint64_t count;
    uint8_t x[WR_SHA256_LEN];
    json_t *items;
} diff;

static void diff_add(diff *d, size_t cap, const char *item)
{
    uint8_t h[WR_SHA256_LEN];
    wr_sha256(item, strlen(item), h);
    for (int i = 0; i < WR_SHA256_LEN; i++)
        d->x[i] ^= h[i];
    if (json_array_size(d->items) < cap)
        json_array_append_new(d->items, json_string(item));
    d->count++;
}

static void diff_digest(const diff *d, char hex[2 * WR_SHA256_LEN + 8])
{
    memcpy(hex, "sha256:", 8);
    wr_hex_encode(d->x, WR_SHA256_LEN, hex + 7);
}

static json_t *diff_json(const diff *d)
{
    char hex[2 * WR_SHA256_LEN + 8];
    diff_digest(d, hex);
    return json_pack("{s:I,s:s,s:O}", "count", (json_int_t)d->count, "digest", hex, "items", d->items);
}

enum { A_INV = 1, A_ORPHAN = 2, A_DISABLED = 4, A_TARGET = 8 };
enum { G_INV = 1, G_SEEN = 2 };
enum { D_UNMANAGED, D_MISSING, D_ORPHANS, D_NEW_ACCOUNTS, D_NEW_GROUPS, D_STATUS, D_ACCOUNTS_GONE,
       D_UNKNOWN_MEMBERS, D_COUNT };

typedef struct sync_run {
    wr_ctx *ctx;
    const char *system;
    int dry_run;
    size_t cap;
    fmap accs, ents, grants;
    diff d[D_COUNT];
    wr_inventory_importer *imp;
    wf_bulk *bulk;       /* first sync: the bulk-load path instead of imp */
    uint64_t inv_objects;
    uint64_t rejected;
    json_t *problems;    /* rows the bulk path could not store */
    wr_buf missing;      /* "account\0entitlement\0" pairs to revoke */
    char src[300];
    uint64_t target_accounts, target_memberships;
} sync_run;

static int oom(wr_err *err)
{
    return wr_fail(err, WR_ENOMEM, "out of memory");
}

static const char *local(const sync_run *r, const char *id)
{
    size_t n = strlen(r->system);
    return strncmp(id, r->system, n) == 0 && id[n] == ':' ? id + n + 1 : id;
}

/* ---- the inventory side ------------------------------------------------------------------ */

static int inv_account(void *arg, const char *id, const char *login, const char *identity, const char *status,
                       wr_err *err)
{
    sync_run *r = arg;
    (void)login;
    r->inv_objects++;
    uint8_t *f = fmap_slot(&r->accs, hash2(local(r, id), NULL), 1);
    if (!f)
        return oom(err);
    *f |= A_INV | (identity ? 0 : A_ORPHAN) | (strcmp(status, "disabled") == 0 ? A_DISABLED : 0);
    return WR_OK;
}

static int inv_entitlement(void *arg, const char *id, wr_err *err)
{
    sync_run *r = arg;
    r->inv_objects++;
    uint8_t *f = fmap_slot(&r->ents, hash2(local(r, id), NULL), 1);
    if (!f)
        return oom(err);
    *f |= G_INV;
    return WR_OK;
}

static int inv_grant(void *arg, const char *account, const char *entitlement, wr_err *err)
{
    sync_run *r = arg;
    r->inv_objects++;
    uint8_t *f = fmap_slot(&r->grants, hash2(local(r, account), local(r, entitlement)), 1);
    if (!f)
        return oom(err);
    *f |= G_INV;
    return WR_OK;
}

/* second walk: what the target lacks */
static int gone_account(void *arg, const char *id, const char *login, const char *identity, const char *status,
                        wr_err *err)
{
    sync_run *r = arg;
    (void)login, (void)identity, (void)status, (void)err;
    uint8_t *f = fmap_slot(&r->accs, hash2(local(r, id), NULL), 0);
    if (!f || !(*f & A_TARGET))
        diff_add(&r->d[D_ACCOUNTS_GONE], r->cap, id);
    return WR_OK;
}

static int missing_grant(void *arg, const char *account, const char *entitlement, wr_err *err)
{
    sync_run *r = arg;
    uint8_t *f = fmap_slot(&r->grants, hash2(local(r, account), local(r, entitlement)), 0);
    if (f && (*f & G_SEEN))
        return WR_OK;
    char item[1200];
    snprintf(item, sizeof item, "%s %s", account, entitlement);
    diff_add(&r->d[D_MISSING], r->cap, item);
    if (r->dry_run)
        return WR_OK;
    if (wr_buf_append(&r->missing, account, strlen(account) + 1) ||
        wr_buf_append(&r->missing, entitlement, strlen(entitlement) + 1))
        return wr_fail(err, WR_ELIMIT, "sync %s: too many missing grants to remove in one run", r->system);
    return WR_OK;
}

/* ---- the target side ------------------------------------------------------------------------ */

static int import(sync_run *r, const char *kind, json_t *obj, wr_err *err)
{
    int rc = r->dry_run ? WR_OK : wr_inventory_importer_add(r->imp, kind, obj, r->src, err);
    json_decref(obj);
    return rc;
}

static int identity_exists(sync_run *r, const char *id)
{
    wr_stmt *st;
    if (wr_stmt_prepare(r->ctx->store, "SELECT 1 FROM identities WHERE id=?", &st, NULL))
        return 0;
    wr_stmt_bind_text(st, 1, id);
    int rc = wr_stmt_step(st, NULL);
    wr_stmt_done(st);
    return rc == 1;
}

/* Bulk path: a name the inventory cannot store is reported, not loaded
 * (the importer's rule for a bad row). */
static int bulk_rejects(sync_run *r, const char *what, const char *name)
{
    const char *why = wf_bulk_invalid(name);
    if (!why)
        return 0;
    r->rejected++;
    char msg[128];
    snprintf(msg, sizeof msg, "%s: %s", what, why);
    if (json_array_size(r->problems) < WR_INV_MAX_PROBLEMS)
        json_array_append_new(r->problems, json_pack("{s:s,s:s}", "where", r->src, "message", msg));
    return 1;
}

/* First sync: every account is new (the inventory holds none of the
 * system's); it goes in without a JSON row or a per-row journal entry. */
static int bulk_account(sync_run *r, uint8_t *f, const char *id, const char *login, int disabled, wr_err *err)
{
    if (bulk_rejects(r, "account", id))
        return WR_OK;
    int has_identity = 0;
    int64_t rid = 0;
    int rc = wf_bulk_account(r->bulk, id, login, disabled, &has_identity, &rid, err);
    if (rc)
        return rc;
    *fmap_rid(&r->accs, f) = rid;
    diff_add(&r->d[D_NEW_ACCOUNTS], r->cap, id);
    if (!has_identity)
        diff_add(&r->d[D_ORPHANS], r->cap, id);
    return WR_OK;
}

static int tgt_account(void *arg, const char *login, int disabled, wr_err *err)
{
    sync_run *r = arg;
    r->target_accounts++;
    uint8_t *f = fmap_slot(&r->accs, hash2(login, NULL), 1);
    if (!f)
        return oom(err);
    char id[1200];
    snprintf(id, sizeof id, "%s:%s", r->system, login);
    if (*f & A_TARGET)
        return WR_OK;   /* listed twice */
    *f |= A_TARGET;
    if (r->bulk)
        return bulk_account(r, f, id, login, disabled, err);
    const char *status = disabled ? "disabled" : "active";
    if (!(*f & A_INV)) {
        int known = identity_exists(r, login);
        diff_add(&r->d[D_NEW_ACCOUNTS], r->cap, id);
        if (!known)
            diff_add(&r->d[D_ORPHANS], r->cap, id);
        return import(r, "accounts", json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s}", "id", id, "system", r->system, "login",
                                                login, "identity", known ? login : NULL, "status", status,
                                                "source", r->src), err);
    }
    if (*f & A_ORPHAN)
        diff_add(&r->d[D_ORPHANS], r->cap, id);
    if (!(*f & A_DISABLED) != !disabled) {
        char item[1300];
        snprintf(item, sizeof item, "%s %s", id, status);
        diff_add(&r->d[D_STATUS], r->cap, item);
        return import(r, "accounts", json_pack("{s:s,s:s,s:s,s:s}", "id", id, "system", r->system, "login", login,
                                                "status", status), err);
    }
    return WR_OK;
}

/* First sync: the group and its memberships go straight in.  No map of
 * grants is kept: the system had none, so a membership of a group seen
 * for the first time in this run is new unless the group names the member
 * twice (a set of the group's account rids says).  Those are queued and
 * inserted in key order; a group listed again is rare and inserted row by
 * row, the table's key turning repeats away. */
static int bulk_group(sync_run *r, uint8_t *g, const char *ent, const char *name, const char *const *members,
                      size_t n, wr_err *err)
{
    char item[2500];
    int64_t erid = 0;
    int added = 0, rc, again = (*g & G_INV) != 0;
    if (bulk_rejects(r, "entitlement", ent))
        return WR_OK;
    if ((rc = wf_bulk_entitlement(r->bulk, ent, name, &erid, &added, err)))
        return rc;
    *g |= G_INV;
    if (added)
        diff_add(&r->d[D_NEW_GROUPS], r->cap, ent);
    fmap seen = {0};
    for (size_t i = 0; i < n && rc == WR_OK; i++) {
        r->target_memberships++;
        uint8_t *a = fmap_slot(&r->accs, hash2(members[i], NULL), 0);
        int64_t arid = a && (*a & A_TARGET) ? *fmap_rid(&r->accs, a) : 0;
        snprintf(item, sizeof item, "%s:%s %s", r->system, members[i], ent);
        if (!arid) {
            diff_add(&r->d[D_UNKNOWN_MEMBERS], r->cap, item);
            continue;
        }
        if (again) {
            if ((rc = wf_bulk_grant(r->bulk, arid, erid, &added, err)) == WR_OK && added)
                diff_add(&r->d[D_UNMANAGED], r->cap, item);
            continue;
        }
        uint8_t *dup = fmap_slot(&seen, (uint64_t)arid, 1);
        if (!dup) {
            rc = oom(err);
        } else if (!*dup) {
            *dup = 1;
            diff_add(&r->d[D_UNMANAGED], r->cap, item);
            rc = wf_bulk_grant_add(r->bulk, arid, erid, err);
        }
    }
    fmap_free(&seen);
    return rc;
}

static int tgt_group(void *arg, const char *name, const char *const *members, size_t n, wr_err *err)
{
    sync_run *r = arg;
    char ent[1200], acc[1200], item[2500];
    snprintf(ent, sizeof ent, "%s:%s", r->system, name);
    uint8_t *g = fmap_slot(&r->ents, hash2(name, NULL), 1);
    if (!g)
        return oom(err);
    if (r->bulk)
        return bulk_group(r, g, ent, name, members, n, err);
    int rc;
    if (!(*g & G_INV)) {
        *g |= G_INV;
        diff_add(&r->d[D_NEW_GROUPS], r->cap, ent);
        if ((rc = import(r, "entitlements", json_pack("{s:s,s:s,s:s,s:s}", "id", ent, "system", r->system, "name",
                                                      name, "source", r->src), err)))
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        r->target_memberships++;
        uint8_t *a = fmap_slot(&r->accs, hash2(members[i], NULL), 0);
        snprintf(acc, sizeof acc, "%s:%s", r->system, members[i]);
        snprintf(item, sizeof item, "%s %s", acc, ent);
        if (!a || !(*a & (A_TARGET | A_INV))) {
            diff_add(&r->d[D_UNKNOWN_MEMBERS], r->cap, item);
            continue;
        }
        uint8_t *f = fmap_slot(&r->grants, hash2(members[i], name), 1);
        if (!f)
            return oom(err);
        if (*f & G_INV) {
            *f |= G_SEEN;
            continue;
        }
        if (*f & G_SEEN)
            continue;
        *f |= G_SEEN;
        diff_add(&r->d[D_UNMANAGED], r->cap, item);
        if ((rc = import(r, "grants", json_pack("{s:s,s:s,s:s,s:s}", "account", acc, "entitlement", ent,
                                                "granted_by", r->src, "source", r->src), err)))
            return rc;
    }
    return WR_OK;
}

/* ---- the run ------------------------------------------------------------------------------- */

int wr_sync(wr_ctx *ctx, const wr_actor *actor, const char *system, const wr_sync_opts *opts, json_t **out,
            wr_err *err)
{
    static const char *const names[D_COUNT] = {"unmanaged", "missing", "orphans", "new_accounts", "new_groups",
                                               "status_changed", "accounts_missing", "unknown_members"};
    sync_run r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.system = system;
    r.dry_run = opts && opts->dry_run;
    r.cap = opts && opts->list_cap ? opts->list_cap : WR_SYNC_LIST_CAP;
    r.missing.max = (size_t)1 << 30;
    snprintf(r.src, sizeof r.src, "sync:%s", system);
    for (int i = 0; i < D_COUNT; i++) {
        r.d[i].name = names[i];
        r.d[i].items = json_array();
    }
    json_t *p = NULL, *problems = NULL;
    wr_connector *conn = NULL;
    wr_import_stats stats;
    memset(&stats, 0, sizeof stats);
    int rc, in_txn = 0;
    if (actor && actor->principal && (rc = wf_actor_load(ctx, actor, &p, err)))
        goto out;
    if ((rc = wr_connector_open(ctx->store, system, 0, &conn, err)))
        goto out;
    wr_inventory_walker w1 = {inv_account, inv_entitlement, inv_grant, &r};
    if ((rc = wr_inventory_system_walk(ctx->store, system, &w1, err)))
        goto out;
    if (!r.dry_run && r.inv_objects == 0) {
        /* first sync: nothing of the system in the inventory, so everything
         * the target lists is an addition: the bulk-load path */
        if ((rc = wr_store_begin(ctx->store, err)))
            goto out;
        in_txn = 1;
        r.accs.with_rid = 1;
        r.problems = json_array();
        if ((rc = wf_bulk_new(ctx->store, system, r.src, &r.bulk, err)))
            goto out;
    } else {
        wr_import_opts io = {0};
        io.source = r.src;
        if ((rc = wr_inventory_importer_new(ctx->store, &io, &r.imp, err)))
            goto out;
    }
    wr_connector_visitor v = {tgt_account, tgt_group, &r};
    if ((rc = wr_connector_list(conn, &v, err)))
        goto out;
    /* second walk only when the maps say something is missing: the
     * steady state (nothing changed) reads the inventory once */
    int acc_gone = 0, grant_gone = 0;
    for (size_t i = 0; i < r.accs.cap && !acc_gone; i++)
        acc_gone = r.accs.keys[i] && (r.accs.vals[i] & (A_INV | A_TARGET)) == A_INV;
    for (size_t i = 0; i < r.grants.cap && !grant_gone; i++)
        grant_gone = r.grants.keys[i] && (r.grants.vals[i] & (G_INV | G_SEEN)) == G_INV;
    wr_inventory_walker w2 = {acc_gone ? gone_account : NULL, NULL, grant_gone ? missing_grant : NULL, &r};
    if ((acc_gone || grant_gone) && (rc = wr_inventory_system_walk(ctx->store, system, &w2, err)))
        goto out;
    /* the inventory follows the target: grants it no longer has go */
    char who[320];
    snprintf(who, sizeof who, "sync:%s", system);
    for (size_t off = 0; off < r.missing.len;) {
        const char *a = r.missing.data + off, *e = a + strlen(a) + 1;
        off = (size_t)(e + strlen(e) + 1 - r.missing.data);
        json_t *op = json_pack("{s:s,s:s,s:s}", "op", "revoke", "account", a, "entitlement", e), *res = NULL;
        rc = wr_inventory_op_apply(ctx->store, op, who, &res, err);
        json_decref(op);
        json_decref(res);
        if (rc)
            goto out;
    }
    if (r.bulk) {
        char dg[3][2 * WR_SHA256_LEN + 8];
        diff_digest(&r.d[D_NEW_ACCOUNTS], dg[0]);
        diff_digest(&r.d[D_NEW_GROUPS], dg[1]);
        diff_digest(&r.d[D_UNMANAGED], dg[2]);
        const char *const digests[3] = {dg[0], dg[1], dg[2]};
        wf_bulk_stats bs;
        if ((rc = wf_bulk_finish(r.bulk, digests, &bs, err)))
            goto out;
        stats.added = bs.accounts + bs.entitlements + bs.grants;
        stats.rejected = r.rejected;
    }
    json_t *lists = json_object();
    uint64_t drift = 0;
    for (int i = 0; i < D_COUNT; i++) {
        json_object_set_new(lists, names[i], diff_json(&r.d[i]));
        drift += r.d[i].count;
    }
    json_t *report = json_pack("{s:s,s:b,s:I,s:I,s:o}", "system", system, "dry_run", r.dry_run, "target_accounts",
                               (json_int_t)r.target_accounts, "target_memberships",
                               (json_int_t)r.target_memberships, "drift", lists);
    if (drift) {
        json_t *entry = wf_entry_new("sync.drift", p, actor);
        json_object_update(entry, report);
        rc = wf_log(ctx, entry, NULL, NULL, err);
        json_decref(entry);
        if (rc) {
            json_decref(report);
            goto out;
        }
    }
    if (r.bulk) {
        rc = wr_store_commit(ctx->store, err);
        in_txn = rc != WR_OK;
        problems = json_incref(r.problems);
    } else {
        rc = wr_inventory_importer_commit(r.imp, &stats, &problems, err);
    }
    if (rc) {
        json_decref(report);
        goto out;
    }
    json_object_set_new(report, "imported", json_pack("{s:I,s:I,s:I,s:I,s:O}", "added", (json_int_t)stats.added,
                                                      "changed", (json_int_t)stats.changed, "removed",
                                                      (json_int_t)(r.dry_run ? 0 : r.d[D_MISSING].count),
                                                      "rejected", (json_int_t)stats.rejected, "problems",
                                                      problems));
    *out = report;
out:
    if (in_txn)
        wr_store_rollback(ctx->store);
    wf_bulk_free(r.bulk);
    json_decref(r.problems);
    wr_inventory_importer_free(r.imp);
    wr_connector_close(conn);
    json_decref(p);
    json_decref(problems);
    for (int i = 0; i < D_COUNT; i++)
        json_decref(r.d[i].items);
    fmap_free(&r.accs);
    fmap_free(&r.ents);
    fmap_free(&r.grants);
    wr_buf_free(&r.missing);
    return rc;
}
