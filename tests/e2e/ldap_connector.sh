#!/usr/bin/env bash
# ldap_connector.sh — governed changes on a real OpenLDAP server (a
# throwaway slapd on a loopback port) through the real CLI: grant and
# revoke on groupOfNames and posixGroup, rollback to the exact prior state,
# disable/enable, idempotence, wrong credentials, an unreachable server and
# a stopped server (timeouts) leaving Warrant unchanged, a crash between
# apply and record settled by `warrant recover`, and drift found by
# `warrant sync` after out-of-band ldapmodify, a network that stops in the
# middle of an answer (a relay, lib/stallproxy.py, in front of slapd), and
# a system's first sync (groups listed first) against its dry run.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$WARRANT_SRC/scripts/lib/slapd.sh"
start_slapd "$WARRANT_SRC/tests/fixtures/org/ldap.ldif"
setup_org
G="ou=groups,$LDAP_BASE"
members() { lsearch -b "cn=$1,$G" -s base member memberUid | sed -n 's/^member: uid=\([^,]*\),.*/\1/p; s/^memberUid: //p' | sort | paste -sd, -; }
cfg() { # cfg URL PWFILE [TIMEOUT_MS]
  printf '{"url":"%s","bind_dn":"%s","bind_password_file":"%s","base_dn":"%s","timeout_ms":%s,"network_timeout_ms":%s}' \
    "$1" "$LDAP_ADMIN" "$2" "$LDAP_BASE" "${3:-3000}" "${3:-3000}"
}

expect_fail "password in config refused" 2 w system set-connector payroll ldap \
  --config "{\"url\":\"$LDAP_URL\",\"base_dn\":\"$LDAP_BASE\",\"bind_password\":\"x\"}"
expect_fail "missing url" 2 w system set-connector payroll ldap --config "{\"base_dn\":\"$LDAP_BASE\"}"
expect_ok "set ldap connector" w --json system set-connector payroll ldap --config "$(cfg "$LDAP_URL" "$LDAP_PWFILE")"
expect_eq "connector ldap" "$(jget "$OUT" .connector)" ldap
expect_eq "no secret stored" "$(sqlite3 "$WARRANT_DATA/warrant.db" "SELECT count(*) FROM systems WHERE connector_config LIKE '%$LDAP_PW%'")" 0

# grant on a groupOfNames
prep grant payroll:p4 payroll:viewer
expect_ok "grant on LDAP" ex
expect_eq "executed" "$(jget "$OUT" .state)" executed
expect_eq "member added" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3,p4"
expect_eq "plan names the group" "$(w --json lineage "$C" | jq -r '[.. | objects | select(.kind=="change.executing")][0].plan[0].modify')" "cn=viewer,$G"
expect_ok "validate reads LDAP" w --json validate "$C" --as hank
expect_eq "validated" "$(jget "$OUT" .state)" validated
prep grant payroll:p4 payroll:viewer
expect_ok "grant again" ex
expect_eq "idempotent" "$(jget "$OUT" '.result[0].changed')" false

# grant on a posixGroup (memberUid)
prep grant payroll:p5 payroll:admin
expect_ok "grant posixGroup" ex
expect_eq "memberUid added" "$(members admin)" "p5"

# revoke, then roll back to the exact prior state
prep revoke payroll:ghost payroll:approver
expect_ok "revoke on LDAP" ex
expect_eq "member removed" "$(members approver)" ""
roll_back
expect_eq "member back" "$(members approver)" "ghost"
expect_eq "original rolled back" "$(w --json change show "$C" | jq -r .state)" rolled_back
expect_eq "inventory grant restored with its history" \
  "$(w --json inventory search --kind grants --identity ghost | jq -r '.items[0].granted_at')" "2025-01-10T09:00:00Z"

# disable / enable (the disabled group)
prep disable payroll:p2
expect_ok "disable" ex
expect_eq "in disabled group" "$(members disabled)" "p2"
expect_eq "inventory disabled" "$(w --json inventory search --kind accounts --filter payroll:p2 | jq -r '.items[0].status')" disabled
prep enable payroll:p2
expect_ok "enable" ex
expect_eq "out of disabled group" "$(members disabled)" ""

