#!/usr/bin/env bash
# connector_exec.sh — governed changes executed through the exec connector
# on a small script target (tests/e2e/lib/exec_target.py, state in JSON):
# grant, revoke, rollback to the exact prior state, idempotence, a failure
# midway undone on the target, timeout, hostile account ids passed
# literally, a crash between apply and record settled by `warrant recover`,
# and drift found by `warrant sync`.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
setup_org
PY=$(command -v python3)
S="$T/state.json"
cat > "$S" <<'JSON'
{"accounts": {"olivia": {}, "ivy": {}, "p1": {}, "p2": {}, "p3": {}, "p4": {}, "p5": {}, "p6": {},
              "ghost": {}, "orphan1": {}, "hank": {}, "sam": {}, "sue": {}, "ethan": {}, "svc-sync": {}},
 "groups": {"viewer": ["olivia", "ivy", "orphan1", "p1", "p2", "p3"], "approver": ["ghost"], "admin": []}}
JSON
members() { jq -r --arg g "$1" '.groups[$g] | join(",")' "$S"; }
# prep OPS...: propose as hank, approve as olivia; $C is the change

expect_fail "relative argv[0] refused" 2 w system set-connector payroll exec --config '{"argv":["python3"]}'
expect_fail "secrets refused in config" 2 w system set-connector payroll exec \
  --config "{\"argv\":[\"$PY\"],\"bind_password\":\"x\"}"
expect_ok "set exec connector" w --json system set-connector payroll exec \
  --config "{\"argv\":[\"$PY\",\"$WARRANT_SRC/tests/e2e/lib/exec_target.py\",\"$S\"],\"timeout_ms\":5000}"
expect_eq "connector stored" "$(jget "$OUT" .connector)" exec

# grant, then see it on the target and in the inventory
prep grant payroll:p4 payroll:viewer
expect_ok "grant executes" ex
expect_eq "executed" "$(jget "$OUT" .state)" executed
expect_eq "changed" "$(jget "$OUT" '.result[0].changed')" true
expect_eq "target has p4" "$(members viewer)" "olivia,ivy,orphan1,p1,p2,p3,p4"
expect_ok "inventory grant" w --json inventory search --kind grants --identity p4
expect_eq "inventory follows" "$(jget "$OUT" .total)" 1
expect_ok "lineage" w --json lineage "$C"
expect_contains "plan recorded" "$OUT" '"plan"'
expect_contains "readback recorded" "$OUT" '"readback"'
expect_ok "validate reads the target" w --json validate "$C" --as hank
expect_eq "validated" "$(jget "$OUT" .state)" validated

# idempotent: granting what exists is changed:false
prep grant payroll:p1 payroll:viewer
expect_ok "grant existing" ex
expect_eq "already so" "$(jget "$OUT" '.result[0].changed')" false

# revoke, then roll back: the exact prior state on the target
prep revoke payroll:ghost payroll:approver
expect_ok "revoke" ex
expect_eq "target lost ghost" "$(members approver)" ""
expect_eq "inverse is a grant" "$(jget "$OUT" '.inverse[0].op')" grant
expect_eq "inverse keeps granted_by" "$(jget "$OUT" '.inverse[0].granted_by')" olivia
roll_back
expect_eq "target has ghost again" "$(members approver)" "ghost"
expect_ok "inventory grant restored" w --json inventory search --kind grants --identity ghost
expect_eq "granted_at restored" "$(jget "$OUT" '.items[0].granted_at')" "2025-01-10T09:00:00Z"

# disable / enable
prep disable payroll:p2
expect_ok "disable" ex
expect_eq "disabled on target" "$(jq -r '.accounts.p2.disabled' "$S")" true
prep enable payroll:p2
expect_ok "enable" ex
expect_eq "enabled on target" "$(jq -r '.accounts.p2.disabled' "$S")" false

# failure midway: the first operation is undone on the target
jq '.fail=["p6"]' "$S" > "$S.new" && mv "$S.new" "$S"
prep grant payroll:p5 payroll:viewer + grant payroll:p6 payroll:viewer
expect_fail "midway failure" '*' ex
expect_contains "names the program's error" "$ERR" "refusing to change p6"
expect_eq "p5 undone on the target" "$(members viewer)" "olivia,ivy,orphan1,p1,p2,p3,p4"
expect_eq "change failed" "$(w --json change show "$C" | jq -r .state)" failed
expect_ok "lineage of failure" w --json lineage "$C"
expect_contains "compensation recorded" "$OUT" '"compensation"'
expect_eq "no inventory grant for p5" "$(w --json inventory search --kind grants --identity p5 | jq -r .total)" 0
jq 'del(.fail)' "$S" > "$S.new" && mv "$S.new" "$S"

# timeout: the program is killed, the change stays approved, nothing changes
jq '.sleep=30' "$S" > "$S.new" && mv "$S.new" "$S"
w system set-connector payroll exec \
  --config "{\"argv\":[\"$PY\",\"$WARRANT_SRC/tests/e2e/lib/exec_target.py\",\"$S\"],\"timeout_ms\":700}" >/dev/null
