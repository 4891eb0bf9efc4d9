#!/usr/bin/env bash
# workflow_ai.sh — copilots, agents and services through the real CLI: the
# copilot intersection rule, mandates (scope, count, deadline, owner),
# advise/draft modes, sandbox isolation, readiness gating, expiry of
# approval windows and time-bound grants, and racing executors.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
setup_org
site_forbid_ivy_grant

# ---- copilot: intersection with its human ------------------------------------
expect_fail "copilot exceeds its human" 5 w --json propose grant payroll:p4 payroll:viewer --as cop-ivy
expect_eq "denied change recorded" "$(jget "$OUT" .state)" denied
expect_contains "intersection explained" "$OUT" "never exceeds its human"
expect_ok "same copilot rule for another human" w --json propose grant payroll:p4 payroll:viewer --as cop
expect_eq "hank's copilot may recommend" "$(jget "$OUT" .state)" awaiting_approval
expect_fail "human behind copilot may not approve" 5 w approve "$(jget "$OUT" .id)" --as hank --reason mine

# ---- advise and draft change nothing ---------------------------------------------------
before=$(w --json change list | jq length)
expect_ok "advise" w --json propose revoke payroll:ivy payroll:viewer --as cop --mode advise
expect_eq "advice outcome" "$(jget "$OUT" .decision.outcome)" approval_required
expect_contains "advice id" "$(jget "$OUT" .id)" adv_
expect_ok "draft" w --json propose revoke payroll:ivy payroll:viewer --as cop --mode draft
expect_contains "draft id" "$(jget "$OUT" .id)" drf_
expect_eq "no change created" "$(w --json change list | jq length)" "$before"
expect_fail "check changes nothing" 5 w --json check revoke payroll:ivy payroll:viewer --as cop --mode execute
expect_eq "copilot cannot execute" "$(jget "$OUT" .outcome)" deny
expect_eq "still no change" "$(w --json change list | jq length)" "$before"

# ---- agents and mandates -------------------------------------------------------------------
expect_fail "agent without mandate" 5 w --json propose disable payroll:orphan1 --as bot
expect_contains "needs a mandate" "$OUT" "no active mandate"
expect_fail "only the owner gives a mandate" 5 w mandate create --as hank --agent bot --purpose p \
  --system payroll --action disable --max-changes 2 --duration 7d
expect_fail "mandate needs a deadline" 2 w mandate create --as ethan --agent bot --purpose p \
  --system payroll --action disable --max-changes 2
expect_fail "mandate bad action" 2 w mandate create --as ethan --agent bot --purpose p \
  --system payroll --action delete --max-changes 2 --duration 7d
expect_ok "mandate" w --json mandate create --as ethan --agent bot --purpose "remove orphans" \
  --system payroll --action disable --action revoke --max-changes 2 --duration 7d --evidence ticket
M=$(jget "$OUT" .id)
expect_ok "agent proposes" w --json propose disable payroll:orphan1 --as bot --recommendation disable \
  --rationale "no identity"
A=$(jget "$OUT" .id)
expect_eq "agent change routed" "$(jget "$OUT" '[.decision.stages[].role] | join(",")')" "owner,security"
expect_eq "agent change under mandate" "$(jget "$OUT" .mandate)" "$M"
expect_fail "outside mandate: system" 5 w --json propose disable github:ivy --as bot
expect_contains "outside mandate explained" "$OUT" "outside mandate"
expect_fail "agents never grant" 5 w --json propose grant payroll:p5 payroll:viewer --as bot
expect_fail "outside mandate: action" 5 w --json propose enable payroll:ghost --as bot
expect_ok "second change within the count" w --json propose revoke payroll:orphan1 payroll:viewer --as bot
A2=$(jget "$OUT" .id)
expect_fail "mandate used up" 5 w --json propose disable payroll:ghost --as bot
expect_contains "count explained" "$OUT" "used up"
expect_ok "mandate show" w --json mandate show "$M"
expect_eq "two changes used" "$(jget "$OUT" .used)" 2
expect_fail "agent's owner may not approve" 5 w approve "$A" --as ethan --reason mine
expect_contains "accountable owner" "$ERR" "accountable"
expect_ok "owner approves" w approve "$A" --as olivia --reason "orphan confirmed"
expect_fail "security stage needs security" 5 w approve "$A" --as hank --reason ok
expect_ok "security approves" w approve "$A" --as sue --reason "no sessions"
expect_ok "agent executes" w --json execute "$A" --as bot
expect_eq "agent executed" "$(jget "$OUT" .state)" executed
expect_ok "agent validates" w validate "$A" --as bot
expect_fail "agent closes without ticket" 2 w close "$A" --as bot
expect_ok "agent closes" w close "$A" --as bot --evidence ticket=INC-9
expect_ok "approve the second change" w approve "$A2" --as olivia --reason ok
expect_ok "security approves the second change" w approve "$A2" --as sam --reason ok
expect_fail "only the owner closes a mandate" 5 w mandate close "$M" --as hank
expect_ok "mandate close" w --json mandate close "$M" --as ethan --evidence attestation=Q4
expect_eq "mandate closed" "$(jget "$OUT" .state)" closed
expect_eq "summary counts closed" "$(jget "$OUT" .summary.by_state.closed)" 1
expect_fail "closed mandate stops the agent" 5 w execute "$A2" --as bot

