/*
 * test_workflow_syncload.c — the first sync's bulk loader (sync_load.c)
 * with a queue small enough to exercise every way memberships go in: a
 * queue that fills (its groups merged in one pass), a group larger than
 * the whole queue, deltas of one and of several bytes, and a group listed
 * again after others were queued (it must see the queued rows as there);
 * accounts inserted many a statement, or one by one when an id is taken;
 * the last pass with the grants' secondary indexes set aside, or not.
 */
#include "check.h"
#include "inv_fixture.h"
#include "workflow/workflow_internal.h"

#include <stdlib.h>

#define NACC 2000

static char orphans[4][32];
static int norphans;

static void orphan(void *arg, const char *id)
{
    (void)arg;
    if (norphans < 4)
        snprintf(orphans[norphans], sizeof orphans[0], "%s", id);
    norphans++;
}

static int64_t count(wr_store *s, const char *sql, int64_t bind)
{
    wr_stmt *st;
    wr_err e = {0};
    CHECK_OK(wr_stmt_prepare(s, sql, &st, &e));
    if (bind)
        wr_stmt_bind_int(st, 1, bind);
    int rc = wr_stmt_step(st, &e);
    int64_t v = rc == 1 ? wr_stmt_int(st, 0) : -1;
    wr_stmt_done(st);
    return v;
}

/* A fresh data directory, its context open, sql run on its store. */
static wr_ctx *open_ctx(const char *tag, const char *sql)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/data", test_tmpdir(tag));
    wr_err e = {0};
    CHECK_OK(wr_ctx_init(dir, NULL, &e));
    wr_ctx *ctx = NULL;
    CHECK_OK(wr_ctx_open(dir, 0, &ctx, &e));
    CHECK_OK(wr_store_exec(ctx->store, sql, &e));
    return ctx;
}

/* wf_bulk_finish with placeholder digests, then wf_bulk_free. */
static wf_bulk_stats finish_load(wf_bulk *b)
{
    const char *const digests[3] = {"sha256:a", "sha256:e", "sha256:g"};
    wf_bulk_stats st;
    wr_err e = {0};
    CHECK_OK(wf_bulk_finish(b, digests, &st, &e));
    wf_bulk_free(b);
    return st;
}

