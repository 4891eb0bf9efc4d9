#!/usr/bin/env bash
# scim_connector.sh — governed changes on a SCIM 2.0 application (a real
# HTTP service provider on a loopback port, tests/e2e/lib/scim_target.py)
# through the real CLI: grant and revoke (group members), rollback to the
# exact prior state, disable/enable (active), idempotence, names with quotes
# kept out of the filter syntax, a refused token, an unreachable and a slow
# application leaving Warrant unchanged, and drift found by `warrant sync`
# after an out-of-band PATCH.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
setup_org
S="$T/scim"; mkdir -p "$S"
printf 'tok-%s\n' "$RANDOM$RANDOM" > "$S/token"; chmod 600 "$S/token"
TOKEN=$(cat "$S/token")
# users keyed by ids unlike their userNames, so the id/userName mapping is exercised
python3 - "$S/seed.json" <<'PY'
import json, sys
logins = ["olivia", "sam", "sue", "hank", "ethan", "ivy", "p1", "p2", "p3", "p4", "p5", "p6", "svc-sync", "ghost",
          "orphan1", 'q"uote']
users = {f"u{i:03d}": {"id": f"u{i:03d}", "userName": n, "active": True} for i, n in enumerate(logins)}
ids = {u["userName"]: k for k, u in users.items()}
def group(gid, name, members):
    return gid, {"id": gid, "displayName": name, "members": [{"value": ids[m]} for m in members]}
groups = dict([group("g-1", "viewer", ["olivia", "ivy", "orphan1", "p1", "p2", "p3"]),
               group("g-2", "approver", ["ghost"]), group("g-3", "admin", [])])
json.dump({"Users": users, "Groups": groups}, open(sys.argv[1], "w"))
PY
python3 "$WARRANT_SRC/tests/e2e/lib/scim_target.py" "$S" &
SPID=$!
trap 'kill $SPID 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$S/port" ] && break; sleep 0.05; done
BASE="http://127.0.0.1:$(cat "$S/port")/scim/v2"
members() { jq -r --arg g "$1" '. as $s | [.Groups[] | select(.displayName==$g) | .members[].value | $s.Users[.].userName] | sort | join(",")' "$S/state.json"; }
active() { jq -r --arg u "$1" '[.Users[] | select(.userName==$u) | .active][0]' "$S/state.json"; }
cfg() { printf '{"base_url":"%s","token_file":"%s","timeout_ms":%s,"network_timeout_ms":%s,"page_size":4}' "$1" "$2" "${3:-3000}" "${3:-3000}"; }

# ---- configuration: checked before it is stored --------------------------------
expect_fail "token in config refused" 2 w system set-connector payroll scim --config "{\"base_url\":\"$BASE\",\"token\":\"x\"}"
expect_contains "says where secrets go" "$ERR" "token_file or token_env"
expect_fail "no token named" 2 w system set-connector payroll scim --config "{\"base_url\":\"$BASE\"}"
expect_fail "not an http url" 2 w system set-connector payroll scim --config "{\"base_url\":\"ldap://x\",\"token_env\":\"T\"}"
expect_fail "bad page size" 2 w system set-connector payroll scim --config "{\"base_url\":\"$BASE\",\"token_env\":\"T\",\"page_size\":0}"
expect_ok "set scim connector" w --json system set-connector payroll scim --config "$(cfg "$BASE" "$S/token")"
expect_eq "connector scim" "$(jget "$OUT" .connector)" scim
expect_eq "no token stored" "$(sqlite3 "$WARRANT_DATA/warrant.db" "SELECT count(*) FROM systems WHERE connector_config LIKE '%$TOKEN%'")" 0
printf 'id,identity,system,kind,location\ncred-p1,p1,payroll,token,vault\n' > "$T/credentials.csv"
w import "$T/credentials.csv" --kind credentials >/dev/null
expect_fail "rotation is not a SCIM capability" '*' w propose --as hank rotate_credential cred-p1 --recommendation r --rationale r
expect_contains "refused at propose, naming the connector" "$ERR" "connector scim cannot rotate_credential"

# ---- grant, idempotence -----------------------------------------------------------
prep grant payroll:p4 payroll:viewer
expect_ok "grant on SCIM" ex
expect_eq "executed" "$(jget "$OUT" .state)" executed
expect_eq "member added" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3,p4"
expect_eq "plan names the PATCH" "$(w --json lineage "$C" | jq -r '[.. | objects | select(.kind=="change.executing")][0].plan[0].request')" "PATCH $BASE/Groups/g-1"
expect_ok "validate reads SCIM" w --json validate "$C" --as hank
expect_eq "validated" "$(jget "$OUT" .state)" validated
prep grant payroll:p4 payroll:viewer
expect_ok "grant again" ex
expect_eq "idempotent" "$(jget "$OUT" '.result[0].changed')" false

