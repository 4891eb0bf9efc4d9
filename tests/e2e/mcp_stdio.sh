#!/usr/bin/env bash
# mcp_stdio.sh — `warrant mcp` over stdio, spoken to in raw JSON-RPC by
# tests/e2e/lib/mcp_client.py: lifecycle and version negotiation, every
# tool, every protocol error path, mandate limits, the copilot
# intersection rule, no approval tool, and lineage entries that name the
# channel mcp:<session>:<tool>.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
setup_org
site_forbid_ivy_grant
source "$(dirname "$0")/lib/mcp_stdio.sh"

w --json mandate create --as ethan --agent bot --purpose "remove orphans" --system payroll \
  --action disable --action revoke --max-changes 4 --duration 7d --evidence ticket >"$T/m.json"
M=$(jq -r .id "$T/m.json")
log0=$(log_size)

# ---- lifecycle ----------------------------------------------------------------
mcp bot <<'EOF'
{"jsonrpc":"2.0","id":1,"method":"ping"}
{"jsonrpc":"2.0","id":2,"method":"tools/list"}
{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami"}}
{"jsonrpc":"2.0","id":4,"method":"no/such"}
{"jsonrpc":"2.0","id":5,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":6,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","id":7,"method":"resources/list"}
{"jsonrpc":"2.0","id":8,"method":"tools/list"}
{"jsonrpc":"2.0","id":9,"method":"ping"}
EOF
expect_eq "ping before initialize" "$(r 1 .result)" "{}"
expect_eq "tools/list before initialize" "$(r 2 .error.code)" -32600
expect_contains "not initialized explained" "$(rr 2 .error.message)" "not initialized"
expect_eq "tools/call before initialize" "$(r 3 .error.code)" -32600
expect_eq "unknown method before initialize" "$(r 4 .error.code)" -32601
expect_eq "negotiated latest" "$(rr 5 .result.protocolVersion)" 2025-11-25
expect_eq "tools capability" "$(r 5 .result.capabilities)" '{"tools":{"listChanged":false}}'
expect_eq "server name" "$(rr 5 .result.serverInfo.name)" warrant
expect_contains "instructions" "$(rr 5 .result.instructions)" "never approve"
expect_eq "second initialize" "$(r 6 .error.code)" -32600
expect_eq "undeclared capability method" "$(r 7 .error.code)" -32601
expect_eq "exactly the nine tools" "$(rr 8 '[.result.tools[].name] | sort | join(",")')" \
  "change_status,check_access,close_change,execute_change,propose_change,readiness,rollback_change,search_inventory,whoami"
expect_eq "no approval tool" "$(rr 8 '[.result.tools[].name | select(test("approv|reject"))] | length')" 0
expect_eq "every tool has object input and output schemas" \
  "$(rr 8 '[.result.tools[] | select(.inputSchema.type=="object" and .outputSchema.type=="object" and .title != null)] | length')" 9
expect_eq "annotations" "$(rr 8 '[.result.tools[] | select(.annotations.readOnlyHint==true)] | map(.name) | join(",")')" \
  "whoami,readiness,search_inventory,check_access,change_status"
expect_eq "execute is destructive" "$(rr 8 '.result.tools[] | select(.name=="execute_change") | .annotations.destructiveHint')" true
expect_eq "single page" "$(r 8 .result.nextCursor)" null
expect_eq "session goes on" "$(r 9 .result)" "{}"
expect_eq "notification got no answer" "$(printf '%s\n' "$R" | wc -l)" 10
expect_eq "clean exit" "$(printf '%s\n' "$R" | tail -1)" '{"_exit": 0}'

for v in 2025-06-18 2025-03-26; do
  mcp bot <<<"#init $v"
  expect_eq "client asks $v" "$(rr '"init"' .result.protocolVersion)" "$v"
done
mcp bot <<<"#init 1999-01-01"
expect_eq "unknown version gets the latest" "$(rr '"init"' .result.protocolVersion)" 2025-11-25
mcp bot <<'EOF'
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","id":3,"method":"initialize"}
EOF
expect_eq "initialize without protocolVersion" "$(r 1 .error.code)" -32602
expect_eq "initialize without capabilities" "$(r 2 .error.code)" -32602
expect_eq "initialize without params" "$(r 3 .error.code)" -32602

# ---- pagination -----------------------------------------------------------------
mcp bot --page-size 4 <<'EOF'
#init
{"jsonrpc":"2.0","id":1,"method":"tools/list"}
{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"tools:4"}}
{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"tools:8"}}
{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"cursor":"bogus"}}
{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"cursor":"tools:99"}}
EOF
expect_eq "page 1" "$(r 1 '.result.tools | length')" 4
expect_eq "cursor 1" "$(rr 1 .result.nextCursor)" "tools:4"
expect_eq "page 2" "$(r 2 '.result.tools | length')" 4
expect_eq "page 3" "$(r 3 '.result.tools | length')" 1
expect_eq "last page has no cursor" "$(r 3 .result.nextCursor)" null
expect_eq "bad cursor" "$(r 4 .error.code)" -32602
expect_eq "cursor past the end" "$(r 5 .error.code)" -32602

