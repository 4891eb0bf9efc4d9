/*
 * test_store_bulk.c — bulk mode (wr_store_bulk_enter): a load that has the
 * database to itself writes through a rollback journal, and everything the
 * WAL mode promises still holds.
 *
 *  - the switch happens only with no other connection, and is undone;
 *  - a connection opened during a bulk load waits for it, then sees the
 *    committed rows (not an error, not a half-written state); one that
 *    outwaits the busy timeout fails saying why, and the load is unharmed;
 *  - a process killed mid-load, after pages spilled into the database
 *    file, leaves a journal that the next open rolls back exactly;
 *  - an import of a big file into an empty table takes the mode, gives the
 *    rows the WAL path gives, and a refused (--strict) or killed import
 *    leaves nothing;
 *  - a load's smaller or larger page cache (wr_store_cache_size) is set
 *    and put back exactly.
 */
#include "inv_fixture.h"
#include "inventory/import.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

static char mode_buf[32];

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The connection's journal mode ("wal", "delete"). */
static const char *journal_mode(wr_store *s)
{
    wr_stmt *st;
    wr_err err;
    mode_buf[0] = '\0';
    if (wr_stmt_prepare(s, "PRAGMA journal_mode", &st, &err) == 0) {
        if (wr_stmt_step(st, &err) == 1)
            snprintf(mode_buf, sizeof mode_buf, "%s", wr_stmt_text(st, 0));
        wr_stmt_done(st);
    }
    return mode_buf;
}

static wr_store *open_store(const char *dir)
{
    wr_store *s = NULL;
    wr_err err = {0};
    if (wr_store_open(dir, WR_STORE_CREATE, &s, &err)) {
        fprintf(stderr, "open %s: %s\n", dir, err.msg);
        exit(2);
    }
    return s;
}

TEST(test_bulk_mode_needs_the_database_alone)
{
    const char *dir = test_tmpdir("bulk-alone");
    wr_store *a = open_store(dir), *b = open_store(dir);
    wr_err err = {0};
    CHECK_EQ_STR(journal_mode(a), "wal");
    /* b holds the database: a stays in WAL mode, and says so */
    CHECK_EQ_INT(wr_store_bulk_enter(a), 0);
    CHECK_EQ_STR(journal_mode(a), "wal");
    wr_store_close(b);
    /* not inside a transaction either */
    CHECK_OK(wr_store_begin(a, &err));
    CHECK_EQ_INT(wr_store_bulk_enter(a), 0);
    wr_store_rollback(a);
    CHECK_EQ_INT(wr_store_bulk_enter(a), 1);
    CHECK_EQ_STR(journal_mode(a), "delete");
    CHECK_OK(wr_store_begin(a, &err));
    CHECK_OK(wr_store_exec(a, "CREATE TABLE t(x); INSERT INTO t VALUES(1)", &err));
    CHECK_OK(wr_store_commit(a, &err));
    wr_store_bulk_leave(a);
    CHECK_EQ_STR(journal_mode(a), "wal");
    CHECK_EQ_INT(inv_count(a, "SELECT count(*) FROM t"), 1);
    wr_store_close(a);
    /* a later open finds the database in WAL mode */
    b = open_store(dir);
    CHECK_EQ_STR(journal_mode(b), "wal");
    wr_store_close(b);
}

/* The loading process of the tests below: rows into a new table t in
 * bulk mode (with a small cache when spill, so that pages spill and it
 * holds the exclusive lock), then a byte on ready, then it waits (hold_ms,
 * or for a byte on go when go >= 0), commits and leaves bulk mode. */
