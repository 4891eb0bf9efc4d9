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

#ifdef __cplusplus
}
#endif
#endif
