/*
 * batchload.c — multi-row INSERTs for a first load (accounts, grants).
 *
 * A first load (the table was empty, import.c: bulk) inserts each row with
 * INSERT OR IGNORE and learns from the change count that a repeated key
 * was turned away, so it can report that row's line.  SQLite's
 * per-statement work (run setup, bind, step, reset) is a large share of
 * such an insert; one statement of INV_BATCH_ROWS rows pays it once.  But
 * a multi-row statement cannot say which of its rows was turned away, so
 * only rows known to be new go into one:
 *
 *   accounts: the importer checks each id in the table's reference map
 *   (import.c: keycheck), exactly, before the row gets here.
 *
 *   grants: a grants file lists an account's grants together (a "run").
 *   A run of an account that has had no run before, i.e. the first time
 *   the account shows up, can repeat a pair only within itself, which a
 *   tiny set of the run's entitlement rids decides exactly
 *   (inv_batch_classify).  An account showing up again later (its bit in
 *   `began` is set), or a run with more than RUN_MAX entitlements, cannot
 *   be decided cheaply: those rows take the one-row INSERT OR IGNORE,
 *   exactly as before, after the queued rows are written (file order is
 *   kept, so the earliest line of a pair wins).
 *
 * Data structure: the queue of up to INV_BATCH_ROWS rows of nparams
 * values, whose texts are copied into a fixed arena (bindings need them
 * until the flush); for grants also `began`, one bit per account rid
 * (1..max rid when the load started, capped at BATCH_MAX_RID: beyond it
 * there is no batching), and the current run (account rid, up to RUN_MAX
 * entitlement rids).
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
#define BATCH_MAX_RID ((int64_t)1 << 30)

int inv_batch_enabled = 1;

struct inv_batch {
    wr_store *s;
    int nparams;
    char types[INV_MAXCOL + 1];  /* 'i' bind an integer, 't' a text */
    char *single;                /* the one-row statement */
    char *multi;                 /* ... of INV_BATCH_ROWS rows */
    wr_stmt *multi_st;
    uint8_t *began;              /* grants: accounts whose run began */
    int64_t maxrid;
    int64_t cur;                 /* account of the current run (0: none) */
    int run_slow;                /* the current run cannot be decided */
    int nents;
    int64_t ents[RUN_MAX];
    size_t n, alen, acap;
    inv_val rows[INV_BATCH_ROWS][INV_MAXCOL + 1];
    char first_where[560];       /* where the queued rows begin */
    char *arena;
};

void inv_batch_free(inv_batch *b)
{
    if (!b)
        return;
    free(b->single);
    free(b->multi);
    free(b->began);
    free(b->arena);
    free(b);
}

int inv_batch_new(wr_store *s, const char *single_sql, int nparams, const char *types,
                  int grant_runs, inv_batch **out, wr_err *err)
{
    *out = NULL;
    if (!inv_batch_enabled)
        return WR_OK;
    int64_t maxrid = 0;
    int rc = grant_runs ? inv_query_ints(s, "SELECT ifnull(max(rid), 0) FROM accounts", NULL,
                                         &maxrid, NULL, err) : WR_OK;
    if (rc || (grant_runs && (maxrid <= 0 || maxrid >= BATCH_MAX_RID)))
        return rc;
    /* the multi-row form: the one-row statement's text up to VALUES, then
     * INV_BATCH_ROWS groups of anonymous parameters (numbered in order) */
    const char *values = strstr(single_sql, " VALUES(");
    if (!values)
        return wr_fail(err, WR_EINTERNAL, "batchload: no VALUES in %s", single_sql);
    inv_batch *b = calloc(1, sizeof *b);
    wr_buf q = WR_BUF_INIT;
    if (!b)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    b->s = s;
    b->nparams = nparams;
    memcpy(b->types, types, (size_t)nparams);
    b->maxrid = maxrid;
    b->single = strdup(single_sql);
    b->began = grant_runs ? calloc((size_t)(maxrid / 8 + 1), 1) : NULL;
    /* a checked text is at most INV_CHECK_SCRATCH bytes (a field, or a
     * derived id; import.c ensures it of --source before making a batch) */
    for (int c = 0; c < nparams; c++)
        b->acap += types[c] == 't' ? INV_BATCH_ROWS * (INV_CHECK_SCRATCH + 1) : 0;
    b->arena = malloc(b->acap + 1);
    rc = wr_buf_append(&q, single_sql, (size_t)(values - single_sql));
    rc = rc ? rc : wr_buf_puts(&q, " VALUES");
    for (int r = 0; r < INV_BATCH_ROWS && !rc; r++) {
        rc = wr_buf_puts(&q, r ? ",(" : "(");
        for (int c = 0; c < nparams && !rc; c++)
            rc = wr_buf_puts(&q, c ? ",?" : "?");
        rc = rc ? rc : wr_buf_puts(&q, ")");
    }
    b->multi = wr_buf_steal(&q);
    if (rc || !b->single || (grant_runs && !b->began) || !b->arena || !b->multi) {
        inv_batch_free(b);
        return wr_fail(err, WR_ENOMEM, "out of memory");
    }
    *out = b;
    return WR_OK;
}