static void bulk_loader(const char *dir, int rows, int spill, int ready, int go, long hold_ms)
{
    wr_store *a = open_store(dir);
    wr_err e = {0};
    char sql[256], c;
    snprintf(sql, sizeof sql, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
             "WHERE i < %d) INSERT INTO t SELECT i, randomblob(100) FROM n", rows);
    if (wr_store_exec(a, "CREATE TABLE t(x, pad)", &e) || wr_store_bulk_enter(a) != 1 ||
        (spill && wr_store_exec(a, "PRAGMA cache_size=50", &e)) || wr_store_begin(a, &e) ||
        wr_store_exec(a, sql, &e))
        _exit(3);
    if (write(ready, "x", 1) != 1 || (go >= 0 && read(go, &c, 1) != 1))
        _exit(4);
    if (go < 0)
        sleep_ms(hold_ms);
    if (wr_store_commit(a, &e))
        _exit(5);
    wr_store_bulk_leave(a);
    wr_store_close(a);
    _exit(0);
}

/* A store opened while another process bulk-loads waits for the load's
 * commit (wr_store_open retries the switch to WAL), then reads its rows.
 * The loader is the child: SQLite's locks are per process, and a child
 * must not inherit an open connection to the file it uses. */
TEST(test_open_during_a_bulk_load_waits_for_it)
{
    const char *dir = test_tmpdir("bulk-wait");
    wr_store_close(open_store(dir));
    int ready[2];
    CHECK(pipe(ready) == 0);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0)
        bulk_loader(dir, 50000, 0, ready[1], -1, 300);   /* the parent retries meanwhile */
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    wr_store *b = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(dir, 0, &b, &err));
    if (b) {
        CHECK_EQ_INT(inv_count(b, "SELECT count(*) FROM t"), 50000);
        CHECK_EQ_STR(journal_mode(b), "wal");
        wr_store_close(b);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    close(ready[1]);
}

/* A bulk load that outlasts the busy timeout (10 s): the opener gives up
 * with a message naming the reason, and the load commits unharmed. */
TEST(test_open_during_a_long_bulk_load_fails_clearly)
{
    const char *dir = test_tmpdir("bulk-timeout");
    wr_store_close(open_store(dir));
    int ready[2], done[2];
    CHECK(pipe(ready) == 0 && pipe(done) == 0);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0)
        bulk_loader(dir, 20000, 1, ready[1], done[0], 0);
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    wr_store *b = NULL;
    wr_err err = {0};
    int rc = wr_store_open(dir, 0, &b, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_EQ_INT(rc, WR_ECONFLICT);
    CHECK(strstr(err.msg, "bulk load") != NULL);
    CHECK(waited >= 9.5 && waited < 12.5);
    wr_store_close(b);
    CHECK(write(done[1], "x", 1) == 1);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    b = open_store(dir);
    CHECK_EQ_INT(inv_count(b, "SELECT count(*) FROM t"), 20000);
    CHECK_EQ_STR(journal_mode(b), "wal");
    wr_store_close(b);
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(done[i]);
    }
}

/* Rows of t as one number: sum of x * position, order-sensitive enough to
 * tell any change to existing rows. */
static long long fingerprint(wr_store *s)
{
    return inv_count(s, "SELECT total(x * rowid) + count(*) FROM t");
}

/* A bulk writer killed after it has written pages into the database file
 * (a small page cache spills them) leaves a hot journal; the next open
 * rolls it back, and the database is exactly as before the load. */
TEST(test_killed_bulk_load_rolls_back_at_next_open)
{
    const char *dir = test_tmpdir("bulk-kill");
    wr_store *a = open_store(dir);
    wr_err err = {0};
    CHECK_OK(wr_store_exec(a, "CREATE TABLE t(x, pad); WITH RECURSIVE n(i) AS (SELECT 1 UNION "
                              "ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO t SELECT i, "
                              "randomblob(100) FROM n", &err));
    long long before = fingerprint(a);
    wr_store_close(a);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        wr_store *w = open_store(dir);
        wr_err e = {0};
        if (wr_store_bulk_enter(w) != 1 || wr_store_exec(w, "PRAGMA cache_size=50", &e) ||
            wr_store_begin(w, &e))
            _exit(3);
        /* change existing pages (journalled) and add many (spilled) */
        if (wr_store_exec(w, "UPDATE t SET x = -x WHERE rowid % 7 = 0; WITH RECURSIVE n(i) AS "
                             "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) INSERT "
                             "INTO t SELECT i, randomblob(100) FROM n", &e))
            _exit(4);
        raise(SIGKILL);
        _exit(5);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char journal[4200];
    snprintf(journal, sizeof journal, "%s/warrant.db-journal", dir);
    CHECK(access(journal, F_OK) == 0);   /* the load really wrote the file */
    a = open_store(dir);
    CHECK_EQ_STR(journal_mode(a), "wal");
    CHECK_EQ_INT(inv_count(a, "SELECT count(*) FROM t"), 20000);
    CHECK_EQ_INT(fingerprint(a), before);
    CHECK_EQ_INT(inv_integrity_errors(a), 0);
    wr_store_close(a);
}

