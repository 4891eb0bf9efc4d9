#!/usr/bin/env bash
# server_authzen.sh — OpenID AuthZEN Authorization API 1.0 over real
# sockets: `warrant cedar serve` (stateless PDP over a policy file and an
# entity store) and the full server (data directory policies, bearer
# token): evaluation, properties merged over stored attributes, context
# and action properties, governance in the response context, evaluations
# with defaults, overrides and the three semantics, search with
# pagination, discovery, and bad input.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$(dirname "$0")/lib/server.sh"
F="$WARRANT_SRC/tests/fixtures/authzen"

start_pdp --policies "$F/policies.cedar" --entities "$F/entities.json" --action export

ev() { expect_http "$1" 200 POST /access/v1/evaluation "" "$2"; expect_eq "$1: decision" "$(jget "$BODY" .decision)" "$3"; }
S='"subject":{"type":"user","id":"alice"}'
ev "admin reads" "{$S,\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\",\"id\":\"r1\"}}" true
expect_eq "determining policy" "$(jget "$BODY" '.context.reason_admin.policies[0]')" readers
ev "viewer writes" '{"subject":{"type":"user","id":"bob"},"action":{"name":"write"},"resource":{"type":"record","id":"r1"}}' false
ev "archived is forbidden" "{$S,\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\",\"id\":\"r2\"}}" false
expect_eq "forbid named" "$(jget "$BODY" '.context.reason_admin.policies[0]')" no-archived
expect_eq "deny outcome" "$(jget "$BODY" .context.governance.outcome)" deny
ev "no role" '{"subject":{"type":"user","id":"carol"},"action":{"name":"read"},"resource":{"type":"record","id":"r1"}}' false
ev "properties become attributes" '{"subject":{"type":"user","id":"carol","properties":{"role":"admin"}},"action":{"name":"write"},"resource":{"type":"record","id":"r1"}}' true
ev "properties override stored" '{"subject":{"type":"user","id":"alice","properties":{"role":"viewer"}},"action":{"name":"write"},"resource":{"type":"record","id":"r1"}}' false
ev "unknown subject exists with its properties" '{"subject":{"type":"user","id":"zed","properties":{"role":"viewer"}},"action":{"name":"read"},"resource":{"type":"record","id":"r9"}}' true
ev "resource properties merged" "{$S,\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\",\"id\":\"r1\",\"properties\":{\"status\":\"archived\"}}}" false
ev "action properties in context.action" "{$S,\"action\":{\"name\":\"export\",\"properties\":{\"format\":\"csv\"}},\"resource\":{\"type\":\"record\",\"id\":\"r1\"},\"context\":{\"region\":\"eu\"}}" true
ev "context matters" "{$S,\"action\":{\"name\":\"export\",\"properties\":{\"format\":\"csv\"}},\"resource\":{\"type\":\"record\",\"id\":\"r1\"},\"context\":{\"region\":\"us\"}}" false
ev "approval required is not a permit" "{$S,\"action\":{\"name\":\"delete\"},\"resource\":{\"type\":\"record\",\"id\":\"r1\"}}" false
expect_eq "governance outcome" "$(jget "$BODY" .context.governance.outcome)" approval_required
expect_eq "approval stage" "$(jget "$BODY" '.context.governance.obligations.approvals[0].role')" security
expect_eq "risk" "$(jget "$BODY" .context.governance.obligations.risk)" high

# bad input: 400 with a JSON error naming the member
expect_http "missing subject" 400 POST /access/v1/evaluation "" '{"action":{"name":"read"},"resource":{"type":"record","id":"r1"}}'
expect_contains "names subject" "$(jget "$BODY" .error.message)" subject
expect_http "missing action name" 400 POST /access/v1/evaluation "" "{$S,\"action\":{},\"resource\":{\"type\":\"record\",\"id\":\"r1\"}}"
expect_http "id wrong type" 400 POST /access/v1/evaluation "" '{"subject":{"type":"user","id":7},"action":{"name":"read"},"resource":{"type":"record","id":"r1"}}'
expect_http "properties wrong type" 400 POST /access/v1/evaluation "" "{\"subject\":{\"type\":\"user\",\"id\":\"a\",\"properties\":[]},\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\",\"id\":\"r1\"}}"
expect_http "context wrong type" 400 POST /access/v1/evaluation "" "{$S,\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\",\"id\":\"r1\"},\"context\":5}"
expect_http "malformed JSON" 400 POST /access/v1/evaluation "" '{"subject":'
expect_http "no body" 400 POST /access/v1/evaluation ""
expect_http "GET not allowed" 405 GET /access/v1/evaluation ""
expect_http "REST not served by the PDP" 404 GET /v1/changes ""
H=$(curl -s -D - -o /dev/null -H 'X-Request-ID: az-7' -d "{$S,\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\",\"id\":\"r1\"}}" "$BASE/access/v1/evaluation")
expect_contains "X-Request-ID echoed" "$H" "X-Request-ID: az-7"

