/*
 * store.c — the SQLite backend of the store.
 *
 * One wr_store wraps one sqlite3 connection to <dir>/warrant.db.  The
 * connection runs in WAL mode (readers never block the writer), with
 * foreign keys enforced and synchronous=FULL (a COMMIT has reached the disk
 * when it returns, which the lineage log relies on to acknowledge appends).
 * The exception is bulk mode (wr_store_bulk_enter): a first load of
 * millions of rows with no other connection open switches to a rollback
 * journal for its transaction, so its pages are written once rather than
 * to the log and again by the checkpoint.  A connection opening meanwhile
 * cannot switch the database back to WAL; it retries (wal_on) until the
 * load ends or its busy timeout passes.  Never fork with a connection
 * open: SQLite's locks are per process.
 * Prepared statements are cached by SQL text in a small open-addressed
 * table, so hot paths pay for parsing SQL once per connection.
 *
 * Migrations: each module lists its schema steps (wr_schema_module); the
 * table schema_version(module, version) records what has been applied, and
 * wr_store_open applies the missing steps in order, each in a transaction.
 * A step marked rebuilds_parent (it replaces a table other tables
 * reference) runs with foreign keys off and commits only if
 * foreign_key_check finds no dangling reference.  Temporary storage stays
 * on files (SQLite's default), so large sorts work in runs.
 */
#include "warrant/store.h"
#include "store_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STMT_CACHE 256

struct wr_stmt {
    sqlite3_stmt *st;
    wr_store *store;
    char *sql;
};

struct wr_store {
    sqlite3 *db;
    char *dir;
    int in_tx;
    int readonly;
    int read_depth;   /* nesting of wr_store_read_begin */
    int read_own;     /* the outermost read_begin opened a transaction */
    sqlite3_stmt *read_begin_st, *read_commit_st;
    wr_stmt cache[STMT_CACHE];
};

static unsigned long hash_str(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

/* An I/O error's extended code and errno (SQLITE_IOERR_FSYNC, ...): the
 * message alone ("disk I/O error") does not say which operation failed. */
static const char *io_detail(wr_store *s, int ext)
{
    static _Thread_local char buf[64];
    if ((ext & 0xff) != SQLITE_IOERR)
        return "";
    snprintf(buf, sizeof buf, " (SQLite code %d, errno %d)", ext, sqlite3_system_errno(s->db));
    return buf;
}

/* The wr_status of the connection's last SQLite error. */
static int status_of(int ext)
{
    switch (ext & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_BUSY:
        return WR_ECONFLICT;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return WR_ECORRUPT;
    default:
        return WR_EIO;
    }
}

static int sqlfail(wr_store *s, wr_err *err, const char *what)
{
    int ext = sqlite3_extended_errcode(s->db);
    return wr_fail(err, status_of(ext), "store: %.80s: %s%s", what, sqlite3_errmsg(s->db),
                   io_detail(s, ext));
}

int wr_store_exec(wr_store *s, const char *sql, wr_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int ext = sqlite3_extended_errcode(s->db);
        int rc = wr_fail(err, status_of(ext), "store: %.80s: %s%s", sql, msg ? msg : "exec failed",
                         io_detail(s, ext));
        sqlite3_free(msg);
        return rc;
    }
    return WR_OK;
}

/* The first column of sql's first row (bound with text unless NULL) in
 * *v, 0 when there is no row: 1 or 0 for a row or none, or a status. */
static int query_int(wr_store *s, const char *sql, const char *text, int64_t *v, wr_err *err)
{
    wr_stmt *st;
    *v = 0;
    int rc = wr_stmt_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    if (text)
        wr_stmt_bind_text(st, 1, text);
    rc = wr_stmt_step(st, err);
    if (rc == 1)
        *v = wr_stmt_int(st, 0);
    wr_stmt_done(st);
    return rc;
}

int wr_store_cache_size(wr_store *s, int64_t size, int64_t *old, wr_err *err)
{
    char sql[64];
    int rc = old ? query_int(s, "PRAGMA cache_size", NULL, old, err) : 1;
    if (rc != 1)
        return rc < 0 ? rc : wr_fail(err, WR_EINTERNAL, "store: PRAGMA cache_size gave no row");
    snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)size);
    return wr_store_exec(s, sql, err);
}

/* The schema version of module `name` (0: none yet). */
static int module_version(wr_store *s, const char *name, int *have, wr_err *err)
{
    int64_t v;
    int rc = query_int(s, "SELECT version FROM schema_version WHERE module=?", name, &v, err);
    *have = (int)v;
    return rc < 0 ? rc : WR_OK;
}

