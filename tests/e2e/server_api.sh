#!/usr/bin/env bash
# server_api.sh — `warrant serve` REST API over real sockets: the token
# lifecycle, every workflow route's happy path, separation of duties over
# HTTP, and bad input (malformed JSON, wrong types, missing and unknown
# members, actor smuggling, unknown routes and methods, bad tokens) — each
# answered with the right status and a JSON error, and no state change.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$(dirname "$0")/lib/server.sh"
setup_org

# ---- tokens (CLI side) --------------------------------------------------
expect_ok "olivia mints her own" token olivia; OLIVIA=$OUT
expect_ok "hank mints his own" token hank; HANK=$OUT
expect_ok "hank mints for his copilot" token hank --for cop; COP=$OUT
expect_ok "ethan mints for his agent" token ethan --for bot; BOT=$OUT
expect_ok "ethan mints his own" token ethan; ETHAN=$OUT
expect_ok "ivy mints her own" token ivy; IVY=$OUT
expect_fail "olivia mints for hank's copilot" 5 w token create --as olivia --for cop
expect_contains "delegation message" "$ERR" "only that human mints"
expect_fail "olivia mints for ethan's agent" 5 w token create --as olivia --for bot
expect_fail "a human mints for another human" 5 w token create --as olivia --for hank
expect_fail "a copilot mints" 5 w token create --as cop
expect_fail "no --as" 2 w token create
expect_fail "bad ttl" 2 w token create --as olivia --ttl forever
expect_fail "ttl too long" 2 w token create --as olivia --ttl 400d
expect_ok "token list json" w --json token list --as hank
expect_eq "hank sees his two tokens" "$(jget "$OUT" 'length')" 2
expect_eq "copilot token carries both identities" \
  "$(jget "$OUT" '.[] | select(.principal=="cop") | .on_behalf_of')" hank
expect_eq "no secret or hash listed" "$(jget "$OUT" '.[0] | has("token") or has("hash")')" false
expect_eq "unused tokens show no last use" "$(jget "$OUT" '[.[] | .last_used_at] | unique | tostring')" '[null]'
OLD=$(WARRANT_NOW=2020-01-01T00:00:00Z w token create --as olivia --ttl 1h 2>/dev/null)
REV=$(token olivia --name to-revoke)
REV_ID=${REV%%.*}
expect_ok "revoke" w token revoke "$REV_ID" --as olivia
expect_fail "revoke twice" 4 w token revoke "$REV_ID" --as olivia
expect_fail "revoke someone else's" 5 w token revoke "${HANK%%.*}" --as olivia
expect_ok "tokens stored as hashes only" sqlite3 "$WARRANT_DATA/warrant.db" "SELECT count(*) FROM server_tokens WHERE instr(hex(hash), upper('${HANK#*.}')) > 0"
expect_eq "secret not in the store" "$OUT" 0

start_server

# ---- authentication --------------------------------------------------------
expect_http "healthz is public" 200 GET /healthz ""
expect_http "no token" 401 GET /v1/principals ""
expect_contains "JSON error" "$(jget "$BODY" .error.code)" unauthorized
H=$(curl -s -D - -o /dev/null "$BASE/v1/principals")
expect_contains "WWW-Authenticate" "$H" "WWW-Authenticate: Bearer"
expect_http "garbage token" 401 GET /v1/principals "nonsense"
expect_http "wrong secret" 401 GET /v1/principals "${HANK%%.*}.$(printf '0%.0s' $(seq 64))"
H=$(curl -s -D - -o /dev/null -H "Authorization: Bearer x.y" "$BASE/v1/principals")
expect_contains "invalid_token" "$H" 'error="invalid_token"'
expect_http "expired token" 401 GET /v1/whoami "$OLD"
expect_contains "says expired" "$BODY" "expired"
expect_http "revoked token" 401 GET /v1/whoami "$REV"
expect_contains "says revoked" "$BODY" "revoked"
expect_http "whoami" 200 GET /v1/whoami "$COP"
expect_eq "copilot identity" "$(jget "$BODY" .principal)" cop
expect_eq "and its human" "$(jget "$BODY" .on_behalf_of)" hank
expect_http "unknown route" 404 GET /v1/nothing "$HANK"
expect_eq "404 JSON" "$(jget "$BODY" .error.code)" not_found
expect_http "unknown route, no token" 404 GET /nothing ""
expect_http "wrong method" 405 DELETE /v1/changes "$HANK"
H=$(curl -s -D - -o /dev/null -X PUT -H "Authorization: Bearer $HANK" "$BASE/v1/principals")
expect_contains "Allow header" "$H" "Allow: GET, POST"
H=$(curl -s -D - -o /dev/null -H "X-Request-ID: trace-42" "$BASE/healthz")
expect_contains "X-Request-ID echoed" "$H" "X-Request-ID: trace-42"

