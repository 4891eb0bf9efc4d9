/*
 * bulkidx.c — secondary indexes set aside during a bulk first load.
 *
 * A bulk load (import.c: the table was empty when the file's first row of
 * its kind arrived) inserts millions of rows in file order.  Every
 * secondary index of the table (accounts: system, identity, source) then
 * takes an insert per row at a random place of its B-tree; building the
 * same index once after the load is a sort, several times cheaper.  So the
 * importer drops them when the bulk load starts and creates them again,
 * from their own stored definitions, before the file's transaction
 * commits.  Both happen inside that transaction: if the import fails or
 * --strict refuses the file, the rollback restores the schema exactly as
 * it was, indexes included.
 *
 * Only indexes with a stored definition (CREATE INDEX ...) are set aside:
 * the inline unique keys (most text ids, the grant's primary key) are
 * automatic indexes without one, and they stay, since they are what turns
 * a repeated key of the file away (INSERT OR IGNORE) at the row that
 * repeats it.  A unique key declared as its own index (accounts_id,
 * schema step 3) goes too; the importer then checks the file's keys in
 * memory (import.c: keycheck) and the rebuilt index confirms them.
 *
 * Data structure: the saved definitions are one string, the CREATE
 * statements joined by ';', which wr_store_exec runs as one script.
 */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Definitions of a table are a few hundred bytes; this bounds the buffer. */
#define BULKIDX_MAX 65536

int inv_bulkidx_drop(wr_store *s, const char *table, char **saved, wr_err *err)
{
    *saved = NULL;
    wr_buf defs = WR_BUF_INIT, drops = WR_BUF_INIT;
    defs.max = drops.max = BULKIDX_MAX;
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "SELECT name, sql FROM sqlite_schema WHERE type='index' "
                             "AND tbl_name=?1 AND sql IS NOT NULL ORDER BY name", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_text(st, 1, table);
    while ((rc = wr_stmt_step(st, err)) == 1) {
        /* index names are the schema's own (identifiers without quotes) */
        if (wr_buf_printf(&defs, "%s;", wr_stmt_text(st, 1)) ||
            wr_buf_printf(&drops, "DROP INDEX \"%s\";", wr_stmt_text(st, 0))) {
            rc = wr_fail(err, WR_ELIMIT, "%s: index definitions over %d bytes", table,
                         BULKIDX_MAX);
            break;
        }
    }
    wr_stmt_done(st);
    if (rc == 0 && drops.len)
        rc = wr_store_exec(s, drops.data, err);
    wr_buf_free(&drops);
    if (rc || !defs.len) {
        wr_buf_free(&defs);
        return rc < 0 ? rc : WR_OK;
    }
    *saved = wr_buf_steal(&defs);
    return WR_OK;
}

/* The sort behind CREATE INDEX.  SQLite's sorter sorts runs as large as
 * the page cache and merges them from temporary files (lib/store keeps
 * temp_store on files for this).  The import's page cache is 256 MiB
 * (import.c): one run then holds every key of the index, and sorting it
 * is a walk of one linked list, a cache miss per step — 7 s of user time
 * for the 4.3M ids of the accounts benchmark, against 1.9 s in runs of
 * 1 to 4 MiB (bench/RESULTS-inventory.md, round 6; a sorter worker
 * thread, PRAGMA threads, gained nothing).  So the rebuild runs with a
 * SORT_RUN_KIB page cache, put back afterwards.  Shrinking the cache
 * drops its clean pages, so the table pages the load already spilled to
 * the WAL are read back from there — far cheaper than the one-list sort. */
#define SORT_RUN_KIB 2048

int inv_bulkidx_restore(wr_store *s, char **saved, wr_err *err)
{
    if (!*saved)
        return WR_OK;
    int64_t cache_size = 0;
    int rc = wr_store_cache_size(s, -SORT_RUN_KIB, &cache_size, err);
    if (rc == WR_OK) {
        rc = wr_store_exec(s, *saved, err);
        /* touches no file: putting back a value SQLite reported cannot fail */
        wr_err ignored = {0};
        if (wr_store_cache_size(s, cache_size, NULL, &ignored) != WR_OK && rc == WR_OK)
            rc = wr_fail(err, WR_EINTERNAL, "bulkidx: cannot restore cache_size=%lld", (long long)cache_size);
    }
    free(*saved);
    *saved = NULL;
    return rc;
}