# ---- readiness gate: a mandate floor above the system's readiness -----------------------
expect_ok "strict mandate" w --json mandate create --as ethan --agent bot --purpose strict \
  --system payroll --action disable --max-changes 3 --duration 7d --readiness-floor "ownership_completeness>=100"
expect_ok "agent may still recommend below the bar" w --json propose disable payroll:ghost --as bot
G=$(jget "$OUT" .id)
expect_eq "recommendation accepted" "$(jget "$OUT" .state)" awaiting_approval
w approve "$G" --as olivia --reason ok >/dev/null
w approve "$G" --as sam --reason ok >/dev/null
expect_fail "but not execute" 5 w execute "$G" --as bot
expect_contains "readiness explained" "$ERR" "readiness"
expect_ok "a human may execute it" w execute "$G" --as hank

# ---- sandbox never touches production ---------------------------------------------------------
expect_ok "sandbox execute" w --json propose disable payroll:p6 --as hank --env sandbox --mode execute
expect_eq "sandbox executed without approvals" "$(jget "$OUT" .state)" executed
expect_ok "production untouched" w --json inventory search --kind accounts --identity p6
expect_eq "p6 still active in production" "$(jget "$OUT" '.items[0].status')" active

# ---- expiry: approval windows and time-bound grants ---------------------------------------------
expect_ok "privileged grant" w --json propose grant payroll:p1 payroll:approver --as hank
P=$(jget "$OUT" .id)
expect_eq "privileged needs owner and security" "$(jget "$OUT" '[.decision.stages[].role] | join(",")')" "owner,security"
expires=$(jget "$OUT" '.request.operations[0].expires_at')
expect_contains "grant expires" "$expires" "T"
expect_ok "owner" w approve "$P" --as olivia --reason ok
expect_ok "security" w approve "$P" --as sam --reason ok
expect_ok "execute grant" w execute "$P" --as hank
expect_ok "expire now: nothing due" w --json expire
expect_eq "nothing expired yet" "$(jget "$OUT" '.grants | length')" 0
later=$(date -u -d "+31 days" +%Y-%m-%dT%H:%M:%SZ)
expect_ok "expire later" env WARRANT_NOW="$later" "$WARRANT" --json expire
expect_eq "grant expired" "$(jget "$OUT" '.grants | length')" 1
expect_ok "grant removed" w --json inventory search --kind grants --identity p1
expect_eq "p1 approver gone" "$(jget "$OUT" '[.items[] | select(.entitlement=="payroll:approver")] | length')" 0

expect_ok "proposal to time out" w --json propose revoke payroll:p2 payroll:viewer --as hank
X=$(jget "$OUT" .id)
expect_ok "expire windows" env WARRANT_NOW="$(date -u -d "+4 days" +%Y-%m-%dT%H:%M:%SZ)" "$WARRANT" --json expire
expect_contains "change expired" "$OUT" "$X"
expect_fail "approve expired" 4 w approve "$X" --as olivia --reason late
expect_ok "history kept" w --json change show "$X"
expect_eq "expired state" "$(jget "$OUT" .state)" expired

# ---- racing executors and approvers: exactly one wins ---------------------------------------------
expect_ok "race proposal" w --json propose revoke payroll:p3 payroll:viewer --as hank
Y=$(jget "$OUT" .id)
w approve "$Y" --as olivia --reason ok >/dev/null
for i in 1 2 3 4; do ( set +e; w execute "$Y" --as hank >/dev/null 2>&1; echo $? > "$T/race.$i" ) & done
wait
wins=$(cat "$T"/race.* | grep -c '^0$' || true)
losses=$(cat "$T"/race.* | grep -c '^4$' || true)
expect_eq "one executor wins" "$wins" 1
expect_eq "the others see an illegal transition" "$losses" 3
expect_ok "lineage of raced change" w --json lineage "$Y"
expect_eq "executed once" "$(jget "$OUT" '[.entries[].entry.kind | select(.=="change.executed")] | length')" 1
expect_ok "race approvers" w --json propose grant payroll:p2 payroll:approver --as hank
Z=$(jget "$OUT" .id)
w approve "$Z" --as olivia --reason ok >/dev/null
( set +e; w approve "$Z" --as sam --reason ok >/dev/null 2>&1; echo $? > "$T/ap.1" ) &
( set +e; w approve "$Z" --as sue --reason ok >/dev/null 2>&1; echo $? > "$T/ap.2" ) &
wait
expect_eq "one approver fills the slot" "$(cat "$T"/ap.* | sort | tr '\n' ' ')" "0 4 "
expect_ok "approval history" w --json change show "$Z"
expect_eq "two approvals recorded" "$(jget "$OUT" '.approvals | length')" 2
expect_ok "log verify" w log verify
finish
