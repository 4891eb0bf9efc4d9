#!/usr/bin/env bash
# demo.sh — README command 1's demo must tell a true story: it checks every
# step's outcome itself (exit 1 on any surprise); here we also check that
# the key moments appear and that the data directory it leaves is sound.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"   # jget
expect_ok "demo runs" w demo run --data "$T/demo" --identities 400
for moment in "refused: separation of duties" "mode execute is not granted" "outside mandate" \
              "below the bar for AI execution" "in production the account is still active" \
              "is now rolled_back" "revokes 1 expired grant" "checkpoint signature valid"; do
  expect_contains "demo shows: $moment" "$OUT" "$moment"
done
expect_ok "log verifies afterwards" w --data "$T/demo" log verify
expect_ok "changes listed" w --data "$T/demo" --json change list
expect_eq "closed changes" "$(jget "$OUT" '[.[] | select(.state=="closed")] | length')" 2
expect_fail "demo refuses an existing data directory" 4 w demo run --data "$T/demo"
expect_fail "demo bad size" 2 w demo run --data "$T/other" --identities ten

# ---- the LDAP leg, against a real slapd loaded with the demo's directory ----
source "$WARRANT_SRC/scripts/lib/slapd.sh"
printf '{"url":' > "$T/bad.json"
expect_fail "ldap config not JSON" 2 w demo run --data "$T/other" --ldap-config "$T/bad.json"
expect_contains "names file and position" "$ERR" "$T/bad.json:1:"
expect_fail "ldap config missing" 2 w demo run --data "$T/other" --ldap-config "$T/none.json"
start_slapd "$WARRANT_SRC/examples/demo/directory.ldif"
printf '{"url":"%s","bind_dn":"%s","bind_password_file":"%s","base_dn":"%s"}\n' \
  "$LDAP_URL" "$LDAP_ADMIN" "$LDAP_PWFILE" "$LDAP_BASE" > "$T/ldap.json"
expect_ok "demo with its LDAP leg" w demo run --data "$T/demo-ldap" --identities 400 --ldap-config "$T/ldap.json"
for moment in "first sync read 10 accounts and 16 group memberships" "corp-directory:temp.contractor7" \
              "removed member from cn=domain-admins" "added member to cn=disabled" \
              "0 difference(s) besides the" "checkpoint signature valid"; do
  expect_contains "LDAP leg shows: $moment" "$OUT" "$moment"
done
admins=$(lsearch -b "cn=domain-admins,ou=groups,$LDAP_BASE" member | sed -n 's/^member: uid=\([^,]*\),.*/\1/p' | sort | paste -sd, -)
expect_eq "orphan no longer a directory admin (seen with ldapsearch)" "$admins" "bob.martin,frank.osei"
expect_contains "orphan locked out" "$(lsearch -b "cn=disabled,ou=groups,$LDAP_BASE" member)" "uid=temp.contractor7,"
expect_ok "LDAP leg's log verifies" w --data "$T/demo-ldap" log verify
expect_ok "directory change listed" w --data "$T/demo-ldap" --json change list --system corp-directory
expect_eq "directory change closed" "$(jget "$OUT" '[.[] | select(.state=="closed")] | length')" 1
C=$(jget "$OUT" '[.[] | select(.state=="closed")][0].id')
expect_ok "lineage of the directory change" w --data "$T/demo-ldap" --json lineage "$C"
expect_eq "plan recorded before apply names the LDAP group" \
  "$(jget "$OUT" '[.. | objects | select(.kind=="change.executing")][0].plan[0].modify')" "cn=domain-admins,ou=groups,$LDAP_BASE"
expect_eq "no password in the store" "$(sqlite3 "$T/demo-ldap/warrant.db" "SELECT count(*) FROM systems WHERE connector_config LIKE '%$LDAP_PW%'")" 0
finish