# ---- principals ---------------------------------------------------------------
expect_http "list principals" 200 GET /v1/principals "$HANK"
expect_eq "ten principals" "$(jget "$BODY" '.items | length')" 10
expect_http "get principal" 200 GET /v1/principals/cop "$HANK"
expect_eq "copilot kind" "$(jget "$BODY" .kind)" copilot
expect_http "unknown principal" 404 GET /v1/principals/nobody "$HANK"
expect_http "add principal" 201 POST /v1/principals "$OLIVIA" '{"id":"nora","kind":"human","roles":["audit"]}'
expect_eq "added" "$(jget "$BODY" .id)" nora
expect_http "duplicate principal" 409 POST /v1/principals "$OLIVIA" '{"id":"nora","kind":"human"}'
expect_http "AI adds principal" 403 POST /v1/principals "$COP" '{"id":"nora2","kind":"human"}'
expect_http "bad kind" 400 POST /v1/principals "$OLIVIA" '{"id":"x","kind":"robot"}'
expect_http "principal: no body" 400 POST /v1/principals "$OLIVIA"

# ---- bad input, no state change ---------------------------------------------------
n0=$(log_size)
expect_http "malformed JSON" 400 POST /v1/changes "$HANK" '{"mode":'
expect_contains "names the position" "$BODY" "column"
expect_http "not an object" 400 POST /v1/changes "$HANK" '[1,2]'
expect_http "duplicate member" 400 POST /v1/changes "$HANK" '{"mode":"advise","mode":"draft"}'
expect_http "actor smuggled" 400 POST /v1/changes "$HANK" '{"actor":"olivia","mode":"recommend","operations":[]}'
expect_contains "actor refused" "$BODY" "actor"
expect_http "as smuggled" 400 POST /v1/changes/chg_x/approve "$HANK" '{"as":"olivia","reason":"x"}'
expect_http "missing operations" 400 POST /v1/changes "$HANK" '{"mode":"recommend"}'
expect_http "wrong type operations" 400 POST /v1/changes "$HANK" '{"mode":"recommend","operations":"revoke"}'
expect_http "unknown account" 404 POST /v1/changes "$HANK" '{"mode":"recommend","operations":[{"op":"revoke","account":"payroll:nobody","entitlement":"payroll:approver"}]}'
expect_eq "no log entry for bad input" "$(log_size)" "$n0"
BIG=$(head -c 1100000 /dev/zero | tr '\0' 'a')
printf '{"mode":"%s"}' "$BIG" > "$T/big.json"
CODE=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $HANK" -H 'Content-Type: application/json' \
  --data-binary @"$T/big.json" "$BASE/v1/changes")
expect_eq "oversize body" "$CODE" 413
expect_eq "413 JSON" "$(jq -r .error.code "$T/body")" content_too_large
CODE=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $HANK" -H 'Transfer-Encoding: chunked' \
  --data-binary @"$T/big.json" "$BASE/v1/changes")
expect_eq "oversize chunked body" "$CODE" 413

# ---- the change lifecycle with separation of duties -----------------------------------
OPS='[{"op":"revoke","account":"payroll:ghost","entitlement":"payroll:approver"}]'
expect_http "propose" 201 POST /v1/changes "$HANK" \
  "{\"mode\":\"recommend\",\"operations\":$OPS,\"recommendation\":\"revoke\",\"rationale\":\"leaver\"}"