# ---- protocol faults change nothing -----------------------------------------------
mcp bot <<'EOF'
#init
#expect {"jsonrpc":"2.0","id":
#expect 42
#expect "text"
#expect []
#expect [{"jsonrpc":"2.0","id":1,"method":"ping"}]
#expect {"jsonrpc":"1.0","id":10,"method":"ping"}
#expect {"id":11,"method":"ping"}
#expect {"jsonrpc":"2.0","id":1.5,"method":"ping"}
#expect {"jsonrpc":"2.0","id":null,"method":"ping"}
#expect {"jsonrpc":"2.0","id":{"a":1},"method":"ping"}
#expect {"jsonrpc":"2.0","id":12,"method":5}
#expect {"jsonrpc":"2.0","id":13}
{"jsonrpc":"2.0","id":14,"method":"ping","params":[1]}
#expect {"jsonrpc":"2.0","id":15,"id":16,"method":"ping"}
{"jsonrpc":"2.0","method":"notifications/unknown"}
{"jsonrpc":"2.0","id":99,"result":{}}
{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"approve_change","arguments":{"change_id":"chg_x"}}}
{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"arguments":{}}}
{"jsonrpc":"2.0","id":19,"method":"tools/call","params":{"name":"whoami","arguments":[1]}}
#huge 5000000
{"jsonrpc":"2.0","id":20,"method":"ping"}
{"jsonrpc":"2.0","id":"s-1","method":"ping"}
EOF
lines=$(printf '%s\n' "$R" | sed 1d)
code_of() { printf '%s\n' "$lines" | sed -n "${1}p" | jq -c '[.id, .error.code]'; }
expect_eq "parse error" "$(code_of 1)" '[null,-32700]'
expect_eq "number is not a request" "$(code_of 2)" '[null,-32600]'
expect_eq "string is not a request" "$(code_of 3)" '[null,-32600]'
expect_eq "empty batch" "$(code_of 4)" '[null,-32600]'
expect_eq "batch refused in 2025-11-25" "$(code_of 5)" '[null,-32600]'
expect_eq "wrong jsonrpc keeps the id" "$(code_of 6)" '[10,-32600]'
expect_eq "missing jsonrpc" "$(code_of 7)" '[11,-32600]'
expect_eq "fractional id" "$(code_of 8)" '[null,-32600]'
expect_eq "null id" "$(code_of 9)" '[null,-32600]'
expect_eq "object id" "$(code_of 10)" '[null,-32600]'
expect_eq "method not a string" "$(code_of 11)" '[12,-32600]'
expect_eq "no method" "$(code_of 12)" '[13,-32600]'
expect_eq "params not an object" "$(code_of 13)" '[14,-32602]'
expect_eq "duplicate keys" "$(code_of 14)" '[null,-32700]'
expect_eq "no approval tool to call" "$(code_of 15)" '[17,-32602]'
expect_contains "unknown tool named" "$(printf '%s\n' "$lines" | sed -n 15p)" "unknown tool: approve_change"
expect_eq "tools/call without name" "$(code_of 16)" '[18,-32602]'
expect_eq "arguments not an object" "$(code_of 17)" '[19,-32602]'
expect_eq "huge message" "$(code_of 18)" '[null,-32600]'
expect_contains "huge message explained" "$(printf '%s\n' "$lines" | sed -n 18p)" "exceeds the limit"
expect_eq "alive after a huge message" "$(code_of 19)" '[20,null]'
expect_eq "string ids echo" "$(code_of 20)" '["s-1",null]'
expect_eq "no answer to notifications and responses" "$(printf '%s\n' "$lines" | wc -l)" 21