# an account missing from the directory: a clear error, nothing applied
printf 'id,system,login,identity,status\npayroll:nobody,payroll,nobody,,active\n' > "$T/a.csv"
w import "$T/a.csv" --kind accounts >/dev/null
prep grant payroll:nobody payroll:viewer
expect_fail "unknown account" '*' ex
expect_contains "names the DN" "$ERR" "uid=nobody,ou=people,$LDAP_BASE not found"
expect_eq "still approved" "$(w --json change show "$C" | jq -r .state)" approved

# wrong credentials, unreachable server, stopped server: clear errors, no state change
n0=$(log_size)
printf 'wrong\n' > "$T/bad.pw"
w system set-connector payroll ldap --config "$(cfg "$LDAP_URL" "$T/bad.pw")" >/dev/null
prep revoke payroll:p1 payroll:viewer
n0=$(log_size)
expect_fail "wrong credentials" '*' ex
expect_contains "invalid credentials" "$ERR" "Invalid credentials"
expect_eq "change still approved" "$(w --json change show "$C" | jq -r .state)" approved
expect_eq "nothing logged" "$(log_size)" "$n0"
expect_fail "password never in messages" 1 grep -q "$LDAP_PW" "$T/stderr"
DEAD="ldap://127.0.0.1:$(free_port)"
w system set-connector payroll ldap --config "$(cfg "$DEAD" "$LDAP_PWFILE" 1000)" >/dev/null
expect_fail "unreachable" '*' ex
expect_contains "can't contact" "$ERR" "Can't contact LDAP server"
w system set-connector payroll ldap --config "$(cfg "$LDAP_URL" "$LDAP_PWFILE" 1000)" >/dev/null
kill -STOP "$SLAPD_PID"
t0=$(date +%s)
expect_fail "stopped server times out" '*' ex
expect_contains "timeout named" "$ERR" "Timed out"
kill -CONT "$SLAPD_PID"
expect_eq "bounded by the timeout" "$(( $(date +%s) - t0 < 10 ))" 1
expect_eq "still approved after timeout" "$(w --json change show "$C" | jq -r .state)" approved
expect_eq "p1 untouched" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3,p4"
expect_eq "still nothing logged" "$(log_size)" "$n0"
expect_ok "executes once the server answers" ex
expect_eq "p1 removed" "$(members viewer)" "ivy,olivia,orphan1,p2,p3,p4"

# crash between apply and record: in doubt; recover reads LDAP and settles
prep revoke payroll:p3 payroll:viewer
rc=0; WARRANT_TEST_CRASH_AFTER_APPLY=1 w execute "$C" --as hank >/dev/null 2>&1 || rc=$?
expect_eq "crashed after apply" "$rc" 99
expect_eq "applied in LDAP" "$(members viewer)" "ivy,olivia,orphan1,p2,p4"
expect_eq "in doubt" "$(WARRANT_NO_AUTO_RECOVER=1 w --json change show "$C" | jq -r .state)" executing
kill -STOP "$SLAPD_PID"
expect_fail "recover while the server hangs" 1 w --json recover
expect_contains "stays in doubt" "$OUT" in_doubt
kill -CONT "$SLAPD_PID"
expect_eq "still executing" "$(WARRANT_NO_AUTO_RECOVER=1 w --json change show "$C" | jq -r .state)" executing
expect_ok "recover" w --json recover
expect_eq "settled executed" "$(jget "$OUT" '.[0].outcome')" executed
expect_eq "inventory follows" "$(w --json inventory search --kind grants --identity p3 | jq -r .total)" 0
expect_contains "change.recovered logged" "$(w --json lineage "$C")" change.recovered