# evaluations: defaults, overrides, semantics, request order
R='"resource":{"type":"record","id":'
EVS="\"evaluations\":[{$R\"r1\"}},{$R\"r2\"}},{$R\"r3\"}}]"
evs() { expect_http "$1" 200 POST /access/v1/evaluations "" "$2"; expect_eq "$1: decisions" "$(jget "$BODY" '[.evaluations[].decision] | map(tostring) | join(",")')" "$3"; }
evs "execute_all (default)" "{$S,\"action\":{\"name\":\"read\"},$EVS}" true,false,true
evs "execute_all" "{$S,\"action\":{\"name\":\"read\"},\"options\":{\"evaluations_semantic\":\"execute_all\"},$EVS}" true,false,true
evs "deny_on_first_deny" "{$S,\"action\":{\"name\":\"read\"},\"options\":{\"evaluations_semantic\":\"deny_on_first_deny\"},$EVS}" true,false
evs "permit_on_first_permit" "{$S,\"action\":{\"name\":\"read\"},\"options\":{\"evaluations_semantic\":\"permit_on_first_permit\"},\"evaluations\":[{$R\"r2\"}},{$R\"r3\"}},{$R\"r1\"}}]}" false,true
evs "per-item overrides" "{$S,\"action\":{\"name\":\"read\"},$R\"r1\"},\"evaluations\":[{},{\"subject\":{\"type\":\"user\",\"id\":\"bob\"},\"action\":{\"name\":\"write\"}},{\"action\":{\"name\":\"write\"}}]}" true,false,true
evs "item error does not stop the rest" "{\"action\":{\"name\":\"read\"},$R\"r1\"},\"evaluations\":[{$S},{\"subject\":{\"type\":\"user\"}},{\"subject\":{\"type\":\"user\",\"id\":\"bob\"}}]}" true,false,true
expect_eq "item error status" "$(jget "$BODY" '.evaluations[1].context.error.status')" 400
expect_http "bad semantic" 400 POST /access/v1/evaluations "" "{$S,\"options\":{\"evaluations_semantic\":\"sometimes\"},$EVS}"
expect_http "evaluations not an array" 400 POST /access/v1/evaluations "" "{$S,\"evaluations\":{}}"
expect_http "no evaluations: one decision" 200 POST /access/v1/evaluations "" "{$S,\"action\":{\"name\":\"read\"},$R\"r1\"}}"
expect_eq "single shape" "$(jget "$BODY" .decision)" true

