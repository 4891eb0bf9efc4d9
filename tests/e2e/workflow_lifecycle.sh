#!/usr/bin/env bash
# workflow_lifecycle.sh — the governed change lifecycle through the real CLI:
# propose, separation of duties, approval, execution, validation, closure
# with evidence, rollback as a governed change, lineage, and bad input.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
setup_org

# principals
expect_ok "principal list" w principal list --json
expect_eq "copilot kind" "$(jget "$OUT" '.[] | select(.id=="cop") | .kind')" copilot
expect_eq "copilot human" "$(jget "$OUT" '.[] | select(.id=="cop") | .on_behalf_of')" hank
expect_eq "agent owner" "$(jget "$OUT" '.[] | select(.id=="bot") | .owner')" ethan
expect_eq "ten principals" "$(jget "$OUT" 'length')" 10
expect_fail "copilot without human" 2 w principal add c2 --kind copilot
expect_fail "unknown kind" 2 w principal add x --kind robot
expect_fail "agent owned by an agent" 2 w principal add b2 --kind agent --owner bot
expect_fail "duplicate principal" 4 w principal add hank --kind human
expect_fail "bad id" 2 w principal add "a b" --kind human

# propose: a human's revocation needs the system owner
n0=$(log_size)
expect_ok "propose" w --json propose revoke payroll:ghost payroll:approver --as hank \
  --recommendation "revoke leaver's approver right" --rationale "ghost left in 2025" \
  --input hr-feed=sha256:0000000000000000000000000000000000000000000000000000000000000001
C=$(jget "$OUT" .id)
expect_eq "awaiting approval" "$(jget "$OUT" .state)" awaiting_approval
expect_eq "owner stage" "$(jget "$OUT" '.decision.stages[0].role')" owner
expect_eq "eligible owner" "$(jget "$OUT" '.pending_stage.eligible_approvers[0]')" olivia
expect_eq "input digest kept" "$(jget "$OUT" '.request.inputs[0].sha256')" \
  "sha256:0000000000000000000000000000000000000000000000000000000000000001"
expect_eq "one log entry for the proposal" "$(log_size)" "$((n0 + 1))"

# separation of duties and illegal transitions: clear error, nothing logged
n1=$(log_size)
expect_fail "self-approval" 5 w approve "$C" --as hank --reason ok
expect_contains "self-approval message" "$ERR" "separation of duties"
expect_fail "copilot approves" 5 w approve "$C" --as cop --reason ok
expect_contains "AI never approves" "$ERR" "no AI ever approves"
expect_fail "agent approves" 5 w approve "$C" --as bot --reason ok
expect_fail "service approves" 5 w approve "$C" --as svc --reason ok
expect_fail "not eligible" 5 w approve "$C" --as ivy --reason ok
expect_contains "names the eligible" "$ERR" "eligible: olivia"
expect_fail "no reason" 2 w approve "$C" --as olivia
expect_fail "execute before approval" 4 w execute "$C" --as hank
expect_fail "unknown change" 3 w approve chg_doesnotexist --as olivia --reason ok
expect_fail "unknown principal" 3 w approve "$C" --as nobody --reason ok
expect_eq "refusals leave no log entry" "$(log_size)" "$n1"

expect_ok "owner approves" w --json approve "$C" --as olivia --reason "confirmed leaver"
expect_eq "approved" "$(jget "$OUT" .state)" approved
expect_eq "approval recorded" "$(jget "$OUT" '.approvals[0].reason')" "confirmed leaver"
expect_fail "approve twice" 4 w approve "$C" --as olivia --reason again

# a copilot never executes; its human may
expect_fail "copilot execute" 5 w execute "$C" --as cop
expect_contains "mode not granted" "$ERR" "mode execute is not granted"
expect_ok "human executes" w --json execute "$C" --as hank
expect_eq "executed" "$(jget "$OUT" .state)" executed
expect_eq "inverse recorded" "$(jget "$OUT" '.inverse[0].op')" grant
expect_ok "grant gone" w --json inventory search --kind grants --identity ghost
expect_eq "no grants left for ghost" "$(jget "$OUT" '.total')" 0
expect_fail "execute twice" 4 w execute "$C" --as hank

# validation and closure with evidence
expect_fail "close before validation" 4 w close "$C" --as hank --evidence ticket=T-1
expect_ok "validate" w --json validate "$C" --as hank
expect_eq "validated" "$(jget "$OUT" .state)" validated
expect_eq "validation report is evidence" "$(jget "$OUT" '.evidence[0].kind')" validation_report
expect_fail "close without ticket" 2 w close "$C" --as hank
expect_contains "names missing evidence" "$ERR" "ticket"
expect_fail "malformed evidence" 2 w close "$C" --as hank --evidence ticket
expect_ok "close" w --json close "$C" --as hank --evidence ticket=T-1
expect_eq "closed" "$(jget "$OUT" .state)" closed
expect_fail "approve closed change" 4 w approve "$C" --as olivia --reason late