# batches are part of 2025-03-26 only
mcp bot <<'EOF'
#init 2025-03-26
#expect [{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]
#expect []
EOF
expect_eq "2025-03-26 batch answered as a batch" "$(printf '%s\n' "$R" | sed -n 2p | jq -c '[.[].id]')" '[1,2]'
expect_eq "empty batch still invalid" "$(printf '%s\n' "$R" | sed -n 3p | jq -c .error.code)" -32600

# ---- schema validation: a tool error in 2025-11-25, -32602 before --------------------
mcp bot <<EOF
#init
$(call 1 search_inventory '{"bogus":1}')
$(call 2 check_access '{}')
$(call 3 check_access '{"operations":[{"op":"delete","account":"payroll:p1"}]}')
$(call 4 search_inventory '{"limit":500}')
$(call 5 propose_change '{"operations":[],"rationale":"x"}')
$(call 6 check_access '{"operations":[{"op":"disable","account":""}]}')
$(call 7 rollback_change '{"change_id":"chg_x","reason":7}')
$(call 8 search_inventory '{"limit":2.5}')
EOF
expect_eq "unknown property is a tool error" "$(r 1 .result.isError)" true
expect_contains "unknown property path" "$(rr 1 .result.structuredContent.error.message)" '$.arguments.bogus: unknown property'
expect_contains "required path" "$(rr 2 .result.structuredContent.error.message)" '$.arguments.operations: required'
expect_contains "enum path" "$(rr 3 .result.structuredContent.error.message)" '$.arguments.operations[0].op: expected one of'
expect_contains "maximum" "$(rr 4 .result.structuredContent.error.message)" '$.arguments.limit: must be <= 100'
expect_contains "minItems" "$(rr 5 .result.structuredContent.error.message)" '$.arguments.operations: needs at least 1'
expect_contains "minLength" "$(rr 6 .result.structuredContent.error.message)" 'operations[0].account: must be at least 1'
expect_contains "type" "$(rr 7 .result.structuredContent.error.message)" '$.arguments.reason: expected string, got integer'
expect_contains "integer" "$(rr 8 .result.structuredContent.error.message)" '$.arguments.limit: expected integer'
expect_eq "text item repeats the structured result" "$(rr 1 '.result.content[0].text | fromjson | .error.status')" EINVAL
mcp bot <<EOF
#init 2025-06-18
$(call 1 search_inventory '{"bogus":1}')
EOF
expect_eq "2025-06-18: invalid arguments are -32602" "$(r 1 .error.code)" -32602
expect_contains "2025-06-18: path named" "$(rr 1 .error.message)" '$.arguments.bogus'
expect_eq "protocol faults wrote nothing to the log" "$(log_size)" "$log0"

# ---- read-only tools ---------------------------------------------------------------
mcp bot <<EOF
#init
$(call 1 whoami '{}')
$(call 2 readiness '{}')
$(call 3 readiness '{"scope":"system","id":"payroll"}')
$(call 4 readiness '{"scope":"system"}')
$(call 5 search_inventory '{"kind":"accounts","system":"payroll","limit":5}')
$(call 6 search_inventory '{"kind":"accounts","system":"payroll","limit":5,"offset":15}')
$(call 7 search_inventory '{"kind":"grants","identity":"ivy","system":"payroll"}')
$(call 8 check_access '{"operations":[{"op":"disable","account":"payroll:orphan1"}],"mode":"recommend"}')
$(call 9 check_access '{"operations":[{"op":"disable","account":"github:ivy"}],"mode":"recommend"}')
$(call 10 check_access '{"operations":[{"op":"disable","account":"payroll:nobody"}]}')
$(call 11 readiness '{"scope":"system","id":"nosuch"}')
EOF
SID=$(rr 1 .result.structuredContent.session)
expect_contains "session id" "$SID" mcps_
expect_eq "whoami principal" "$(rr 1 .result.structuredContent.principal)" bot
expect_eq "whoami kind" "$(rr 1 .result.structuredContent.kind)" agent
expect_eq "accountable owner" "$(rr 1 .result.structuredContent.accountable_human)" ethan
expect_eq "active mandate" "$(rr 1 '.result.structuredContent.mandates[0].id')" "$M"
expect_eq "mandate actions probed" "$(rr 1 '[.result.structuredContent.may[].action] | sort | join(",")')" "disable,revoke"
expect_eq "modes per action" "$(rr 1 '.result.structuredContent.may[] | select(.action=="disable") | .modes.recommend')" approval_required
expect_eq "whoami ok" "$(r 1 .result.isError)" false
# reads are governed: an agent reads its mandate's systems only (mcp_reads.sh)
expect_eq "overall readiness: not for an agent" "$(rr 2 .result.structuredContent.error.status)" EDENIED
expect_contains "overall readiness: why" "$(rr 2 '.result.structuredContent.why[0]')" "only system by system"
expect_eq "system readiness" "$(rr 3 .result.structuredContent.id)" payroll
expect_eq "system scope needs an id" "$(r 4 .result.isError)" true
expect_eq "page of 5" "$(rr 5 '.result.structuredContent.items | length')" 5
expect_eq "next offset" "$(rr 5 .result.structuredContent.next_offset)" 5
expect_eq "last page" "$(rr 6 '.result.structuredContent | [.total - 15 == (.items|length), has("next_offset")]' | tr -d ' \n')" '[true,false]'
expect_eq "ivy's payroll grants" "$(rr 7 '.result.structuredContent.total')" 1
expect_eq "check: approval needed is isError" "$(r 8 .result.isError)" true
expect_eq "check: decision" "$(rr 8 .result.structuredContent.decision)" approval_required
expect_eq "check: who must approve" "$(rr 8 '[.result.structuredContent.who_must_approve[] | .role + "=" + (.eligible_approvers|join("+"))] | join(",")')" \
  "owner=olivia,security=sam+sue"
