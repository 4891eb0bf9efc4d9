#!/usr/bin/env bash
# bench/server/run.sh — AuthZEN single-evaluation throughput of
# `warrant cedar serve` and of the full `warrant serve`, against nginx
# serving a small static file, all on loopback with keep-alive (wrk), plus
# a soak run (zero errors, RSS sampled from /proc/PID/status).
#
#   bash bench/server/run.sh            full run: 20 s per load, SOAK_SECONDS=600
#   QUICK=1 bash bench/server/run.sh    quick run: 5 s per load, SOAK_SECONDS=30
# Environment: DURATION (s per load), SOAK_SECONDS, THREADS (wrk and server
# threads, default 2), CONNS (default 32).  Needs wrk and nginx
# (apt-get install wrk nginx).
set -euo pipefail
cd "$(dirname "$0")/../.."
QUICK=${QUICK:-0}
DURATION=${DURATION:-$([ "$QUICK" = 1 ] && echo 5 || echo 20)}
SOAK_SECONDS=${SOAK_SECONDS:-$([ "$QUICK" = 1 ] && echo 30 || echo 600)}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
for t in wrk nginx curl; do command -v $t >/dev/null || { echo "bench/server: needs $t (apt-get install wrk nginx curl)" >&2; exit 2; }; done
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build warrant >/dev/null
W=$PWD/build/warrant
T=$(mktemp -d "${TMPDIR:-/tmp}/warrant-bench-server.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

wait_port() {  # FILE URL
  for _ in $(seq 200); do [ -s "$1" ] && curl -sf -o /dev/null "${2/PORT/$(cat "$1")}" && return 0; sleep 0.05; done
  echo "bench/server: server did not start" >&2; exit 1
}

# ---- nginx on its own loopback port, its own config -------------------------
mkdir -p "$T/nginx/www" "$T/nginx/tmp"
chmod 755 "$T" "$T/nginx" "$T/nginx/www"   # nginx workers may run as another user
printf '{"decision":true}\n' > "$T/nginx/www/decision.json"
NPORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat > "$T/nginx/nginx.conf" <<NGX
worker_processes $THREADS;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $T/nginx/tmp; proxy_temp_path $T/nginx/tmp; fastcgi_temp_path $T/nginx/tmp;
  uwsgi_temp_path $T/nginx/tmp; scgi_temp_path $T/nginx/tmp;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NPORT; root $T/nginx/www; }
}
NGX
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -g 'daemon off;' &
PIDS+=($!)
echo "$NPORT" > "$T/nport"
wait_port "$T/nport" "http://127.0.0.1:PORT/decision.json"

# ---- the stateless PDP and the full server ----------------------------------------
F=tests/fixtures/authzen
"$W" cedar serve --policies $F/policies.cedar --entities $F/entities.json --listen 127.0.0.1:0 \
  --port-file "$T/pdp.port" --threads "$THREADS" --set access_log=off 2>"$T/pdp.log" &
PDP=$!; PIDS+=($PDP)
wait_port "$T/pdp.port" "http://127.0.0.1:PORT/healthz"
export WARRANT_DATA="$T/data"
"$W" init >/dev/null
"$W" principal add bench --kind human >/dev/null
TOK=$("$W" token create --as bench 2>/dev/null)
"$W" serve --listen 127.0.0.1:0 --port-file "$T/full.port" --threads "$THREADS" --set access_log=off \
  --set rate=0 --set max_connections=1000 2>"$T/full.log" &
FULL=$!; PIDS+=($FULL)
wait_port "$T/full.port" "http://127.0.0.1:PORT/healthz"

