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

#include <stdio.h>
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

/* Writes n in decimal, NUL-terminated, at out (room for 21 bytes). */
static void put_line(char *out, uint64_t n)
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
    uint64_t n = 0;
    /* "file:line" of every record: the name is written once, the line
     * number per record (snprintf per row showed at ten million rows) */
    char where[512 + 24];
    int plen = snprintf(where, 512, "%s:", name);
    plen = plen < 0 ? 0 : plen > 511 ? 511 : plen;
    while ((rc = inv_csv_next(&c)) != 0) {
        put_line(where + plen, c.record_line);
        if (rc < 0) {
            inv_import_reject(im, where, "%s", c.error);
            continue;
        }
        if (c.nfields != ncols) {
            inv_import_reject(im, where, "%d fields, the header has %d", c.nfields, ncols);
            continue;
        }
        inv_row row;
        memset(&row, 0, sizeof row);
        row.kind = kind;
        for (int i = 0; i < ncols; i++) {
            if (map[i] < 0)
                continue;
            row.present[map[i]] = 1;
            row.v[map[i]] = c.lens[i] ? c.fields[i] : NULL;
            row.len[map[i]] = c.lens[i];
        }
        if ((rc = inv_import_row(im, &row, where, err)))
            goto out;
        if (++n % 65536 == 0)
            inv_import_progress(im, (uint64_t)(c.p - data), len);
    }
    inv_import_progress(im, len, len);
    rc = WR_OK;
out:
    for (int i = 0; i < ncols; i++)
        free(names[i]);
    inv_csv_free(&c);
    return rc;
}
