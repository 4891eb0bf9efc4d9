/*
 * warrant/store.h — the data directory and its embedded database.
 *
 * A data directory holds warrant.db (SQLite, WAL mode, foreign keys on,
 * synchronous=FULL so a commit is durable when it returns), a sandbox/
 * directory (a second store holding the sandbox copy of the inventory, so
 * sandbox work can never touch production state) and the log's signing key
 * (log.key, mode 0600).
 *
 * Every module reaches the database only through this module (lib/store):
 * statements are prepared, bound and stepped through wr_stmt, so a second
 * backend (PostgreSQL) can follow by re-implementing lib/store alone.
 * Schema migrations are versioned per module and applied in order at open.
 */
#ifndef WARRANT_STORE_H
#define WARRANT_STORE_H

#include "warrant/core.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wr_store wr_store;

enum {
    WR_STORE_CREATE = 1,   /* create the directory and database if missing */
    WR_STORE_READONLY = 2  /* open for reading only */
};

/* Opens (and migrates) the store in data directory dir. */
int wr_store_open(const char *dir, int flags, wr_store **out, wr_err *err) WR_MUST_CHECK;
void wr_store_close(wr_store *s);
/* The data directory this store lives in (borrowed). */
const char *wr_store_dir(const wr_store *s);
/* Whether the store was opened WR_STORE_READONLY. */
int wr_store_readonly(const wr_store *s);

/* Transactions.  begin takes the write lock at once (BEGIN IMMEDIATE), so
 * two processes racing to change the same object serialise here and the
 * loser re-reads the state it is about to change.  Nesting is not allowed. */
int wr_store_begin(wr_store *s, wr_err *err) WR_MUST_CHECK;
int wr_store_commit(wr_store *s, wr_err *err) WR_MUST_CHECK;
void wr_store_rollback(wr_store *s);
int wr_store_in_transaction(const wr_store *s);

/* Bulk mode, for loading millions of rows into empty tables (a first
 * import).  In WAL mode every page is written twice: to the log, then by
 * the checkpoint into the database.  A load that has the database to
 * itself can write through a rollback journal instead, where the new pages
 * beyond the file's old end are written once and need no journal copy.
 * wr_store_bulk_enter (outside a transaction) switches this connection to
 * a rollback journal only if no other connection has the database open
 * (SQLite refuses otherwise, at once) and returns 1; else it returns 0 and
 * nothing changes.  Durability and atomicity are the same in both modes
 * (synchronous=FULL; a crash mid-load leaves a journal that the next open
 * rolls back).  While the load runs, other connections cannot open the
 * database: wr_store_open waits up to its busy timeout (10 s), then fails
 * naming the reason.  wr_store_bulk_leave (after commit or rollback) puts
 * the connection back in WAL mode; should another connection hold the
 * database at that moment, the next wr_store_open does it. */
int wr_store_bulk_enter(wr_store *s);
void wr_store_bulk_leave(wr_store *s);

/* Read snapshots.  Outside a transaction each statement takes and releases
 * the database's read lock on its own and sees the latest commit.  Between
 * wr_store_read_begin and wr_store_read_end the statements share one
 * consistent snapshot and one lock (cheaper for a reader that needs several
 * rows, e.g. a log proof: a checkpoint and the hashes under it).  Commits
 * of other connections become visible after read_end.  Calls nest (a
 * counter; only the outermost pair acts) and are no-ops inside a write
 * transaction, which is already one snapshot.  wr_store_begin inside a read
 * snapshot fails with WR_ESTATE.  Keep snapshots short: an open snapshot
 * keeps the write-ahead log from being checkpointed past it. */
int wr_store_read_begin(wr_store *s, wr_err *err) WR_MUST_CHECK;
void wr_store_read_end(wr_store *s);

/* ---- statements ------------------------------------------------------- */
typedef struct wr_stmt wr_stmt;

/* Prepare SQL with ?-parameters (cached per store).  The statement is reset
 * and its bindings cleared by wr_stmt_done, which every user must call. */
int wr_stmt_prepare(wr_store *s, const char *sql, wr_stmt **out, wr_err *err) WR_MUST_CHECK;
int wr_stmt_bind_text(wr_stmt *st, int idx, const char *v);   /* NULL binds NULL */
int wr_stmt_bind_int(wr_stmt *st, int idx, int64_t v);
int wr_stmt_bind_blob(wr_stmt *st, int idx, const void *v, size_t len);
int wr_stmt_bind_null(wr_stmt *st, int idx);
/* 1 = a row is available, 0 = done, negative = error (err filled). */
int wr_stmt_step(wr_stmt *st, wr_err *err) WR_MUST_CHECK;
const char *wr_stmt_text(wr_stmt *st, int col);   /* NULL for SQL NULL */
int64_t wr_stmt_int(wr_stmt *st, int col);
const void *wr_stmt_blob(wr_stmt *st, int col, size_t *len);
int wr_stmt_is_null(wr_stmt *st, int col);
void wr_stmt_done(wr_stmt *st);
/* Steps st to its end and gathers one JSON value per row, made by row(st,
 * arg), into a new array *out (caller decrefs); a row function returning
 * NULL skips that row.  Always calls wr_stmt_done.  Stops with WR_ELIMIT
 * after max rows (0: no limit). */
int wr_stmt_collect(wr_stmt *st, json_t *(*row)(wr_stmt *st, void *arg), void *arg, size_t max,
                    json_t **out, wr_err *err) WR_MUST_CHECK;
/* Run SQL without results (may hold several statements, no parameters). */
int wr_store_exec(wr_store *s, const char *sql, wr_err *err) WR_MUST_CHECK;
/* Rows changed by the last statement. */
int64_t wr_store_changes(wr_store *s);
/* Sets the connection's page cache (PRAGMA cache_size: pages when size >
 * 0, KiB when < 0) and, when old is not NULL, gives the setting it
 * replaces, to put back with another call. */
int wr_store_cache_size(wr_store *s, int64_t size, int64_t *old, wr_err *err) WR_MUST_CHECK;

/* ---- migrations ------------------------------------------------------ */
typedef struct wr_migration {
    int version;        /* 1, 2, 3 ... within its module */
    const char *sql;    /* applied in one transaction */
    /* 1: the step rebuilds a table other tables reference (create the new
     * table, copy, drop the old one, rename the new one: SQLite's way to
     * change what ALTER TABLE cannot).  It then runs with foreign keys off,
     * so that the drop fires no ON DELETE action and the rename rewrites
     * no REFERENCES, and commits only if foreign_key_check finds nothing. */
    int rebuilds_parent;
} wr_migration;

typedef struct wr_schema_module {
    const char *name;               /* "core", "ledger", "workflow", ... */
    const wr_migration *steps;
    size_t nsteps;
} wr_schema_module;

#ifdef __cplusplus
}
#endif
#endif
