/*
 * sync_load.c — the bulk-load path of `warrant sync`: a system's first
 * reconciliation, when the inventory holds nothing of it yet.
 *
 * Then every account, group and membership the target lists is new, and
 * the streaming importer's per-row work is pure overhead: building a JSON
 * object, validating it column by column, reading the stored object that
 * is not there, and journalling a JSON copy of every row (1.1 M events for
 * a directory of a million memberships).  This loader instead inserts
 * compact rows through a handful of prepared statements:
 *
 *   accounts      (id, system_rid, login, identity_rid, status, source)
 *   entitlements  (id, system_rid, name, source)
 *   grants        (account_rid, entitlement_rid, granted_by, source)
 *
 * with INSERT OR IGNORE, so a name listed twice is turned away by the
 * table's unique key (the caller is told, and does not count it), and the
 * rids come back from RETURNING so memberships never look anything up in
 * SQL.  The journal gets one event per kind, as a bulk file import does
 * (README-inventory.md, "Bulk first load"): object id "*", change "added",
 * after {"bulk":true,"sync":SYSTEM,"rows":N,"digest":D} where D is the
 * order-independent digest of the same list in the run's "sync.drift"
 * entry, which names what was added.  The readiness cache is dropped once.
 *
 * The loader works inside the caller's transaction, which sync.c runs in
 * the store's bulk mode when no other connection is open (a rollback
 * journal: the pages are written once, not to the WAL and again by the
 * checkpoint; 1.84-1.90 s against 2.03-2.18 s for the benchmark's first
 * sync, bench/RESULTS-ldap.md).  It lives in
 * lib/workflow rather than lib/inventory so it can evolve with sync
 * without touching the importer (see the lead's notes on invperf2).
 */
#include "workflow_internal.h"
#include "../inventory/inventory_internal.h"
#include "../inventory/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per multi-row INSERT: one statement step for many memberships. */
#define BULK_ROWS 64

/* Memberships queued before they are inserted, as deltas between the
 * sorted account rids of each group (1 to 2 bytes a membership when a
 * group's members are spread over 100k accounts).  The whole queue goes
 * in at once, merged into the grants key order, so the grants b-tree is
 * written once, appending, instead of swept batch after batch (each sweep
 * rewrote most of its pages, and the WAL spilled and re-read them).
 * 4 MiB hold a directory of two to four million memberships in one pass;
 * a bigger one goes in a pass per 4 MiB. */
#define BULK_QUEUE ((size_t)4 << 20)
/* Groups queued at most (the merge's heap holds one cursor per group). */
#define BULK_QUEUE_GROUPS ((size_t)1 << 20)
/* Memberships the last pass must insert before setting the grants'
 * secondary indexes aside is worth its fixed cost (wf_bulk_pass). */
#define BULK_ASIDE_MIN 65536

struct wf_bulk {
    wr_store *s;
    char system[WF_MAX_ID * 2];
    char source[WF_MAX_ID * 2 + 8];
    int64_t sys_rid;
    int64_t first_acc, next_acc;   /* the rids of the accounts added: [first_acc, next_acc) */
    uint64_t rows[3];     /* accounts, entitlements, grants added */
    wr_stmt *acc, *accs, *ent, *ent_rid, *grant, *grants;
    /* accounts waiting for a BULK_ROWS-row INSERT: rid(int64) status\0
     * id\0 login\0 each; only when no listed id can be turned away */
    wr_buf accq;
    int naccq, acc_rows;
    int64_t now;
    char import_id[64];
    /* memberships waiting to be inserted: whole groups (qgroup), each
     * its members' account rids ascending as LEB128 deltas in q; they go
     * in merged into the grants key order (bulk_flush) */
    wr_buf q, groups;
    size_t queue;                 /* BULK_QUEUE, or smaller in tests */
    uint64_t aside_min;           /* BULK_ASIDE_MIN, or smaller in tests */
    int aside;                    /* the last pass set the indexes aside */
    uint64_t rowbuf[BULK_ROWS];   /* account rid << 32 | entitlement rid */
    size_t nrow;
};

/* A queued group: an entitlement and where its members' deltas start. */
typedef struct qgroup {
    uint32_t erid, n;
    size_t off;
} qgroup;