/* n accounts of system s, as a CSV file. */
static void accounts_csv(wr_buf *b, int n)
{
    int rc = wr_buf_puts(b, "id,system,login,status\n");
    for (int i = 0; i < n && rc == WR_OK; i++)
        rc = wr_buf_printf(b, "s:user%06d,s,user%06d,active\n", i, i);
    CHECK_OK(rc);
}

static wr_store *store_with_system(const char *dir)
{
    wr_store *s = open_store(dir);
    wr_err err = {0};
    CHECK_OK(wr_inventory_import_buffer(s, "systems.csv", "id\ns\n", 5, NULL, NULL, NULL, &err));
    return s;
}

TEST(test_bulk_import_matches_the_wal_path)
{
    wr_buf csv = WR_BUF_INIT;
    accounts_csv(&csv, 30000);
    wr_err err = {0};
    wr_import_stats st[2];
    long long sums[2];
    for (int bulk = 0; bulk < 2; bulk++) {
        wr_store *s = store_with_system(test_tmpdir(bulk ? "bulk-imp" : "wal-imp"));
        inv_bulk_journal_min_bytes = bulk ? 0 : SIZE_MAX;
        CHECK_OK(wr_inventory_import_buffer(s, "accounts.csv", csv.data, csv.len, NULL, &st[bulk],
                                            NULL, &err));
        CHECK_EQ_STR(journal_mode(s), "wal");
        sums[bulk] = inv_count(s, "SELECT total(rid * length(id) + system_rid) FROM accounts");
        CHECK_EQ_INT(inv_index_count(s, "accounts"), 4);
        CHECK_EQ_INT(inv_integrity_errors(s), 0);
        wr_store_close(s);
    }
    inv_bulk_journal_min_bytes = (size_t)16 << 20;
    CHECK_EQ_INT(st[1].added, 30000);
    CHECK_EQ_INT(st[0].added, st[1].added);
    CHECK_EQ_INT(sums[0], sums[1]);
    wr_buf_free(&csv);
}

/* --strict refuses a file with a bad row: the bulk load rolls back (in
 * rollback-journal mode) and the store is back in WAL mode, empty. */
TEST(test_refused_bulk_import_leaves_nothing)
{
    wr_buf csv = WR_BUF_INIT;
    accounts_csv(&csv, 5000);
    CHECK_OK(wr_buf_puts(&csv, "s:bad,s,bad,no-such-status\n"));
    wr_store *s = store_with_system(test_tmpdir("bulk-strict"));
    inv_bulk_journal_min_bytes = 0;
    wr_import_opts o = {0};
    o.strict = 1;
    wr_err err = {0};
    CHECK(wr_inventory_import_buffer(s, "accounts.csv", csv.data, csv.len, &o, NULL, NULL,
                                     &err) != WR_OK);
    CHECK(strstr(err.msg, "--strict") != NULL);
    inv_bulk_journal_min_bytes = (size_t)16 << 20;
    CHECK_EQ_STR(journal_mode(s), "wal");
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts"), 0);
    CHECK_EQ_INT(inv_index_count(s, "accounts"), 4);
    wr_store_close(s);
    wr_buf_free(&csv);
}

/* An import killed at a random moment (parsing, loading, rebuilding the
 * indexes, committing) leaves either nothing or the whole file. */
