/*
 * grantload.c — multi-row INSERTs for a first load of grants.
 *
 * A first load (the grants table was empty, not a full snapshot) inserts
 * each grant with INSERT OR IGNORE and learns from the change count that a
 * repeated (account, entitlement) pair was turned away, so it can report
 * that row's line.  SQLite's per-statement work (run setup, bind, step,
 * reset) is a third of such an insert; one statement of INV_GRANT_ROWS
 * rows pays it once.  But a multi-row statement cannot say which of its
 * rows was turned away, so only grants known to be new go into one:
 *
 *   a grants file lists an account's grants together (a "run").  A run of
 *   an account that has had no run before, i.e. the first time the
 *   account shows up, can repeat a pair only within itself, which a tiny
 *   set of the run's entitlement rids decides exactly.  An account showing
 *   up again later (its bit in `began` is set), or a run with more than
 *   RUN_MAX entitlements, cannot be decided cheaply: those rows take the
 *   one-row INSERT OR IGNORE, exactly as before, after the queued rows are
 *   written (file order is kept, so the earliest line of a pair wins).
 *
 * Data structure: `began`, one bit per account rid (1..max rid when the
 * load started, capped at GRANTLOAD_MAX_RID: beyond it there is no
 * batching); the current run (account rid, up to RUN_MAX entitlement
 * rids); the queue of up to INV_GRANT_ROWS checked rows whose texts are
 * copied into a fixed arena (bindings need them until the flush).
 *
 * A queued row that the database nevertheless turned away would be a bug
 * in this reasoning; the flush checks the change count and fails the
 * import (rolled back) rather than lose a row silently.
 */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MAX 64
/* 2^30 account rids: a 128 MiB bitmap at most */
#define GRANTLOAD_MAX_RID ((int64_t)1 << 30)
#define GRANTLOAD_ARENA (INV_GRANT_ROWS * 2 * (WR_INV_FIELD_MAX + 1))

int inv_grantload_enabled = 1;

struct inv_grantload {
    wr_store *s;
    int ncols;
    char types[INV_MAXCOL];      /* 'i' bind an integer, 't' a text */
    char *single;                /* INSERT OR IGNORE of one row */
    char *multi;                 /* ... of INV_GRANT_ROWS rows */
    wr_stmt *multi_st;
    uint8_t *began;
    int64_t maxrid;
    int64_t cur;                 /* account of the current run (0: none) */
    int run_slow;                /* the current run cannot be decided */
    int nents;
    int64_t ents[RUN_MAX];
    size_t n, alen;
    inv_val rows[INV_GRANT_ROWS][INV_MAXCOL];
    char first_where[560];       /* where the queued rows begin */
    char *arena;
};

void inv_grantload_free(inv_grantload *g)
{
    if (!g)
        return;
    free(g->single);
    free(g->multi);
    free(g->began);
    free(g->arena);
    free(g);
}

int inv_grantload_new(wr_store *s, const char *single_sql, int ncols, const char *types,
                      inv_grantload **out, wr_err *err)
{
    *out = NULL;
    if (!inv_grantload_enabled)
        return WR_OK;
    int64_t maxrid = 0;
    int rc = inv_query_ints(s, "SELECT ifnull(max(rid), 0) FROM accounts", NULL, &maxrid, NULL,
                            err);
    if (rc || maxrid <= 0 || maxrid >= GRANTLOAD_MAX_RID)
        return rc;
    /* the multi-row form: the one-row statement's text up to VALUES, then
     * INV_GRANT_ROWS groups of anonymous parameters (numbered in order) */
    const char *values = strstr(single_sql, " VALUES(");
    if (!values)
        return wr_fail(err, WR_EINTERNAL, "grantload: no VALUES in %s", single_sql);
    inv_grantload *g = calloc(1, sizeof *g);
    wr_buf b = WR_BUF_INIT;
    if (!g)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    g->s = s;
    g->ncols = ncols;
    memcpy(g->types, types, (size_t)ncols);
    g->maxrid = maxrid;
    g->single = strdup(single_sql);
    g->began = calloc((size_t)(maxrid / 8 + 1), 1);
    g->arena = malloc(GRANTLOAD_ARENA);
    rc = wr_buf_append(&b, single_sql, (size_t)(values - single_sql));
    rc = rc ? rc : wr_buf_puts(&b, " VALUES");
    for (int r = 0; r < INV_GRANT_ROWS && !rc; r++) {
        rc = wr_buf_puts(&b, r ? ",(" : "(");
        for (int c = 0; c < ncols && !rc; c++)
            rc = wr_buf_puts(&b, c ? ",?" : "?");
        rc = rc ? rc : wr_buf_puts(&b, ")");
    }
    g->multi = wr_buf_steal(&b);
    if (rc || !g->single || !g->began || !g->arena || !g->multi) {
        inv_grantload_free(g);
        return wr_fail(err, WR_ENOMEM, "out of memory");
    }
    *out = g;
    return WR_OK;
}