enum { B_ACC, B_ENT, B_GRANT };

/* An INSERT of rows accounts: ?1 the system's rid, ?2 the source, then
 * (rid, id, login, status) a row; the identity is the one whose id is the
 * login, looked up in the statement. */
static int acc_prepare(wr_store *s, int rows, wr_stmt **st, wr_err *err)
{
    char sql[160 + BULK_ROWS * 80];
    int k = snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO accounts(rid, id, system_rid, login, identity_rid, "
                     "status, source) VALUES");
    for (int i = 0, p = 3; i < rows; i++, p += 4)
        k += snprintf(sql + k, sizeof sql - (size_t)k, "%s(?%d,?%d,?1,?%d,(SELECT rid FROM identities WHERE id=?%d),"
                      "?%d,?2)", i ? "," : "", p, p + 1, p + 2, p + 2, p + 3);
    return wr_stmt_prepare(s, sql, st, err);
}

int wf_bulk_new(wr_store *s, const char *system, const char *source, wf_bulk **out, wr_err *err)
{
    wf_bulk *b = calloc(1, sizeof *b);
    if (!b)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    b->queue = BULK_QUEUE;
    b->q.max = BULK_QUEUE + 64;
    b->aside_min = BULK_ASIDE_MIN;
    b->groups.max = BULK_QUEUE_GROUPS * sizeof(qgroup);
    b->s = s;
    snprintf(b->system, sizeof b->system, "%s", system);
    snprintf(b->source, sizeof b->source, "%s", source);
    b->now = wr_now();
    wr_id_new("imp", b->import_id, sizeof b->import_id);
    int rc = inv_rid(s, "systems", system, &b->sys_rid, err);
    if (rc == WR_OK && !b->sys_rid)
        rc = wr_fail(err, WR_ENOTFOUND, "system '%s' not found", system);
    /* Statements stay prepared for the whole load: the store's cache
     * hashes the SQL text on every prepare, which shows at a million rows. */
    if (rc == WR_OK)
        rc = acc_prepare(s, 1, &b->acc, err);
    if (rc == WR_OK)
        rc = acc_prepare(s, BULK_ROWS, &b->accs, err);
    /* account rids are given, not returned: the next after the largest,
     * which is what SQLite would pick (RETURNING costs an ephemeral table
     * per row), so they are known before the row goes in */
    int64_t taken = 0;
    if (rc == WR_OK)
        rc = inv_query_ints(s, "SELECT coalesce(max(rid), 0) + 1 FROM accounts", NULL, &b->next_acc, NULL, err);
    b->first_acc = b->next_acc;
    /* Rows may wait for a multi-row INSERT only if none can be turned
     * away by the unique id: no account id has the system's prefix yet
     * (then each listed id is new; ones listed twice never get here),
     * and ids of WF_SYNC_ID_CAP - 1 bytes, maybe truncated, go alone. */
    char prefix[WF_MAX_ID * 2 + 2];
    snprintf(prefix, sizeof prefix, "%s:", system);
    if (rc == WR_OK)
        rc = inv_query_ints(s, "SELECT count(*) FROM (SELECT 1 FROM accounts WHERE id >= ?1 AND "
                            "id < substr(?1, 1, length(?1) - 1) || ';' LIMIT 1)", prefix, &taken, NULL, err);
    b->acc_rows = !taken;
    if (rc == WR_OK)
        rc = wr_stmt_prepare(s, "INSERT OR IGNORE INTO entitlements(id, system_rid, name, source) "
                             "VALUES(?,?,?,?) RETURNING rid", &b->ent, err);
    if (rc == WR_OK)
        rc = wr_stmt_prepare(s, "SELECT rid FROM entitlements WHERE id=?", &b->ent_rid, err);
    if (rc == WR_OK)
        rc = wr_stmt_prepare(s, "INSERT OR IGNORE INTO grants(account_rid, entitlement_rid, granted_by, source) "
                             "VALUES(?,?,?,?)", &b->grant, err);
    if (rc == WR_OK) {
        /* BULK_ROWS rows a statement; ?1 is the source of every row */
        char sql[64 + BULK_ROWS * 24];
        int k = snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO grants(account_rid, entitlement_rid, granted_by, "
                         "source) VALUES");
        for (int i = 0; i < BULK_ROWS; i++)
            k += snprintf(sql + k, sizeof sql - (size_t)k, "%s(?%d,?%d,?1,?1)", i ? "," : "", 2 + 2 * i, 3 + 2 * i);
        rc = wr_stmt_prepare(s, sql, &b->grants, err);
    }
    if (rc) {
        wf_bulk_free(b);
        return rc;
    }
    *out = b;
    return WR_OK;
}

