#!/usr/bin/env bash
# ldap_tls.sh — the LDAP connector over real TLS, and its other edges, on a
# throwaway slapd: a CA and a server certificate made with openssl at
# setup, StartTLS on the ldap:// port and an ldaps:// listener on another
# port; grant and revoke through both with the CA in the system's
# connector_config; a wrong CA (and no CA) failing clearly with nothing
# changed; the "attribute" disable method (employeeType on inetOrgPerson)
# end to end, sync included; rotate_credential refused when proposed
# (the LDAP connector cannot rotate); and a system's first sync, which
# goes through the bulk-load path, followed by a clean second sync.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$WARRANT_SRC/scripts/lib/slapd.sh"
SLAPD_TLS=1
start_slapd "$WARRANT_SRC/tests/fixtures/org/ldap.ldif"
setup_org
G="ou=groups,$LDAP_BASE"
members() { lsearch -b "cn=$1,$G" -s base member memberUid | sed -n 's/^member: uid=\([^,]*\),.*/\1/p; s/^memberUid: //p' | sort | paste -sd, -; }
cfg() { # cfg URL STARTTLS CA [EXTRA_JSON]
  printf '{"url":"%s","starttls":%s,"tls_ca_file":"%s","tls_require_cert":"demand","bind_dn":"%s","bind_password_file":"%s","base_dn":"%s","timeout_ms":3000,"network_timeout_ms":3000%s}' \
    "$1" "$2" "$3" "$LDAP_ADMIN" "$LDAP_PWFILE" "$LDAP_BASE" "${4:-}"
}
state() { w --json change show "$C" | jq -r .state; }

# ---- StartTLS on ldap:// ----
expect_ok "StartTLS config" w system set-connector payroll ldap --config "$(cfg "$LDAP_URL" true "$LDAP_CA")"
prep grant payroll:p4 payroll:viewer
expect_ok "grant over StartTLS" ex
expect_eq "executed" "$(jget "$OUT" .state)" executed
expect_eq "member added" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3,p4"
prep revoke payroll:p4 payroll:viewer
expect_ok "revoke over StartTLS" ex
expect_eq "member removed" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3"

# ---- LDAPS ----
expect_ok "LDAPS config" w system set-connector payroll ldap --config "$(cfg "$LDAPS_URL" false "$LDAP_CA")"
prep grant payroll:p5 payroll:viewer
expect_ok "grant over LDAPS" ex
expect_eq "member added over LDAPS" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3,p5"
prep revoke payroll:p5 payroll:viewer
expect_ok "revoke over LDAPS" ex
expect_eq "member removed over LDAPS" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3"

# ---- a CA that did not sign the server's certificate: clear error, nothing changed ----
prep grant payroll:p6 payroll:viewer
n0=$(log_size)
w system set-connector payroll ldap --config "$(cfg "$LDAPS_URL" false "$LDAP_OTHER_CA")" >/dev/null
expect_fail "LDAPS, wrong CA" '*' ex
expect_contains "names the URL" "$ERR" "$LDAPS_URL"
expect_contains "can't connect" "$ERR" "Can't contact LDAP server"
expect_contains "TLS named with the CA file" "$ERR" "TLS: is the server's certificate signed by the CA in tls_ca_file $LDAP_OTHER_CA"
expect_eq "still approved (LDAPS)" "$(state)" approved
w system set-connector payroll ldap --config "$(cfg "$LDAP_URL" true "$LDAP_OTHER_CA")" >/dev/null
expect_fail "StartTLS, wrong CA" '*' ex
expect_contains "StartTLS named" "$ERR" "StartTLS: Connect error"
expect_contains "StartTLS: TLS hint" "$ERR" "tls_ca_file $LDAP_OTHER_CA"
expect_eq "still approved (StartTLS)" "$(state)" approved
expect_eq "nothing logged" "$(log_size)" "$n0"
expect_eq "directory untouched" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3"
expect_eq "inventory untouched" "$(w --json inventory search --kind grants --identity p6 --system payroll | jq -r .total)" 0
w system set-connector payroll ldap --config "$(cfg "$LDAPS_URL" false "$LDAP_CA")" >/dev/null
expect_ok "the right CA: executes" ex
expect_eq "p6 added" "$(members viewer)" "ivy,olivia,orphan1,p1,p2,p3,p6"