# ---- revoke, then roll back to the exact prior state -------------------------------------
prep revoke payroll:ghost payroll:approver
expect_ok "revoke on SCIM" ex
expect_eq "member removed" "$(members approver)" ""
roll_back
expect_eq "member back" "$(members approver)" "ghost"
expect_eq "inventory grant restored with its history" \
  "$(w --json inventory search --kind grants --identity ghost | jq -r '.items[0].granted_at')" "2025-01-10T09:00:00Z"

# ---- disable / enable (User.active) --------------------------------------------------------
prep disable payroll:p2
expect_ok "disable" ex
expect_eq "inactive in the application" "$(active p2)" false
expect_eq "inventory disabled" "$(w --json inventory search --kind accounts --filter payroll:p2 | jq -r '.items[0].status')" disabled
prep enable payroll:p2
expect_ok "enable" ex
expect_eq "active again" "$(active p2)" true

# ---- a name with a quote stays a value, never filter syntax -----------------------------------
printf 'id,system,login,identity,status\n"payroll:q""uote",payroll,"q""uote",,active\npayroll:nobody,payroll,nobody,,active\n' > "$T/a.csv"
w import "$T/a.csv" --kind accounts >/dev/null
prep grant 'payroll:q"uote' payroll:admin
expect_ok "grant to q\"uote" ex
expect_eq "exactly that user" "$(members admin)" 'q"uote'
prep grant payroll:nobody payroll:viewer
expect_fail "unknown account" '*' ex
expect_contains "names the userName" "$ERR" 'no User with userName "nobody"'
expect_eq "still approved" "$(w --json change show "$C" | jq -r .state)" approved

# ---- a refused token, an unreachable and a slow application: clear errors, no state change --------
printf 'wrong\n' > "$T/bad.token"
w system set-connector payroll scim --config "$(cfg "$BASE" "$T/bad.token")" >/dev/null
prep revoke payroll:p1 payroll:viewer
n0=$(log_size)
expect_fail "refused token" '*' ex
expect_contains "says the token was refused" "$ERR" "bearer token was refused (HTTP 401)"
expect_fail "token never in messages" 1 grep -q "$TOKEN" "$T/stderr"
expect_eq "change still approved" "$(w --json change show "$C" | jq -r .state)" approved
expect_eq "nothing logged" "$(log_size)" "$n0"
DEAD="http://127.0.0.1:$(( 20000 + RANDOM % 20000 ))/scim/v2"
w system set-connector payroll scim --config "$(cfg "$DEAD" "$S/token" 1000)" >/dev/null
expect_fail "unreachable" '*' ex
expect_contains "names the failure" "$ERR" "Failed to connect"
w system set-connector payroll scim --config "$(cfg "$BASE" "$S/token" 1000)" >/dev/null
echo 3 > "$S/delay"
t0=$(date +%s)
expect_fail "slow application times out" '*' ex
expect_contains "timeout named" "$ERR" "timed out"
rm -f "$S/delay"
expect_eq "bounded by the timeout" "$(( $(date +%s) - t0 < 8 ))" 1
expect_eq "p1 untouched" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3,p4"
expect_eq "still nothing logged" "$(log_size)" "$n0"
expect_ok "executes once the application answers" ex
expect_eq "p1 removed" "$(members viewer)" "ivy,olivia,orphan1,p2,p3,p4"

# ---- drift: a clean sync, then an out-of-band PATCH found and imported -----------------------------
expect_ok "sync" w --json sync payroll
expect_eq "nothing missing" "$(jget "$OUT" .drift.missing.count)" 0
expect_eq "accounts read (paged by 4)" "$(jget "$OUT" .target_accounts)" 16
expect_ok "second sync is clean" w --json sync payroll
expect_eq "no unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 0
p6=$(jq -r '[.Users[] | select(.userName=="p6") | .id][0]' "$S/state.json")
curl -sf -X PATCH -H "Authorization: Bearer $TOKEN" -H 'content-type: application/scim+json' "$BASE/Groups/g-3" \
  --data "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"$p6\"}]}]}" >/dev/null
expect_ok "sync after the out-of-band change" w --json sync payroll
expect_eq "unmanaged membership" "$(jget "$OUT" '.drift.unmanaged.items | join(",")')" "payroll:p6 payroll:admin"
expect_eq "inventory imported it" "$(w --json inventory search --kind grants --identity p6 | jq -r '.items[0].granted_by')" "sync:payroll"
finish
