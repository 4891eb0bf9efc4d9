#!/usr/bin/env bash
# server_mcp.sh — MCP over Streamable HTTP at /mcp (issue 6's transport)
# over real sockets: bearer auth, sessions created at initialize and
# required after, the session bound to its principal, Origin validation,
# 202 for notifications, GET 405, DELETE ending the session, RFC 9728
# metadata, and a governed tool call recorded with an mcp channel.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$(dirname "$0")/lib/server.sh"
setup_org
COP=$(token hank --for cop)
BOT=$(token ethan --for bot)
HANK=$(token hank)
start_server

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}'
# mcp TOKEN SESSION BODY [extra curl args]: sets CODE, BODY, HDRS
mcp() {
  local tok=$1 sid=$2 body=$3; shift 3
  local args=(-s -D "$T/hdrs" -o "$T/body" -w '%{http_code}' -X POST "$BASE/mcp" -H 'Content-Type: application/json'
              -H 'Accept: application/json, text/event-stream' --data-binary "$body")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  [ -n "$sid" ] && args+=(-H "MCP-Session-Id: $sid")
  CODE=$(curl "${args[@]}" "$@" || true); BODY=$(cat "$T/body"); HDRS=$(cat "$T/hdrs")
}

mcp "" "" "$INIT"
expect_eq "no token" "$CODE" 401
expect_contains "points to the resource metadata" "$HDRS" 'resource_metadata="http://127.0.0.1:'
expect_http "protected resource metadata is public" 200 GET /.well-known/oauth-protected-resource ""
expect_eq "resource" "$(jget "$BODY" .resource)" "$BASE/mcp"
expect_eq "bearer in header" "$(jget "$BODY" '.bearer_methods_supported[0]')" header

mcp "$HANK" "" "$INIT"
expect_eq "a human may not use MCP" "$CODE" 403
mcp "$COP" "" "$INIT" -H 'Origin: http://evil.example'
expect_eq "foreign Origin" "$CODE" 403
expect_eq "Origin error code" "$(jget "$BODY" .error.code)" forbidden_origin
mcp "$COP" "" "$INIT" -H "Origin: http://localhost:3000"
expect_eq "initialize" "$CODE" 200
SID=$(printf '%s' "$HDRS" | tr -d '\r' | sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii]d: //p')
expect_contains "session id returned" "$SID" mcp
expect_eq "protocol negotiated" "$(jget "$BODY" .result.protocolVersion)" 2025-06-18

mcp "$COP" "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}'
expect_eq "notification accepted" "$CODE" 202
mcp "$COP" "" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
expect_eq "session id required" "$CODE" 400
mcp "$COP" "mcp_nosuchsession" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
expect_eq "unknown session" "$CODE" 404
mcp "$BOT" "$SID" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
expect_eq "someone else's session" "$CODE" 403
mcp "$COP" "$SID" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
expect_eq "tools/list" "$CODE" 200
expect_contains "tools listed" "$(jget "$BODY" '[.result.tools[].name] | join(",")')" propose_change
mcp "$COP" "$SID" '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}}'
expect_eq "whoami tool" "$CODE" 200
expect_contains "acts as the token's principal" "$BODY" '\"cop\"'
n0=$(log_size)
mcp "$COP" "$SID" '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"propose_change","arguments":{"operations":[{"op":"revoke","account":"payroll:p1","entitlement":"payroll:viewer"}],"rationale":"p1 left"}}}'
expect_eq "propose over MCP" "$CODE" 200
expect_eq "one log entry" "$(log_size)" "$((n0 + 1))"
expect_contains "mcp channel recorded" "$(w log entry "$n0" | jq -r .channel)" "mcp:$SID:propose_change"
mcp "$COP" "$SID" '{"jsonrpc":"2.0","id":5,"method":"nope"}'
expect_eq "JSON-RPC errors are 200 with an error" "$(jget "$BODY" .error.code)" -32601
mcp "$COP" "$SID" '{not json'
expect_eq "parse error is a JSON-RPC error" "$(jget "$BODY" .error.code)" -32700
mcp "$COP" "$SID" '{"jsonrpc":"2.0","id":6,"method":"ping"}' -H 'Origin: https://evil.example'
expect_eq "Origin checked on every request" "$CODE" 403

CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $COP" "$BASE/mcp")
expect_eq "GET /mcp" "$CODE" 405
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $BOT" -H "MCP-Session-Id: $SID" "$BASE/mcp")
expect_eq "another principal cannot end it" "$CODE" 403
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $COP" -H "MCP-Session-Id: $SID" "$BASE/mcp")
expect_eq "DELETE ends the session" "$CODE" 204
mcp "$COP" "$SID" '{"jsonrpc":"2.0","id":7,"method":"ping"}'
expect_eq "ended session" "$CODE" 404
mcp "$BOT" "" "$INIT"
expect_eq "agent initializes its own session" "$CODE" 200
stop_server
finish