# search with pagination
expect_http "subject search" 200 POST /access/v1/search/subject "" "{\"subject\":{\"type\":\"user\"},\"action\":{\"name\":\"read\"},$R\"r1\"}}"
expect_eq "readers of r1" "$(jget "$BODY" '[.results[].id] | join(",")')" alice,bob
expect_http "subject search page 1" 200 POST /access/v1/search/subject "" "{\"subject\":{\"type\":\"user\"},\"action\":{\"name\":\"read\"},$R\"r1\"},\"page\":{\"limit\":1}}"
expect_eq "page 1" "$(jget "$BODY" '[.results[].id] | join(",")')" alice
TOKN=$(jget "$BODY" .page.next_token)
expect_http "subject search page 2" 200 POST /access/v1/search/subject "" "{\"subject\":{\"type\":\"user\"},\"action\":{\"name\":\"read\"},$R\"r1\"},\"page\":{\"limit\":1,\"token\":\"$TOKN\"}}"
expect_eq "page 2" "$(jget "$BODY" '[.results[].id] | join(",")')" bob
expect_http "subject search page 3" 200 POST /access/v1/search/subject "" "{\"subject\":{\"type\":\"user\"},\"action\":{\"name\":\"read\"},$R\"r1\"},\"page\":{\"limit\":1,\"token\":\"$(jget "$BODY" .page.next_token)\"}}"
expect_eq "last page is empty" "$(jget "$BODY" '.results | length'),$(jget "$BODY" .page.next_token)" "0,"
expect_http "resource search" 200 POST /access/v1/search/resource "" "{$S,\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\"}}"
expect_eq "alice reads" "$(jget "$BODY" '[.results[].id] | join(",")')" r1,r3
expect_eq "typed results" "$(jget "$BODY" '.results[0].type')" record
expect_http "action search" 200 POST /access/v1/search/action "" "{$S,$R\"r1\"}}"
expect_eq "alice's actions on r1" "$(jget "$BODY" '[.results[].name] | join(",")')" read,write
expect_http "action search with context" 200 POST /access/v1/search/action "" "{$S,$R\"r1\"},\"context\":{\"region\":\"eu\",\"action\":{\"format\":\"csv\"}}}"
expect_contains "export found" "$(jget "$BODY" '[.results[].name] | join(",")')" export
expect_http "search missing type" 400 POST /access/v1/search/subject "" "{\"subject\":{},\"action\":{\"name\":\"read\"},$R\"r1\"}}"
expect_http "search bad token" 400 POST /access/v1/search/subject "" "{\"subject\":{\"type\":\"user\"},\"action\":{\"name\":\"read\"},$R\"r1\"},\"page\":{\"token\":\"zz\"}}"
expect_http "search bad limit" 400 POST /access/v1/search/resource "" "{$S,\"action\":{\"name\":\"read\"},\"resource\":{\"type\":\"record\"},\"page\":{\"limit\":0}}"

# discovery
expect_http "metadata" 200 GET /.well-known/authzen-configuration ""
expect_eq "evaluation endpoint" "$(jget "$BODY" .access_evaluation_endpoint)" "$BASE/access/v1/evaluation"
expect_eq "search endpoint" "$(jget "$BODY" .search_action_endpoint)" "$BASE/access/v1/search/action"
expect_eq "pdp" "$(jget "$BODY" .policy_decision_point)" "$BASE"
stop_server
expect_contains "stopped cleanly" "$(cat "$T/server.log")" '"event":"stopped"'

# bad files refuse to start
expect_fail "bad policy file" 2 w cedar serve --policies "$F/entities.json" --listen 127.0.0.1:0
expect_fail "missing --policies" 2 w cedar serve --listen 127.0.0.1:0

# ---- the full server: data directory policies, bearer token ---------------------------
setup_org
TOK=$(token hank)
start_server
expect_http "token required" 401 POST /access/v1/evaluation "" '{}'
expect_http "human revoke needs the owner" 200 POST /access/v1/evaluation "$TOK" \
  '{"subject":{"type":"Human","id":"hank"},"action":{"name":"revoke"},"resource":{"type":"Account","id":"payroll:ghost"},"context":{"environment":"production"}}'
expect_eq "not a plain permit" "$(jget "$BODY" .decision)" false
expect_eq "approval required" "$(jget "$BODY" .context.governance.outcome)" approval_required
expect_eq "owner stage" "$(jget "$BODY" '.context.governance.obligations.approvals[0].role')" owner
expect_http "copilot may recommend" 200 POST /access/v1/evaluation "$TOK" \
  '{"subject":{"type":"Copilot","id":"cop"},"action":{"name":"grant"},"resource":{"type":"Account","id":"payroll:p1"}}'
expect_eq "permit" "$(jget "$BODY" .decision)" true
expect_eq "modes limited" "$(jget "$BODY" '.context.governance.obligations.modes | join(",")')" "advise,draft,recommend"
expect_http "subject search over principals" 200 POST /access/v1/search/subject "$TOK" \
  '{"subject":{"type":"Copilot"},"action":{"name":"grant"},"resource":{"type":"Account","id":"payroll:p1"}}'
expect_eq "copilots" "$(jget "$BODY" '[.results[].id] | join(",")')" cop,cop-ivy
expect_http "action search over warrant actions" 200 POST /access/v1/search/action "$TOK" \
  '{"subject":{"type":"Copilot","id":"cop"},"resource":{"type":"Account","id":"payroll:p1"}}'
expect_contains "copilot actions" "$(jget "$BODY" '[.results[].name] | join(",")')" revoke
expect_http "metadata needs a token" 401 GET /.well-known/authzen-configuration ""
stop_server
finish
