#!/usr/bin/env bash
# inventory_cli.sh — drives `warrant generate`, `warrant import`,
# `warrant readiness` (table, --json, --offenders, --snapshot, --html) and
# `warrant inventory search` end to end, with good and bad input files.
source "$WARRANT_SRC/tests/e2e/lib/common.sh"
export WARRANT_NOW=2025-06-01T00:00:00Z
jqn() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

expect_ok "generate" w generate --identities 300 --seed 11 --out "$T/gen" --json
echo "$OUT" > "$T/truth.json"
expect_eq "seven files" "$(ls "$T/gen" | wc -l)" 7

# glob order is alphabetical; import puts the files in dependency order
expect_ok "import all" w import "$T"/gen/*.csv
expect_contains "summary line" "$OUT" "imported $T/gen/identities.csv: "
expect_contains "no rejects" "$OUT" "added, 0 changed, 0 removed, 0 unchanged, 0 rejected"
expect_ok "re-import" w import "$T"/gen/*.csv
expect_eq "idempotent" "$(echo "$OUT" | grep -c ': 0 added, 0 changed, 0 removed, [0-9]* unchanged, 0 rejected')" 7

expect_ok "readiness json" w readiness --json
for k in orphaned_accounts dormant_accounts excessive_grants accurate_grants nhi_without_owner stale_secrets secrets_outside_vault; do
  expect_eq "metric $k = ground truth" "$(echo "$OUT" | jqn "d['$k']")" "$(jqn "d['$k']" < "$T/truth.json")"
done
expect_ok "readiness payroll" w readiness --system payroll --json
expect_eq "payroll orphans" "$(echo "$OUT" | jqn "d['orphaned_accounts']")" "$(jqn "d['systems']['payroll']['orphaned_accounts']" < "$T/truth.json")"
expect_ok "readiness table" w readiness
expect_contains "table has systems" "$OUT" "aws-prod"
expect_contains "table has domains" "$OUT" "finance"
expect_ok "offenders" w readiness --offenders orphan_rate --system payroll --json
expect_contains "mallory is an orphan" "$OUT" "payroll:mallory.reed"
expect_fail "unknown metric" 2 w readiness --offenders happiness
expect_fail "unknown system" 3 w readiness --system atlantis
expect_fail "system and domain" 2 w readiness --system payroll --domain finance

expect_ok "snapshot 1" w readiness --snapshot
WARRANT_NOW=2025-06-15T00:00:00Z expect_ok "snapshot 2" w readiness --snapshot
expect_ok "html" w readiness --html "$T/report.html"
expect_eq "html has svg charts" "$(grep -o '<svg' "$T/report.html" | wc -l)" 8
expect_eq "no external assets" "$(grep -Eci '(src|href)=.?https?:' "$T/report.html")" 0
expect_contains "html has trend" "$(cat "$T/report.html")" "<polyline"

expect_ok "search" w inventory search --kind accounts --system payroll --limit 5 --json
expect_eq "page size" "$(echo "$OUT" | jqn "len(d['items'])")" 5
expect_ok "search filter" w inventory search --filter alice.nguyen
expect_contains "alice found" "$OUT" "alice.nguyen"
expect_ok "search grants of identity" w inventory search --kind grants --identity svc-payroll-sync --json
expect_contains "svc holds payroll admin" "$OUT" "payroll:admin"
expect_fail "bad kind" 2 w inventory search --kind planets
expect_fail "bad limit" 2 w inventory search --limit lots

# bad files: rows rejected with file:line, the rest imported
printf 'id,kind,status\nok1,human,active\nbad1,robot,active\nbad2,human\n' > "$T/identities-bad.csv"
expect_ok "partial import" w import "$T/identities-bad.csv"
expect_contains "summary" "$OUT" "1 added, 0 changed, 0 removed, 0 unchanged, 2 rejected"
expect_contains "line 3" "$(cat "$T/stderr")" "identities-bad.csv:3: kind: 'robot'"
expect_contains "line 4" "$(cat "$T/stderr")" "identities-bad.csv:4: 2 fields"
printf 'id,kind\nok2,human\nbad3,robot\n' > "$T/identities-strict.csv"
expect_fail "strict" 2 w import --strict "$T/identities-strict.csv"
expect_contains "strict says so" "$ERR" "strict"
expect_ok "ok2 absent" w inventory search --filter ok2 --json
expect_eq "nothing half-written" "$(echo "$OUT" | jqn "d['total']")" 0
printf '{"identities":[{"id":"j1"},{"id":7}]}' > "$T/bad.json"
expect_ok "json partial" w import "$T/bad.json"
expect_contains "json path" "$(cat "$T/stderr")" "bad.json: \$.identities[1]: id: expected a string"
printf '{"identities":[' > "$T/broken.json"
expect_fail "broken json" 2 w import "$T/broken.json"
expect_fail "missing file" 3 w import "$T/nope.csv"
expect_fail "no files" 2 w import
python3 -c "import sys; sys.stdout.buffer.write(bytes(range(256)) * 12)" > "$T/noise.bin"
expect_fail "binary as JSON" 2 w import --format json "$T/noise.bin"
expect_ok "binary as CSV: rows rejected, no crash" w import --kind identities "$T/noise.bin"
expect_contains "binary rejected" "$OUT" "0 added"

# SCIM
cat > "$T/okta.json" <<'J'
{"Resources":[
 {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id":"00u1","userName":"nina.park","name":{"formatted":"Nina Park"},"active":true,
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"finance"}},
 {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"00g1","displayName":"payroll-approvers",
  "members":[{"value":"00u1"}]}]}
J
expect_ok "scim" w import --format scim --system payroll "$T/okta.json"
expect_contains "scim summary" "$OUT" "4 added"
expect_ok "scim grant" w inventory search --kind grants --identity nina.park --json
expect_contains "group became a grant" "$OUT" "payroll:payroll-approvers"

# full snapshot of a source
printf 'id,department\nfs1,it\nfs2,it\n' > "$T/identities-hr.csv"
expect_ok "full 1" w import --source hr --full "$T/identities-hr.csv"
printf 'id,department\nfs1,it\n' > "$T/identities-hr.csv"
expect_ok "full 2" w import --source hr --full "$T/identities-hr.csv"
expect_contains "one removed" "$OUT" "1 removed"
expect_fail "full without source" 2 w import --full "$T/identities-hr.csv"
finish