# ---- the attribute disable method (employeeType on inetOrgPerson) ----
ATTR=',"disable":{"method":"attribute","attribute":"employeeType","value":"disabled"}'
expect_ok "attribute method config" w system set-connector payroll ldap --config "$(cfg "$LDAPS_URL" false "$LDAP_CA" "$ATTR")"
etype() { lsearch -b "uid=$1,ou=people,$LDAP_BASE" -s base employeeType | sed -n 's/^employeeType: //p'; }
prep disable payroll:p2
expect_ok "disable by attribute" ex
expect_eq "plan replaces the attribute" "$(w --json lineage "$C" | jq -r '[.. | objects | select(.kind=="change.executing")][0].plan[0] | .change + " " + .attribute')" "replace employeeType"
expect_eq "employeeType set" "$(etype p2)" disabled
expect_eq "not in the disabled group" "$(members disabled)" ""
expect_eq "inventory disabled" "$(w --json inventory search --kind accounts --filter payroll:p2 | jq -r '.items[0].status')" disabled
prep disable payroll:p2
expect_ok "disable again" ex
expect_eq "idempotent" "$(jget "$OUT" '.result[0].changed')" false
expect_ok "sync sees the attribute" w --json sync payroll
expect_eq "no status drift" "$(jget "$OUT" .drift.status_changed.count)" 0
prep enable payroll:p2
expect_ok "enable by attribute" ex
expect_eq "employeeType gone" "$(etype p2)" ""
expect_eq "inventory active" "$(w --json inventory search --kind accounts --filter payroll:p2 | jq -r '.items[0].status')" active
printf 'dn: uid=p3,ou=people,%s\nchangetype: modify\nreplace: employeeType\nemployeeType: disabled\n' "$LDAP_BASE" | lmodify
expect_ok "sync after an out-of-band lock" w --json sync payroll
expect_eq "status change found" "$(jget "$OUT" '.drift.status_changed.items | join(",")')" "payroll:p3 disabled"
expect_eq "inventory follows" "$(w --json inventory search --kind accounts --filter payroll:p3 | jq -r '.items[0].status')" disabled

# ---- capabilities: the LDAP connector cannot rotate a credential ----
printf 'id,identity,system,kind,location\ncred-p1,p1,payroll,password,vault\n' > "$T/credentials.csv"
w import "$T/credentials.csv" --kind credentials >/dev/null
n0=$(log_size)
nc=$(w --json change list | jq length)
expect_fail "rotate refused at propose" '*' w --json propose --as hank rotate_credential cred-p1 --recommendation r --rationale r
expect_contains "system, connector and operation named" "$ERR" "system payroll: connector ldap cannot rotate_credential"
expect_fail "rotate refused at check" '*' w --json check rotate_credential cred-p1 --as hank
expect_contains "check names it too" "$ERR" "connector ldap cannot rotate_credential"
expect_eq "nothing recorded" "$(log_size)" "$n0"
expect_eq "no change recorded" "$(w --json change list | jq length)" "$nc"

# ---- a system's first sync: the bulk-load path ----
printf 'id,name,domain,owner,criticality\ndir2,Directory 2,corp,olivia,high\n' > "$T/systems.csv"
w import "$T/systems.csv" --kind systems >/dev/null
w system set-connector dir2 ldap --config "$(cfg "$LDAPS_URL" false "$LDAP_CA")" >/dev/null
expect_ok "first sync of dir2" w --json sync dir2
expect_eq "accounts read" "$(jget "$OUT" .target_accounts)" 15
expect_eq "all new" "$(jget "$OUT" .drift.new_accounts.count)" 15
expect_eq "groups new" "$(jget "$OUT" '.drift.new_groups.items | sort | join(",")')" "dir2:admin,dir2:approver,dir2:viewer"
expect_eq "memberships unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 8
expect_eq "added = accounts + groups + memberships" "$(jget "$OUT" .imported.added)" 26
expect_eq "orphans have no identity" "$(jget "$OUT" '.drift.orphans.items | sort | join(",")')" "dir2:orphan1"
digest=$(jget "$OUT" .drift.unmanaged.digest)
expect_eq "journalled once per kind" "$(sqlite3 "$WARRANT_DATA/warrant.db" "SELECT group_concat(object_kind || ':' || json_extract(after, '\$.rows'), ',') FROM (SELECT * FROM inventory_events WHERE object_id='*' AND json_extract(after, '\$.sync')='dir2' ORDER BY object_kind)")" "account:15,entitlement:3,grant:8"
expect_eq "grant event carries the drift digest" "$(sqlite3 "$WARRANT_DATA/warrant.db" "SELECT json_extract(after, '\$.digest') FROM inventory_events WHERE object_id='*' AND object_kind='grant' AND json_extract(after, '\$.sync')='dir2'")" "$digest"
expect_eq "grants in the inventory" "$(w --json inventory search --kind grants --system dir2 | jq -r .total)" 8
expect_eq "account held by its identity" "$(w --json inventory search --kind accounts --filter dir2:p1 | jq -r '.items[0].identity')" p1
expect_eq "group method: employeeType is not a lock" "$(w --json inventory search --kind accounts --filter dir2:p3 | jq -r '.items[0].status')" active
expect_ok "readiness counts the new system" w --json readiness --offenders orphan_rate --system dir2
expect_contains "orphan offender" "$OUT" "dir2:orphan1"
expect_ok "second sync" w --json sync dir2
expect_eq "clean: unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 0
expect_eq "clean: missing" "$(jget "$OUT" .drift.missing.count)" 0
expect_eq "clean: new accounts" "$(jget "$OUT" .drift.new_accounts.count)" 0
finish
