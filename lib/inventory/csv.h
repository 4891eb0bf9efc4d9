/*
 * csv.h — RFC 4180 record reader (see csv.c).
 */
#ifndef WARRANT_INV_CSV_H
#define WARRANT_INV_CSV_H

#include "warrant/inventory.h"

typedef struct inv_csv {
    const char *p, *end;
    uint64_t line;                 /* current physical line */
    uint64_t record_line;          /* line where the last record started */
    wr_buf scratch;
    int nfields;
    const char *fields[WR_INV_MAX_COLUMNS];
    size_t lens[WR_INV_MAX_COLUMNS];  /* a field may hold NUL bytes */
    char error[128];
} inv_csv;

void inv_csv_init(inv_csv *c, const char *data, size_t len);
void inv_csv_free(inv_csv *c);
/* 1: a record is in fields; 0: end of input; -1: a bad record (error says
 * why, record_line where), skipped. */
int inv_csv_next(inv_csv *c);
#endif
