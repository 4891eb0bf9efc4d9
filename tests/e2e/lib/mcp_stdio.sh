# mcp_stdio.sh — talk to `warrant mcp` over stdio in raw JSON-RPC through
# tests/e2e/lib/mcp_client.py.  Source after common.sh.
#   mcp WHO [ARGS...] < SCRIPT   one session; responses in $R (every session
#                                must end with exit status 0: no crash, no
#                                sanitizer report; BAD_EXITS counts those)
#   r ID [FILTER]                the response with that id (jq -c), filtered
#   rr ID [FILTER]               the same, jq -r
#   call ID TOOL ARGS_JSON       a tools/call request line
CLIENT="$(dirname "${BASH_SOURCE[0]}")/mcp_client.py"
BAD_EXITS=0
mcp() {
  local who=$1; shift
  R=$(python3 "$CLIENT" -- "$WARRANT" mcp --as "$who" "$@" 2>>"$T/mcp.stderr")
  [ "$(printf '%s\n' "$R" | tail -1)" == '{"_exit": 0}' ] || BAD_EXITS=$((BAD_EXITS+1))
}
r() { printf '%s\n' "$R" | jq -c "select(.id==$1) | ${2:-.}"; }
rr() { printf '%s\n' "$R" | jq -r "select(.id==$1) | ${2:-.}"; }
call() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}\n' "$1" "$2" "$3"; }
