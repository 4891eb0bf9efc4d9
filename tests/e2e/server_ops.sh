#!/usr/bin/env bash
# server_ops.sh — operations of `warrant serve` over real sockets: the
# lineage log published as C2SP tlog-tiles without credentials (checked
# against `warrant log checkpoint` and recomputed from the tiles), metrics,
# limits (429, 413, 431, 408, 503) with JSON errors, the config file, the
# expiry timer, TLS, and graceful shutdown on SIGTERM.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$(dirname "$0")/lib/server.sh"
setup_org
HANK=$(token hank)
OLIVIA=$(token olivia)
IVY=$(token ivy)
cat > "$T/serve.conf" <<CONF
# test configuration
rate = 5
burst = 8
max_body = 4k
max_header = 2k
max_connections = 4
request_timeout = 1
expire_interval = 1
threads = 2
CONF
start_server --config "$T/serve.conf"

# a few governed changes so the log has entries
for a in p1 p2 p3; do
  call POST /v1/changes "$HANK" "{\"mode\":\"recommend\",\"operations\":[{\"op\":\"revoke\",\"account\":\"payroll:$a\",\"entitlement\":\"payroll:viewer\"}]}"
done
expect_eq "proposals accepted" "$CODE" 201
sleep 1   # refill the bucket

# ---- the public log ----------------------------------------------------------------
expect_http "checkpoint without credentials" 200 GET /log/checkpoint ""
expect_eq "same checkpoint as the CLI" "$BODY" "$(w log checkpoint)"
N=$(printf '%s\n' "$BODY" | sed -n 2p)
ROOT=$(printf '%s\n' "$BODY" | sed -n 3p)
expect_http "partial level-0 tile" 200 GET "/log/tile/0/000.p/$N" ""
curl -s -o "$T/tile0" "$BASE/log/tile/0/000.p/$N"
expect_eq "tile holds N hashes" "$(stat -c %s "$T/tile0")" $((N * 32))
curl -s -o "$T/entries" "$BASE/log/tile/entries/000.p/$N"
# recompute the root from the tile (RFC 9162) and each leaf from the entry bundle
cat > "$T/verify.py" <<'PY'
import base64, hashlib, sys
tile, entries, n, root = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read(), int(sys.argv[3]), sys.argv[4]
leaves = [tile[i*32:(i+1)*32] for i in range(n)]
pos = 0
for i in range(n):
    ln = int.from_bytes(entries[pos:pos+2], 'big'); e = entries[pos+2:pos+2+ln]; pos += 2 + ln
    assert hashlib.sha256(b'\0' + e).digest() == leaves[i], 'leaf %d' % i
assert pos == len(entries), 'bundle length'
def mth(h):
    if len(h) == 1: return h[0]
    k = 1
    while k * 2 < len(h): k *= 2
    return hashlib.sha256(b'\1' + mth(h[:k]) + mth(h[k:])).digest()
assert base64.b64encode(mth(leaves)).decode() == root, 'root'
print('ok')
PY
expect_ok "tiles and bundles verify against the checkpoint" python3 "$T/verify.py" "$T/tile0" "$T/entries" "$N" "$ROOT"
expect_eq "entry 0 matches the CLI" "$(python3 -c "import sys;d=open('$T/entries','rb').read();print(d[2:2+int.from_bytes(d[:2],'big')].decode())")" "$(w log entry 0)"
expect_http "full tile not there yet" 404 GET /log/tile/0/000 ""
expect_http "beyond the log" 404 GET "/log/tile/0/000.p/$((N + 1))" ""
expect_http "bad tile path" 404 GET /log/tile/0/abc ""
expect_http "bad width" 404 GET /log/tile/0/000.p/0 ""
expect_http "level out of range" 404 GET /log/tile/9/000.p/1 ""
expect_http "log is read-only" 405 POST /log/checkpoint ""
H=$(curl -s -D - -o /dev/null "$BASE/log/tile/0/000.p/$N")
expect_contains "tiles are immutable" "$H" "immutable"

# ---- metrics -------------------------------------------------------------------------------
expect_http "metrics need a token" 401 GET /metrics ""
sleep 1
expect_http "metrics" 200 GET /metrics "$OLIVIA"
expect_contains "requests by route and status" "$BODY" 'warrant_http_requests_total{method="POST",route="/v1/changes",status="201"} 3'
expect_contains "latency histogram" "$BODY" 'warrant_http_request_duration_seconds_bucket{le="+Inf"}'
expect_contains "pending approvals" "$BODY" "warrant_pending_approvals 3"
expect_contains "log size" "$BODY" "warrant_log_entries $N"
expect_contains "decisions" "$BODY" 'warrant_decisions_total{outcome="allow"}'
expect_contains "the timer ran" "$(curl -s -H "Authorization: Bearer $OLIVIA" "$BASE/metrics" | grep '^warrant_expire_runs_total')" "warrant_expire_runs_total"
expect_eq "timer ran at least once" "$(curl -s -H "Authorization: Bearer $OLIVIA" "$BASE/metrics" | awk '/^warrant_expire_runs_total/ {print ($2 > 0)}')" 1

