/*
 * warrant/connector.h — governed changes executed on real target systems.
 *
 * A connector is the bridge between an inventory system and the directory,
 * application or script that really holds its accounts and groups.  Each
 * system in the inventory names its connector kind (systems.connector) and
 * its configuration (systems.connector_config, a JSON object); a system
 * with no connector uses the built-in "inventory" connector, for which the
 * inventory itself is the target (wr_inventory_op_*).
 *
 * Kinds (a static table in lib/connector/connector.c):
 *   inventory  the inventory store is the system of record (default)
 *   ldap       an LDAP directory through OpenLDAP's libldap (conn_ldap.c)
 *   exec       a configured program, spoken to in JSON (conn_exec.c)
 *   scim       an application's SCIM 2.0 API over HTTPS (conn_scim.c)
 *
 * Every kind declares its capabilities (WR_CONN_CAP_*) and implements four
 * verbs on an operation (the JSON objects of warrant/inventory.h):
 *   plan      what exactly will change on the target (a JSON description;
 *             changes nothing)
 *   inverse   the exact operation that undoes the operation, computed from
 *             the target's state *before* apply
 *   apply     performs the operation; idempotent: applying what is already
 *             so (granting a membership that exists, revoking one that is
 *             gone) reports {"changed":false}, never an error
 *   readback  reads the target: does it now match the operation's intent?
 * and, with WR_CONN_CAP_LIST, lists the target's accounts and group
 * memberships for reconciliation (warrant sync).
 *
 * Inventory record.  wr_connector_apply changes the target only.  The
 * caller records a successful apply in the inventory (wr_connector_record,
 * which runs wr_inventory_op_apply in the caller's transaction) so
 * readiness metrics stay correct; lib/workflow/execute.c does this in the
 * same transaction that marks the change executed.  Operations that are
 * inventory metadata (transfer_ownership) always go to the inventory.
 *
 * Secrets.  Configurations never hold secrets: a password or token is read
 * at open from the file named by "bind_password_file" / "token_file" or the
 * environment variable named by "bind_password_env" / "token_env", used,
 * and wiped (wr_wipe).  It is never
 * written to the store, the log or an error message.
 *
 * Threading: a wr_connector is used by one thread at a time.
 */
#ifndef WARRANT_CONNECTOR_H
#define WARRANT_CONNECTOR_H

#include "warrant/core.h"
#include "warrant/inventory.h"
#include "warrant/store.h"
#include "warrant/workflow.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Capabilities a connector kind declares. */
enum {
    WR_CONN_CAP_GRANT = 1 << 0,    /* add a group membership */
    WR_CONN_CAP_REVOKE = 1 << 1,   /* remove a group membership */
    WR_CONN_CAP_DISABLE = 1 << 2,  /* disable an account */
    WR_CONN_CAP_ENABLE = 1 << 3,   /* enable an account */
    WR_CONN_CAP_ROTATE = 1 << 4,   /* rotate a credential */
    WR_CONN_CAP_READ = 1 << 5,     /* read back state (readback, inverse) */
    WR_CONN_CAP_LIST = 1 << 6,     /* list accounts and groups (sync) */
    WR_CONN_CAP_TRANSFER = 1 << 7  /* ownership transfer (inventory metadata) */
};

/* Limits.  Output of an exec connector program, per call. */
#define WR_CONN_EXEC_OUTPUT_MAX ((size_t)16 << 20)    /* hard ceiling of max_output */
#define WR_CONN_EXEC_OUTPUT_DEFAULT ((size_t)1 << 20) /* default max_output: 1 MiB */
#define WR_CONN_EXEC_TIMEOUT_DEFAULT_MS 10000
#define WR_CONN_EXEC_MAX_ARGS 64
#define WR_CONN_SECRET_MAX 4096                         /* a password file */
#define WR_CONN_TIMEOUT_DEFAULT_MS 10000                /* LDAP network and operation timeouts */

typedef struct wr_connector wr_connector;

/* Opens the connector of system `system` in inventory store inv (which it
 * borrows: inv must outlive the connector).  system NULL, or a system with
 * no connector, gives the inventory connector.  An external connector
 * reads its secret and connects here (bad credentials, an unreachable
 * server or a timeout fail here with WR_EIO and a message naming the URL).
 * A "sandbox" target is always served by the inventory connector: pass
 * force_inventory = 1. */
