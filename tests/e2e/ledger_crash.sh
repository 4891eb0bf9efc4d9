#!/usr/bin/env bash
# ledger_crash.sh — kill -9 a writer appending to the lineage log at random
# points; every index it acknowledged (printed after COMMIT returned) must
# survive with its content, `warrant log verify` must pass after each
# crash, and appending must continue.  ~30 kills by default; hundreds with
# WARRANT_LONG_TESTS=1.  Proofs read from the tile file as the crashes left
# it must equal proofs made without it.
source "$WARRANT_SRC/tests/e2e/lib/common.sh"
WRITER="$(dirname "$WARRANT")/tests/ledger_writer"
[ -x "$WRITER" ] || { echo "no ledger_writer at $WRITER"; exit 1; }
kills=30
[ "${WARRANT_LONG_TESTS:-0}" = 1 ] || [ "${WARRANT_LONG_TESTS:-}" = "ON" ] && kills=300

expect_ok "init" "$WRITER" "$WARRANT_DATA" init crash.test/log
acked="$T/acked"
: > "$acked"
for k in $(seq 1 "$kills"); do
  "$WRITER" "$WARRANT_DATA" stream "p$k" 1000000 > "$T/out.$k" 2>/dev/null &
  pid=$!
  # a random moment between 20 and 400 ms
  sleep "0.$(printf '%03d' $(( (RANDOM % 380) + 20 )))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # only complete lines were acknowledged
  grep -E '^[0-9]+ p[0-9]+ [0-9]+$' "$T/out.$k" >> "$acked" || true
  if (( k % 10 == 0 && k < kills )); then   # the last crash's state is checked below
    expect_ok "verify after crash $k" w log verify
  fi
done
n=$(wc -l < "$acked")
[ "$n" -gt 0 ] && pass || fail "no appends were acknowledged"

# every acknowledged index holds exactly its entry
sqlite3 "$WARRANT_DATA/warrant.db" "SELECT idx || ' ' || CAST(data AS TEXT) FROM ledger_entry" > "$T/stored"
missing=$(awk 'NR==FNR { have[$1]=$2; next }
               { want="{\"n\":" $3 ",\"p\":\"" $2 "\"}"; if (have[$1] != want) { print $0; bad++ } }
               END { exit bad > 0 }' "$T/stored" "$acked" | head -3) && pass \
  || fail "acknowledged entries lost or wrong: $missing"
# the acknowledged indices are distinct and the log is at least that long
dups=$(cut -d' ' -f1 "$acked" | sort | uniq -d | head -1)
expect_eq "no index acknowledged twice" "$dups" ""
last=$(tail -1 "$acked")
expect_ok "entry via CLI" w log entry "${last%% *}"
set -- $last
expect_eq "CLI entry bytes" "$OUT" "{\"n\":$3,\"p\":\"$2\"}"
# proofs read the tile file as the crashes left it (verify would rewrite
# it): the same bytes as without it
size=$(sed -n 2p <<< "$(w log checkpoint)")
sample_proofs() {
  awk -v step=$(( n / 20 + 1 )) 'NR % step == 1 { print $1 }' "$acked" | while read -r i; do
    w log prove inclusion "$i"; w log prove consistency $(( i + 1 )) "$size"
  done
}
with_file=$(sample_proofs)
sampled=$(awk -v step=$(( n / 20 + 1 )) 'NR % step == 1' "$acked" | wc -l)
expect_eq "every sampled proof made" "$(grep -c '^{"' <<< "$with_file")" "$(( 2 * sampled ))"
rm -f "$WARRANT_DATA/ledger-tiles.cache"
expect_eq "proofs after crashes, with and without the tile file" "$(sample_proofs)" "$with_file"
expect_ok "verify after all crashes" w log verify
expect_contains "verify message" "$OUT" "ok:"
# appending continues at the next index
size=$(sed -n 2p <<< "$(w log checkpoint)")
expect_ok "append after crashes" "$WRITER" "$WARRANT_DATA" append '{"after":"crash"}'
expect_eq "next index" "$OUT" "$size"
expect_ok "verify at the end" w log verify
echo "kills=$kills acknowledged=$n size=$((size + 1))"
finish