void wf_bulk_free(wf_bulk *b)
{
    if (!b)
        return;
    /* prepared statements belong to the store's cache; done resets them */
    wr_buf_free(&b->q);
    wr_buf_free(&b->groups);
    wr_buf_free(&b->accq);
    free(b);
}

/* Steps an INSERT ... RETURNING rid: *rid 0 when the row was ignored. */
static int insert_rid(wr_stmt *st, int64_t *rid, wr_err *err)
{
    int rc = wr_stmt_step(st, err);
    *rid = rc == 1 ? wr_stmt_int(st, 0) : 0;
    if (rc == 1)
        rc = wr_stmt_step(st, err);   /* finish the statement */
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

const char *wf_bulk_invalid(const char *text)
{
    size_t n = strlen(text);
    if (n > WR_INV_FIELD_MAX)
        return "longer than the inventory's field limit";
    return inv_utf8_valid(text, n) ? NULL : "not valid UTF-8 text";
}

/* Inserts the waiting accounts, BULK_ROWS in one statement or one. */
static int acc_flush(wf_bulk *b, wr_err *err)
{
    if (!b->naccq)
        return WR_OK;
    wr_stmt *st = b->naccq == BULK_ROWS ? b->accs : b->acc;
    const char *p = b->accq.data;
    int rc = WR_OK, n = 0;
    for (int i = 0; i < b->naccq && rc == WR_OK; i++) {
        int64_t rid;
        memcpy(&rid, p, sizeof rid);
        const char *status = p + sizeof rid, *id = status + strlen(status) + 1, *login = id + strlen(id) + 1;
        p = login + strlen(login) + 1;
        int k = st == b->accs ? 3 + 4 * i : 3;
        wr_stmt_bind_int(st, 1, b->sys_rid);
        wr_stmt_bind_text(st, 2, b->source);
        wr_stmt_bind_int(st, k, rid);
        wr_stmt_bind_text(st, k + 1, id);
        wr_stmt_bind_text(st, k + 2, login);
        wr_stmt_bind_text(st, k + 3, status);
        if (st == b->acc || i == b->naccq - 1) {
            rc = wr_stmt_step(st, err);
            wr_stmt_done(st);
            n += rc < 0 ? 0 : (int)wr_store_changes(b->s);
            rc = rc < 0 ? rc : WR_OK;
        }
    }
    /* no waiting row can be turned away (see acc_rows) */
    if (rc == WR_OK && n != b->naccq)
        rc = wr_fail(err, WR_EINTERNAL, "sync %s: %d of %d accounts stored", b->system, n, b->naccq);
    b->rows[B_ACC] += (uint64_t)n;
    b->naccq = 0;
    wr_buf_reset(&b->accq);
    return rc;
}

int64_t wf_bulk_reserve(wf_bulk *b)
{
    return b->next_acc++;
}

int wf_bulk_account(wf_bulk *b, const char *id, const char *login, int disabled, int64_t *rid, wr_err *err)
{
    const char *status = disabled ? "disabled" : "active";
    int64_t given = *rid ? *rid : b->next_acc;
    if (b->acc_rows && strlen(id) < WF_SYNC_ID_CAP - 1) {
        if (wr_buf_append(&b->accq, &given, sizeof given) || wr_buf_append(&b->accq, status, strlen(status) + 1) ||
            wr_buf_append(&b->accq, id, strlen(id) + 1) || wr_buf_append(&b->accq, login, strlen(login) + 1))
            return wr_fail(err, WR_ENOMEM, "out of memory");
        *rid = given;
        b->next_acc += given == b->next_acc;
        return ++b->naccq == BULK_ROWS ? acc_flush(b, err) : WR_OK;
    }
    /* alone, now: the unique id may turn it away */
    int rc = acc_flush(b, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(b->acc, 1, b->sys_rid);
    wr_stmt_bind_text(b->acc, 2, b->source);
    wr_stmt_bind_int(b->acc, 3, given);
    wr_stmt_bind_text(b->acc, 4, id);
    wr_stmt_bind_text(b->acc, 5, login);
    wr_stmt_bind_text(b->acc, 6, status);
    rc = wr_stmt_step(b->acc, err);
    wr_stmt_done(b->acc);
    if (rc < 0)
        return rc;
    *rid = wr_store_changes(b->s) == 1 ? given : 0;   /* 0: the id was there */
    b->next_acc += *rid == b->next_acc;
    b->rows[B_ACC] += *rid != 0;
    return WR_OK;
}

int wf_bulk_orphans(wf_bulk *b, void (*fn)(void *arg, const char *id), void *arg, wr_err *err)
{
    wr_stmt *st;
    int rc = acc_flush(b, err);
    if (rc == WR_OK)
        rc = wr_stmt_prepare(b->s, "SELECT id FROM accounts WHERE rid >= ?1 AND rid < ?2 AND identity_rid IS NULL "
                             "ORDER BY rid", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, b->first_acc);
    wr_stmt_bind_int(st, 2, b->next_acc);
    while ((rc = wr_stmt_step(st, err)) == 1)
        fn(arg, wr_stmt_text(st, 0));
    wr_stmt_done(st);
    return rc < 0 ? rc : WR_OK;
}

int wf_bulk_entitlement(wf_bulk *b, const char *id, const char *name, int64_t *rid, int *added, wr_err *err)
{
    /* the accounts before any membership names them */
    int rc = acc_flush(b, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(b->ent, 1, id);
    wr_stmt_bind_int(b->ent, 2, b->sys_rid);
    wr_stmt_bind_text(b->ent, 3, name);
    wr_stmt_bind_text(b->ent, 4, b->source);
    rc = insert_rid(b->ent, rid, err);
    if (rc)
        return rc;
    *added = *rid != 0;
    if (*added) {
        b->rows[B_ENT]++;
        return WR_OK;
    }
    /* listed twice (a target may repeat a group): its members still count */
    wr_stmt_bind_text(b->ent_rid, 1, id);
    rc = wr_stmt_step(b->ent_rid, err);
    *rid = rc == 1 ? wr_stmt_int(b->ent_rid, 0) : 0;
    wr_stmt_done(b->ent_rid);
    return rc < 0 ? rc : WR_OK;
}

static int grant_insert(wf_bulk *b, int64_t account_rid, int64_t entitlement_rid, int *added, wr_err *err)
{
    wr_stmt_bind_int(b->grant, 1, account_rid);
    wr_stmt_bind_int(b->grant, 2, entitlement_rid);
    wr_stmt_bind_text(b->grant, 3, b->source);
    wr_stmt_bind_text(b->grant, 4, b->source);
    int rc = wr_stmt_step(b->grant, err);
    wr_stmt_done(b->grant);
    if (rc < 0)
        return rc;
    *added = wr_store_changes(b->s) == 1;
    b->rows[B_GRANT] += (uint64_t)*added;
    return WR_OK;
}

/* Inserts the rows of rowbuf: BULK_ROWS in one statement, fewer one by one. */
static int rows_insert(wf_bulk *b, wr_err *err)
{
    int rc = WR_OK;
    if (b->nrow == BULK_ROWS) {
        wr_stmt_bind_text(b->grants, 1, b->source);
        for (int k = 0; k < BULK_ROWS; k++) {
            wr_stmt_bind_int(b->grants, 2 + 2 * k, (int64_t)(b->rowbuf[k] >> 32));
            wr_stmt_bind_int(b->grants, 3 + 2 * k, (int64_t)(b->rowbuf[k] & 0xffffffffu));
        }
        rc = wr_stmt_step(b->grants, err);
        wr_stmt_done(b->grants);
        if (rc >= 0) {
            b->rows[B_GRANT] += (uint64_t)wr_store_changes(b->s);
            rc = WR_OK;
        }
    } else {
        for (size_t i = 0; i < b->nrow && rc == WR_OK; i++) {
            int added;
            rc = grant_insert(b, (int64_t)(b->rowbuf[i] >> 32), (int64_t)(b->rowbuf[i] & 0xffffffffu), &added,
                              err);
        }
    }
    b->nrow = 0;
    return rc;
}

/* One queued group in the merge: its next membership's key and the rest
 * of its deltas. */
typedef struct cursor {
    uint64_t key;   /* account rid << 32 | entitlement rid */
    const uint8_t *p;
    uint32_t left;  /* deltas after the current one */
} cursor;

static void sift_down(cursor *h, size_t n, size_t i)
{
    cursor c = h[i];
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= n)
            break;
        if (k + 1 < n && h[k + 1].key < h[k].key)
            k++;
        if (c.key <= h[k].key)
            break;
        h[i] = h[k];
        i = k;
    }
    h[i] = c;
}

/* Inserts the queued groups' memberships in the grants key order: a
 * k-way merge of the groups (each sorted by account) on a binary heap,
 * BULK_ROWS rows a statement. */
static int bulk_flush(wf_bulk *b, wr_err *err)
{
    const qgroup *g = (const qgroup *)b->groups.data;
    size_t ng = b->groups.len / sizeof *g, n = 0;
    if (!ng)
        return WR_OK;
    cursor *h = malloc(ng * sizeof *h);
    if (!h)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    for (size_t i = 0; i < ng; i++) {
        if (!g[i].n)
            continue;
        uint64_t a;
        h[n].p = wf_leb_get((const uint8_t *)b->q.data + g[i].off, &a);
        h[n].key = a << 32 | g[i].erid;
        h[n++].left = g[i].n - 1;
    }
    for (size_t i = n / 2; i-- > 0;)
        sift_down(h, n, i);
    int rc = WR_OK;
    while (n && rc == WR_OK) {
        b->rowbuf[b->nrow++] = h[0].key;
        if (b->nrow == BULK_ROWS)
            rc = rows_insert(b, err);
        if (h[0].left) {
            uint64_t d;
            h[0].p = wf_leb_get(h[0].p, &d);
            h[0].key += d << 32;
            h[0].left--;
        } else {
            h[0] = h[--n];
        }
        sift_down(h, n, 0);
    }
    if (rc == WR_OK)
        rc = rows_insert(b, err);
    free(h);
    wr_buf_reset(&b->q);
    wr_buf_reset(&b->groups);
    b->q.max = b->queue + 64;
    return rc;
}

int wf_bulk_group_add(wf_bulk *b, int64_t entitlement_rid, const int64_t *account_rids, size_t n, wr_err *err)
{
    int rc = WR_OK, added;
    if (!n)
        return WR_OK;
    if (entitlement_rid <= 0 || entitlement_rid > 0xffffffff || account_rids[0] <= 0 ||
        account_rids[n - 1] > 0xffffffff || n > 0xffffffff) {
        for (size_t i = 0; i < n && rc == WR_OK; i++)   /* no room in a key: at once */
            rc = grant_insert(b, account_rids[i], entitlement_rid, &added, err);
        return rc;
    }
    if (b->q.len + n * 5 > b->queue || b->groups.len + sizeof(qgroup) > b->groups.max) {
        if ((rc = bulk_flush(b, err)))
            return rc;
        if (n * 5 > b->queue)   /* one group larger than the queue: it alone */
            b->q.max = n * 5 + 64;
    }
    qgroup q = {(uint32_t)entitlement_rid, (uint32_t)n, b->q.len};
    if (wr_buf_reserve(&b->q, n * 5) || wr_buf_append(&b->groups, &q, sizeof q))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    uint8_t *p = (uint8_t *)b->q.data + b->q.len;
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        p = wf_leb_put(p, (uint64_t)(account_rids[i] - prev));
        prev = account_rids[i];
    }
    b->q.len = (size_t)(p - (uint8_t *)b->q.data);
    return WR_OK;
}

