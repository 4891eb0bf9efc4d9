/*
 * warrant/inventory.h — the identity inventory and its data readiness.
 *
 * The inventory is Warrant's picture of who has access to what: identities
 * (humans from the HR source of truth; non-human identities: service
 * accounts, API keys, bots, AI agents), systems with an owner and a domain,
 * accounts per system, entitlements with a privilege level, grants
 * (account -> entitlement), credentials of non-human identities, and the
 * last certification of each grant.  Until connectors arrive it is also the
 * system of record that governed changes execute against.
 *
 * Identifiers are text.  Conventions: an identity is its HR/IdP id
 * ("alice"); a system is a short name ("payroll"); an account is
 * "<system>:<login>"; an entitlement is "<system>:<name>"; a credential has
 * its own id.  A human identity has the same id as the human principal
 * who acts in Warrant.
 *
 * Operations (governed change payloads) are JSON objects:
 *   {"op":"grant",  "account":A, "entitlement":E [, "expires_at":RFC3339]}
 *   {"op":"revoke", "account":A, "entitlement":E}
 *   {"op":"disable","account":A}          {"op":"enable","account":A}
 *   {"op":"transfer_ownership", "object":"system:<id>"|"identity:<id>"
 *                                          |"entitlement:<id>", "to":IDENTITY}
 *   {"op":"rotate_credential", "credential":C}
 */
#ifndef WARRANT_INVENTORY_H
#define WARRANT_INVENTORY_H

#include "warrant/core.h"
#include "warrant/store.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- operations on the built-in inventory ---------------------------------
 * These are the execution target of governed changes.  All take the store
 * to act on (production, or the sandbox copy) and run inside the caller's
 * transaction. */

/* Checks the shape of op and that everything it names exists.  On success
 * *system_id (caller frees) is the system the operation touches, which
 * policy and approval routing use as the resource's system. */
int wr_inventory_op_check(wr_store *s, const json_t *op, char **system_id,
                          wr_err *err) WR_MUST_CHECK;
/* The exact operation that undoes op, computed from the current state
 * (before op is applied): e.g. revoking a grant yields a grant with the
 * same granted_at/granted_by/expires_at.  Caller decrefs *inverse. */
int wr_inventory_op_inverse(wr_store *s, const json_t *op, json_t **inverse,
                            wr_err *err) WR_MUST_CHECK;
/* Applies op as actor.  *result (caller decrefs) says what happened:
 * {"changed":true|false, "detail":"..."}; applying what is already so
 * (revoking a grant that is gone) is changed:false, not an error. */
int wr_inventory_op_apply(wr_store *s, const json_t *op, const char *actor,
                          json_t **result, wr_err *err) WR_MUST_CHECK;
/* Reads the target back: *matches = 1 when state now matches op's intent. */
int wr_inventory_op_readback(wr_store *s, const json_t *op, int *matches,
                             wr_err *err) WR_MUST_CHECK;

/* ---- lookups -------------------------------------------------------------- */
/* {"id","name","domain","owner","owner_status","connector"}; ENOTFOUND if absent. */
int wr_inventory_system_get(wr_store *s, const char *id, json_t **out,
                            wr_err *err) WR_MUST_CHECK;
/* The ids of the systems (of one domain, or all when domain is NULL), in
 * id order: a JSON array of strings (caller decrefs); WR_ELIMIT beyond
 * WR_INVENTORY_MAX_SYSTEMS. */
#define WR_INVENTORY_MAX_SYSTEMS 100000
int wr_inventory_system_list(wr_store *s, const char *domain, json_t **out,
                             wr_err *err) WR_MUST_CHECK;
/* Identity record {"id","kind","name","status","department","owner",...}. */
int wr_inventory_identity_get(wr_store *s, const char *id, json_t **out,
                              wr_err *err) WR_MUST_CHECK;
/* Entitlement {"id","system","name","privilege","description"}. */
int wr_inventory_entitlement_get(wr_store *s, const char *id, json_t **out,
                                 wr_err *err) WR_MUST_CHECK;