# rollback is a governed change: re-granting a privileged right needs owner and security
expect_ok "rollback" w --json rollback "$C" --as hank --reason "wrong person"
R=$(jget "$OUT" .id)
expect_eq "rollback awaiting" "$(jget "$OUT" .state)" awaiting_approval
expect_eq "rollback of" "$(jget "$OUT" .rollback_of)" "$C"
expect_eq "rollback op" "$(jget "$OUT" '.request.operations[0].op')" grant
expect_eq "stages owner then security" "$(jget "$OUT" '[.decision.stages[].role] | join(",")')" "owner,security"
expect_fail "second rollback refused" 4 w rollback "$C" --as hank --reason again
expect_ok "owner approves rollback" w approve "$R" --as olivia --reason ok
expect_fail "security stage: owner cannot fill a second slot" 5 w approve "$R" --as olivia --reason again
expect_ok "security approves rollback" w approve "$R" --as sam --reason ok
expect_ok "execute rollback" w execute "$R" --as hank
expect_ok "show original" w --json change show "$C"
expect_eq "original rolled back" "$(jget "$OUT" .state)" rolled_back
expect_ok "grant is back" w --json inventory search --kind grants --identity ghost
expect_eq "grant restored" "$(jget "$OUT" '.total')" 1

# lineage and log
expect_ok "lineage" w --json lineage "$C"
expect_eq "lineage verified" "$(jget "$OUT" .verified)" true
expect_eq "lineage kinds" "$(jget "$OUT" '[.entries[].entry.kind] | join(",")')" \
  "change.proposed,change.approval,change.execution_denied,change.executing,change.executed,change.validated,change.closed,change.rolled_back"
expect_ok "lineage text" w lineage "$C"
expect_contains "lineage readable" "$OUT" "confirmed leaver"
expect_ok "log verify" w log verify

# rejection ends a change; the reason is kept
expect_ok "propose for rejection" w --json propose revoke payroll:p1 payroll:viewer --as hank
J=$(jget "$OUT" .id)
expect_fail "reject needs a reason" 2 w reject "$J" --as olivia
expect_fail "self-rejection" 5 w reject "$J" --as hank --reason no
expect_ok "owner rejects" w --json reject "$J" --as olivia --reason "p1 still needs payroll access"
expect_eq "rejected" "$(jget "$OUT" .state)" rejected
expect_eq "rejection reason kept" "$(jget "$OUT" '.approvals[0].verdict + ": " + .approvals[0].reason')" \
  "reject: p1 still needs payroll access"
expect_fail "execute rejected" 4 w execute "$J" --as hank

# validation catches a target that drifted after execution
expect_ok "propose for drift" w --json propose revoke payroll:p2 payroll:viewer --as hank
V=$(jget "$OUT" .id)
expect_ok "approve drift change" w approve "$V" --as olivia --reason ok
expect_ok "execute drift change" w execute "$V" --as hank
w import "$WARRANT_SRC/tests/fixtures/org/grants.csv" --kind grants >/dev/null   # puts the grant back
expect_fail "validation detects drift" 6 w validate "$V" --as hank
expect_ok "drifted change" w --json change show "$V"
expect_eq "marked failed" "$(jget "$OUT" .state)" failed
expect_ok "validation failure is lineage" w --json lineage "$V"
expect_eq "validation_failed entry" "$(jget "$OUT" '.entries[-1].entry.kind')" change.validation_failed

# bad input: nothing written
n2=$(log_size)
expect_fail "unknown operation" 2 w propose promote payroll:ivy --as hank
expect_fail "missing operand" 2 w propose revoke payroll:ivy --as hank
expect_fail "unknown account" 3 w propose revoke payroll:nobody payroll:viewer --as hank
expect_fail "two systems in one change" 2 w propose revoke payroll:ivy payroll:viewer + revoke github:ivy github:write --as hank
expect_fail "no actor" 2 w propose revoke payroll:ivy payroll:viewer
expect_fail "bad mode" 2 w propose revoke payroll:ivy payroll:viewer --as hank --mode yolo
expect_fail "bad environment" 2 w propose revoke payroll:ivy payroll:viewer --as hank --env staging
expect_fail "bad input digest" 2 w propose revoke payroll:ivy payroll:viewer --as hank --input x=sha256:zz
printf '{"mode":"recommend","operations":[{"op":"revoke","account":1}]}' > "$T/bad.json"
expect_fail "malformed operation" 2 w propose --file "$T/bad.json" --as hank
printf '{"mode":' > "$T/broken.json"
expect_fail "broken JSON" 2 w propose --file "$T/broken.json" --as hank
expect_contains "file:line:col" "$ERR" "broken.json:1:"
expect_eq "bad input leaves no log entry" "$(log_size)" "$n2"
finish
