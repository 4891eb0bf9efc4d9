/*
 * inventory_internal.h — what the files of lib/inventory share: rid
 * lookups, timestamps in JSON, the change journal (inventory_events) and
 * invalidation of the readiness cache.
 */
#ifndef WARRANT_INVENTORY_INTERNAL_H
#define WARRANT_INVENTORY_INTERNAL_H

#include "warrant/inventory.h"

/* Default thresholds of the readiness metrics, in days. */
#define INV_DORMANT_DAYS 90
#define INV_UNUSED_GRANT_DAYS 90
#define INV_CERTIFICATION_DAYS 365
#define INV_ROTATION_DAYS 90
#define INV_DAY 86400

/* The rid of the object with text id `id` in table (one of the fixed table
 * names); 0 when absent.  Negative status on database failure. */
int inv_rid(wr_store *s, const char *table, const char *id, int64_t *rid, wr_err *err);

/* Runs sql with one text parameter; the first row's first two integer
 * columns go to *a and *b (b may be NULL), 0 when there is no row. */
int inv_query_ints(wr_store *s, const char *sql, const char *arg, int64_t *a, int64_t *b,
                   wr_err *err);
/* Runs sql (no result rows) with one integer parameter. */
int inv_exec_int(wr_store *s, const char *sql, int64_t arg, wr_err *err);

/* Sets key in o to the RFC 3339 form of column col, or null. */
void inv_json_time(json_t *o, const char *key, wr_stmt *st, int col);
/* Sets key in o to the text of column col, or null. */
void inv_json_text(json_t *o, const char *key, wr_stmt *st, int col);

/* Appends s as a JSON string (quoted, escaped) to b; NULL appends null. */
int inv_buf_json_str(wr_buf *b, const char *s) WR_MUST_CHECK;

/* Records one difference in inventory_events; before/after are JSON texts
 * (NULL for none). */
int inv_event(wr_store *s, const char *import_id, int64_t at, const char *kind,
              const char *id, const char *change, const char *before, const char *after,
              wr_err *err);

/* Readiness cache invalidation (readiness.c): a system's counters; the
 * systems an identity has accounts in and the non-human identity counts;
 * the non-human identity counts alone; or everything. */
int inv_touch_system(wr_store *s, int64_t system_rid, wr_err *err);
int inv_touch_identity(wr_store *s, int64_t identity_rid, wr_err *err);
int inv_touch_nhi(wr_store *s, wr_err *err);
int inv_touch_all(wr_store *s, wr_err *err);

/* Per-system account and grant counters of the readiness metrics (cached
 * in readiness_cache.counts, in this order). */
typedef struct inv_counts {
    int64_t accounts, active, owned, orphaned, dormant;
    int64_t grants, accurate, excessive;
} inv_counts;
#define INV_NCOUNTS 8

/* Delta updates of the cached counters (readiness.c): a change to a few
 * accounts or grants adjusts the cached row of their system instead of
 * dropping it.  Call inv_delta_account/grant with sign -1 before changing
 * the object (it may not exist: nothing is counted) and +1 after, then
 * inv_delta_flush in the same transaction.  Each returns 1 when the delta
 * was not taken (too many in one batch): the caller then touches the
 * object's system instead.  The contribution is evaluated at the cached
 * row's computed_at, so the row stays "the counts as of computed_at". */
typedef struct inv_delta_sys {
    int64_t sys, at;
    int valid;           /* the system has a fresh cached row */
    inv_counts c;
} inv_delta_sys;
typedef struct inv_delta {
    inv_delta_sys *e;
    size_t n, cap;
    uint64_t taken;      /* contributions computed */
    int off;             /* over the limit: flush drops the rows instead */
} inv_delta;
#define INV_DELTA_MAX 50000
int inv_delta_account(wr_store *s, inv_delta *d, int64_t rid, int sign, wr_err *err);
int inv_delta_grant(wr_store *s, inv_delta *d, int64_t account_rid, int64_t entitlement_rid,
                    int sign, wr_err *err);
int inv_delta_flush(wr_store *s, inv_delta *d, wr_err *err);
void inv_delta_free(inv_delta *d);

/* Valid UTF-8 (no overlongs, no surrogates)? */
int inv_utf8_valid(const char *s, size_t len);

/* 64-bit hash of a byte string (FNV-1a with a final mix). */
uint64_t inv_hash64(const void *p, size_t len, uint64_t seed);

/* Set of non-zero 64-bit keys (open addressing; grows by doubling). */
typedef struct inv_set {
    uint64_t *slots;
    size_t cap, n;
} inv_set;
/* 1 if added, 0 if it was there, WR_ENOMEM. */
int inv_set_add(inv_set *s, uint64_t k);
int inv_set_has(const inv_set *s, uint64_t k);
void inv_set_free(inv_set *s);
#endif
