# server.sh — start the real `warrant serve` (or `warrant cedar serve`) on a
# free loopback port and talk to it with curl over real sockets.  Source
# after common.sh.
#   start_server [serve options...]   sets BASE, SERVER_PID; killed at exit
#   start_pdp [cedar serve options...]
#   call METHOD PATH TOKEN [BODY]     sets CODE (HTTP status) and BODY
#   expect_http DESC CODE METHOD PATH TOKEN [BODY]
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    # a sanitizer build reports on stderr at exit: that is a failure
    if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/server.log" 2>/dev/null; then
      fail "sanitizer report from the server: $(grep -m3 -E 'Sanitizer|runtime error' "$T/server.log")"
    fi
  fi
}
trap stop_server EXIT

_wait_port() {
  local i
  for i in $(seq 200); do
    if [ -s "$T/port" ] && curl -sf "${SCHEME:-http}://127.0.0.1:$(cat "$T/port")/healthz" -k >/dev/null 2>&1; then
      BASE="${SCHEME:-http}://127.0.0.1:$(cat "$T/port")"
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "server died: $(cat "$T/server.log")" >&2; return 1; fi
    sleep 0.05
  done
  echo "server did not come up: $(cat "$T/server.log")" >&2
  return 1
}
start_server() {
  rm -f "$T/port"
  "$WARRANT" serve --listen 127.0.0.1:0 --port-file "$T/port" "$@" 2>"$T/server.log" &
  SERVER_PID=$!
  _wait_port
}
start_pdp() {
  rm -f "$T/port"
  "$WARRANT" cedar serve --listen 127.0.0.1:0 --port-file "$T/port" "$@" 2>"$T/server.log" &
  SERVER_PID=$!
  _wait_port
}
call() {
  local m=$1 p=$2 tok=$3 body=${4-}
  local args=(-s -k -o "$T/body" -w '%{http_code}' -X "$m" "$BASE$p")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  CODE=$(curl "${args[@]}" || true)
  BODY=$(tr -d '\000' < "$T/body" 2>/dev/null || true)
}
expect_http() {
  local desc=$1 want=$2; shift 2
  call "$@"
  if [ "$CODE" == "$want" ]; then pass; else fail "$desc: HTTP $CODE, want $want: $BODY"; fi
}
# token HUMAN [--for P ...]: a fresh bearer token
token() { local as=$1; shift; w token create --as "$as" "$@" 2>/dev/null; }