int inv_batch_classify(inv_batch *b, int64_t account, int64_t entitlement)
{
    if (!b->began)
        return 2;
    if (account != b->cur) {
        b->cur = account;
        b->nents = 0;
        b->run_slow = account <= 0 || account > b->maxrid ||
                      (b->began[account / 8] & (1u << (account % 8)));
        if (account > 0 && account <= b->maxrid)
            b->began[account / 8] |= (uint8_t)(1u << (account % 8));
    }
    if (b->run_slow)
        return 2;
    for (int i = 0; i < b->nents; i++)
        if (b->ents[i] == entitlement)
            return 0;
    if (b->nents == RUN_MAX) {
        b->run_slow = 1;
        return 2;
    }
    b->ents[b->nents++] = entitlement;
    return 1;
}

static void bind_row(wr_stmt *st, int base, const char *types, int nparams, const inv_val *v)
{
    for (int c = 0; c < nparams; c++) {
        if (v[c].null)
            wr_stmt_bind_null(st, base + c + 1);
        else if (types[c] == 'i')
            wr_stmt_bind_int(st, base + c + 1, v[c].i);
        else
            wr_stmt_bind_text(st, base + c + 1, v[c].s);
    }
}

/* Steps st, which inserts `rows` rows that must all be new. */
static int insert(inv_batch *b, wr_stmt *st, size_t rows, wr_err *err)
{
    int rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        return wr_fail_wrap(err, "%s%s", b->first_where,
                            rows > 1 ? " (a batch of rows starting here)" : "");
    if ((size_t)wr_store_changes(b->s) != rows)
        return wr_fail(err, WR_EINTERNAL, "%s: a batch of %zu new rows inserted only %lld",
                       b->first_where, rows, (long long)wr_store_changes(b->s));
    return WR_OK;
}

int inv_batch_flush(inv_batch *b, wr_err *err)
{
    if (!b || !b->n)
        return WR_OK;
    int rc = WR_OK;
    if (b->n == INV_BATCH_ROWS) {
        if (!b->multi_st && (rc = wr_stmt_prepare(b->s, b->multi, &b->multi_st, err)))
            return rc;
        for (size_t r = 0; r < b->n; r++)
            bind_row(b->multi_st, (int)r * b->nparams, b->types, b->nparams, b->rows[r]);
        rc = insert(b, b->multi_st, b->n, err);
    } else {
        for (size_t r = 0; r < b->n && !rc; r++) {
            wr_stmt *st;
            if ((rc = wr_stmt_prepare(b->s, b->single, &st, err)))
                break;
            bind_row(st, 0, b->types, b->nparams, b->rows[r]);
            rc = insert(b, st, 1, err);
        }
    }
    b->n = b->alen = 0;
    return rc;
}

int inv_batch_add(inv_batch *b, const inv_val *v, const char *where, wr_err *err)
{
    if (!b->n)
        snprintf(b->first_where, sizeof b->first_where, "%s", where);
    inv_val *row = b->rows[b->n++];
    for (int c = 0; c < b->nparams; c++) {
        row[c] = v[c];
        if (v[c].null || b->types[c] == 'i')
            continue;
        size_t len = strlen(v[c].s);
        if (len > INV_CHECK_SCRATCH || b->alen + len + 1 > b->acap)
            return wr_fail(err, WR_EINTERNAL, "%s: text over the batch's room", where);
        memcpy(b->arena + b->alen, v[c].s, len + 1);
        row[c].s = b->arena + b->alen;
        b->alen += len + 1;
    }
    return b->n == INV_BATCH_ROWS ? inv_batch_flush(b, err) : WR_OK;
}