void wf_bulk_tune(wf_bulk *b, size_t queue, uint64_t aside_min)
{
    b->queue = queue;
    b->q.max = queue + 64;
    b->aside_min = aside_min;
}

/* The last pass, with the grants' secondary indexes set aside
 * (inv_bulkidx_drop; rebuilt before it returns, in the same transaction)
 * when it adds at least aside_min memberships and no fewer than the table
 * holds.  The pass inserts in the primary key's order, account by
 * account, so each row lands at a random place of grants_entitlement:
 * 0.54 of the 0.86 us a row costs for a million rows into an empty table.
 * Building that index afterwards is one scan and sort of the whole table,
 * 0.26 us a row (bench/RESULTS-ldap.md), so it pays while the table holds
 * no more rows than the pass adds; a first sync into a store that already
 * holds other systems' grants keeps the indexes live. */
int wf_bulk_pass(wf_bulk *b, wr_err *err)
{
    const qgroup *g = (const qgroup *)b->groups.data;
    uint64_t queued = 0;
    for (size_t i = 0; i < b->groups.len / sizeof *g; i++)
        queued += g[i].n;
    int64_t held = 0;
    char *saved = NULL;
    int rc = WR_OK;
    if (queued >= b->aside_min) {
        wr_stmt *st;
        if ((rc = wr_stmt_prepare(b->s, "SELECT count(*) FROM (SELECT 1 FROM grants LIMIT ?1)", &st, err)))
            return rc;
        wr_stmt_bind_int(st, 1, (int64_t)queued + 1);
        rc = wr_stmt_step(st, err);
        held = rc == 1 ? wr_stmt_int(st, 0) : 0;
        wr_stmt_done(st);
        if (rc < 0)
            return rc;
        rc = (uint64_t)held <= queued ? inv_bulkidx_drop(b->s, "grants", &saved, err) : WR_OK;
        b->aside = saved != NULL;
    }
    if (rc == WR_OK)
        rc = bulk_flush(b, err);
    /* the queue's memory back before the index's sort takes its own (and
     * a first sync that listed the groups first goes on reading accounts) */
    wr_buf_free(&b->q);
    wr_buf_free(&b->groups);
    if (rc == WR_OK)
        rc = inv_bulkidx_restore(b->s, &saved, err);
    free(saved);   /* after a failure: the caller's rollback restores the indexes */
    return rc;
}