int inv_grantload_classify(inv_grantload *g, int64_t account, int64_t entitlement)
{
    if (account != g->cur) {
        g->cur = account;
        g->nents = 0;
        g->run_slow = account <= 0 || account > g->maxrid ||
                      (g->began[account / 8] & (1u << (account % 8)));
        if (account > 0 && account <= g->maxrid)
            g->began[account / 8] |= (uint8_t)(1u << (account % 8));
    }
    if (g->run_slow)
        return 2;
    for (int i = 0; i < g->nents; i++)
        if (g->ents[i] == entitlement)
            return 0;
    if (g->nents == RUN_MAX) {
        g->run_slow = 1;
        return 2;
    }
    g->ents[g->nents++] = entitlement;
    return 1;
}

static void bind_row(wr_stmt *st, int base, const char *types, int ncols, const inv_val *v)
{
    for (int c = 0; c < ncols; c++) {
        if (v[c].null)
            wr_stmt_bind_null(st, base + c + 1);
        else if (types[c] == 'i')
            wr_stmt_bind_int(st, base + c + 1, v[c].i);
        else
            wr_stmt_bind_text(st, base + c + 1, v[c].s);
    }
}

/* Steps st, which inserts `rows` rows that must all be new. */
static int insert(inv_grantload *g, wr_stmt *st, size_t rows, wr_err *err)
{
    int rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        return wr_fail_wrap(err, "%s%s", g->first_where,
                            rows > 1 ? " (a batch of grants starting here)" : "");
    if ((size_t)wr_store_changes(g->s) != rows)
        return wr_fail(err, WR_EINTERNAL, "%s: a batch of %zu new grants inserted only %lld",
                       g->first_where, rows, (long long)wr_store_changes(g->s));
    return WR_OK;
}

int inv_grantload_flush(inv_grantload *g, wr_err *err)
{
    if (!g || !g->n)
        return WR_OK;
    int rc = WR_OK;
    if (g->n == INV_GRANT_ROWS) {
        if (!g->multi_st && (rc = wr_stmt_prepare(g->s, g->multi, &g->multi_st, err)))
            return rc;
        for (size_t r = 0; r < g->n; r++)
            bind_row(g->multi_st, (int)r * g->ncols, g->types, g->ncols, g->rows[r]);
        rc = insert(g, g->multi_st, g->n, err);
    } else {
        for (size_t r = 0; r < g->n && !rc; r++) {
            wr_stmt *st;
            if ((rc = wr_stmt_prepare(g->s, g->single, &st, err)))
                break;
            bind_row(st, 0, g->types, g->ncols, g->rows[r]);
            rc = insert(g, st, 1, err);
        }
    }
    g->n = g->alen = 0;
    return rc;
}

int inv_grantload_add(inv_grantload *g, const inv_val *v, const char *where, wr_err *err)
{
    if (!g->n)
        snprintf(g->first_where, sizeof g->first_where, "%s", where);
    inv_val *row = g->rows[g->n++];
    for (int c = 0; c < g->ncols; c++) {
        row[c] = v[c];
        if (v[c].null || g->types[c] == 'i')
            continue;
        /* a text of a checked row is at most WR_INV_FIELD_MAX bytes, and
         * grants have two text columns: the arena holds them all */
        size_t len = strlen(v[c].s);
        if (len > WR_INV_FIELD_MAX || g->alen + len + 1 > GRANTLOAD_ARENA)
            return wr_fail(err, WR_EINTERNAL, "%s: grant text over the batch's room", where);
        memcpy(g->arena + g->alen, v[c].s, len + 1);
        row[c].s = g->arena + g->alen;
        g->alen += len + 1;
    }
    return g->n == INV_GRANT_ROWS ? inv_grantload_flush(g, err) : WR_OK;
}