TEST(test_bulk_passes_and_queue)
{
    wr_err e = {0};
    wr_ctx *ctx = open_ctx("syncload", "INSERT INTO systems(id, name) VALUES('app', 'App')");
    wr_store *s = ctx->store;
    CHECK_OK(wr_store_begin(s, &e));
    wf_bulk *b = NULL;
    CHECK_OK(wf_bulk_new(s, "app", "sync:app", &b, &e));
    /* 4000 bytes of deltas: room for 800 memberships at worst */
    wf_bulk_tune(b, 4000, UINT64_MAX);
    static int64_t acc[NACC];
    for (int i = 0; i < NACC; i++) {
        char id[32], login[32];
        snprintf(login, sizeof login, "u%04d", i);
        snprintf(id, sizeof id, "app:%s", login);
        CHECK_OK(wf_bulk_account(b, id, login, i == 7, &acc[i], &e));
        CHECK(acc[i] > 0);
        CHECK(i == 0 || acc[i] == acc[i - 1] + 1);   /* rids given in listing order */
    }
    int64_t ent[4];
    for (int k = 0; k < 4; k++) {
        char id[32], name[32];
        snprintf(name, sizeof name, "g%d", k);
        snprintf(id, sizeof id, "app:%s", name);
        int added = 0;
        CHECK_OK(wf_bulk_entitlement(b, id, name, &ent[k], &added, &e));
        CHECK_EQ_INT(added, 1);
    }
    int64_t *rids = malloc(NACC * sizeof *rids);
    CHECK(rids != NULL);
    /* g0: every third account (deltas of one byte): 667 memberships */
    size_t n = 0;
    for (int i = 0; i < NACC; i += 3)
        rids[n++] = acc[i];
    CHECK_OK(wf_bulk_group_add(b, ent[0], rids, n, &e));
    /* g1: accounts 0, 150, 300, ... (deltas of two bytes) */
    n = 0;
    for (int i = 0; i < NACC; i += 150)
        rids[n++] = acc[i];
    CHECK_OK(wf_bulk_group_add(b, ent[1], rids, n, &e));
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants", 0), 0);   /* both queued */
    /* g2: every account, more than the whole queue: g0 and g1 go in (one
     * merged pass), then g2 waits alone */
    for (int i = 0; i < NACC; i++)
        rids[i] = acc[i];
    CHECK_OK(wf_bulk_group_add(b, ent[2], rids, NACC, &e));
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants", 0), 667 + 14);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants WHERE entitlement_rid=?", ent[1]), 14);
    /* g3: 300 accounts from the end, queued; then g1 listed again names
     * u0000 (stored) and g3 listed again names u1999 (still queued):
     * neither is new */
    n = 0;
    for (int i = NACC - 300; i < NACC; i++)
        rids[n++] = acc[i];
    CHECK_OK(wf_bulk_group_add(b, ent[3], rids, n, &e));
    int added = 1;
    CHECK_OK(wf_bulk_grant(b, acc[0], ent[1], &added, &e));
    CHECK_EQ_INT(added, 0);
    CHECK_OK(wf_bulk_grant(b, acc[NACC - 1], ent[3], &added, &e));
    CHECK_EQ_INT(added, 0);
    CHECK_OK(wf_bulk_grant(b, acc[1], ent[1], &added, &e));
    CHECK_EQ_INT(added, 1);
    norphans = 0;
    CHECK_OK(wf_bulk_orphans(b, orphan, NULL, &e));
    CHECK_EQ_INT(norphans, NACC);   /* no identities at all */
    CHECK_EQ_STR(orphans[0], "app:u0000");
    CHECK_EQ_STR(orphans[2], "app:u0002");
    wf_bulk_stats st = finish_load(b);
    CHECK_OK(wr_store_commit(s, &e));
    CHECK_EQ_INT((int64_t)st.accounts, NACC);
    CHECK_EQ_INT((int64_t)st.entitlements, 4);
    CHECK_EQ_INT((int64_t)st.grants, 667 + 14 + NACC + 300 + 1);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants", 0), 667 + 14 + NACC + 300 + 1);
    /* every row carries its source, whatever statement it went in by
     * (main's flush lost it after a batch's first statement) */
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants WHERE source='sync:app' AND granted_by='sync:app'", 0),
                 667 + 14 + NACC + 300 + 1);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM accounts WHERE source='sync:app'", 0), NACC);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants WHERE entitlement_rid=?", ent[0]), 667);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants WHERE entitlement_rid=?", ent[1]), 15);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants WHERE entitlement_rid=?", ent[2]), NACC);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants WHERE entitlement_rid=?", ent[3]), 300);
    /* the right accounts: g0 every third, g1 every 150th and u0001 */
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants g JOIN accounts a ON a.rid=g.account_rid WHERE "
                          "g.entitlement_rid=? AND CAST(substr(a.login, 2) AS INTEGER) % 3 = 0", ent[0]), 667);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants g JOIN accounts a ON a.rid=g.account_rid WHERE "
                          "g.entitlement_rid=? AND (CAST(substr(a.login, 2) AS INTEGER) % 150 = 0 OR "
                          "a.login = 'u0001')", ent[1]), 15);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants g JOIN accounts a ON a.rid=g.account_rid WHERE "
                          "g.entitlement_rid=? AND CAST(substr(a.login, 2) AS INTEGER) >= 1700", ent[3]), 300);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM inventory_events WHERE object_id='*'", 0), 3);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM accounts WHERE status='disabled'", 0), 1);
    CHECK_EQ_INT(count(s, "SELECT rid FROM accounts WHERE id='app:u0007' AND status='disabled'", 0), acc[7]);
    free(rids);
    wr_ctx_close(ctx);
}

/* An id of the system already held (by another system's account): rows
 * go in one at a time, the taken one is turned away (rid 0), and only
 * the accounts added count as orphans; the one with an identity is not. */
TEST(test_bulk_accounts_taken_id)
{
    wr_err e = {0};
    wr_ctx *ctx = open_ctx("syncload-taken", "INSERT INTO systems(id, name) VALUES('app', 'App'), ('other', 'Other');"
                                             "INSERT INTO identities(id, kind, name) VALUES('u2', 'human', 'U2');"
                                             "INSERT INTO accounts(id, system_rid, login) SELECT 'app:u1', rid, "
                                             "'u1' FROM systems WHERE id='other'");
    wr_store *s = ctx->store;
    CHECK_OK(wr_store_begin(s, &e));
    wf_bulk *b = NULL;
    CHECK_OK(wf_bulk_new(s, "app", "sync:app", &b, &e));
    int64_t rid[4] = {0};
    const char *logins[4] = {"u0", "u1", "u2", "u3"};
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "app:%s", logins[i]);
        CHECK_OK(wf_bulk_account(b, id, logins[i], 0, &rid[i], &e));
    }
    CHECK(rid[0] > 0);
    CHECK_EQ_INT(rid[1], 0);
    CHECK_EQ_INT(rid[2], rid[0] + 1);
    CHECK_EQ_INT(rid[3], rid[0] + 2);
    norphans = 0;
    CHECK_OK(wf_bulk_orphans(b, orphan, NULL, &e));
    CHECK_EQ_INT(norphans, 2);
    CHECK_EQ_STR(orphans[0], "app:u0");
    CHECK_EQ_STR(orphans[1], "app:u3");
    wf_bulk_stats st = finish_load(b);
    CHECK_OK(wr_store_commit(s, &e));
    CHECK_EQ_INT((int64_t)st.accounts, 3);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM accounts a JOIN systems y ON y.rid=a.system_rid WHERE y.id='app'", 0),
                 3);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM accounts WHERE id='app:u2' AND identity_rid IS NOT NULL", 0), 1);
    wr_ctx_close(ctx);
}