/* Two processes may open a new or older store at once: each step reads
 * the version again inside its write transaction (BEGIN IMMEDIATE, so the
 * second waits for the first), and a step the other process applied
 * meanwhile is skipped instead of failing on "table already exists". */
static int migrate(wr_store *s, wr_err *err)
{
    int rc = wr_store_exec(s,
        "CREATE TABLE IF NOT EXISTS schema_version("
        " module TEXT PRIMARY KEY, version INTEGER NOT NULL)", err);
    if (rc)
        return rc;
    for (size_t m = 0; m < wr_schema_module_count; m++) {
        const wr_schema_module *mod = wr_schema_modules[m];
        int have = 0;
        wr_stmt *st;
        if ((rc = module_version(s, mod->name, &have, err)))
            return rc;
        for (size_t i = 0; i < mod->nsteps; i++) {
            const wr_migration *step = &mod->steps[i];
            if (step->version <= have)
                continue;
            if (s->readonly)
                return wr_fail(err, WR_ESTATE, "store: schema of '%s' is at version %d, "
                               "needs %d: open it once read-write", mod->name, have, step->version);
            /* foreign_keys is a no-op inside a transaction: set it first.
             * A failed migration closes the store (wr_store_open), so only
             * success needs to turn them on again. */
            if (step->rebuilds_parent && (rc = wr_store_exec(s, "PRAGMA foreign_keys=OFF", err)))
                return rc;
            if ((rc = wr_store_begin(s, err)))
                return rc;
            if ((rc = module_version(s, mod->name, &have, err)))
                goto fail;
            if (step->version <= have) {   /* another process applied it */
                wr_store_rollback(s);
                if (step->rebuilds_parent && (rc = wr_store_exec(s, "PRAGMA foreign_keys=ON", err)))
                    return rc;
                continue;
            }
            if ((rc = wr_store_exec(s, step->sql, err)))
                goto fail;
            if (step->rebuilds_parent) {
                if ((rc = wr_stmt_prepare(s, "PRAGMA foreign_key_check", &st, err)))
                    goto fail;
                rc = wr_stmt_step(st, err);
                if (rc == 1)
                    rc = wr_fail(err, WR_ECORRUPT, "a row of %s refers to a missing row",
                                 wr_stmt_text(st, 0));
                wr_stmt_done(st);
                if (rc)
                    goto fail;
            }
            if ((rc = wr_stmt_prepare(s, "INSERT INTO schema_version(module, version) VALUES(?,?) "
                                      "ON CONFLICT(module) DO UPDATE SET version=excluded.version",
                                      &st, err)))
                goto fail;
            wr_stmt_bind_text(st, 1, mod->name);
            wr_stmt_bind_int(st, 2, step->version);
            rc = wr_stmt_step(st, err);
            wr_stmt_done(st);
            if (rc < 0)
                goto fail;
            if ((rc = wr_store_commit(s, err)))
                return rc;
            if (step->rebuilds_parent && (rc = wr_store_exec(s, "PRAGMA foreign_keys=ON", err)))
                return rc;
            continue;
        fail:
            wr_store_rollback(s);
            return wr_fail_wrap(err, "migration %s/%d", mod->name, step->version);
        }
    }
    return WR_OK;
}

/* Sets journal_mode (the PRAGMA answers with the mode now in effect, which
 * is the old one when SQLite could not switch): 1 if `mode` is in effect,
 * 0 if not, a negative SQLite code on error. */
static int journal_mode_set(wr_store *s, const char *mode)
{
    char sql[48];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return -(rc & 0xff);
    rc = sqlite3_step(st);
    const unsigned char *now = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    int ok = rc != SQLITE_ROW ? -(rc & 0xff) : now && strcmp((const char *)now, mode) == 0;
    sqlite3_finalize(st);
    return ok;
}

#define BUSY_TIMEOUT_MS 10000
#define BUSY_RETRY_MS 50

/* The database stayed locked for the whole busy timeout: at open, that is
 * another process's bulk load (wr_store_bulk_enter) or a long write. */
