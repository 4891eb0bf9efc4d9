/*
 * workflow_internal.h — what the files of lib/workflow share: the context
 * structure, lineage entry helpers, and the decision record.
 */
#ifndef WARRANT_WORKFLOW_INTERNAL_H
#define WARRANT_WORKFLOW_INTERNAL_H

#include "warrant/connector.h"
#include "warrant/governance.h"
#include "warrant/inventory.h"
#include "warrant/workflow.h"

#include <jansson.h>

struct wr_ctx {
    char *dir;
    wr_store *store;
    wr_store *sandbox;
    wr_ledger *ledger;
    wr_policy_set *policies;
    char policy_digest[72];   /* sha256 of the policy files, recorded in decisions */
    wr_authz *authz;
};

#define WF_MAX_ID 128
#define WF_MAX_REASON 4096
#define WF_MAX_OPS 256

/* ---- principals.c ---- */
/* Loads a principal as JSON (caller decrefs); ENOTFOUND names the id. */
int wf_principal_load(wr_ctx *ctx, const char *id, json_t **out, wr_err *err);
/* Loads the actor's principal and checks it is active. */
int wf_actor_load(wr_ctx *ctx, const wr_actor *actor, json_t **out, wr_err *err);
int wf_id_valid(const char *id);
/* {"id","kind","on_behalf_of"?,"owner"?} as recorded in log entries. */
json_t *wf_actor_json(const json_t *principal, const wr_actor *actor);
int wf_is_ai(const json_t *principal);  /* copilot, agent or service */

/* ---- mandates.c ---- */
int wf_mandate_load(wr_ctx *ctx, const char *id, json_t **out, wr_err *err);
/* The agent's mandate for a request: the named one, or its only active one. */
int wf_mandate_for(wr_ctx *ctx, const json_t *agent, const char *named, json_t **out, wr_err *err);

/* ---- decide.c ---- */
enum { WF_DENY = 0, WF_ALLOW = 1, WF_APPROVAL = 2 };

typedef struct wf_decision {
    int outcome;
    wr_obligations ob;
    json_t *policies;      /* determining policy ids */
    json_t *errors;        /* policy evaluation errors */
    json_t *explanation;   /* array of sentences */
    json_t *readiness;     /* readiness values the decision saw (cedar form) */
    json_t *stages;        /* resolved stages: [{role,count,eligible:[..]}] */
    char system[WF_MAX_ID];
    char domain[WF_MAX_ID];
} wf_decision;

void wf_decision_init(wf_decision *d);
void wf_decision_clear(wf_decision *d);
json_t *wf_decision_json(const wf_decision *d);
/* Decides operations for principal in mode.  change_id non-NULL when the
 * decision concerns an existing change (execute); mandate may be NULL. */
int wf_decide_ops(wr_ctx *ctx, const json_t *principal, const char *channel, int mode,
                  const char *environment, const json_t *ops, const json_t *mandate,
                  int new_change, wf_decision *d, wr_err *err);
/* Records a denial sentence and turns the outcome into a deny. */
void wf_deny(wf_decision *d, const char *fmt, ...) WR_PRINTF(2, 3);
/* 1 when the string array arr holds s or "*" (mandate systems, actions). */
int wf_in_list(const json_t *arr, const char *s);
/* Asks Cedar whether principal may Action::"read" (mode advise, with the
 * copilot intersection) what ("inventory", "readiness", "change"): the
 * change when change is non-NULL, else System::"id" (scope "system"),
 * Domain::"id" ("domain") or Warrant::"<what>" ("overall"); a domain or
 * everything is readable only when each of its systems is too.  mandate (may
 * be NULL) becomes context.mandate.  Mandate bounds are read.c's. */
int wf_decide_read(wr_ctx *ctx, const json_t *principal, const char *channel, const char *what,
                   const char *scope, const char *id, const json_t *change, const json_t *mandate,
                   wf_decision *d, wr_err *err);
/* Decides a workflow action (approve, reject, validate, close) on a change. */
int wf_decide_change_action(wr_ctx *ctx, const json_t *principal, const char *action,
                            const json_t *change, wf_decision *d, wr_err *err);
/* Humans eligible for a stage role on a change by initiator touching
 * system: never AI, never the initiator, the human behind a copilot or an
 * agent's accountable owner.  Caller decrefs. */