int wr_connector_open(wr_store *inv, const char *system, int force_inventory, wr_connector **out,
                      wr_err *err) WR_MUST_CHECK;
void wr_connector_close(wr_connector *c);
/* "inventory", "ldap", "exec", "scim" (borrowed). */
const char *wr_connector_kind_name(const wr_connector *c);
unsigned wr_connector_caps(const wr_connector *c);
/* Is kind a known connector kind? (NULL means inventory.) */
int wr_connector_kind_known(const char *kind);
/* Checks a connector configuration (shape only; nothing is contacted).
 * Used by `warrant system set-connector` before storing it. */
int wr_connector_config_check(const char *kind, const json_t *config, wr_err *err) WR_MUST_CHECK;

/* Is the connector able to run op?  WR_EINVAL naming the system, the kind,
 * the operation and what the connector can do otherwise.  Capabilities are
 * the kind's, narrowed by the configuration where the kind allows it
 * (exec: "capabilities"). */
int wr_connector_supports(const wr_connector *c, const json_t *op, wr_err *err) WR_MUST_CHECK;
/* The same check from the system's stored connector kind and configuration
 * alone, without opening the connector (nothing is contacted): used when a
 * change is proposed or a decision asked (wf_decide_ops), so an operation
 * the target cannot perform is refused before anything is recorded.
 * force_inventory as in wr_connector_open (sandbox). */
int wr_connector_check_op(wr_store *inv, const char *system, int force_inventory, const json_t *op,
                          wr_err *err) WR_MUST_CHECK;
/* *plan (caller decrefs): {"connector","target":..., ...} what apply would do. */
int wr_connector_plan(wr_connector *c, const json_t *op, json_t **plan, wr_err *err) WR_MUST_CHECK;
/* *inverse (caller decrefs): the operation undoing op, from the target's
 * current state.  When the target agrees with the inventory the inventory's
 * richer inverse is used (a revoked grant comes back with its granted_at,
 * granted_by, expires_at). */
int wr_connector_inverse(wr_connector *c, const json_t *op, json_t **inverse,
                         wr_err *err) WR_MUST_CHECK;
/* Applies op on the target; *result (caller decrefs) {"changed","detail"}. */
int wr_connector_apply(wr_connector *c, const json_t *op, const char *actor, json_t **result,
                       wr_err *err) WR_MUST_CHECK;
/* *matches = 1 when the target matches op's intent. */
int wr_connector_readback(wr_connector *c, const json_t *op, int *matches,
                          wr_err *err) WR_MUST_CHECK;
/* Records an applied op in the inventory (a no-op for the inventory
 * connector, whose apply already did).  Runs in the caller's transaction. */
int wr_connector_record(wr_connector *c, const json_t *op, const char *actor,
                        wr_err *err) WR_MUST_CHECK;

/* ---- listing (reconciliation) ---------------------------------------------
 * The target's accounts and groups are streamed to a visitor so a
 * directory of millions of memberships never sits in memory at once.
 * Names are target-native: an account's login (LDAP uid), a group's name
 * (LDAP cn).  members are logins.  A visitor returning non-zero stops the
 * listing with that status. */
typedef struct wr_connector_visitor {
    int (*account)(void *arg, const char *login, int disabled, wr_err *err);
    int (*group)(void *arg, const char *name, const char *const *members, size_t n, wr_err *err);
    void *arg;
    /* A hint: list the groups before the accounts if the target can (the
     * LDAP connector does; the others list accounts first).  A system's
     * first sync asks for it, to write the memberships while the accounts
     * are still being read. */
    int groups_first;
} wr_connector_visitor;
int wr_connector_list(wr_connector *c, const wr_connector_visitor *v, wr_err *err) WR_MUST_CHECK;