/* One bulk load of system sys: n accounts, then groups g0..g(ngroups-1),
 * group k holding every account whose number is k modulo 3 or below
 * ngroups (k of them); finish with aside_min 1.  Leaves the transaction
 * open; returns the stats. */
static wf_bulk_stats load_groups(wr_store *s, const char *sys, int n, int ngroups)
{
    wr_err e = {0};
    wf_bulk *b = NULL;
    CHECK_OK(wf_bulk_new(s, sys, "sync:x", &b, &e));
    wf_bulk_tune(b, (size_t)4 << 20, 1);
    int64_t *acc = calloc((size_t)n, sizeof *acc), *rids = malloc((size_t)n * sizeof *rids);
    CHECK(acc && rids);
    for (int i = 0; i < n; i++) {
        char id[48], login[32];
        snprintf(login, sizeof login, "u%05d", i);
        snprintf(id, sizeof id, "%s:%s", sys, login);
        CHECK_OK(wf_bulk_account(b, id, login, 0, &acc[i], &e));
    }
    for (int k = 0; k < ngroups; k++) {
        char id[48], name[16];
        snprintf(name, sizeof name, "g%d", k);
        snprintf(id, sizeof id, "%s:%s", sys, name);
        int64_t erid;
        int added;
        CHECK_OK(wf_bulk_entitlement(b, id, name, &erid, &added, &e));
        size_t m = 0;
        for (int i = 0; i < n; i++)
            if (i % 3 == k % 3 || i < k)
                rids[m++] = acc[i];
        CHECK_OK(wf_bulk_group_add(b, erid, rids, m, &e));
    }
    wf_bulk_stats st = finish_load(b);
    free(acc);
    free(rids);
    return st;
}

/* Memberships of load_groups(n, ngroups). */
static int64_t group_rows(int n, int ngroups)
{
    int64_t t = 0;
    for (int k = 0; k < ngroups; k++)
        for (int i = 0; i < n; i++)
            t += i % 3 == k % 3 || i < k;
    return t;
}

/* The last pass sets grants_entitlement and grants_expires aside when the
 * table holds no more rows than it adds, and rebuilds them before it
 * returns: same indexes, a whole database, rows found through the index;
 * a rollback afterwards restores the schema as it was.  A second system's
 * first sync, smaller than what the table holds, keeps them live. */