C=$(jget "$BODY" .id)
expect_eq "awaiting approval" "$(jget "$BODY" .state)" awaiting_approval
expect_eq "initiator is the token's principal" "$(jget "$BODY" .initiator.id)" hank
expect_eq "channel http in the log" "$(w log entry $(( $(log_size) - 1 )) | jq -r .channel)" http
n1=$(log_size)
expect_http "self-approval" 403 POST "/v1/changes/$C/approve" "$HANK" '{"reason":"ok"}'
expect_contains "SoD message" "$BODY" "separation of duties"
expect_http "copilot approves" 403 POST "/v1/changes/$C/approve" "$COP" '{"reason":"ok"}'
expect_http "agent approves" 403 POST "/v1/changes/$C/approve" "$BOT" '{"reason":"ok"}'
expect_http "not eligible" 403 POST "/v1/changes/$C/approve" "$IVY" '{"reason":"ok"}'
expect_http "no reason" 400 POST "/v1/changes/$C/approve" "$OLIVIA" '{}'
expect_http "reason wrong type" 400 POST "/v1/changes/$C/approve" "$OLIVIA" '{"reason":5}'
expect_http "unknown member" 400 POST "/v1/changes/$C/approve" "$OLIVIA" '{"reason":"ok","extra":1}'
expect_http "execute before approval" 409 POST "/v1/changes/$C/execute" "$HANK"
expect_http "approve unknown change" 404 POST /v1/changes/chg_nope/approve "$OLIVIA" '{"reason":"ok"}'
expect_eq "refusals leave no log entry" "$(log_size)" "$n1"
expect_http "owner approves" 200 POST "/v1/changes/$C/approve" "$OLIVIA" '{"reason":"confirmed leaver"}'
expect_eq "approved" "$(jget "$BODY" .state)" approved
expect_eq "approver recorded" "$(jget "$BODY" '.approvals[0].approver')" olivia
expect_http "approve twice" 409 POST "/v1/changes/$C/approve" "$OLIVIA" '{"reason":"again"}'
expect_http "copilot executes" 403 POST "/v1/changes/$C/execute" "$COP"
expect_http "execute with a body member" 400 POST "/v1/changes/$C/execute" "$HANK" '{"force":true}'
expect_http "human executes" 200 POST "/v1/changes/$C/execute" "$HANK"
expect_eq "executed" "$(jget "$BODY" .state)" executed
expect_http "close before validate" 409 POST "/v1/changes/$C/close" "$HANK" '{"evidence":[{"kind":"ticket","ref":"T-1"}]}'
expect_http "validate" 200 POST "/v1/changes/$C/validate" "$HANK" '{}'
expect_eq "validated" "$(jget "$BODY" .state)" validated
expect_http "close without ticket" 400 POST "/v1/changes/$C/close" "$HANK" '{}'
expect_http "evidence wrong type" 400 POST "/v1/changes/$C/close" "$HANK" '{"evidence":"T-1"}'
expect_http "close" 200 POST "/v1/changes/$C/close" "$HANK" '{"evidence":[{"kind":"ticket","ref":"T-1"}]}'
expect_eq "closed" "$(jget "$BODY" .state)" closed
expect_http "get change" 200 GET "/v1/changes/$C" "$IVY"
expect_eq "get shows closed" "$(jget "$BODY" .state)" closed
expect_http "lineage" 200 GET "/v1/changes/$C/lineage" "$IVY"
expect_contains "lineage has the proposal" "$BODY" change.proposed
expect_contains "lineage has the closure" "$BODY" change.closed
expect_http "rollback needs a reason" 400 POST "/v1/changes/$C/rollback" "$HANK" '{}'
expect_http "rollback" 200 POST "/v1/changes/$C/rollback" "$HANK" '{"reason":"wrong person"}'
R=$(jget "$BODY" .id)
expect_eq "rollback awaits approval" "$(jget "$BODY" .state)" awaiting_approval
expect_http "reject needs a reason" 400 POST "/v1/changes/$R/reject" "$OLIVIA" '{"reason":null}'
expect_http "reject" 200 POST "/v1/changes/$R/reject" "$OLIVIA" '{"reason":"keep it revoked"}'
expect_eq "rejected" "$(jget "$BODY" .state)" rejected

# a copilot proposes for its human; advice changes nothing
expect_http "copilot advice" 200 POST /v1/changes "$COP" "{\"mode\":\"advise\",\"operations\":$OPS}"
expect_http "copilot recommends" 201 POST /v1/changes "$COP" \
  '{"mode":"recommend","operations":[{"op":"grant","account":"payroll:p4","entitlement":"payroll:viewer"}]}'
expect_eq "copilot's human recorded" "$(jget "$BODY" .initiator.on_behalf_of)" hank
C2=$(jget "$BODY" .id)
expect_http "hank approves his copilot's change" 403 POST "/v1/changes/$C2/approve" "$HANK" '{"reason":"mine"}'

# ---- list with filters and pagination ------------------------------------------------------
expect_http "list" 200 GET /v1/changes "$IVY"
ALL=$(jget "$BODY" '.items | length')
expect_eq "three changes" "$ALL" 3
expect_http "filter state" 200 GET "/v1/changes?state=closed" "$IVY"
expect_eq "one closed" "$(jget "$BODY" '.items | length')" 1
expect_http "filter initiator" 200 GET "/v1/changes?initiator=cop" "$IVY"
expect_eq "one by cop" "$(jget "$BODY" '.items[0].id')" "$C2"
expect_http "pending for olivia" 200 GET "/v1/changes?pending_for=olivia" "$IVY"
expect_eq "olivia's inbox" "$(jget "$BODY" '.items[0].id')" "$C2"
expect_http "page 1" 200 GET "/v1/changes?limit=2" "$IVY"
expect_eq "two on page 1" "$(jget "$BODY" '.items | length')" 2
expect_eq "next offset" "$(jget "$BODY" .next_offset)" 2
expect_http "page 2" 200 GET "/v1/changes?limit=2&offset=2" "$IVY"
expect_eq "one on page 2" "$(jget "$BODY" '.items | length')" 1
expect_http "bad limit" 400 GET "/v1/changes?limit=0" "$IVY"
expect_http "bad offset" 400 GET "/v1/changes?offset=x" "$IVY"