/* ---- reconciliation: warrant sync ------------------------------------------
 * Reads the accounts and memberships of system's target and compares them
 * with the inventory:
 *   unmanaged   memberships in the target that the inventory has no grant
 *               for (never granted through Warrant)
 *   missing     grants the inventory holds that the target lacks
 *   orphans     target accounts whose login matches no identity
 *   new_accounts, new_groups, status changes (disabled/enabled)
 * Unless dry_run, the inventory then follows the target (new accounts,
 * entitlements and grants imported with source "sync:<system>", missing
 * grants removed, account status updated) so readiness metrics measure
 * reality.  Drift (anything but nothing) is recorded in the lineage log as
 * one "sync.drift" entry with counts, a SHA-256 of each sorted difference
 * list and the first WR_SYNC_LIST_CAP items of each.  *out (caller decrefs)
 * is the same report.  Only the production store is synchronised.
 * A system's first sync (nothing of it in the inventory) loads in bulk:
 * compact rows, one journal event per kind (docs/connectors.md). */
#define WR_SYNC_LIST_CAP 100
typedef struct wr_sync_opts {
    int dry_run;
    size_t list_cap;  /* items kept per difference list; 0: WR_SYNC_LIST_CAP */
} wr_sync_opts;
int wr_sync(wr_ctx *ctx, const wr_actor *actor, const char *system, const wr_sync_opts *opts,
            json_t **out, wr_err *err) WR_MUST_CHECK;

/* ---- in-doubt changes -------------------------------------------------------
 * A change left "executing" by a crash or a lost connection between apply
 * and record is in doubt.  Recovery reads the target back (readback of
 * every operation) and settles it; it never applies an operation twice and
 * never drops one silently:
 *   every operation matches its intent  -> executed ("change.recovered",
 *                                          outcome "executed"); the
 *                                          inventory record is updated
 *   none matches                        -> failed ("change.recovered",
 *                                          outcome "not_applied"); nothing
 *                                          is re-applied: propose again
 *   some match                          -> the matching ones are undone with
 *                                          their recorded inverses (reverse
 *                                          order), then failed
 *                                          (outcome "rolled_back")
 * A change whose executor is still alive (its execution lock is held) is
 * skipped.  id NULL settles every in-doubt change.  *out (caller decrefs)
 * lists what was settled: [{"change","outcome","error"?}]; a change whose
 * target cannot be read stays in doubt and is listed with "error". */
int wr_change_recover(wr_ctx *ctx, const wr_actor *actor, const char *id, json_t **out,
                      wr_err *err) WR_MUST_CHECK;

/* ---- inventory additions used by connectors ---------------------------------
 * (lib/inventory; declared here to keep warrant/inventory.h stable) */

/* Streams one system's inventory: every account (id, login, identity or
 * NULL, status), every entitlement id, then every grant (account id,
 * entitlement id).  A callback returning non-zero stops the walk. */
typedef struct wr_inventory_walker {
    int (*account)(void *arg, const char *id, const char *login, const char *identity, const char *status,
                   wr_err *err);
    int (*entitlement)(void *arg, const char *id, wr_err *err);
    int (*grant)(void *arg, const char *account, const char *entitlement, wr_err *err);
    void *arg;
} wr_inventory_walker;
int wr_inventory_system_walk(wr_store *s, const char *system, const wr_inventory_walker *w,
                             wr_err *err) WR_MUST_CHECK;

/* Streaming import: the merge of wr_inventory_import_buffer fed one JSON
 * object (of kind "accounts", "entitlements", "grants", ...) at a time.
 * new begins a store transaction that commit ends (other statements may
 * run in it meanwhile); free without commit rolls everything back.  Rows
 * that cannot be imported are counted in stats->rejected and described in
 * *problems (caller decrefs; may be NULL). */
typedef struct wr_inventory_importer wr_inventory_importer;
int wr_inventory_importer_new(wr_store *s, const wr_import_opts *opts, wr_inventory_importer **out,
                              wr_err *err) WR_MUST_CHECK;
int wr_inventory_importer_add(wr_inventory_importer *im, const char *kind, const json_t *obj,
                              const char *where, wr_err *err) WR_MUST_CHECK;
int wr_inventory_importer_commit(wr_inventory_importer *im, wr_import_stats *stats, json_t **problems,
                                 wr_err *err) WR_MUST_CHECK;
void wr_inventory_importer_free(wr_inventory_importer *im);

/* Sets (or, with kind NULL, clears) the connector of a system after
 * wr_connector_config_check; recorded in inventory_events. */
int wr_inventory_system_set_connector(wr_store *s, const char *system, const char *kind,
                                      const json_t *config, wr_err *err) WR_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
