#!/usr/bin/env bash
# server_reads.sh — governed reads over the REST API: with an AI
# principal's token, GET /v1/changes/{id}, its lineage, /v1/inventory and
# /v1/readiness* answer only what policy, the copilot intersection and an
# agent's mandates allow (403 with the explanation otherwise); the change
# list, /v1/readiness/all and /v1/denials filter instead of failing.
# People's reads (the console's) are unaffected.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$(dirname "$0")/lib/server.sh"
setup_org
site_forbid_ivy_read_payroll
HANK=$(token hank)
IVY=$(token ivy)
BOT=$(token ethan --for bot)
COPIVY=$(token ivy --for cop-ivy)
COP=$(token hank --for cop)
w --json mandate create --as ethan --agent bot --purpose "remove orphans" --system payroll \
  --action disable --action revoke --max-changes 4 --duration 7d >"$T/m.json"
M=$(jq -r .id "$T/m.json")
start_server

# changes: hank on github and on payroll, bot's own on payroll, a denied one on github
expect_http "hank proposes on github" 201 POST /v1/changes "$HANK" \
  '{"mode":"recommend","operations":[{"op":"disable","account":"github:ivy"}],"rationale":"left"}'
GH=$(jget "$BODY" .id)
expect_http "hank proposes on payroll" 201 POST /v1/changes "$HANK" \
  '{"mode":"recommend","operations":[{"op":"revoke","account":"payroll:ghost","entitlement":"payroll:approver"}],"rationale":"leaver"}'
PAY=$(jget "$BODY" .id)
expect_http "bot proposes on payroll" 201 POST /v1/changes "$BOT" \
  '{"mode":"recommend","operations":[{"op":"disable","account":"payroll:orphan1"}],"rationale":"orphan"}'
OWN=$(jget "$BODY" .id)
expect_http "bot denied on github" 403 POST /v1/changes "$BOT" \
  '{"mode":"recommend","operations":[{"op":"disable","account":"github:ivy"}],"rationale":"x"}'
DEN=$(jget "$BODY" .change.id)
n0=$(log_size)

# ---- an agent: its mandate's systems and its own changes --------------------------------
expect_http "agent: payroll change" 200 GET "/v1/changes/$PAY" "$BOT"
expect_http "agent: payroll lineage" 200 GET "/v1/changes/$PAY/lineage" "$BOT"
expect_http "agent: own change" 200 GET "/v1/changes/$OWN" "$BOT"
# (GET of a denied change answers 403 with the change, as it always has)
expect_http "agent: own denied change on github" 403 GET "/v1/changes/$DEN" "$BOT"
expect_eq "agent: the denied change itself" "$(jget "$BODY" .change.id)" "$DEN"
expect_http "agent: github change refused" 403 GET "/v1/changes/$GH" "$BOT"
expect_eq "403 is denied" "$(jget "$BODY" .error.code)" denied
expect_eq "a refused read carries no change" "$(jget "$BODY" 'has("change")')" false
expect_contains "403 explained" "$(jget "$BODY" .error.message)" \
  "change $GH was initiated by hank on system github, which none of them covers: $M (payroll)"
expect_http "agent: github lineage refused" 403 GET "/v1/changes/$GH/lineage" "$BOT"
expect_http "agent: unknown change" 404 GET "/v1/changes/chg_nope" "$BOT"
expect_http "agent: change list" 200 GET /v1/changes "$BOT"
expect_eq "agent's list: payroll and its own" "$(jget "$BODY" '[.items[].id] | sort | join(",")')" \
  "$(printf '%s\n' "$PAY" "$OWN" "$DEN" | sort | paste -sd,)"
expect_http "agent: list page" 200 GET "/v1/changes?limit=1&offset=1" "$BOT"
expect_eq "agent's page counts readable changes" "$(jget "$BODY" '.items | length')" 1
expect_http "agent: payroll inventory" 200 GET "/v1/inventory?kind=accounts&system=payroll&limit=2" "$BOT"
expect_eq "agent: inventory items" "$(jget "$BODY" '.items | length')" 2
expect_http "agent: github inventory refused" 403 GET "/v1/inventory?kind=accounts&system=github" "$BOT"
expect_contains "inventory refusal explained" "$(jget "$BODY" .error.message)" \
  "system github is not among the systems they cover"