static int busy(wr_store *s, wr_err *err)
{
    return wr_fail(err, WR_ECONFLICT, "store: %s is busy: another process holds it, e.g. for a "
                   "bulk load (try again when it ends)", s->dir);
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* WAL mode, for every read-write connection.  Switching a database that
 * another connection holds in rollback-journal mode (a bulk load, see
 * wr_store_bulk_enter) fails at once with SQLITE_BUSY, without the busy
 * handler: so wait here as the handler would, up to the same timeout. */
static int wal_on(wr_store *s, wr_err *err)
{
    /* a try may itself wait in the busy handler (reading the header while
     * the loader writes): keep that short, and the deadline on the clock */
    int64_t deadline = now_ms() + BUSY_TIMEOUT_MS;
    for (;;) {
        sqlite3_busy_timeout(s->db, BUSY_RETRY_MS);
        int ok = journal_mode_set(s, "wal");
        sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
        if (ok == 1)
            return WR_OK;
        if (ok != -SQLITE_BUSY && ok != -SQLITE_LOCKED)
            return sqlfail(s, err, "journal_mode=WAL");
        if (now_ms() >= deadline)
            return busy(s, err);
        sqlite3_sleep(BUSY_RETRY_MS);
    }
}

int wr_store_bulk_enter(wr_store *s)
{
    if (s->readonly || s->in_tx || s->read_depth)
        return 0;
    /* any failure (another connection: SQLITE_BUSY) leaves WAL mode */
    return journal_mode_set(s, "delete") == 1;
}

void wr_store_bulk_leave(wr_store *s)
{
    if (s->readonly || s->in_tx || s->read_depth)
        return;
    /* if another connection holds the database now, it stays in rollback
     * mode until the next wr_store_open switches it (wal_on) */
    (void)journal_mode_set(s, "wal");
}

int wr_store_open(const char *dir, int flags, wr_store **out, wr_err *err)
{
    int rc;
    if (flags & WR_STORE_CREATE) {
        if ((rc = wr_mkdirs(dir, 0700, err)))
            return rc;
    }
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    wr_store *s = calloc(1, sizeof *s);
    if (!path || !s) {
        free(path);
        free(s);
        return wr_fail(err, WR_ENOMEM, "out of memory");
    }
    snprintf(path, n, "%s/warrant.db", dir);
    s->dir = strdup(dir);
    s->readonly = (flags & WR_STORE_READONLY) != 0;
    int oflags = s->readonly ? SQLITE_OPEN_READONLY
                 : SQLITE_OPEN_READWRITE | ((flags & WR_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
    oflags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        rc = wr_fail(err, s->db ? WR_EIO : WR_ENOMEM, "%s: %s%s", path,
                     s->db ? sqlite3_errmsg(s->db) : "cannot open",
                     (flags & WR_STORE_CREATE) ? "" : " (run 'warrant init' first?)");
        free(path);
        wr_store_close(s);
        return rc;
    }
    free(path);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(s->db, 1);
    /* temp_store stays SQLite's default (files): with temp_store=MEMORY
     * SQLite's sorter never writes a sorted run, so every large sort (a
     * CREATE INDEX, an ORDER BY over millions of rows) is one linked list
     * in memory — unbounded, and several times slower than sorting in
     * runs (lib/inventory/bulkidx.c).  Small temporary structures stay in
     * the page cache either way. */
    rc = wr_store_exec(s,
        "PRAGMA foreign_keys=ON;"
        "PRAGMA synchronous=FULL;", err);
    if (rc == WR_ECONFLICT)   /* even reading the schema waited out the timeout */
        rc = busy(s, err);
    if (!rc && !s->readonly)
        rc = wal_on(s, err);
    if (!rc)
        rc = migrate(s, err);
    if (rc) {
        wr_store_close(s);
        return rc;
    }
    *out = s;
    return WR_OK;
}

void wr_store_close(wr_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (s->cache[i].st)
            sqlite3_finalize(s->cache[i].st);
        free(s->cache[i].sql);
    }
    if (s->in_tx)
        wr_store_rollback(s);
    if (s->read_own)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(s->read_begin_st);
    sqlite3_finalize(s->read_commit_st);
    sqlite3_close(s->db);
    free(s->dir);
    free(s);
}

const char *wr_store_dir(const wr_store *s)
{
    return s->dir;
}

int wr_store_readonly(const wr_store *s)
{
    return s->readonly;
}

int wr_store_begin(wr_store *s, wr_err *err)
{
    if (s->in_tx)
        return wr_fail(err, WR_EINTERNAL, "store: nested transaction");
    if (s->read_own)
        return wr_fail(err, WR_ESTATE, "store: write transaction inside a read snapshot");
    int rc = wr_store_exec(s, "BEGIN IMMEDIATE", err);
    if (rc == WR_OK)
        s->in_tx = 1;
    return rc;
}

int wr_store_commit(wr_store *s, wr_err *err)
{
    if (!s->in_tx)
        return wr_fail(err, WR_EINTERNAL, "store: commit outside a transaction");
    int rc = wr_store_exec(s, "COMMIT", err);
    if (rc) {
        wr_store_rollback(s);
        return rc;
    }
    s->in_tx = 0;
    return WR_OK;
}

void wr_store_rollback(wr_store *s)
{
    if (!s->in_tx)
        return;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = 0;
}

int wr_store_in_transaction(const wr_store *s)
{
    return s->in_tx;
}

/* Runs BEGIN or COMMIT from a statement prepared once: sqlite3_exec would
 * parse the SQL again on every call, a noticeable part of a short read. */
static int run_cached(wr_store *s, sqlite3_stmt **st, const char *sql, wr_err *err)
{
    if (!*st && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return sqlfail(s, err, "prepare");
    int rc = sqlite3_step(*st);
    sqlite3_reset(*st);
    return rc == SQLITE_DONE ? WR_OK : sqlfail(s, err, sql);
}

/* A deferred BEGIN takes the read lock at the first read and keeps it, and
 * the snapshot, until COMMIT. */
int wr_store_read_begin(wr_store *s, wr_err *err)
{
    if (s->read_depth++ > 0 || s->in_tx)
        return WR_OK;
    int rc = run_cached(s, &s->read_begin_st, "BEGIN", err);
    if (rc) {
        s->read_depth--;
        return rc;
    }
    s->read_own = 1;
    return WR_OK;
}

void wr_store_read_end(wr_store *s)
{
    if (s->read_depth == 0 || --s->read_depth > 0 || !s->read_own)
        return;
    s->read_own = 0;
    wr_err e;
    if (run_cached(s, &s->read_commit_st, "COMMIT", &e) != WR_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);   /* only a read: nothing to lose */
}

int wr_stmt_prepare(wr_store *s, const char *sql, wr_stmt **out, wr_err *err)
{
    size_t h = hash_str(sql) % STMT_CACHE;
    for (size_t probe = 0; probe < STMT_CACHE; probe++) {
        wr_stmt *slot = &s->cache[(h + probe) % STMT_CACHE];
        if (slot->sql && strcmp(slot->sql, sql) == 0) {
            *out = slot;
            return WR_OK;
        }
        if (!slot->sql) {
            if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot->st, NULL) != SQLITE_OK)
                return sqlfail(s, err, "prepare");
            slot->sql = strdup(sql);
            slot->store = s;
            *out = slot;
            return WR_OK;
        }
    }
    return wr_fail(err, WR_EINTERNAL, "store: statement cache full");
}

