#!/usr/bin/env bash
# bench/server/soak.sh — the 10-minute soak at a fixed rate: the full
# `warrant serve` answers AuthZEN evaluations at RATE requests/s (default
# 500) for SOAK_SECONDS (default 600) over keep-alive connections; passes
# only with zero errors, zero non-200 answers and flat memory (bench/server/soak.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
SOAK_SECONDS=${SOAK_SECONDS:-600}
RATE=${RATE:-500}
cmake -S . -B build -G Ninja >/dev/null
ninja -C build warrant >/dev/null
W=$PWD/build/warrant
T=$(mktemp -d "${TMPDIR:-/tmp}/warrant-soak.XXXXXX")
trap 'kill $FULL 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"' EXIT
export WARRANT_DATA="$T/data"
"$W" init >/dev/null
"$W" principal add bench --kind human >/dev/null
TOK=$("$W" token create --as bench 2>/dev/null)
"$W" serve --listen 127.0.0.1:0 --port-file "$T/port" --set access_log=off --set rate=0 2>"$T/serve.log" &
FULL=$!
for _ in $(seq 200); do [ -s "$T/port" ] && curl -sf -o /dev/null "http://127.0.0.1:$(cat "$T/port")/healthz" && break; sleep 0.05; done
BODY='{"subject":{"type":"Human","id":"bench"},"action":{"name":"revoke"},"resource":{"type":"Account","id":"a:b"},"context":{"environment":"production"}}'
echo "soak: full serve (pid $FULL), $RATE req/s for ${SOAK_SECONDS}s"
python3 bench/server/soak.py "http://127.0.0.1:$(cat "$T/port")/access/v1/evaluation" "$BODY" "$TOK" "$RATE" \
  "$SOAK_SECONDS" "$FULL"