# crash, then the directory is put back out of band: not applied -> failed, nothing re-applied
prep revoke payroll:p2 payroll:viewer
WARRANT_TEST_CRASH_AFTER_APPLY=1 w execute "$C" --as hank >/dev/null 2>&1 || true
printf 'dn: cn=viewer,%s\nchangetype: modify\nadd: member\nmember: uid=p2,ou=people,%s\n' "$G" "$LDAP_BASE" | lmodify
expect_ok "recover" w --json recover "$C"
expect_eq "not applied" "$(jget "$OUT" '.[0].outcome')" not_applied
expect_eq "failed" "$(w --json change show "$C" | jq -r .state)" failed
expect_eq "p2 still a member" "$(members viewer)" "ivy,olivia,orphan1,p2,p4"

# drift: a clean sync first, then out-of-band changes found and imported
expect_ok "sync" w --json sync payroll
expect_eq "nothing unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 0
expect_eq "nothing missing" "$(jget "$OUT" .drift.missing.count)" 0
expect_eq "accounts read" "$(jget "$OUT" .target_accounts)" 15
expect_eq "orphan1 has no identity" "$(jget "$OUT" '.drift.orphans.items | join(",")')" "payroll:orphan1"
cat > "$T/oob.ldif" <<LDIF
dn: cn=viewer,$G
changetype: modify
add: member
member: uid=p6,ou=people,$LDAP_BASE
-
delete: member
member: uid=ivy,ou=people,$LDAP_BASE

dn: uid=stranger,ou=people,$LDAP_BASE
changetype: add
objectClass: inetOrgPerson
uid: stranger
cn: stranger
sn: stranger

dn: cn=auditors,$G
changetype: add
objectClass: groupOfNames
cn: auditors
member: uid=stranger,ou=people,$LDAP_BASE
LDIF
lmodify -f "$T/oob.ldif"
n0=$(log_size)
expect_ok "dry run" w --json sync payroll --dry-run
expect_eq "dry run sees drift" "$(jget "$OUT" .drift.unmanaged.count)" 2
expect_eq "dry run leaves the inventory" "$(w --json inventory search --kind grants --identity p6 | jq -r .total)" 0
expect_ok "sync after ldapmodify" w --json sync payroll
expect_eq "unmanaged memberships" "$(jget "$OUT" '.drift.unmanaged.items | sort | join(",")')"   "payroll:p6 payroll:viewer,payroll:stranger payroll:auditors"
expect_eq "missing grant" "$(jget "$OUT" '.drift.missing.items | join(",")')" "payroll:ivy payroll:viewer"
expect_eq "orphan stranger" "$(jget "$OUT" '.drift.orphans.items | sort | join(",")')" "payroll:orphan1,payroll:stranger"
expect_eq "new group" "$(jget "$OUT" '.drift.new_groups.items | join(",")')" "payroll:auditors"
expect_contains "digest" "$(jget "$OUT" .drift.unmanaged.digest)" "sha256:"
expect_eq "drift logged (dry run and real)" "$(log_size)" "$((n0 + 2))"
expect_eq "inventory imported p6" "$(w --json inventory search --kind grants --identity p6 | jq -r '.items[0].granted_by')" "sync:payroll"
expect_eq "inventory dropped ivy's viewer" "$(w --json inventory search --kind grants --identity ivy --system payroll | jq -r .total)" 0
expect_ok "stranger is an orphan account" w --json readiness --offenders orphan_rate --system payroll
expect_contains "readiness sees the orphan" "$OUT" "payroll:stranger"
expect_ok "second sync is clean" w --json sync payroll
expect_eq "no more unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 0
expect_eq "no more missing" "$(jget "$OUT" .drift.missing.count)" 0

# the network stops in the middle of a listed entry (message 5: after the
# bind response and the disabled group's search, the second account): the
# first bytes of the entry are already read ahead, so only the socket's
# receive timeout ends the wait.  The sync fails with the timeout, within
# a bound, and changes nothing.
python3 "$WARRANT_SRC/tests/e2e/lib/stallproxy.py" "$T/relay.port" 127.0.0.1 "${LDAP_URL##*:}" 5 \
  >"$T/relay.log" 2>&1 &