# ---- limits ----------------------------------------------------------------------------------
sleep 2
codes="" H=""
for i in $(seq 30); do
  H=$(curl -s -D - -H "Authorization: Bearer $HANK" "$BASE/v1/whoami")
  codes="$codes $(printf '%s' "$H" | head -1 | cut -d' ' -f2)"
  case "$H" in "HTTP/1.1 429"*) break;; esac
done
expect_contains "burst served first" "$codes" 200
expect_contains "rate limit reached" "$codes" 429
expect_contains "Retry-After" "$H" "Retry-After: 1"
expect_contains "429 JSON" "$H" '"code":"rate_limited"'
expect_http "another principal is not limited" 200 GET /v1/whoami "$OLIVIA"
sleep 2
head -c 5000 /dev/zero | tr '\0' 'x' > "$T/5k"
CODE=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $OLIVIA" --data-binary @"$T/5k" "$BASE/v1/changes")
expect_eq "413 over max_body" "$CODE" 413
expect_eq "413 JSON" "$(jq -r .error.code "$T/body")" content_too_large
CODE=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Big: $(head -c 3000 /dev/zero | tr '\0' 'y')" "$BASE/healthz")
expect_eq "431 over max_header" "$CODE" 431
expect_eq "431 JSON" "$(jq -r .error.code "$T/body")" header_fields_too_large
# a body that trickles in past request_timeout
RAW=$( (printf 'POST /v1/changes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{"mode":' "$OLIVIA"; sleep 1.5; printf '"advise"}     ') \
  | timeout 5 curl -s --max-time 4 telnet://127.0.0.1:${BASE##*:} 2>/dev/null || true)
expect_contains "408 for a slow body" "$RAW" "HTTP/1.1 408"
expect_contains "408 JSON" "$RAW" request_timeout
# connection cap: hold 4 idle connections open, the next request gets 503
PORT=${BASE##*:}
for i in 1 2 3 4; do exec {fd}<>/dev/tcp/127.0.0.1/$PORT; eval "fd$i=$fd"; done
sleep 0.3
CODE=$(curl -s -o "$T/body" -w '%{http_code}' "$BASE/healthz")
expect_eq "503 over max_connections" "$CODE" 503
expect_eq "503 JSON" "$(jq -r .error.code "$T/body")" unavailable
for i in 1 2 3 4; do eval "exec {fd$i}>&-"; done
sleep 0.3
expect_http "back below the cap" 200 GET /healthz ""

# ---- graceful shutdown: an in-flight request finishes, then exit 0 ---------------------------------
REQ='{"mode":"recommend","operations":[{"op":"revoke","account":"payroll:p3","entitlement":"payroll:viewer"}]}'
( (printf 'POST /v1/changes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' "$IVY" ${#REQ}; sleep 0.5
   printf '%s' "$REQ") \
  | timeout 5 curl -s --max-time 4 telnet://127.0.0.1:$PORT > "$T/inflight" 2>/dev/null || true ) &
CLIENT=$!
sleep 0.2
n0=$(log_size)
kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=
wait "$CLIENT" || true
expect_eq "exit 0 on SIGTERM" "$rc" 0
expect_contains "in-flight request answered" "$(cat "$T/inflight")" "HTTP/1.1 201"
expect_eq "its change is in the log" "$(log_size)" "$((n0 + 1))"
expect_ok "log verifies after shutdown" w log verify
expect_contains "stop logged" "$(cat "$T/server.log")" '"event":"stopped"'
expect_fail "nothing listens any more" '*' curl -sf "$BASE/healthz"

# ---- config errors and TLS ------------------------------------------------------------------------
printf 'rate = fast\n' > "$T/bad.conf"
expect_fail "bad config value" 2 w serve --config "$T/bad.conf"
expect_contains "names file and line" "$ERR" "bad.conf:1"
printf 'colour = blue\n' > "$T/bad2.conf"
expect_fail "unknown key" 2 w serve --config "$T/bad2.conf"
printf '{"rate": 3, "listen": "127.0.0.1:0", "access_log": false}\n' > "$T/ok.json"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=localhost >/dev/null 2>&1
SCHEME=https start_server --config "$T/ok.json" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
expect_http "TLS healthz" 200 GET /healthz ""
expect_http "TLS with token" 200 GET /v1/whoami "$HANK"
expect_eq "JSON config applied (no access log)" "$(grep -c request_id "$T/server.log" || true)" 0
stop_server
finish