int wf_eligible(wr_ctx *ctx, const char *role, const char *system, const json_t *initiator,
                json_t **out, wr_err *err);

/* ---- lineage.c ---- */
/* A new entry {"v":1,"kind","at","actor","channel"} (caller decrefs). */
json_t *wf_entry_new(const char *kind, const json_t *principal, const wr_actor *actor);
/* Appends the entry in the current transaction and indexes it under
 * change_id (may be NULL). */
int wf_log(wr_ctx *ctx, json_t *entry, const char *change_id, uint64_t *index, wr_err *err);
/* Digests of input signals: content is hashed and dropped (caller decrefs). */
int wf_inputs_digest(const json_t *inputs, json_t **out, wr_err *err);

/* ---- change.c ---- */
int wf_change_load(wr_ctx *ctx, const char *id, json_t **out, wr_err *err);
/* wr_change_list keeping only the changes keep (may be NULL) returns 1
 * for (0: drop, <0: fail); limit and offset count kept changes. */
typedef int (*wf_keep_fn)(wr_ctx *ctx, void *arg, const json_t *change, wr_err *err);
int wf_change_list(wr_ctx *ctx, const json_t *filter, wf_keep_fn keep, void *arg, json_t **out, wr_err *err);
int wf_change_set_state(wr_ctx *ctx, const char *id, const char *state, wr_err *err);
wr_store *wf_target(wr_ctx *ctx, const char *environment, wr_err *err);
/* Creates a change (or records advice/a draft) inside the caller's
 * transaction; *decision_out (optional, caller decrefs) gets the decision. */
int wf_change_create(wr_ctx *ctx, const wr_actor *actor, const json_t *principal, const json_t *req,
                     const char *rollback_of, char *id_out, size_t id_len, int *outcome,
                     json_t **decision_out, wr_err *err);

/* ---- execute.c ---- */
int wf_set_json_column(wr_ctx *ctx, const char *sql, const char *id, const json_t *v, wr_err *err);
/* Logs a change transition; extra (stolen, may be NULL) is merged in. */
int wf_log_change(wr_ctx *ctx, const char *kind, const json_t *p, const wr_actor *actor, const char *id,
                  const char *from, const char *to, json_t *extra, wr_err *err);
/* The original of an executed rollback change c becomes rolled_back. */
int wf_mark_rolled_back(wr_ctx *ctx, const json_t *p, const wr_actor *actor, const json_t *c, wr_err *err);
/* Execution lock of a change (see execute.c): WR_ESTATE when held. */
int wf_exec_lock(wr_ctx *ctx, const char *id, int *fd, wr_err *err);
void wf_exec_unlock(wr_ctx *ctx, const char *id, int fd);
/* The target store and the connector that executes change c. */
int wf_change_connector(wr_ctx *ctx, const json_t *c, wr_store **target, wr_connector **conn, wr_err *err);
/* Undoes the operations with undo[i] set using their recorded inverses,
 * newest first; returns a report (caller decrefs) and sets *all_ok. */
json_t *wf_compensate(wr_connector *conn, const json_t *ops, const json_t *inverse, const int *undo,
                      const char *actor, int *all_ok);
/* ---- sync_load.c ----
 * The bulk-load path of a system's first sync: rows known to be new go
 * straight into the inventory (INSERT OR IGNORE, rids from RETURNING), one
 * journal event per kind.  Runs in the caller's transaction. */
typedef struct wf_bulk wf_bulk;
typedef struct wf_bulk_stats {
    uint64_t accounts, entitlements, grants;
    int indexes_aside;   /* the grants' secondary indexes were rebuilt after the last pass */
} wf_bulk_stats;
int wf_bulk_new(wr_store *s, const char *system, const char *source, wf_bulk **out, wr_err *err);
void wf_bulk_free(wf_bulk *b);
/* NULL when text can be stored, else why not. */
const char *wf_bulk_invalid(const char *text);
/* A rid for an account not listed yet (a first sync that lists groups
 * first gives each member one when it first names it); the account
 * then goes in with it (wf_bulk_account), or, never listed, its grants
 * go (wf_bulk_drop_grants).  Grants may so precede their account's row:
 * the caller's transaction runs with foreign keys off (wr_sync does). */