expect_contains "check: summary" "$(rr 8 .result.structuredContent.summary)" "approval required: owner"
expect_eq "check: outside mandate denied" "$(rr 9 .result.structuredContent.decision)" deny
expect_contains "check: outside mandate why" "$(rr 9 '.result.structuredContent.why | join(" ")')" "outside mandate"
expect_eq "check: unknown account is a tool error" "$(rr 10 .result.structuredContent.error.status)" ENOTFOUND
expect_eq "unknown system" "$(r 11 .result.isError)" true
expect_eq "read-only tools wrote nothing" "$(log_size)" "$log0"

# ---- the governed change lifecycle through MCP ----------------------------------------
mcp bot <<EOF
#init
$(call 1 whoami '{}')
$(call 2 propose_change '{"operations":[{"op":"disable","account":"payroll:orphan1"}],"rationale":"account has no identity","recommendation":"disable it","inputs":[{"source":"hr-feed","content":"orphan1 not in HR"}]}')
$(call 3 propose_change '{"operations":[{"op":"disable","account":"github:ivy"}],"rationale":"x"}')
$(call 4 propose_change '{"operations":[{"op":"grant","account":"payroll:p5","entitlement":"payroll:viewer"}],"rationale":"x"}')
$(call 5 propose_change '{"operations":[{"op":"disable","account":"payroll:ghost"}],"rationale":"leaver","mode":"advise"}')
EOF
SID=$(rr 1 .result.structuredContent.session)
A=$(rr 2 .result.structuredContent.change_id)
expect_eq "proposal awaits approval" "$(rr 2 .result.structuredContent.state)" awaiting_approval
expect_eq "awaiting approval is isError" "$(r 2 .result.isError)" true
expect_eq "who approves first" "$(rr 2 '.result.structuredContent.who_must_approve[0].eligible_approvers | join(",")')" olivia
expect_eq "inputs kept as digests" "$(rr 2 '.result.structuredContent.change.inputs[0].sha256 | startswith("sha256:")')" true
expect_eq "no content kept" "$(rr 2 '.result.structuredContent.change.inputs[0] | has("content")')" false
expect_eq "under the mandate" "$(rr 2 .result.structuredContent.change.mandate)" "$M"
expect_eq "outside mandate: denied" "$(rr 3 .result.structuredContent.state)" denied
expect_eq "denial is isError" "$(r 3 .result.isError)" true
expect_contains "denial explained" "$(rr 3 .result.structuredContent.summary)" "denied: outside mandate"
expect_eq "agents never grant" "$(rr 4 .result.structuredContent.decision)" deny
expect_contains "grant is outside the mandate" "$(rr 4 '.result.structuredContent.why[0]')" "action grant"
expect_contains "advice recorded, no change" "$(rr 5 .result.structuredContent.advice_id)" adv_
expect_ok "lineage of the proposal" w --json lineage "$A"
expect_eq "proposal channel" "$(jget "$OUT" '.entries[0].entry.channel')" "mcp:$SID:propose_change"
expect_eq "proposal actor" "$(jget "$OUT" '.entries[0].entry.actor.id')" bot
D3=$(rr 3 .result.structuredContent.change_id)
expect_ok "lineage of the denial" w --json lineage "$D3"
expect_eq "denial recorded with its channel" "$(jget "$OUT" '.entries[0].entry.channel')" "mcp:$SID:propose_change"