RELAY_PID=$!
for _ in $(seq 100); do [ -s "$T/relay.port" ] && break; sleep 0.05; done
w system set-connector payroll ldap --config "$(cfg "ldap://127.0.0.1:$(cat "$T/relay.port")" "$LDAP_PWFILE" 1000)" >/dev/null
n0=$(log_size)
grants0=$(w --json inventory search --kind grants --system payroll | jq -r .total)
t0=$(date +%s)
expect_fail "stalled network" '*' timeout 60 "$WARRANT" sync payroll
expect_contains "stall reported as a timeout" "$ERR" "timed out after 1000 ms"
expect_eq "stall bounded by the timeout" "$(( $(date +%s) - t0 < 10 ))" 1
expect_eq "stall logs nothing" "$(log_size)" "$n0"
expect_eq "stall imports nothing" "$(w --json inventory search --kind grants --system payroll | jq -r .total)" "$grants0"
kill "$RELAY_PID" 2>/dev/null || true
wait "$RELAY_PID" 2>/dev/null || true

# a system's first sync asks LDAP for the groups first and writes the
# memberships while the accounts are still read (lib/workflow/sync.c,
# member_rid).  Its drift must be the first dry run's (which reads the
# accounts first), and a member naming no account must end as an unknown
# member, its grant, written before the accounts came, gone.
printf 'dn: cn=viewer,%s\nchangetype: modify\nadd: member\nmember: uid=nosuch,ou=people,%s\n' "$G" "$LDAP_BASE" | lmodify
FRESH="$T/fresh"
wf() { WARRANT_DATA="$FRESH" "$WARRANT" "$@"; }
fq() { sqlite3 "$FRESH/warrant.db" "$1"; }
wf init >/dev/null
wf import "$WARRANT_SRC/tests/fixtures/org/identities.csv" --kind identities >/dev/null
wf import "$WARRANT_SRC/tests/fixtures/org/systems.csv" --kind systems >/dev/null
wf system set-connector payroll ldap --config "$(cfg "$LDAP_URL" "$LDAP_PWFILE")" >/dev/null
expect_ok "first dry run" wf --json sync payroll --dry-run
DRY=$OUT
expect_ok "first sync" wf --json sync payroll
for k in unmanaged unknown_members orphans new_accounts new_groups; do
  expect_eq "first sync: $k counted as by the dry run" "$(jget "$OUT" ".drift.$k.count")" "$(jget "$DRY" ".drift.$k.count")"
  expect_eq "first sync: $k digest as the dry run's" "$(jget "$OUT" ".drift.$k.digest")" "$(jget "$DRY" ".drift.$k.digest")"
done
expect_eq "first sync: the unknown member" "$(jget "$OUT" '.drift.unknown_members.items | join(",")')" "payroll:nosuch payroll:viewer"
expect_eq "first sync: its membership is not unmanaged" \
  "$(jget "$OUT" '[.drift.unmanaged.items[] | select(startswith("payroll:nosuch"))] | length')" 0
expect_eq "first sync: a grant per unmanaged membership" "$(fq "SELECT count(*) FROM grants")" "$(jget "$OUT" .drift.unmanaged.count)"
expect_eq "first sync: every grant's account exists" \
  "$(fq "SELECT count(*) FROM grants g LEFT JOIN accounts a ON a.rid=g.account_rid WHERE a.rid IS NULL")" 0
expect_eq "first sync: foreign keys hold" "$(fq "PRAGMA foreign_key_check" | wc -l)" 0
expect_eq "first sync: accounts as listed" "$(fq "SELECT count(*) FROM accounts")" "$(jget "$OUT" .target_accounts)"
expect_eq "first sync: a whole database" "$(fq "PRAGMA integrity_check")" ok
# the groups came first: rids follow the members of viewer (olivia,
# orphan1, ...), not the people listing (olivia, sam, ..., orphan1 last)
expect_eq "first sync: groups listed first" \
  "$(fq "SELECT (SELECT rid FROM accounts WHERE id='payroll:orphan1') - (SELECT rid FROM accounts WHERE id='payroll:olivia')")" 1
expect_ok "sync after the first" wf --json sync payroll
expect_eq "then nothing unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 0
expect_eq "then nothing missing" "$(jget "$OUT" .drift.missing.count)" 0
expect_eq "still the unknown member" "$(jget "$OUT" .drift.unknown_members.count)" 1
finish