TEST(test_bulk_indexes_aside)
{
    wr_err e = {0};
    wr_ctx *ctx = open_ctx("syncload-aside", "INSERT INTO systems(id, name) VALUES('a', 'A'), ('b', 'B')");
    wr_store *s = ctx->store;
    long long nidx = inv_index_count(s, "grants");
    CHECK_EQ_INT(nidx, 2);   /* entitlement, expires (the key is the table: WITHOUT ROWID) */
    CHECK_OK(wr_store_begin(s, &e));
    wf_bulk_stats st = load_groups(s, "a", 3000, 7);
    CHECK_EQ_INT(st.indexes_aside, 1);
    CHECK_EQ_INT((int64_t)st.grants, group_rows(3000, 7));
    CHECK_EQ_INT(inv_index_count(s, "grants"), nidx);
    wr_store_rollback(s);
    CHECK_EQ_INT(inv_index_count(s, "grants"), nidx);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), 0);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts"), 0);

    CHECK_OK(wr_store_begin(s, &e));
    st = load_groups(s, "a", 3000, 7);
    CHECK_EQ_INT(st.indexes_aside, 1);
    CHECK_OK(wr_store_commit(s, &e));
    CHECK_EQ_INT(inv_integrity_errors(s), 0);
    CHECK_EQ_INT(inv_index_count(s, "grants"), nidx);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), group_rows(3000, 7));
    /* through grants_entitlement: g5 holds the accounts = 2 mod 3, and u00000,
     * u00001, u00003, u00004 */
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants INDEXED BY grants_entitlement WHERE entitlement_rid="
                              "(SELECT rid FROM entitlements WHERE id='a:g5')"), 1000 + 4);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants g INDEXED BY grants_entitlement JOIN accounts a ON "
                              "a.rid=g.account_rid WHERE g.entitlement_rid=(SELECT rid FROM entitlements WHERE "
                              "id='a:g5') AND (CAST(substr(a.login, 2) AS INTEGER) % 3 = 2 OR "
                              "CAST(substr(a.login, 2) AS INTEGER) < 5)"), 1004);

    /* system b adds fewer rows than the table holds: indexes stay live */
    CHECK_OK(wr_store_begin(s, &e));
    st = load_groups(s, "b", 1000, 4);
    CHECK_EQ_INT(st.indexes_aside, 0);
    CHECK_OK(wr_store_commit(s, &e));
    CHECK_EQ_INT(inv_integrity_errors(s), 0);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM grants"), group_rows(3000, 7) + group_rows(1000, 4));
    wr_ctx_close(ctx);
}

/* Groups before accounts: members get reserved rids, their memberships go
 * in (wf_bulk_pass) before any account row exists, the accounts then take
 * the reserved rids, and the grants of a member whose account never came
 * are dropped and no longer count. */
TEST(test_bulk_reserved_rids)
{
    wr_err e = {0};
    /* foreign keys off, as wr_sync has them for a first sync */
    wr_ctx *ctx = open_ctx("syncload-reserve", "INSERT INTO systems(id, name) VALUES('app', 'App');"
                                               "PRAGMA foreign_keys=OFF");
    wr_store *s = ctx->store;
    CHECK_OK(wr_store_begin(s, &e));
    wf_bulk *b = NULL;
    CHECK_OK(wf_bulk_new(s, "app", "sync:app", &b, &e));
    wf_bulk_tune(b, (size_t)1 << 20, 1);
    int64_t r[3];
    for (int i = 0; i < 3; i++) {
        r[i] = wf_bulk_reserve(b);
        CHECK(i == 0 || r[i] == r[i - 1] + 1);
    }
    int64_t g1 = 0, g2 = 0;
    int added = 0;
    CHECK_OK(wf_bulk_entitlement(b, "app:g1", "g1", &g1, &added, &e));
    CHECK_OK(wf_bulk_entitlement(b, "app:g2", "g2", &g2, &added, &e));
    CHECK_OK(wf_bulk_group_add(b, g1, r, 3, &e));
    CHECK_OK(wf_bulk_group_add(b, g2, r + 1, 2, &e));
    CHECK_OK(wf_bulk_pass(b, &e));
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants", 0), 5);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM accounts", 0), 0);   /* grants before their accounts */
    /* u0 and u2 are listed (u1 never is), then an account no group names */
    int64_t rid = r[2];
    CHECK_OK(wf_bulk_account(b, "app:u2", "u2", 0, &rid, &e));
    CHECK_EQ_INT(rid, r[2]);
    rid = r[0];
    CHECK_OK(wf_bulk_account(b, "app:u0", "u0", 1, &rid, &e));
    CHECK_EQ_INT(rid, r[0]);
    rid = 0;
    CHECK_OK(wf_bulk_account(b, "app:u9", "u9", 0, &rid, &e));
    CHECK_EQ_INT(rid, r[2] + 1);   /* the next after the reserved ones */
    CHECK_OK(wf_bulk_drop_grants(b, r[1], &e));
    wf_bulk_stats st = finish_load(b);
    CHECK_OK(wr_store_commit(s, &e));
    CHECK_EQ_INT((int64_t)st.accounts, 3);
    CHECK_EQ_INT((int64_t)st.grants, 3);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants", 0), 3);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants WHERE account_rid=?", r[1]), 0);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM grants g JOIN accounts a ON a.rid=g.account_rid", 0), 3);
    CHECK_EQ_INT(count(s, "SELECT count(*) FROM accounts WHERE id='app:u0' AND status='disabled'", 0), 1);
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    CHECK_EQ_INT(inv_integrity_errors(s), 0);
    wr_ctx_close(ctx);
}

RUN_TESTS(T(test_bulk_passes_and_queue), T(test_bulk_accounts_taken_id), T(test_bulk_indexes_aside),
          T(test_bulk_reserved_rids))