expect_http "agent: inventory of every system refused" 403 GET "/v1/inventory?kind=accounts" "$BOT"
expect_contains "name a system" "$(jget "$BODY" .error.message)" "name a system"
expect_http "agent: payroll readiness" 200 GET "/v1/readiness?scope=system&id=payroll" "$BOT"
expect_http "agent: overall readiness refused" 403 GET /v1/readiness "$BOT"
expect_http "agent: github history refused" 403 GET "/v1/readiness/history?scope=system&id=github" "$BOT"
expect_http "agent: payroll history" 200 GET "/v1/readiness/history?scope=system&id=payroll" "$BOT"
expect_http "agent: readiness/all filtered" 200 GET /v1/readiness/all "$BOT"
expect_eq "agent sees payroll only" "$(jget "$BODY" '[(.systems | keys[]), (has("overall") | tostring), (.domains | length | tostring)] | join(",")')" \
  "payroll,false,0"
expect_http "agent: denials filtered" 200 GET "/v1/denials?initiator_kind=all" "$BOT"
expect_eq "agent sees its own denial" "$(jget "$BODY" '[.items[].change] | join(",")')" "$DEN"

# ---- a copilot never reads what its human may not -------------------------------------------
expect_http "ivy's copilot: payroll change refused" 403 GET "/v1/changes/$PAY" "$COPIVY"
expect_contains "intersection explained" "$(jget "$BODY" .error.message)" "never exceeds its human"
expect_contains "the site rule named" "$(jget "$BODY" .error.message)" "ivy-never-reads-payroll"
expect_http "ivy's copilot: github change" 200 GET "/v1/changes/$GH" "$COPIVY"
expect_http "ivy's copilot: payroll inventory refused" 403 GET "/v1/inventory?kind=accounts&system=payroll" "$COPIVY"
expect_http "ivy's copilot: every system refused" 403 GET "/v1/inventory?kind=accounts" "$COPIVY"
expect_http "ivy's copilot: github inventory" 200 GET "/v1/inventory?kind=accounts&system=github" "$COPIVY"
expect_http "ivy's copilot: overall readiness refused" 403 GET /v1/readiness "$COPIVY"
expect_http "ivy's copilot: change list" 200 GET /v1/changes "$COPIVY"
expect_eq "ivy's copilot: github changes only" "$(jget "$BODY" '[.items[].system] | unique | join(",")')" github
expect_http "ivy's copilot: readiness/all" 200 GET /v1/readiness/all "$COPIVY"
expect_eq "ivy's copilot: no payroll, no overall" "$(jget "$BODY" '[(.systems | keys | join("+")), (has("overall") | tostring)] | join(",")')" \
  "github,false"
expect_http "hank's copilot: payroll change" 200 GET "/v1/changes/$PAY" "$COP"
expect_http "hank's copilot: every system" 200 GET "/v1/inventory?kind=accounts&limit=1" "$COP"
expect_http "hank's copilot: change list" 200 GET /v1/changes "$COP"
expect_eq "hank's copilot: all four" "$(jget "$BODY" '.items | length')" 4

# ---- people are unaffected --------------------------------------------------------------------
expect_http "hank: change list" 200 GET /v1/changes "$HANK"
expect_eq "hank: all four" "$(jget "$BODY" '.items | length')" 4
expect_http "hank: overall inventory" 200 GET "/v1/inventory?kind=accounts&limit=1" "$HANK"
expect_http "hank: overall readiness" 200 GET /v1/readiness "$HANK"
expect_http "ivy: console reads are not policy-checked" 200 GET "/v1/changes/$PAY" "$IVY"
expect_http "ivy: readiness/all" 200 GET /v1/readiness/all "$IVY"
expect_eq "ivy: every scope" "$(jget "$BODY" '[(.systems | keys | join("+")), (has("overall") | tostring)] | join(",")')" \
  "github+payroll,true"
expect_eq "reads wrote nothing" "$(log_size)" "$n0"
stop_server
finish