/* Account {"id","system","login","identity","status","last_used_at"}. */
int wr_inventory_account_get(wr_store *s, const char *id, json_t **out,
                             wr_err *err) WR_MUST_CHECK;
/* Grants with an expires_at at or before now that are still present:
 * a JSON array of {"account","entitlement","expires_at"}. */
int wr_inventory_expired_grants(wr_store *s, int64_t now, json_t **out,
                                wr_err *err) WR_MUST_CHECK;
/* Copies the production inventory into the sandbox store (replacing it). */
int wr_inventory_copy(wr_store *from, wr_store *to, wr_err *err) WR_MUST_CHECK;

/* ---- readiness -------------------------------------------------------------- */
/* Readiness metrics for scope_kind "overall" (scope NULL), "system" or
 * "domain".  *out (caller decrefs) holds each metric as a fraction 0..1 and
 * counts, plus a "cedar" object with the same metrics as whole percentages
 * for policy context (good metrics rounded down, bad ones rounded up, so
 * rounding never loosens a gate). */
int wr_readiness_compute(wr_store *s, const char *scope_kind, const char *scope,
                         json_t **out, wr_err *err) WR_MUST_CHECK;

/* ---- additions of the inventory module (beyond the signatures above) ------
 *
 * Operation details (see lib/inventory/README-inventory.md):
 *   - grant: declarative — afterwards the grant exists with expires_at as
 *     given (absent = no expiry).  Optional "granted_at", "granted_by",
 *     "last_used_at", "certified_at", "source" are used only when the grant
 *     is created; inverses of revoke carry them so the restored grant is
 *     exactly the one revoked.  The entitlement must belong to the
 *     account's system.
 *   - transfer_ownership: "to" may be null in an inverse (the object had no
 *     owner); otherwise it must name an existing identity.
 *   - rotate_credential sets rotated_at = now.  A secret cannot be
 *     un-rotated: its inverse is {"op":"rotate_credential","credential":C,
 *     "irreversible":true,"rotated_at":<previous or null>}; applying that
 *     changes nothing (changed:false, detail says why) and its readback
 *     matches.  Readback of a plain rotation matches when rotated_at lies
 *     within the last hour.
 *   - *system_id from wr_inventory_op_check is NULL when the object belongs
 *     to no system (transfer_ownership of an identity, a credential with no
 *     system).
 *   Every applied change is also recorded in inventory_events (import_id
 *   "op:<actor>") and invalidates the readiness cache of the touched
 *   systems.
 *
 * Limits (import): a field holds at most WR_INV_FIELD_MAX bytes of UTF-8, a
 * CSV record at most WR_INV_ROW_MAX bytes and WR_INV_MAX_COLUMNS columns; a
 * CSV file at most WR_INV_CSV_FILE_MAX bytes, a JSON/SCIM file at most
 * WR_INV_JSON_FILE_MAX bytes; at most WR_INV_MAX_PROBLEMS problems are kept
 * (the rest are counted). */
#define WR_INV_FIELD_MAX 4096
#define WR_INV_ROW_MAX (64 * 1024)
#define WR_INV_MAX_COLUMNS 64
#define WR_INV_CSV_FILE_MAX ((size_t)8 << 30)
#define WR_INV_JSON_FILE_MAX ((size_t)512 << 20)
#define WR_INV_MAX_PROBLEMS 1000

typedef struct wr_import_opts {
    const char *format;  /* "csv", "json", "scim" or NULL: from the file name */
    const char *kind;    /* identities|systems|accounts|entitlements|grants|
                          * credentials|roles, or NULL: inferred */
    const char *source;  /* source name recorded on every object; NULL: the
                          * row's "source" field, if any */
    const char *system;  /* SCIM: the system whose entitlements Groups are */
    int strict;          /* any rejected row refuses the whole file */
    int full;            /* full snapshot of `source`: objects of that source
                          * absent from the file are removed (see README) */
    /* Called now and then with bytes (or rows) done of total; may be NULL. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} wr_import_opts;

typedef struct wr_import_stats {
    uint64_t added, changed, removed, unchanged, rejected;
    char import_id[64];  /* the id under which differences were recorded */
} wr_import_stats;

