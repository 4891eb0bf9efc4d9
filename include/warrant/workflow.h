/*
 * warrant/workflow.h — the governance spine: principals, mandates and
 * governed changes with approvals, execution, rollback and closure.
 *
 * A wr_ctx is an open data directory: the store, the sandbox store, the
 * lineage log and the policy set (every *.cedar file in <data>/policies).
 * Every mutating call:
 *   1. checks its input (bad input: WR_EINVAL/WR_ENOTFOUND, nothing written),
 *   2. begins a store transaction (which serialises concurrent writers, so
 *      two approvers or executors never double-apply a change),
 *   3. re-reads the state it changes and checks the transition is legal
 *      (WR_ESTATE otherwise),
 *   4. asks the policy engine (and mandates, separation of duties, data
 *      readiness) — a refusal is WR_EDENIED,
 *   5. changes state and appends one lineage entry, then commits both
 *      together.
 * Results are JSON objects (caller decrefs) so the CLI, the HTTP server and
 * the MCP server present the same data.
 *
 * Principals: "human", "copilot" (acts for one human: on_behalf_of; its
 * effective authority is the intersection of its own and its human's),
 * "agent" (own identity, one accountable human owner, bounded by mandates),
 * "service" (non-human identity with an owner).  Humans carry roles used to
 * route approvals: security, compliance, risk, audit, it.
 *
 * Change lifecycle:
 *   proposed -> denied | awaiting_approval | approved
 *   awaiting_approval -> approved | rejected | expired
 *   approved -> executed | failed
 *   executed -> validated | failed ;  validated -> closed
 *   executed | validated | closed -> rolled_back (by an executed rollback)
 */
#ifndef WARRANT_WORKFLOW_H
#define WARRANT_WORKFLOW_H

#include "warrant/core.h"
#include "warrant/governance.h"
#include "warrant/ledger.h"
#include "warrant/policy.h"
#include "warrant/store.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wr_ctx wr_ctx;

/* Who is acting and through which door.  principal must exist; channel is
 * "cli", "http", "mcp:<session>:<tool>", ... and is recorded in the log. */
typedef struct wr_actor {
    const char *principal;
    const char *channel;
} wr_actor;

/* ---- data directory ---------------------------------------------------- */
/* Creates a data directory: database, sandbox, log key, and the given
 * policy file (or the built-in default policy set when NULL).  Refuses a
 * directory that already holds a Warrant store. */
int wr_ctx_init(const char *dir, const char *policy_file, wr_err *err) WR_MUST_CHECK;
int wr_ctx_open(const char *dir, int flags, wr_ctx **out, wr_err *err) WR_MUST_CHECK;
void wr_ctx_close(wr_ctx *ctx);
wr_store *wr_ctx_store(wr_ctx *ctx);
wr_ledger *wr_ctx_ledger(wr_ctx *ctx);
const char *wr_ctx_dir(const wr_ctx *ctx);   /* the data directory's path */
const wr_policy_set *wr_ctx_policies(wr_ctx *ctx);
/* Replaces the sandbox inventory with a copy of production's. */
int wr_sandbox_reset(wr_ctx *ctx, wr_err *err) WR_MUST_CHECK;

/* ---- principals ---------------------------------------------------------- */
/* spec: {"id","kind","name"?, "email"?, "roles"?:[..] (humans),
 *        "on_behalf_of" (copilot: its human), "owner" (agent/service: a human)}
 * actor may be NULL only while no principal exists (bootstrap). */
int wr_principal_add(wr_ctx *ctx, const wr_actor *actor, const json_t *spec,
                     json_t **out, wr_err *err) WR_MUST_CHECK;
int wr_principal_get(wr_ctx *ctx, const char *id, json_t **out, wr_err *err) WR_MUST_CHECK;
/* JSON array of principals: id, kind, name, roles, on_behalf_of, owner. */
int wr_principal_list(wr_ctx *ctx, json_t **out, wr_err *err) WR_MUST_CHECK;

/* ---- mandates (agents) --------------------------------------------------- */
/* spec: {"agent", "purpose", "systems":[..], "actions":[..], "max_changes",
 *        "deadline" (RFC 3339) | "duration" ("14d"), "readiness_floor"?:
 *        "ownership_completeness>=95, orphan_rate<=2", "evidence"?:[..]}
 * The actor must be the agent's accountable owner. */
int wr_mandate_create(wr_ctx *ctx, const wr_actor *actor, const json_t *spec,
                      json_t **out, wr_err *err) WR_MUST_CHECK;
int wr_mandate_get(wr_ctx *ctx, const char *id, json_t **out, wr_err *err) WR_MUST_CHECK;
int wr_mandate_list(wr_ctx *ctx, const char *agent, json_t **out, wr_err *err) WR_MUST_CHECK;
/* Closes with a summary of what was done under it and its evidence. */
int wr_mandate_close(wr_ctx *ctx, const wr_actor *actor, const char *id,
                     const json_t *evidence, json_t **out, wr_err *err) WR_MUST_CHECK;