C=$(w --json propose --as hank grant payroll:p5 payroll:viewer --recommendation r --rationale r | jq -r .id)
w approve "$C" --as olivia --reason ok >/dev/null
t0=$(date +%s)
expect_fail "timeout" '*' w execute "$C" --as hank
expect_contains "timeout message" "$ERR" "timed out after 700 ms"
expect_eq "killed promptly" "$(( $(date +%s) - t0 < 10 ))" 1
expect_eq "still approved" "$(w --json change show "$C" | jq -r .state)" approved
jq 'del(.sleep)' "$S" > "$S.new" && mv "$S.new" "$S"
w system set-connector payroll exec \
  --config "{\"argv\":[\"$PY\",\"$WARRANT_SRC/tests/e2e/lib/exec_target.py\",\"$S\"],\"timeout_ms\":5000}" >/dev/null
expect_ok "executes once the target answers" w --json execute "$C" --as hank
expect_eq "p5 on target" "$(members viewer)" "olivia,ivy,orphan1,p1,p2,p3,p4,p5"

# hostile account ids travel as data, never as shell
H='x;touch '"$T"'/pwned $(touch '"$T"'/pwned2) `id` "q'"'"
printf 'id,system,login,identity,status\n"payroll:%s",payroll,"%s",,active\n' "${H//\"/\"\"}" "${H//\"/\"\"}" > "$T/h.csv"
expect_ok "import hostile account" w import "$T/h.csv" --kind accounts
prep grant "payroll:$H" payroll:admin
expect_ok "grant to hostile id" ex
expect_eq "literal login on target" "$(jq -r '.groups.admin[0]' "$S")" "$H"
expect_eq "no command ran" "$(ls "$T"/pwned* 2>/dev/null | wc -l)" 0

# crash between apply and record: in doubt, then settled by recover
C=$(w --json propose --as hank revoke payroll:p3 payroll:viewer --recommendation r --rationale r | jq -r .id)
w approve "$C" --as olivia --reason ok >/dev/null
rc=0; WARRANT_TEST_CRASH_AFTER_APPLY=1 w execute "$C" --as hank >/dev/null 2>&1 || rc=$?
expect_eq "crashed" "$rc" 99
expect_eq "applied on target" "$(members viewer)" "olivia,ivy,orphan1,p1,p2,p4,p5"
expect_eq "in doubt" "$(WARRANT_NO_AUTO_RECOVER=1 w --json change show "$C" | jq -r .state)" executing
expect_ok "recover" w --json recover
expect_eq "settled as executed" "$(jget "$OUT" '.[0].outcome')" executed
expect_eq "state executed" "$(w --json change show "$C" | jq -r .state)" executed
expect_eq "inventory follows after recovery" \
  "$(w --json inventory search --kind grants --identity p3 | jq -r .total)" 0
expect_ok "recovered in lineage" w --json lineage "$C"
expect_contains "change.recovered" "$OUT" "change.recovered"
expect_ok "nothing more in doubt" w recover
expect_contains "none" "$OUT" "no change in doubt"

# crash before the target is reached (the program fails): settled as not applied
C=$(w --json propose --as hank revoke payroll:p2 payroll:viewer --recommendation r --rationale r | jq -r .id)
w approve "$C" --as olivia --reason ok >/dev/null
rc=0; WARRANT_TEST_CRASH_AFTER_APPLY=1 w execute "$C" --as hank >/dev/null 2>&1 || rc=$?
# undo it behind Warrant's back: the target no longer matches the intent
jq '.groups.viewer += ["p2"]' "$S" > "$S.new" && mv "$S.new" "$S"
expect_ok "auto recovery at open" w --json change show "$C"
expect_eq "not applied -> failed" "$(jget "$OUT" .state)" failed

# drift through the exec lister
jq '.groups.viewer += ["sam"]' "$S" > "$S.new" && mv "$S.new" "$S"
expect_ok "sync" w --json sync payroll
expect_eq "unmanaged via exec" "$(jget "$OUT" '.drift.unmanaged.items | join(",")')" "payroll:sam payroll:viewer"

# capabilities: a program that declares it can only grant, revoke and list.
# What it cannot do is refused when proposed or checked, nothing recorded.
expect_fail "unknown capability refused" 2 w system set-connector payroll exec \
  --config "{\"argv\":[\"$PY\"],\"capabilities\":[\"grant\",\"fly\"]}"
expect_contains "names the entry" "$ERR" "connector_config.capabilities[1]"
expect_ok "limited capabilities" w --json system set-connector payroll exec \
  --config "{\"argv\":[\"$PY\",\"$WARRANT_SRC/tests/e2e/lib/exec_target.py\",\"$S\"],\"capabilities\":[\"grant\",\"revoke\",\"list\"]}"
n0=$(log_size)
nc=$(w --json change list | jq length)
expect_fail "disable refused at propose" '*' w --json propose --as hank disable payroll:p2 --recommendation r --rationale r
expect_contains "names system, connector and operation" "$ERR" "system payroll: connector exec cannot disable (it can: grant, revoke)"
expect_contains "names the operation's index" "$ERR" "operations[0]"
expect_fail "disable refused at check" '*' w --json check disable payroll:p2 --as hank
expect_contains "check says why" "$ERR" "connector exec cannot disable"
expect_eq "nothing logged" "$(log_size)" "$n0"
expect_eq "no change recorded" "$(w --json change list | jq length)" "$nc"
expect_ok "sandbox is the inventory: disable allowed there" w --json check disable payroll:p2 --as hank --env sandbox
prep grant payroll:p5 payroll:viewer
expect_ok "a declared capability still runs" ex
expect_eq "granted on the target" "$(members viewer | tr , '\n' | grep -c '^p5$')" 1
finish