int wr_stmt_bind_text(wr_stmt *st, int idx, const char *v)
{
    return v ? sqlite3_bind_text(st->st, idx, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st->st, idx);
}

int wr_stmt_bind_int(wr_stmt *st, int idx, int64_t v)
{
    return sqlite3_bind_int64(st->st, idx, (sqlite3_int64)v);
}

int wr_stmt_bind_blob(wr_stmt *st, int idx, const void *v, size_t len)
{
    return sqlite3_bind_blob64(st->st, idx, v, (sqlite3_uint64)len, SQLITE_TRANSIENT);
}

int wr_stmt_bind_null(wr_stmt *st, int idx)
{
    return sqlite3_bind_null(st->st, idx);
}

int wr_stmt_step(wr_stmt *st, wr_err *err)
{
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sqlfail(st->store, err, "step");
}

const char *wr_stmt_text(wr_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st->st, col);
}

int64_t wr_stmt_int(wr_stmt *st, int col)
{
    return (int64_t)sqlite3_column_int64(st->st, col);
}

const void *wr_stmt_blob(wr_stmt *st, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(st->st, col);
    if (len)
        *len = (size_t)sqlite3_column_bytes(st->st, col);
    return p;
}

int wr_stmt_is_null(wr_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

int wr_stmt_collect(wr_stmt *st, json_t *(*row)(wr_stmt *st, void *arg), void *arg, size_t max,
                    json_t **out, wr_err *err)
{
    json_t *arr = json_array();
    int rc;
    while ((rc = wr_stmt_step(st, err)) == 1) {
        if (max && json_array_size(arr) >= max) {
            rc = wr_fail(err, WR_ELIMIT, "more than %zu rows", max);
            break;
        }
        json_t *v = row(st, arg);
        if (v)
            json_array_append_new(arr, v);
    }
    wr_stmt_done(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return WR_OK;
}

void wr_stmt_done(wr_stmt *st)
{
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
}

int64_t wr_store_changes(wr_store *s)
{
    return (int64_t)sqlite3_changes64(s->db);
}
