#!/usr/bin/env bash
# run.sh — lineage log benchmarks.  Builds the release tree, then measures:
#  (a) full verification vs the SHA-256 limit from `openssl speed` in the same run;
#  (b) durable appends/s: group commit with 8 submitting threads vs plain
#      one-commit-per-append on 8 connections;
#  (c) inclusion/consistency proof generation at LEDGER_BENCH_SIZE entries
#      (default 10000000; building it takes about a minute per million on
#      2 cores — set e.g. LEDGER_BENCH_SIZE=1000000 for a quick run).
# Data goes to bench/out/ledger (git-ignored); LEDGER_BENCH_KEEP=1 reuses it.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(bash scripts/build.sh release)
# LEDGER_BENCH_BIN / LEDGER_BENCH_OUT: another ledger_bench binary and data
# directory (e.g. an older build with its own log, for an A/B comparison)
B=${LEDGER_BENCH_BIN:-"$dir/bench/ledger/ledger_bench"}
size=${LEDGER_BENCH_SIZE:-10000000}
secs=${LEDGER_BENCH_SECONDS:-10}
out=${LEDGER_BENCH_OUT:-bench/out/ledger}
mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(openssl version)"
if [ "${LEDGER_BENCH_KEEP:-0}" != 1 ] || [ ! -f "$out/big/warrant.db" ]; then
  rm -rf "$out/big"
  "$B" build "$out/big" "$size"
fi
echo "== (a) verification vs SHA-256 limit"
v=$("$B" verify "$out/big"); echo "$v"
avg=$(sed -E 's/.*avg_entry_bytes=([0-9.]+).*/\1/' <<< "$v")
ns=$(sed -E 's/.*ns_per_entry=([0-9.]+).*/\1/' <<< "$v")
leaf=$(printf '%.0f' "$(echo "$avg + 1" | bc)")
sp() { openssl speed -evp sha256 -bytes "$1" -seconds 3 2>/dev/null | tail -1 | awk '{print $2}' | tr -d k; }
kl=$(sp "$leaf"); kn=$(sp 65)
# per entry: one leaf hash of avg+1 bytes and (n-1)/n node hashes of 65 bytes
limit=$(echo "scale=1; $leaf * 1000000 / $kl + 65 * 1000000 / $kn" | bc)
echo "openssl speed -evp sha256: ${leaf} B -> ${kl} kB/s, 65 B -> ${kn} kB/s"
echo "SHA-256 limit ns/entry=$limit measured ns/entry=$ns fraction=$(echo "scale=3; $limit / $ns" | bc)"
echo "== (c) proofs"
"$B" prove "$out/big" 20000
echo "== (b) durable appends"
rm -rf "$out/app"; "$B" build "$out/app" 0 >/dev/null
"$B" append "$out/app" 8 "$secs" group
"$B" append "$out/app" 8 "$secs" plain
"$B" verify "$out/app" | sed 's/^/after appends: /'