/* ---- decisions without side effects ------------------------------------- */
/* req: {"mode","environment"?,"operations":[..],"mandate"?}
 * Returns the governance decision the actor would get ("check_access"):
 * {"outcome":"deny|allow|approval_required","stages","obligations",
 *  "policies","errors","explanation","readiness"}. Changes nothing. */
int wr_decide(wr_ctx *ctx, const wr_actor *actor, const json_t *req,
              json_t **out, wr_err *err) WR_MUST_CHECK;

/* ---- governed changes ------------------------------------------------------ */
/* req: {"mode": advise|draft|recommend|execute, "environment": production|
 *       sandbox, "operations":[..], "inputs":[{"source","sha256"|"content"}],
 *       "recommendation", "rationale", "mandate"?, "ticket"?}
 * advise/draft: evaluated and recorded in the log as advice/draft, no
 * change is created.  recommend: creates a change (denied, awaiting
 * approval or approved).  execute: as recommend, then executes at once
 * when policy allows it without approvals.  A policy denial is not a
 * failure of the call: the change is recorded in state "denied" with the
 * decision's explanation and returned in *out (the CLI exits 5). */
int wr_change_propose(wr_ctx *ctx, const wr_actor *actor, const json_t *req,
                      json_t **out, wr_err *err) WR_MUST_CHECK;
int wr_change_approve(wr_ctx *ctx, const wr_actor *actor, const char *id,
                      const char *reason, json_t **out, wr_err *err) WR_MUST_CHECK;
int wr_change_reject(wr_ctx *ctx, const wr_actor *actor, const char *id,
                     const char *reason, json_t **out, wr_err *err) WR_MUST_CHECK;
int wr_change_execute(wr_ctx *ctx, const wr_actor *actor, const char *id,
                      json_t **out, wr_err *err) WR_MUST_CHECK;
/* Reads the target back; a mismatch marks the change "failed" (returned
 * in *out with the validation report in its lineage), a match marks it
 * "validated" and adds the report's digest as validation_report evidence. */
int wr_change_validate(wr_ctx *ctx, const wr_actor *actor, const char *id,
                       json_t **out, wr_err *err) WR_MUST_CHECK;
/* evidence: [{"kind":"ticket","ref":"CHG-1234"}, ...] */
int wr_change_close(wr_ctx *ctx, const wr_actor *actor, const char *id,
                    const json_t *evidence, json_t **out, wr_err *err) WR_MUST_CHECK;
/* Proposes the rollback of an executed change as a new governed change. */
int wr_change_rollback(wr_ctx *ctx, const wr_actor *actor, const char *id,
                       const char *reason, json_t **out, wr_err *err) WR_MUST_CHECK;
/* Full record: initiator, operations, decision, stages with approvals and
 * the eligible approvers of the pending stage, inverse, results, evidence. */
int wr_change_get(wr_ctx *ctx, const char *id, json_t **out, wr_err *err) WR_MUST_CHECK;
/* filter: {"state"?, "initiator"?, "system"?, "approver"? (pending for),
 *          "limit"?, "offset"?} */
int wr_change_list(wr_ctx *ctx, const json_t *filter, json_t **out, wr_err *err) WR_MUST_CHECK;
/* The change's log entries in order, each with its inclusion proof checked
 * against the current signed checkpoint. */
int wr_change_lineage(wr_ctx *ctx, const char *id, json_t **out, wr_err *err) WR_MUST_CHECK;

/* ---- governed reads ------------------------------------------------------- */
/* Reading is a governed request too: may actor read what?
 *   what "inventory" | "readiness": scope "system" (id a system: resource
 *     System::"id"), "domain" (id a domain: Domain::"id") or "overall"
 *     (id NULL: every system, Warrant::"inventory" | Warrant::"readiness");
 *     scope NULL means "system" with an id and "overall" without.
 *   what "change": id a change id (Change::"id"); scope is ignored.
 * Cedar is asked for Action::"read" in mode advise (context.read = what,
 * context.scope), for a copilot also for its human (intersection); an
 * agent reads only within its active mandates: a system they cover, a
 * change it initiated or on a system they cover, everything at once (or a
 * whole domain) only under a mandate for every system ("*").  A domain or
 * everything is readable only when each of its systems is.  Reads change
 * nothing and log nothing.  A denial is WR_EDENIED with the explanation in
 * err; an unknown system or change is WR_ENOTFOUND.  On success *decision
 * (optional, caller decrefs) is the decision (as wr_decide's, plus "read"
 * and "resource"). */
int wr_read_check(wr_ctx *ctx, const wr_actor *actor, const char *what, const char *scope,
                  const char *id, json_t **decision, wr_err *err) WR_MUST_CHECK;
/* wr_change_list restricted to the changes actor may read (the checks of
 * wr_read_check, for each change); limit and offset count those. */
int wr_change_list_readable(wr_ctx *ctx, const wr_actor *actor, const json_t *filter, json_t **out,
                            wr_err *err) WR_MUST_CHECK;

/* Expires what is due at now: approval deadlines, time-bound grants,
 * mandates past their deadline.  *out lists what was expired. */
int wr_expire(wr_ctx *ctx, json_t **out, wr_err *err) WR_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
