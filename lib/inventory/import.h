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

/* One normalised value of a checked row. */
typedef struct inv_val {
    int null;
    int64_t i;          /* time, or rid of a reference */
    const char *s;      /* text (also the text id of a reference) */
} inv_val;

/* A row after phase 1 (inv_import_check_row): fields validated, ids
 * derived, references resolved.  The texts point into the inv_row the row
 * came from, into the caller's scratch (a derived id), or at constants. */
typedef struct inv_checked {
    inv_val v[INV_MAXCOL];
    unsigned char present[INV_MAXCOL];
    int64_t sys;        /* the system the object belongs to (0: none) */
} inv_checked;
#define INV_CHECK_SCRATCH (WR_INV_FIELD_MAX + 8)

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
/* The two phases of inv_import_row.  check: validates row into *out;
 * 0 ok, 1 rejected (why says why; nothing counted yet), negative on a
 * store failure.  It only reads the importer (options, reference maps), so
 * it may run on another thread than merge once every reference map of the
 * kind is loaded (inv_import_pipe_ok).  merge: reports repeated keys,
 * inserts, updates or leaves the object, journals it; the store's thread
 * only. */
int inv_import_check_row(inv_import *im, const inv_row *row, inv_checked *out,
                         char scratch[INV_CHECK_SCRATCH], char *why, size_t whysize, wr_err *err);
int inv_import_merge_row(inv_import *im, int kind, inv_checked *ck, const char *where,
                         wr_err *err);
/* May phase 1 of kind's rows run on another thread?  Loads the reference
 * maps those rows resolve against; 1 when there is a store, all of them
 * are in memory (phase 1 then never touches the store) and the --source
 * text is at most WR_INV_FIELD_MAX bytes; 0 otherwise. */
int inv_import_pipe_ok(inv_import *im, int kind, wr_err *err);

/* Two-thread CSV import (pipeline.c).  inv_pipe_run starts a thread
 * running produce(arg, pipe), which reads the input and hands each record
 * to inv_pipe_row (checked there, phase 1) or inv_pipe_reject, in file
 * order; the calling thread merges them (phase 2) and reports progress
 * against total.  Both producer calls return nonzero once the consumer
 * has failed: produce should then return.  The status is the merge's. */
typedef struct inv_pipe inv_pipe;
int inv_pipe_run(inv_import *im, int kind, const char *name, uint64_t total,
                 int (*produce)(void *arg, inv_pipe *p), void *arg, wr_err *err);
int inv_pipe_row(inv_pipe *p, const inv_row *row, uint64_t line);
int inv_pipe_reject(inv_pipe *p, uint64_t line, const char *fmt, ...) WR_PRINTF(3, 4);
void inv_pipe_progress(inv_pipe *p, uint64_t done);
/* Multi-row inserts of a first load (batchload.c).  new: for the one-row
 * INSERT OR IGNORE single_sql of nparams parameters whose types say 'i'
 * (bind an integer) or 't' (text); grant_runs: the rows are grants, which
 * classify tells apart; *out stays NULL when there is nothing to batch.
 * classify (grants): 1 the pair is certainly new (add it), 0 it repeats a
 * pair of this account's run (a duplicate), 2 cannot tell (flush, then
 * insert it alone).  add queues a row known to be new (texts copied) and
 * writes a full batch; flush writes what is queued — before any other
 * write that could see or repeat those rows, and before commit. */
#define INV_BATCH_ROWS 256   /* grants file: 16.7-16.9 s against 17.3-17.5 at 64 */
typedef struct inv_batch inv_batch;
int inv_batch_new(wr_store *s, const char *single_sql, int nparams, const char *types,
                  int grant_runs, inv_batch **out, wr_err *err) WR_MUST_CHECK;
int inv_batch_classify(inv_batch *b, int64_t account, int64_t entitlement);
int inv_batch_add(inv_batch *b, const inv_val *v, const char *where, wr_err *err)
    WR_MUST_CHECK;
int inv_batch_flush(inv_batch *b, wr_err *err) WR_MUST_CHECK;
void inv_batch_free(inv_batch *b);
/* 0 turns batching off (tests compare it with the one-row path). */
extern int inv_batch_enabled;

/* CSV files of at least this many bytes take the pipeline (tests lower it). */
#define INV_PIPE_MIN_BYTES ((size_t)4 << 20)
extern size_t inv_pipe_min_bytes;
/* Writes n in decimal, NUL-terminated, at out (room for 21 bytes). */
void inv_put_line(char *out, uint64_t n);
/* Counts and describes one rejected row. */
void inv_import_reject(inv_import *im, const char *where, const char *fmt, ...) WR_PRINTF(3, 4);
/* Before merging a row some rows ahead of ck: prefetches what its merge
 * will touch first at random (the slot of its id in a first load's map). */
void inv_import_prefetch(inv_import *im, int kind, const inv_checked *ck);
/* Progress of the current file. */
void inv_import_progress(inv_import *im, uint64_t done, uint64_t total);
const wr_import_opts *inv_import_opts(const inv_import *im);
/* How many rows the file probably holds, from its front end (CSV: its
 * size over the length of its first lines); sizes the maps of a first
 * load.  Only a hint: rows beyond it merely cost a map growth. */
void inv_import_rows_hint(inv_import *im, uint64_t rows);

/* In-memory text id -> (rid, system rid) of one table (refmap.c), for
 * imports that resolve many references.  type: 'A' accounts,
 * 'E' entitlements, 'S' systems, 'I' identities.  Capped at
 * INV_REFMAP_MAX_BYTES per array: over it *out stays NULL (use SQL). */
#define INV_REFMAP_MAX_BYTES ((size_t)1 << 30)
extern size_t inv_refmap_max_bytes;  /* the cap in force (tests lower it) */
/* Files from this size on, loaded into an empty table, write through a
 * rollback journal when they can (import.c; tests lower it). */
extern size_t inv_bulk_journal_min_bytes;
typedef struct inv_refmap inv_refmap;
int inv_refmap_load(wr_store *s, char type, inv_refmap **out, wr_err *err) WR_MUST_CHECK;
/* 1 and *rid, *sys when id is in the map; 0 (and zeros) otherwise. */
int inv_refmap_get(const inv_refmap *m, const char *id, int64_t *rid, int64_t *sys);
/* Adds one id (an object inserted during the import); WR_ELIMIT over the
 * cap, WR_ENOMEM: the map is then unusable (free it). */
int inv_refmap_add(inv_refmap *m, const char *id, int64_t rid, int64_t sys) WR_MUST_CHECK;
/* Adds id unless it is there: 1 added, 0 it was there (nothing changed),
 * WR_ELIMIT / WR_ENOMEM as add. */
int inv_refmap_claim(inv_refmap *m, const char *id, int64_t rid, int64_t sys) WR_MUST_CHECK;
/* Starts loading the slot where a claim or get of id will look first
 * (a cache miss of its own otherwise): call it some rows ahead. */
void inv_refmap_prefetch(const inv_refmap *m, const char *id);
/* Sizes the table for n ids at once (a hint: over the cap or out of
 * memory it does nothing, and the map grows as it fills). */
void inv_refmap_reserve(inv_refmap *m, uint64_t n);
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
