#!/usr/bin/env bash
# mcp_sdk.sh — the official MCP TypeScript SDK (@modelcontextprotocol/sdk,
# installed from the npm registry with the committed package-lock.json into
# the test directory, never into the source tree) connects to `warrant mcp`
# over stdio: it negotiates, lists the tools across pages, and calls
# whoami, check_access and propose_change; its own output-schema
# validation must accept every result.  npm failing is a test failure.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
setup_org
w --json mandate create --as ethan --agent bot --purpose "remove orphans" --system payroll \
  --action disable --max-changes 2 --duration 7d >/dev/null

# A cached install under the build's test directory, redone when the lock changes.
src="$WARRANT_SRC/tests/e2e/mcp_sdk"
sdk="$base/mcp_sdk_node"
mkdir -p "$sdk"
if ! cmp -s "$src/package-lock.json" "$sdk/package-lock.json" || [ ! -d "$sdk/node_modules/@modelcontextprotocol/sdk" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$sdk/"
  expect_ok "npm ci (@modelcontextprotocol/sdk)" timeout 600 npm ci --prefix "$sdk" --no-audit --no-fund
fi
cp "$src/client.mjs" "$sdk/client.mjs"
expect_ok "SDK client session" timeout 120 node "$sdk/client.mjs" "$WARRANT" "$WARRANT_DATA" bot payroll:orphan1
S=$OUT
expect_eq "server name" "$(jget "$S" .server.name)" warrant
expect_eq "tools capability" "$(jget "$S" .capabilities.tools.listChanged)" false
expect_contains "instructions" "$(jget "$S" .instructions)" "mcp:<session>:<tool>"
expect_eq "tools over three pages" "$(jget "$S" .pages)" 3
expect_eq "the nine tools" "$(jget "$S" '.tools | sort | join(",")')" \
  "change_status,check_access,close_change,execute_change,propose_change,readiness,rollback_change,search_inventory,whoami"
expect_eq "whoami" "$(jget "$S" .whoami.structuredContent.principal)" bot
expect_eq "whoami owner" "$(jget "$S" .whoami.structuredContent.accountable_human)" ethan
expect_eq "whoami text mirrors structured" "$(jget "$S" '.whoami.content[0].text | fromjson | .principal')" bot
expect_eq "check_access decision" "$(jget "$S" .check.structuredContent.decision)" approval_required
expect_eq "check_access isError" "$(jget "$S" .check.isError)" true
expect_eq "check_access approvers" "$(jget "$S" '[.check.structuredContent.who_must_approve[].role] | join(",")')" owner,security
expect_eq "proposal state" "$(jget "$S" .propose.structuredContent.state)" awaiting_approval
C=$(jget "$S" .propose.structuredContent.change_id)
expect_contains "change id" "$C" chg_
expect_eq "bad arguments reach the model" "$(jget "$S" .badArgs.isError)" true
expect_contains "bad arguments path" "$(jget "$S" .badArgs.structuredContent.error.message)" '$.arguments.operations[0].op'
expect_eq "no approval tool" "$(jget "$S" .unknownTool)" -32602
expect_ok "the change exists" w --json change show "$C"
expect_eq "state in the store" "$(jget "$OUT" .state)" awaiting_approval
expect_ok "lineage" w --json lineage "$C"
expect_contains "SDK call recorded with its channel" "$(jget "$OUT" '.entries[0].entry.channel')" ":propose_change"
finish