BODY='{"subject":{"type":"user","id":"alice"},"action":{"name":"read"},"resource":{"type":"record","id":"r1"}}'
BODY_FULL='{"subject":{"type":"Human","id":"bench"},"action":{"name":"revoke"},"resource":{"type":"Account","id":"a:b"},"context":{"environment":"production"}}'
cat > "$T/post.lua" <<LUA
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
local tok = os.getenv("WRK_TOKEN")
if tok and tok ~= "" then wrk.headers["Authorization"] = "Bearer " .. tok end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
LUA
cat > "$T/get.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
LUA
load() {  # NAME URL SCRIPT BODY TOKEN SECONDS
  local r
  r=$(WRK_BODY="$4" WRK_TOKEN="$5" wrk -t"$THREADS" -c"$CONNS" -d"${6}s" --latency -s "$3" "$2" | grep '^RESULT')
  printf '%-32s %s\n' "$1" "${r#RESULT }"
  echo "${r#RESULT }" > "$T/res.$1"
}
val() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$T/res.$1"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk -t$THREADS -c$CONNS, ${DURATION}s per load"
load nginx-static "http://127.0.0.1:$NPORT/decision.json" "$T/get.lua" "" "" "$DURATION"
load cedar-serve-evaluation "http://127.0.0.1:$(cat "$T/pdp.port")/access/v1/evaluation" "$T/post.lua" "$BODY" "" "$DURATION"
load full-serve-evaluation "http://127.0.0.1:$(cat "$T/full.port")/access/v1/evaluation" "$T/post.lua" "$BODY_FULL" "$TOK" "$DURATION"
python3 - "$(val nginx-static rps)" "$(val cedar-serve-evaluation rps)" "$(val full-serve-evaluation rps)" <<'PY'
import sys
n, p, f = map(float, sys.argv[1:])
print("cedar serve / nginx: %.0f%%   full serve / nginx: %.0f%%   (goal >= 50%%)" % (100 * p / n, 100 * f / n))
PY

# ---- soak: the PDP under load for SOAK_SECONDS, RSS sampled every 5 s ----------------------
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
echo "soak: ${SOAK_SECONDS}s on cedar serve (pid $PDP) and full serve (pid $FULL)"
R0P=$(rss $PDP); R0F=$(rss $FULL)
( while sleep 5; do echo "$(rss $PDP) $(rss $FULL)"; done ) > "$T/rss" &
SAMPLER=$!; PIDS+=($SAMPLER)
load soak-cedar-serve "http://127.0.0.1:$(cat "$T/pdp.port")/access/v1/evaluation" "$T/post.lua" "$BODY" "" "$SOAK_SECONDS" &
SP=$!
load soak-full-serve "http://127.0.0.1:$(cat "$T/full.port")/access/v1/evaluation" "$T/post.lua" "$BODY_FULL" "$TOK" "$SOAK_SECONDS"
wait $SP
kill $SAMPLER 2>/dev/null || true
R1P=$(rss $PDP); R1F=$(rss $FULL)
MAXP=$(awk 'BEGIN{m=0} {if ($1>m) m=$1} END{print m}' "$T/rss"); MAXF=$(awk 'BEGIN{m=0} {if ($2>m) m=$2} END{print m}' "$T/rss")
# RSS after the first fifth of the soak vs the end: flat means no growth beyond 10 %
MIDP=$(awk -v n="$(wc -l < "$T/rss")" 'NR==int(n/5)+1 {print $1}' "$T/rss"); MIDF=$(awk -v n="$(wc -l < "$T/rss")" 'NR==int(n/5)+1 {print $2}' "$T/rss")
echo "RSS KiB cedar serve: start $R0P, after warm-up $MIDP, max $MAXP, end $R1P"
echo "RSS KiB full serve:  start $R0F, after warm-up $MIDF, max $MAXF, end $R1F"
ERR=$(( $(val soak-cedar-serve errors) + $(val soak-cedar-serve non2xx) + $(val soak-full-serve errors) + $(val soak-full-serve non2xx) ))
FLAT=$(python3 -c "print(int($R1P <= ${MIDP:-$R1P} * 1.10 and $R1F <= ${MIDF:-$R1F} * 1.10))")
echo "soak errors: $ERR   RSS flat (end <= 110% of warm-up): $([ "$FLAT" = 1 ] && echo yes || echo NO)"
[ "$ERR" = 0 ] && [ "$FLAT" = 1 ]