TEST(test_killed_bulk_import_is_all_or_nothing)
{
    wr_buf csv = WR_BUF_INIT;
    accounts_csv(&csv, 200000);
    /* how long an import takes here: the kills fall within it */
    struct timespec t0, t1;
    {
        wr_store *s = store_with_system(test_tmpdir("bulk-imp-time"));
        wr_err err = {0};
        inv_bulk_journal_min_bytes = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK_OK(wr_inventory_import_buffer(s, "accounts.csv", csv.data, csv.len, NULL, NULL,
                                            NULL, &err));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        inv_bulk_journal_min_bytes = (size_t)16 << 20;
        wr_store_close(s);
    }
    long span = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 + 20;
    srand((unsigned)time(NULL));
    int whole = 0, none = 0;
    for (int round = 0; round < 8; round++) {
        const char *dir = test_tmpdir("bulk-imp-kill");
        wr_store_close(store_with_system(dir));
        fflush(NULL);
        pid_t child = fork();
        if (child == 0) {
            wr_store *s = open_store(dir);
            wr_err e = {0};
            inv_bulk_journal_min_bytes = 0;
            _exit(wr_inventory_import_buffer(s, "accounts.csv", csv.data, csv.len, NULL, NULL,
                                             NULL, &e) ? 3 : 0);
        }
        sleep_ms(rand() % (span + span / 4));   /* the open and the system row: ~20 ms */
        kill(child, SIGKILL);
        int status = 0;
        CHECK(waitpid(child, &status, 0) == child);
        wr_store *s = open_store(dir);
        long long n = inv_count(s, "SELECT count(*) FROM accounts");
        CHECK(n == 0 || n == 200000);
        whole += n == 200000;
        none += n == 0;
        CHECK_EQ_STR(journal_mode(s), "wal");
        CHECK_EQ_INT(inv_index_count(s, "accounts"), 4);
        CHECK_EQ_INT(inv_integrity_errors(s), 0);
        /* and the file still imports */
        if (n == 0) {
            wr_err err = {0};
            wr_import_stats st;
            CHECK_OK(wr_inventory_import_buffer(s, "accounts.csv", csv.data, csv.len, NULL, &st,
                                                NULL, &err));
            CHECK_EQ_INT(st.added, 200000);
        }
        wr_store_close(s);
    }
    printf("killed imports (within %ld ms): %d left nothing, %d finished first\n", span, none,
           whole);
    wr_buf_free(&csv);
}

/* wr_store_cache_size gives the setting it replaces, in either form
 * (KiB when negative, pages when positive), and putting it back restores
 * it exactly. */
TEST(test_cache_size_set_and_put_back)
{
    wr_store *s = open_store(test_tmpdir("bulk-cache"));
    wr_err err = {0};
    long long first = inv_count(s, "PRAGMA cache_size");
    int64_t old = 0, old2 = 0;
    CHECK_OK(wr_store_cache_size(s, -1024, &old, &err));
    CHECK_EQ_INT(old, first);
    CHECK_EQ_INT(inv_count(s, "PRAGMA cache_size"), -1024);
    CHECK_OK(wr_store_cache_size(s, 300, &old2, &err));
    CHECK_EQ_INT(old2, -1024);
    CHECK_EQ_INT(inv_count(s, "PRAGMA cache_size"), 300);
    CHECK_OK(wr_store_cache_size(s, old, NULL, &err));
    CHECK_EQ_INT(inv_count(s, "PRAGMA cache_size"), first);
    wr_store_close(s);
}

RUN_TESTS(T(test_bulk_mode_needs_the_database_alone), T(test_cache_size_set_and_put_back), T(test_open_during_a_bulk_load_waits_for_it),
          T(test_open_during_a_long_bulk_load_fails_clearly),
          T(test_killed_bulk_load_rolls_back_at_next_open), T(test_bulk_import_matches_the_wal_path),
          T(test_refused_bulk_import_leaves_nothing), T(test_killed_bulk_import_is_all_or_nothing))