/* Imports one file into s in one transaction.  Rows that cannot be imported
 * are rejected (counted, and described in *problems: a JSON array of
 * {"where":"file:line" or "file: $.path","message"} that the caller
 * decrefs; may be NULL to discard) and the rest are imported — unless
 * opts->strict, in which case any rejection rolls everything back and the
 * call fails with WR_EINVAL.  Fails (and changes nothing) when the file as
 * a whole cannot be read or parsed. */
int wr_inventory_import_file(wr_store *s, const char *path, const wr_import_opts *opts,
                             wr_import_stats *stats, json_t **problems,
                             wr_err *err) WR_MUST_CHECK;
/* The same for a buffer; name is used in messages and to guess the format. */
int wr_inventory_import_buffer(wr_store *s, const char *name, const char *data, size_t len,
                               const wr_import_opts *opts, wr_import_stats *stats,
                               json_t **problems, wr_err *err) WR_MUST_CHECK;
/* Parses and validates without a store (references are not resolved):
 * stats->added counts acceptable rows, stats->rejected the others.  Used
 * by the fuzz targets. */
int wr_inventory_import_check(const char *name, const char *data, size_t len,
                              const wr_import_opts *opts, wr_import_stats *stats,
                              json_t **problems, wr_err *err) WR_MUST_CHECK;

/* Lists objects, paginated: kind "identities" (default), "accounts",
 * "entitlements" or "grants"; system, identity restrict to one system or
 * holder (NULL: any); filter is a case-insensitive substring of the id or
 * name (NULL: any).  *out (caller decrefs) is {"kind","total","offset",
 * "limit","items":[...]}; limit is capped at 10000. */
typedef struct wr_inventory_query {
    const char *kind, *system, *identity, *filter;
    int64_t limit, offset;
} wr_inventory_query;
int wr_inventory_search(wr_store *s, const wr_inventory_query *q, json_t **out,
                        wr_err *err) WR_MUST_CHECK;

/* Synthetic enterprise: writes identities.csv, systems.csv, accounts.csv,
 * entitlements.csv, grants.csv, credentials.csv, roles.csv into outdir
 * (created), deterministic from seed and wr_now().  *ground_truth (caller
 * decrefs; may be NULL) holds the planted counts per readiness metric,
 * overall and per system, as the definitions in README-inventory.md count
 * them when the files are imported and measured at the same "now".  See
 * generate.c for the ids that are always present. */
int wr_inventory_generate(const char *outdir, uint64_t identities, uint64_t seed,
                          json_t **ground_truth, wr_err *err) WR_MUST_CHECK;

/* Offending records of one metric ("ownership_completeness",
 * "orphan_rate", "dormant_rate", "entitlement_accuracy",
 * "excessive_privilege_rate", "secrets_outside_vault", "stale_secrets",
 * "nhi_without_owner") in a scope, at most limit (0: 100): *out (caller
 * decrefs) is a JSON array of {"kind","id","reason",...}. */
int wr_readiness_offenders(wr_store *s, const char *metric, const char *scope_kind,
                           const char *scope, size_t limit, json_t **out,
                           wr_err *err) WR_MUST_CHECK;
/* Every scope at once: {"overall":{...},"domains":{D:{...}},
 * "systems":{S:{...}}}; caller decrefs. */
int wr_readiness_compute_all(wr_store *s, json_t **out, wr_err *err) WR_MUST_CHECK;
/* Stores the current metrics of overall, each domain and each system in
 * readiness_snapshots (one transaction, taken_at = wr_now()). */
int wr_readiness_snapshot(wr_store *s, wr_err *err) WR_MUST_CHECK;
/* Snapshots of one scope, oldest first, at most limit (0: 100):
 * [{"taken_at","metrics":{...}}]; caller decrefs. */
int wr_readiness_history(wr_store *s, const char *scope_kind, const char *scope,
                         size_t limit, json_t **out, wr_err *err) WR_MUST_CHECK;
/* A self-contained HTML report (inline CSS and SVG): *html caller frees. */
int wr_readiness_report_html(wr_store *s, char **html, wr_err *err) WR_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
