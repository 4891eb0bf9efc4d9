/*
 * import.h — the shared row model of the importers (import.c) and their
 * format front-ends (import_csv.c, import_json.c, import_scim.c).
 *
 * A front-end turns its input into inv_row values — one object of one
 * kind, its fields by the column numbers of that kind — and hands each to
 * inv_import_row with a `where` ("file:line" or "file: $.path") for
 * messages.  Everything else (validation, references, diffing against the
 * store, the change journal, full-snapshot removal) is the importer's.
 */
#ifndef WARRANT_INV_IMPORT_H
#define WARRANT_INV_IMPORT_H

#include "inventory_internal.h"

enum inv_kind { K_IDENTITIES, K_SYSTEMS, K_ENTITLEMENTS, K_ACCOUNTS, K_GRANTS, K_CREDENTIALS,
                K_ROLES, K_COUNT };
#define INV_MAXCOL 12

typedef struct inv_row {
    int kind;
    const char *v[INV_MAXCOL];        /* NULL: empty (no value) */
    size_t len[INV_MAXCOL];
    unsigned char present[INV_MAXCOL]; /* the input has this column at all */
} inv_row;

typedef struct inv_import inv_import;

/* "identities" ... "roles" -> K_*, or -1. */
int inv_kind_parse(const char *name);
const char *inv_kind_name(int kind);
int inv_kind_ncols(int kind);
const char *inv_col_name(int kind, int col);
/* Column number of name in kind, or -1. */
int inv_col_index(int kind, const char *name);
/* The kind a set of column names describes (CSV header without --kind). */
int inv_kind_guess(const char *const *names, int n);

/* Validates row and merges it into the store.  A row that cannot be
 * imported is counted and described (never an error); the return value
 * is an error only for failures of the store itself. */
int inv_import_row(inv_import *im, const inv_row *row, const char *where, wr_err *err);
/* Counts and describes one rejected row. */
void inv_import_reject(inv_import *im, const char *where, const char *fmt, ...) WR_PRINTF(3, 4);
/* Progress of the current file. */
void inv_import_progress(inv_import *im, uint64_t done, uint64_t total);
const wr_import_opts *inv_import_opts(const inv_import *im);

/* In-memory text id -> (rid, system rid) of one table (refmap.c), for
 * imports that resolve many references.  type: 'A' accounts,
 * 'E' entitlements, 'S' systems, 'I' identities.  Capped at
 * INV_REFMAP_MAX_BYTES per array: over it *out stays NULL (use SQL). */
#define INV_REFMAP_MAX_BYTES ((size_t)1 << 30)
typedef struct inv_refmap inv_refmap;
int inv_refmap_load(wr_store *s, char type, inv_refmap **out, wr_err *err) WR_MUST_CHECK;
/* 1 and *rid, *sys when id is in the map; 0 (and zeros) otherwise. */
int inv_refmap_get(const inv_refmap *m, const char *id, int64_t *rid, int64_t *sys);
/* Adds one id (an object inserted during the import); WR_ELIMIT over the
 * cap, WR_ENOMEM: the map is then unusable (free it). */
int inv_refmap_add(inv_refmap *m, const char *id, int64_t rid, int64_t sys) WR_MUST_CHECK;
void inv_refmap_free(inv_refmap *m);

/* Bulk loads (bulkidx.c): drops the secondary indexes of table, keeping
 * their definitions in *saved (caller frees; NULL when there are none), and
 * creates them again from *saved (which it frees), in the caller's
 * transaction. */
int inv_bulkidx_drop(wr_store *s, const char *table, char **saved, wr_err *err) WR_MUST_CHECK;
int inv_bulkidx_restore(wr_store *s, char **saved, wr_err *err) WR_MUST_CHECK;

int inv_import_csv(inv_import *im, const char *name, const char *data, size_t len, wr_err *err);
int inv_import_json(inv_import *im, const char *name, const char *data, size_t len, wr_err *err);
int inv_import_scim(inv_import *im, const char *name, const char *data, size_t len, wr_err *err);
/* The kind given by --kind or the file's name, or -1. */
int inv_import_kind_of(const inv_import *im, const char *name);
/* Routes one JSON object of a known kind (shared by JSON and SCIM). */
int inv_import_json_object(inv_import *im, int kind, const json_t *obj, const char *where,
                           wr_err *err);
#endif
