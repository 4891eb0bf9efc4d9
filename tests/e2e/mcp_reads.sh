#!/usr/bin/env bash
# mcp_reads.sh — governed reads over MCP (stdio): an agent reads only its
# mandates' systems and the changes it initiated or that touch them; a
# copilot reads only what its human may read (a site policy forbids ivy to
# read payroll); a service reads what policy lets it; denials are tool
# results with isError, EDENIED and the explanation, and reads never write
# to the log.  People are unaffected (the CLI and the HTTP API for humans).
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
setup_org
site_forbid_ivy_read_payroll
source "$(dirname "$0")/lib/mcp_stdio.sh"

# two changes by hank (a person): one on github, one on payroll
w --json propose --as hank disable github:ivy --rationale "left" >"$T/c1.json" || true
GH=$(jq -r .id "$T/c1.json")
w --json propose --as hank revoke payroll:ghost payroll:approver --rationale "leaver" >"$T/c2.json" || true
PAY=$(jq -r .id "$T/c2.json")
expect_contains "github change exists" "$GH" chg_
expect_contains "payroll change exists" "$PAY" chg_

# ---- an agent without a mandate reads nothing ----------------------------------------
log0=$(log_size)
mcp bot <<EOF
#init
$(call 1 search_inventory '{"kind":"accounts","system":"payroll"}')
$(call 2 readiness '{"scope":"system","id":"payroll"}')
$(call 3 change_status "{\"change_id\":\"$PAY\"}")
EOF
expect_eq "no mandate: inventory refused" "$(rr 1 .result.structuredContent.error.status)" EDENIED
expect_contains "no mandate: explained" "$(rr 1 .result.structuredContent.error.message)" "has no active mandate"
expect_eq "no mandate: readiness refused" "$(r 2 .result.isError)" true
expect_eq "no mandate: change refused" "$(rr 3 .result.structuredContent.error.status)" EDENIED
expect_eq "refused reads wrote nothing" "$(log_size)" "$log0"

w --json mandate create --as ethan --agent bot --purpose "remove orphans" --system payroll \
  --action disable --action revoke --max-changes 4 --duration 7d >"$T/m.json"
M=$(jq -r .id "$T/m.json")

# ---- inside and outside the mandate --------------------------------------------------
mcp bot <<EOF
#init
$(call 1 search_inventory '{"kind":"accounts","system":"payroll","limit":3}')
$(call 2 search_inventory '{"kind":"accounts","system":"github"}')
$(call 3 search_inventory '{"kind":"accounts"}')
$(call 4 readiness '{"scope":"system","id":"payroll"}')
$(call 5 readiness '{"scope":"system","id":"github"}')
$(call 6 readiness '{}')
$(call 7 readiness '{"scope":"domain","id":"finance"}')
$(call 8 change_status "{\"change_id\":\"$PAY\"}")
$(call 9 change_status "{\"change_id\":\"$GH\"}")
$(call 10 propose_change '{"operations":[{"op":"disable","account":"payroll:orphan1"}],"rationale":"orphan"}')
$(call 11 search_inventory '{"kind":"accounts","system":"nosuch"}')
EOF
OWN=$(rr 10 .result.structuredContent.change_id)
expect_eq "mandate system: inventory" "$(rr 1 '.result.structuredContent.items | length')" 3
expect_eq "mandate system: not an error" "$(r 1 .result.isError)" false
expect_eq "other system: inventory refused" "$(r 2 .result.isError)" true
expect_eq "other system: EDENIED" "$(rr 2 .result.structuredContent.error.status)" EDENIED
expect_eq "other system: decision" "$(rr 2 .result.structuredContent.decision)" deny
expect_contains "other system: explained" "$(rr 2 .result.structuredContent.error.message)" \
  "system github is not among the systems they cover: $M (payroll)"
expect_contains "other system: summary" "$(rr 2 .result.structuredContent.summary)" "denied: read of inventory of system github"
expect_contains "every system: name one" "$(rr 3 .result.structuredContent.error.message)" "name a system"
expect_eq "mandate system: readiness" "$(rr 4 .result.structuredContent.id)" payroll
expect_eq "other system: readiness refused" "$(rr 5 .result.structuredContent.error.status)" EDENIED
expect_eq "overall readiness refused" "$(rr 6 .result.structuredContent.error.status)" EDENIED
expect_eq "domain readiness refused" "$(rr 7 .result.structuredContent.error.status)" EDENIED
expect_eq "a change on its mandate's system" "$(rr 8 .result.structuredContent.state)" awaiting_approval
expect_eq "a change elsewhere: refused" "$(rr 9 .result.structuredContent.error.status)" EDENIED
expect_contains "a change elsewhere: explained" "$(rr 9 .result.structuredContent.error.message)" \
  "change $GH was initiated by hank on system github, which none of them covers: $M (payroll)"
expect_contains "own change proposed" "$OWN" chg_
expect_eq "unknown system: outside the mandate too" "$(rr 11 .result.structuredContent.error.status)" EDENIED

