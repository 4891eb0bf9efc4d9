/*
 * warrant/governance.h — governance obligations read from Cedar annotations.
 *
 * Cedar answers allow or deny.  Warrant reads annotations on the permit
 * policies that determined an allow and turns them into obligations, so one
 * decision says: deny, allow, or allow after approvals — and which.
 *
 * Annotations (on permit policies; values are strings):
 *   @modes("advise, draft, recommend")      modes this permit grants
 *                                           (absent: all four)
 *   @approvals("owner; security:2")         approval stages, in order,
 *        separated by ';'.  A stage is ROLE, ROLE:N (N distinct approvers)
 *        or ROLE:all (every eligible human).  ROLE is "owner" (the owner of
 *        the resource's system), "manager" (the initiator's manager, or an
 *        agent's accountable owner's manager), or a human role:
 *        "security", "compliance", "risk", "audit", "it".
 *   @approval_timeout("72h")                each stage must be decided in
 *                                           this span (default 72h)
 *   @grant_ttl("30d")                       grants made by the change
 *                                           expire after this span
 *   @evidence("ticket, validation_report")  evidence kinds closure needs
 *   @readiness_floor("ownership_completeness>=95, orphan_rate<=2")
 *        readiness the resource's system must meet for an AI principal
 *        to use the execute mode (below it AI may advise, draft and
 *        recommend only); metric names are those of context.readiness.
 *   @risk("high")                           low | medium | high | critical,
 *                                           shown to approvers and used to
 *                                           order inboxes
 *
 * Combination when several permits determine a decision (and across the
 * operations of one change): strictest wins — modes intersect, stages
 * merge by role keeping the larger count (all beats any number) in the
 * canonical order owner, manager, it, security, risk, compliance, audit;
 * timeouts and TTLs take the minimum; evidence kinds union; readiness
 * floors take the strictest bound per metric; risk takes the highest.
 * A satisfied forbid always wins: the outcome is deny.
 */
#ifndef WARRANT_GOVERNANCE_H
#define WARRANT_GOVERNANCE_H

#include "warrant/core.h"
#include "warrant/policy.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wr_mode { WR_MODE_ADVISE = 1, WR_MODE_DRAFT = 2, WR_MODE_RECOMMEND = 4, WR_MODE_EXECUTE = 8 };
#define WR_MODE_ALL 15
int wr_mode_parse(const char *s);               /* 0 when unknown */
const char *wr_mode_name(int mode);

#define WR_GOV_MAX_STAGES 8
#define WR_GOV_MAX_FLOORS 8
#define WR_GOV_MAX_EVIDENCE 8

typedef struct wr_gov_stage {
    char role[32];
    int count;          /* approvers needed; -1 means all eligible */
} wr_gov_stage;

typedef struct wr_gov_floor {
    char metric[48];
    int at_least;       /* 1: metric >= bound, 0: metric <= bound */
    long bound;
} wr_gov_floor;

typedef struct wr_obligations {
    int modes;                                   /* WR_MODE_* bits */
    size_t nstages;
    wr_gov_stage stages[WR_GOV_MAX_STAGES];
    int64_t approval_timeout;                    /* seconds; 0 = default */
    int64_t grant_ttl;                           /* seconds; 0 = none */
    size_t nevidence;
    char evidence[WR_GOV_MAX_EVIDENCE][32];
    size_t nfloors;
    wr_gov_floor floors[WR_GOV_MAX_FLOORS];
    int risk;                                    /* 0 low .. 3 critical */
} wr_obligations;

/* Obligations that impose nothing (all modes, no stages). */
void wr_obligations_init(wr_obligations *o);
/* Reads the annotations of one permit policy into o (which starts as
 * wr_obligations_init).  Malformed annotation values fail with a message
 * naming the policy and annotation. */
int wr_obligations_from_policy(const wr_policy_set *ps, const char *policy_id,
                               wr_obligations *o, wr_err *err) WR_MUST_CHECK;
/* Adds floors written as in @readiness_floor ("metric>=N, metric<=N") —
 * used for mandates, which carry the same kind of floor. */
int wr_obligations_add_floors(wr_obligations *o, const char *spec) WR_MUST_CHECK;
/* Adds evidence kinds (a JSON array of strings). */
int wr_obligations_add_evidence(wr_obligations *o, const json_t *kinds) WR_MUST_CHECK;
/* Reads the annotations of every permit policy of ps: the first malformed
 * one fails (so a bad annotation is found when policies load, not at the
 * first decision it would have decided). */
int wr_obligations_check_set(const wr_policy_set *ps, wr_err *err) WR_MUST_CHECK;
/* into = strictest combination of into and other. */
void wr_obligations_combine(wr_obligations *into, const wr_obligations *other);
/* Does readiness (a JSON object of metric -> integer) meet every floor?
 * On failure *failed (borrowed) names the first floor not met. */
int wr_obligations_floors_met(const wr_obligations *o, const json_t *readiness,
                              const wr_gov_floor **failed);
json_t *wr_obligations_to_json(const wr_obligations *o);   /* new reference */
const char *wr_risk_name(int risk);

#ifdef __cplusplus
}
#endif
#endif