expect_ok "owner approves (CLI)" w approve "$A" --as olivia --reason "orphan confirmed"
mcp bot <<EOF
#init
$(call 1 whoami '{}')
$(call 2 execute_change "{\"change_id\":\"$A\"}")
$(call 3 change_status "{\"change_id\":\"$A\"}")
EOF
expect_eq "execute before approvals: isError" "$(r 2 .result.isError)" true
expect_eq "illegal state named" "$(rr 2 .result.structuredContent.error.status)" ESTATE
expect_eq "pending stage shown" "$(rr 2 .result.structuredContent.pending_stage.role)" security
expect_eq "status: awaiting" "$(rr 3 .result.structuredContent.state)" awaiting_approval
expect_eq "status: pending security" "$(rr 3 '.result.structuredContent.pending_stage.eligible_approvers | join(",")')" "sam,sue"
expect_eq "status: one approval" "$(rr 3 '.result.structuredContent.approvals | length')" 1
expect_eq "status: lineage verified" "$(rr 3 '[.result.structuredContent.lineage[].verified] | all')" true
expect_eq "status is not an error" "$(r 3 .result.isError)" false
expect_ok "security approves (CLI)" w approve "$A" --as sue --reason "no sessions"
mcp bot <<EOF
#init
$(call 1 whoami '{}')
$(call 2 execute_change "{\"change_id\":\"$A\"}")
$(call 3 close_change "{\"change_id\":\"$A\"}")
$(call 4 close_change "{\"change_id\":\"$A\",\"evidence\":[{\"kind\":\"ticket\",\"ref\":\"INC-42\"}]}")
$(call 5 change_status "{\"change_id\":\"$A\"}")
$(call 6 rollback_change "{\"change_id\":\"$A\",\"reason\":\"the account was still in use\"}")
$(call 7 change_status '{"change_id":"chg_nosuch"}')
$(call 8 execute_change '{"change_id":"bad id!"}')
EOF
SID3=$(rr 1 .result.structuredContent.session)
expect_eq "executed" "$(rr 2 .result.structuredContent.state)" executed
expect_eq "execution ok" "$(r 2 .result.isError)" false
expect_eq "close without the ticket: isError" "$(r 3 .result.isError)" true
expect_contains "missing evidence named" "$(rr 3 .result.structuredContent.error.message)" "ticket"
expect_eq "closed" "$(rr 4 .result.structuredContent.state)" closed
expect_eq "validated on the first close attempt" "$(rr 4 .result.structuredContent.validated_now)" false
expect_eq "lineage channels of the change" \
  "$(rr 5 '[.result.structuredContent.lineage[] | .kind + "@" + (.channel | split(":") | .[2] // "cli")] | join(",")')" \
  "change.proposed@propose_change,change.approval@cli,change.approval@cli,change.executing@execute_change,change.executed@execute_change,change.validated@close_change,change.closed@close_change"
expect_eq "executed in session 3" "$(rr 5 '[.result.structuredContent.lineage[] | select(.kind=="change.executed") | .channel] | .[0]')" \
  "mcp:$SID3:execute_change"
# the rollback enables the account again: not an action of the mandate
expect_eq "rollback is a governed change" "$(rr 6 .result.structuredContent.state)" denied
expect_eq "denied rollback is isError" "$(r 6 .result.isError)" true
expect_contains "rollback denial explained" "$(rr 6 .result.structuredContent.summary)" "action enable"
expect_eq "rollback of" "$(rr 6 .result.structuredContent.change.rollback_of)" "$A"
expect_eq "unknown change" "$(rr 7 .result.structuredContent.error.status)" ENOTFOUND
expect_eq "bad change id" "$(rr 8 .result.structuredContent.error.status)" EINVAL
expect_ok "account disabled" w --json inventory search --kind accounts --filter orphan1
expect_eq "orphan1 disabled" "$(jget "$OUT" '.items[0].status')" disabled
RB=$(rr 6 .result.structuredContent.change_id)
expect_ok "lineage of the rollback" w --json lineage "$RB"
expect_eq "rollback channel" "$(jget "$OUT" '.entries[0].entry.channel')" "mcp:$SID3:rollback_change"

