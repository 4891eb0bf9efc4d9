/*
 * import_csv.c — CSV front-end of the importer.
 *
 * The first record is the header naming the columns (names of
 * README-inventory.md; unknown columns are ignored, a repeated one is an
 * error).  The kind is --kind, else the file name ("identities.csv",
 * "grants-2024.csv"), else guessed from the header.  A column the header
 * lacks leaves the stored value alone; an empty cell clears it.
 */
#include "import.h"
#include "csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kind named at the start of the file's base name, or -1. */
static int kind_from_name(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (int k = 0; k < K_COUNT; k++) {
        size_t n = strlen(inv_kind_name(k));
        if (strncmp(base, inv_kind_name(k), n) == 0 && !((base[n] >= 'a' && base[n] <= 'z')))
            return k;
    }
    return -1;
}

int inv_import_kind_of(const inv_import *im, const char *name)
{
    const wr_import_opts *o = inv_import_opts(im);
    return o->kind ? inv_kind_parse(o->kind) : kind_from_name(name);
}

void inv_put_line(char *out, uint64_t n)
{
    char tmp[21];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (i)
        *out++ = tmp[--i];
    *out = '\0';
}

/* The records after the header, and where their rows go: to the importer
 * on this thread, or (pipe set) to the two-thread pipeline (pipeline.c). */
typedef struct csv_job {
    inv_import *im;
    inv_csv c;
    const char *data;
    size_t len;
    int kind, ncols, map[WR_INV_MAX_COLUMNS];
    wr_err *err;
    /* "file:line" of every record: the name is written once, the line
     * number per record (snprintf per row showed at ten million rows) */
    char where[512 + 24];
    int plen;
} csv_job;

static int job_reject(csv_job *j, inv_pipe *pipe, const char *fmt, ...) WR_PRINTF(3, 4);
static int job_reject(csv_job *j, inv_pipe *pipe, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (pipe)
        return inv_pipe_reject(pipe, j->c.record_line, "%s", msg);
    inv_put_line(j->where + j->plen, j->c.record_line);
    inv_import_reject(j->im, j->where, "%s", msg);
    return 0;
}

/* Reads every record; nonzero stops (a store failure, or the pipeline's
 * consumer failed). */
static int csv_records(void *arg, inv_pipe *pipe)
{
    csv_job *j = arg;
    inv_csv *c = &j->c;
    uint64_t n = 0;
    int rc;
    while ((rc = inv_csv_next(c)) != 0) {
        if (rc < 0) {
            if (job_reject(j, pipe, "%s", c->error))
                return -1;
            continue;
        }
        if (c->nfields != j->ncols) {
            if (job_reject(j, pipe, "%d fields, the header has %d", c->nfields, j->ncols))
                return -1;
            continue;
        }
        inv_row row;
        memset(&row, 0, sizeof row);
        row.kind = j->kind;
        for (int i = 0; i < j->ncols; i++) {
            if (j->map[i] < 0)
                continue;
            row.present[j->map[i]] = 1;
            row.v[j->map[i]] = c->lens[i] ? c->fields[i] : NULL;
            row.len[j->map[i]] = c->lens[i];
        }
        if (pipe) {
            inv_pipe_progress(pipe, (uint64_t)(c->p - j->data));
            if (inv_pipe_row(pipe, &row, c->record_line))
                return -1;
            continue;
        }
        inv_put_line(j->where + j->plen, c->record_line);
        if ((rc = inv_import_row(j->im, &row, j->where, j->err)))
            return rc;
        if (++n % 65536 == 0)
            inv_import_progress(j->im, (uint64_t)(c->p - j->data), j->len);
    }
    return 0;
}

/* Rows of the file, estimated from the length of its first lines (a
 * generated or exported file's rows are alike); a little over, since a
 * map sized too small grows by a rehash of everything in it. */
static uint64_t rows_estimate(const char *data, size_t len)
{
    size_t sample = len < 65536 ? len : 65536, lines = 0;
    for (const char *p = data, *end = data + sample; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        lines++;
    if (!lines)
        return 0;
    return (uint64_t)((double)len / (double)sample * (double)lines * 1.1) + 1;
}

int inv_import_csv(inv_import *im, const char *name, const char *data, size_t len, wr_err *err)
{
    inv_csv c;
    inv_csv_init(&c, data, len);
    int rc = inv_csv_next(&c), kind;
    if (rc <= 0) {
        rc = rc == 0 ? wr_fail(err, WR_EINVAL, "%s: empty file (a CSV file starts with a header row)", name)
                     : wr_fail(err, WR_EINVAL, "%s:%llu: header: %s", name,
                               (unsigned long long)c.record_line, c.error);
        inv_csv_free(&c);
        return rc;
    }
    int ncols = c.nfields, map[WR_INV_MAX_COLUMNS];
    char *names[WR_INV_MAX_COLUMNS];
    for (int i = 0; i < ncols; i++)
        names[i] = strdup(c.fields[i]);
    kind = inv_import_kind_of(im, name);
    if (kind < 0)
        kind = inv_kind_guess((const char *const *)names, ncols);
    if (kind < 0) {
        rc = wr_fail(err, WR_EINVAL, "%s:1: cannot tell what the file holds from its name or "
                     "header: use --kind", name);
        goto out;
    }
    int seen[INV_MAXCOL] = {0};
    for (int i = 0; i < ncols; i++) {
        map[i] = names[i] ? inv_col_index(kind, names[i]) : -1;
        if (map[i] >= 0 && seen[map[i]]++) {
            rc = wr_fail(err, WR_EINVAL, "%s:1: column '%s' appears twice", name, names[i]);
            goto out;
        }
    }
    csv_job *j = calloc(1, sizeof *j);
    if (!j) {
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
        goto out;
    }
    inv_import_rows_hint(im, rows_estimate(data, len));
    j->im = im;
    j->c = c;
    j->data = data;
    j->len = len;
    j->kind = kind;
    j->ncols = ncols;
    memcpy(j->map, map, sizeof map);
    j->err = err;
    j->plen = snprintf(j->where, 512, "%s:", name);
    j->plen = j->plen < 0 ? 0 : j->plen > 511 ? 511 : j->plen;
    rc = len >= inv_pipe_min_bytes ? inv_import_pipe_ok(im, kind, err) : 0;
    if (rc == 1)
        rc = inv_pipe_run(im, kind, name, len, csv_records, j, err);
    else if (rc == 0)
        rc = csv_records(j, NULL);
    c = j->c;  /* its scratch buffer may have grown */
    free(j);
    if (rc)
        goto out;
    inv_import_progress(im, len, len);
    rc = WR_OK;
out:
    for (int i = 0; i < ncols; i++)
        free(names[i]);
    inv_csv_free(&c);
    return rc;
}