int64_t wf_bulk_reserve(wf_bulk *b);
/* *rid: 0, or a rid from wf_bulk_reserve, on entry; on return the
 * account's rid, 0 when the id was already there (nothing added).  The row
 * may wait to go in with others (at most BULK_ROWS, and always before
 * wf_bulk_orphans and wf_bulk_finish return); its identity is the one
 * whose id is the login, if any. */
int wf_bulk_account(wf_bulk *b, const char *id, const char *login, int disabled, int64_t *rid, wr_err *err);
/* Inserts the queued memberships now, with the grants' secondary indexes
 * set aside for it when that pays (sync_load.c); wf_bulk_finish does the
 * same for what is left. */
int wf_bulk_pass(wf_bulk *b, wr_err *err);
/* Deletes the grants of account_rid (queued ones first go in); they no
 * longer count as added. */
int wf_bulk_drop_grants(wf_bulk *b, int64_t account_rid, wr_err *err);
/* Calls fn with the id of each account this load added without an
 * identity, in the order they were added. */
int wf_bulk_orphans(wf_bulk *b, void (*fn)(void *arg, const char *id), void *arg, wr_err *err);
/* *rid of the entitlement (added or already loaded); *added 1 if new. */
int wf_bulk_entitlement(wf_bulk *b, const char *id, const char *name, int64_t *rid, int *added, wr_err *err);
/* Inserts one membership now; *added 0 when it was there. */
int wf_bulk_grant(wf_bulk *b, int64_t account_rid, int64_t entitlement_rid, int *added, wr_err *err);
/* Queues the memberships of a group known to be new (account_rids
 * ascending, no repeats); queued ones are inserted in the grants key order
 * (when the bounded queue is full, and at finish). */
int wf_bulk_group_add(wf_bulk *b, int64_t entitlement_rid, const int64_t *account_rids, size_t n, wr_err *err);
/* Tests: a smaller queue (bytes of deltas) than the default, and the
 * memberships from which the last pass sets the grants' secondary
 * indexes aside (when the table holds no more rows than it adds). */
void wf_bulk_tune(wf_bulk *b, size_t queue, uint64_t aside_min);
/* Journals one event per kind (digests: accounts, entitlements, grants as
 * in the sync.drift entry) and drops the readiness cache. */
int wf_bulk_finish(wf_bulk *b, const char *const digests[3], wf_bulk_stats *stats, wr_err *err);

/* ---- sync_pipe.c ----
 * wr_connector_list with the listing on a reader thread and the visitor
 * called on this one, through a bounded queue of blocks (sync_pipe.c).
 * With dg non-NULL and dg->system set, the reader also hashes the drift
 * items of each listed object for the digests, and dg holds them during
 * each visitor call (dg->set 0: not computed, e.g. no thread). */
#define WF_SYNC_ID_CAP 1200     /* "<system>:<name>" ids, truncated like snprintf */
#define WF_SYNC_ITEM_CAP 2500   /* "<system>:<member> <entitlement id>" items */
typedef struct wf_sync_digests {
    const char *system;
    int set;
    uint8_t item[WR_SHA256_LEN];     /* the account's or the group's id */
    uint8_t members[WR_SHA256_LEN];  /* XOR over the group's member items, in list order, repeats too */
} wf_sync_digests;
/* Joins n parts into out (cap bytes), truncated like snprintf; returns the length. */
size_t wf_sync_join(char *out, size_t cap, const char *const *parts, int n);
int wf_sync_list(wr_connector *conn, const wr_connector_visitor *v, wf_sync_digests *dg, wr_err *err);

/* LEB128: an unsigned integer in 7-bit groups, low first, the high bit
 * set on all but the last byte (1 byte below 128, at most 10).  Sorted
 * keys kept as deltas this way cost 1-2 bytes each instead of 8. */
static inline uint8_t *wf_leb_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline const uint8_t *wf_leb_get(const uint8_t *p, uint64_t *v)
{
    uint64_t x = 0;
    for (int sh = 0;; sh += 7) {
        x |= (uint64_t)(*p & 0x7f) << sh;
        if (!(*p++ & 0x80))
            break;
    }
    *v = x;
    return p;
}

/* ---- recover.c ---- */
/* Settles in-doubt changes at context open (best effort, see recover.c). */
void wf_recover_at_open(wr_ctx *ctx);

#endif