int wf_bulk_drop_grants(wf_bulk *b, int64_t account_rid, wr_err *err)
{
    int rc = b->groups.len ? bulk_flush(b, err) : WR_OK;
    if (rc || (rc = inv_exec_int(b->s, "DELETE FROM grants WHERE account_rid=?1", account_rid, err)))
        return rc;
    b->rows[B_GRANT] -= (uint64_t)wr_store_changes(b->s);
    return WR_OK;
}

int wf_bulk_grant(wf_bulk *b, int64_t account_rid, int64_t entitlement_rid, int *added, wr_err *err)
{
    /* the queue first: a membership queued from an earlier listing of the
     * group must count as there, not be added (and reported) twice */
    int rc = b->groups.len ? bulk_flush(b, err) : WR_OK;
    return rc ? rc : grant_insert(b, account_rid, entitlement_rid, added, err);
}

int wf_bulk_finish(wf_bulk *b, const char *const digests[3], wf_bulk_stats *stats, wr_err *err)
{
    static const char *const kinds[3] = {"account", "entitlement", "grant"};
    int rc = acc_flush(b, err);
    if (rc == WR_OK)
        rc = wf_bulk_pass(b, err);
    for (int k = 0; k < 3 && rc == WR_OK; k++) {
        if (!b->rows[k])
            continue;
        json_t *o = json_pack("{s:b,s:s,s:I,s:s}", "bulk", 1, "sync", b->system, "rows", (json_int_t)b->rows[k],
                              "digest", digests[k]);
        char *after = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        rc = after ? inv_event(b->s, b->import_id, b->now, kinds[k], "*", "added", NULL, after, err)
                   : wr_fail(err, WR_ENOMEM, "out of memory");
        free(after);
    }
    /* like a bulk file import: every cached readiness row may have moved
     * (new accounts of identities change the non-human identity counts) */
    if (rc == WR_OK && (b->rows[0] || b->rows[1] || b->rows[2]))
        rc = inv_touch_all(b->s, err);
    if (stats) {
        stats->accounts = b->rows[B_ACC];
        stats->entitlements = b->rows[B_ENT];
        stats->grants = b->rows[B_GRANT];
        stats->indexes_aside = b->aside;
    }
    return rc;
}