# ---- mandates --------------------------------------------------------------------------------
M='{"agent":"bot","purpose":"remove orphaned payroll access","systems":["payroll"],"actions":["revoke","disable"],"max_changes":3,"duration":"14d"}'
expect_http "not the owner" 403 POST /v1/mandates "$OLIVIA" "$M"
expect_http "agent mandates itself" 403 POST /v1/mandates "$BOT" "$M"
expect_http "mandate create" 201 POST /v1/mandates "$ETHAN" "$M"
MID=$(jget "$BODY" .id)
expect_http "mandate bad spec" 400 POST /v1/mandates "$ETHAN" '{"agent":"bot"}'
expect_http "mandate list" 200 GET "/v1/mandates?agent=bot" "$ETHAN"
expect_eq "one mandate" "$(jget "$BODY" '.items | length')" 1
expect_http "mandate get" 200 GET "/v1/mandates/$MID" "$BOT"
expect_http "agent proposes under mandate" 201 POST /v1/changes "$BOT" \
  "{\"mode\":\"recommend\",\"mandate\":\"$MID\",\"operations\":[{\"op\":\"revoke\",\"account\":\"payroll:orphan1\",\"entitlement\":\"payroll:viewer\"}]}"
expect_http "agent outside its mandate" 403 POST /v1/changes "$BOT" \
  "{\"mode\":\"recommend\",\"mandate\":\"$MID\",\"operations\":[{\"op\":\"grant\",\"account\":\"payroll:p5\",\"entitlement\":\"payroll:viewer\"}]}"
expect_http "mandate close by non-owner" 403 POST "/v1/mandates/$MID/close" "$OLIVIA" '{}'
expect_http "mandate close" 200 POST "/v1/mandates/$MID/close" "$ETHAN" '{"evidence":[]}'
expect_http "mandate unknown" 404 GET /v1/mandates/mnd_nope "$ETHAN"

# ---- decisions, readiness, inventory ----------------------------------------------------------
n2=$(log_size)
expect_http "decision" 200 POST /v1/decisions "$HANK" \
  '{"mode":"recommend","operations":[{"op":"grant","account":"payroll:p6","entitlement":"payroll:admin"}]}'
expect_contains "has an outcome" "$(jget "$BODY" .outcome)" a
expect_http "decision bad input" 400 POST /v1/decisions "$HANK" '{"mode":"sometimes","operations":[]}'
expect_eq "decisions change nothing" "$(log_size)" "$n2"
expect_http "readiness overall" 200 GET /v1/readiness "$IVY"
expect_contains "has metrics" "$BODY" ownership_completeness
expect_http "readiness system" 200 GET "/v1/readiness?scope=system&id=payroll" "$IVY"
expect_http "readiness bad scope" 400 GET "/v1/readiness?scope=galaxy" "$IVY"
expect_http "readiness missing id" 400 GET "/v1/readiness?scope=system" "$IVY"
expect_http "inventory" 200 GET "/v1/inventory?kind=accounts&system=payroll&limit=5" "$IVY"
expect_eq "paged inventory" "$(jget "$BODY" '.items | length')" 5
expect_http "inventory bad kind" 400 GET "/v1/inventory?kind=planets" "$IVY"

# ---- tokens over HTTP ----------------------------------------------------------------------------
expect_http "token list" 200 GET /v1/tokens "$ETHAN"
expect_eq "ethan's tokens" "$(jget "$BODY" '.items | length')" 2
expect_eq "the token just used shows its last use" \
  "$(jget "$BODY" ".items[] | select(.id==\"${ETHAN%%.*}\") | .last_used_at != null")" true
BOT_ID=${BOT%%.*}
expect_http "revoke someone else's token" 403 DELETE "/v1/tokens/${HANK%%.*}" "$ETHAN"
expect_http "owner revokes agent token" 200 DELETE "/v1/tokens/$BOT_ID" "$ETHAN"
expect_http "agent token now refused" 401 GET /v1/whoami "$BOT"
expect_http "revoke unknown" 404 DELETE /v1/tokens/tok_nope "$ETHAN"

# ---- still alive, access log is JSON --------------------------------------------------------------
expect_http "alive" 200 GET /healthz ""
expect_ok "access log lines parse" bash -c "grep '\"request_id\"' '$T/server.log' | jq -e -s 'length > 50' >/dev/null"
stop_server
finish