# ---- execution refused: the detail comes from the recorded decision ----------------------
mcp bot <<EOF
#init
$(call 1 propose_change '{"operations":[{"op":"revoke","account":"payroll:ghost","entitlement":"payroll:approver"}],"rationale":"leaver"}')
EOF
G=$(rr 1 .result.structuredContent.change_id)
w approve "$G" --as olivia --reason ok >/dev/null
w approve "$G" --as sam --reason ok >/dev/null
expect_ok "owner closes the mandate" w mandate close "$M" --as ethan --evidence attestation=done
mcp bot <<EOF
#init
$(call 1 execute_change "{\"change_id\":\"$G\"}")
$(call 2 whoami '{}')
EOF
expect_eq "closed mandate: execution denied" "$(rr 1 .result.structuredContent.error.status)" EDENIED
expect_eq "denied as a tool result" "$(r 1 .result.isError)" true
expect_eq "decision detail" "$(rr 1 .result.structuredContent.decision)" deny
expect_contains "why" "$(rr 1 '.result.structuredContent.why | join(" ")')" "mandate"
expect_contains "denial summary" "$(rr 1 .result.structuredContent.summary)" "denied:"
expect_eq "no active mandate now" "$(rr 2 '.result.structuredContent.mandates | length')" 0
expect_ok "refusal is lineage" w --json lineage "$G"
expect_eq "refusal channel" "$(jget "$OUT" '[.entries[].entry | select(.kind=="change.execution_denied") | .channel | split(":") | .[2]] | .[0]')" \
  execute_change

# ---- copilots: never more than their human -----------------------------------------------
mcp cop-ivy <<EOF
#init
$(call 1 whoami '{}')
$(call 2 propose_change '{"operations":[{"op":"grant","account":"payroll:p4","entitlement":"payroll:viewer"}],"rationale":"needs payroll read"}')
EOF
expect_eq "copilot's human" "$(rr 1 .result.structuredContent.accountable_human)" ivy
expect_eq "copilot relationship" "$(rr 1 .result.structuredContent.relationship)" on_behalf_of
expect_eq "copilot never executes" "$(rr 1 '[.result.structuredContent.may[].modes.execute] | unique | join(",")')" deny
expect_eq "copilot for a forbidden human: denied" "$(rr 2 .result.structuredContent.state)" denied
expect_contains "intersection explained" "$(rr 2 .result.structuredContent.summary)" "never exceeds its human"
mcp cop <<EOF
#init
$(call 1 propose_change '{"operations":[{"op":"grant","account":"payroll:p4","entitlement":"payroll:viewer"}],"rationale":"needs payroll read"}')
$(call 2 check_access '{"operations":[{"op":"grant","account":"payroll:p4","entitlement":"payroll:viewer"}],"mode":"execute"}')
EOF
expect_eq "same request by hank's copilot" "$(rr 1 .result.structuredContent.state)" awaiting_approval
expect_eq "copilot may not execute" "$(rr 2 .result.structuredContent.decision)" deny
expect_contains "mode explained" "$(rr 2 '.result.structuredContent.why | join(" ")')" "mode execute is not granted"

# ---- who may open a session -----------------------------------------------------------------
expect_fail "humans use the CLI" 5 "$WARRANT" mcp --as hank </dev/null
expect_contains "human refused" "$ERR" "copilots, agents and services"
expect_fail "unknown principal" 3 "$WARRANT" mcp --as nobody </dev/null
expect_fail "--as is required" 2 env -u WARRANT_AS "$WARRANT" mcp </dev/null
expect_ok "a service may connect" "$WARRANT" mcp --as svc </dev/null

# ---- a peer that closes mid-message changes nothing ---------------------------------------------
before=$(log_size)
changes=$(w --json change list | jq length)
mcp bot <<'EOF'
#init
#partial {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"propose_change","arguments":{"operations":[{"op":"disable","account":"payroll:p6"}],"rationale":"x"
EOF
expect_eq "clean exit on a torn message" "$(printf '%s\n' "$R" | tail -1)" '{"_exit": 0}'
expect_eq "torn message: no answer" "$(printf '%s\n' "$R" | wc -l)" 2
expect_eq "torn message: log unchanged" "$(log_size)" "$before"
expect_eq "torn message: no change" "$(w --json change list | jq length)" "$changes"
expect_ok "log verifies" w log verify
expect_eq "every session exited 0" "$BAD_EXITS" 0
expect_eq "no sanitizer reports" "$(grep -c -E 'Sanitizer|runtime error' "$T/mcp.stderr" || true)" 0
finish