# a mandate for every system opens the overall reads
w --json mandate create --as ethan --agent bot --purpose "audit" --system '*' --action disable \
  --max-changes 1 --duration 1d >"$T/m2.json"
M2=$(jq -r .id "$T/m2.json")
mcp bot <<EOF
#init
$(call 1 readiness '{}')
$(call 2 search_inventory '{"kind":"accounts","system":"github"}')
EOF
expect_eq "'*' mandate: overall readiness" "$(rr 1 '.result.structuredContent.metrics | type')" object
expect_eq "'*' mandate: any system" "$(r 2 .result.isError)" false
w mandate close "$M2" --as ethan >/dev/null

# its own change stays readable after its mandate closed
w mandate close "$M" --as ethan >/dev/null
mcp bot <<EOF
#init
$(call 1 change_status "{\"change_id\":\"$OWN\"}")
$(call 2 change_status "{\"change_id\":\"$PAY\"}")
$(call 3 execute_change "{\"change_id\":\"$GH\"}")
EOF
expect_eq "own change after the mandate closed" "$(rr 1 .result.structuredContent.change_id)" "$OWN"
expect_eq "payroll change no longer covered" "$(rr 2 .result.structuredContent.error.status)" EDENIED
expect_eq "a refused execution shows no foreign change" "$(r 3 '.result.structuredContent | has("change")')" false

# ---- copilots: never read more than their human -----------------------------------------
log1=$(log_size)
mcp cop-ivy <<EOF
#init
$(call 1 search_inventory '{"kind":"accounts","system":"payroll"}')
$(call 2 search_inventory '{"kind":"accounts","system":"github","limit":2}')
$(call 3 readiness '{"scope":"system","id":"payroll"}')
$(call 4 readiness '{}')
$(call 5 search_inventory '{"kind":"grants","identity":"ivy"}')
$(call 6 change_status "{\"change_id\":\"$PAY\"}")
$(call 7 change_status "{\"change_id\":\"$GH\"}")
$(call 8 readiness '{"scope":"domain","id":"engineering"}')
EOF
expect_eq "copilot of ivy: payroll refused" "$(rr 1 .result.structuredContent.error.status)" EDENIED
expect_contains "copilot: intersection explained" "$(rr 1 .result.structuredContent.error.message)" "never exceeds its human"
expect_contains "copilot: the forbid named" "$(rr 1 .result.structuredContent.error.message)" "ivy-never-reads-payroll"
expect_eq "copilot of ivy: github allowed" "$(rr 2 '.result.structuredContent.items | length')" 2
expect_eq "copilot of ivy: payroll readiness refused" "$(r 3 .result.isError)" true
expect_eq "copilot of ivy: overall includes payroll" "$(rr 4 .result.structuredContent.error.status)" EDENIED
expect_contains "copilot: overall explained" "$(rr 4 .result.structuredContent.error.message)" "reads system payroll too"
expect_eq "copilot of ivy: search of every system refused" "$(r 5 .result.isError)" true
expect_eq "copilot of ivy: payroll change refused" "$(rr 6 .result.structuredContent.error.status)" EDENIED
expect_eq "copilot of ivy: github change allowed" "$(rr 7 .result.structuredContent.state)" awaiting_approval
expect_eq "copilot of ivy: engineering domain allowed" "$(rr 8 .result.structuredContent.scope)" domain
mcp cop <<EOF
#init
$(call 1 search_inventory '{"kind":"accounts","system":"payroll","limit":1}')
$(call 2 readiness '{}')
$(call 3 change_status "{\"change_id\":\"$PAY\"}")
$(call 4 search_inventory '{"kind":"accounts","system":"nosuch"}')
EOF
expect_eq "unknown system is not found" "$(rr 4 .result.structuredContent.error.status)" ENOTFOUND
expect_eq "hank's copilot reads payroll" "$(rr 1 '.result.structuredContent.items | length')" 1
expect_eq "hank's copilot reads overall" "$(rr 2 '.result.structuredContent.metrics | type')" object
expect_eq "hank's copilot reads the change" "$(rr 3 .result.structuredContent.change_id)" "$PAY"
mcp svc <<EOF
#init
$(call 1 readiness '{}')
EOF
expect_eq "a service reads" "$(rr 1 '.result.structuredContent.metrics | type')" object
expect_eq "reads, allowed or refused, wrote nothing" "$(log_size)" "$log1"

# ---- people are unaffected; reads wrote nothing ---------------------------------------------
expect_ok "a person lists every change" w --json change list
expect_eq "all changes listed" "$(jget "$OUT" 'length')" 3
expect_ok "a person reads payroll" w --json readiness --system payroll
expect_ok "log verifies" w log verify
expect_eq "every session exited 0" "$BAD_EXITS" 0
expect_eq "no sanitizer reports" "$(grep -c -E 'Sanitizer|runtime error' "$T/mcp.stderr" || true)" 0
finish
