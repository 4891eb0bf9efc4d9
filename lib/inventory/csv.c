/*
 * csv.c — an RFC 4180 record reader over a buffer in memory.
 *
 * Fields are separated by commas, records by CRLF or LF; a field in double
 * quotes may hold commas, line breaks and doubled quotes ("").  Each call
 * returns one record with its fields unescaped into a scratch buffer
 * (NUL-separated) and the line on which the record starts, so problems can
 * be reported as file:line.  Limits (WR_INV_ROW_MAX bytes per record,
 * WR_INV_MAX_COLUMNS fields) are checked while reading; a record that
 * breaks one, or a quote that is never closed, is reported and skipped up
 * to the end of its line, and reading goes on.  Blank lines are skipped.
 */
#include "csv.h"

#include <stdio.h>
#include <string.h>

void inv_csv_init(inv_csv *c, const char *data, size_t len)
{
    memset(c, 0, sizeof *c);
    c->p = data;
    c->end = data + len;
    c->line = 1;
    /* A UTF-8 byte order mark is not part of the first header. */
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        c->p += 3;
}

void inv_csv_free(inv_csv *c)
{
    wr_buf_free(&c->scratch);
}

/* Skips the rest of the current physical line. */
static void skip_line(inv_csv *c)
{
    while (c->p < c->end && *c->p != '\n')
        c->p++;
    if (c->p < c->end) {
        c->p++;
        c->line++;
    }
}

static int fail(inv_csv *c, const char *msg)
{
    snprintf(c->error, sizeof c->error, "%s", msg);
    skip_line(c);
    return -1;
}

int inv_csv_next(inv_csv *c)
{
    c->nfields = 0;
    c->error[0] = '\0';
    /* blank lines */
    while (c->p < c->end && (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n'))) {
        c->p += *c->p == '\r' ? 2 : 1;
        c->line++;
    }
    if (c->p >= c->end)
        return 0;
    c->record_line = c->line;
    c->scratch.max = WR_INV_ROW_MAX + WR_INV_MAX_COLUMNS + 1;
    wr_buf_reset(&c->scratch);
    size_t starts[WR_INV_MAX_COLUMNS];
    const char *record_start = c->p;
    for (;;) {
        if (c->nfields == WR_INV_MAX_COLUMNS)
            return fail(c, "more than 64 columns");
        starts[c->nfields++] = c->scratch.len;
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                const char *q = c->p;
                while (q < c->end && *q != '"') {
                    if (*q == '\n')
                        c->line++;
                    q++;
                }
                if (q >= c->end) {
                    c->p = q;
                    snprintf(c->error, sizeof c->error, "quoted field never closed");
                    return -1;
                }
                if (wr_buf_append(&c->scratch, c->p, (size_t)(q - c->p)))
                    return fail(c, "record longer than 64 KiB");
                c->p = q + 1;
                if (c->p < c->end && *c->p == '"') {
                    if (wr_buf_append(&c->scratch, "\"", 1))
                        return fail(c, "record longer than 64 KiB");
                    c->p++;
                    continue;
                }
                break;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
                return fail(c, "text after a closing quote");
        } else {
            const char *q = c->p;
            while (q < c->end && *q != ',' && *q != '\n' && *q != '\r' && *q != '"')
                q++;
            if (q < c->end && *q == '"')
                return fail(c, "quote inside an unquoted field");
            if (wr_buf_append(&c->scratch, c->p, (size_t)(q - c->p)))
                return fail(c, "record longer than 64 KiB");
            c->p = q;
        }
        if (wr_buf_append(&c->scratch, "", 1))
            return fail(c, "record longer than 64 KiB");
        if ((size_t)(c->p - record_start) > WR_INV_ROW_MAX)
            return fail(c, "record longer than 64 KiB");
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        /* end of record */
        if (c->p < c->end && *c->p == '\r') {
            c->p++;
            if (c->p < c->end && *c->p != '\n')
                return fail(c, "carriage return inside an unquoted field");
        }
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
            c->line++;
        }
        break;
    }
    for (int i = 0; i < c->nfields; i++) {
        size_t end = i + 1 < c->nfields ? starts[i + 1] : c->scratch.len;
        c->fields[i] = c->scratch.data + starts[i];
        c->lens[i] = end - starts[i] - 1;
    }
    return 1;
}
