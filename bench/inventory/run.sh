#!/usr/bin/env bash
# run.sh — inventory benchmark: generate a synthetic enterprise, import it
# (rows/s and peak memory via /usr/bin/time -v), then readiness timings
# (bench_inventory: full, incremental after a small import).
#
# INV_BENCH_IDENTITIES (default 1170000) sets the size; the generator makes
# about 3.7 accounts and 8.6 grants per identity, so the default reaches the
# 10M grants of the performance goal (4.3M accounts, 10.04M grants).  Use
# e.g. INV_BENCH_IDENTITIES=100000 for a quick run.  Output goes to
# bench/out/inventory (git-ignored).  Times are wall clock; /usr/bin/time
# also prints CPU time, which tells the machine's other load apart.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${INV_BENCH_IDENTITIES:-1170000}
out=bench/out/inventory
[ -x /usr/bin/time ] || { echo "installing time" >&2; apt-get install -y -qq time >/dev/null; }
# -O3 raises a false maybe-uninitialized in lib/policy/schema.c; not an error here
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Wno-error=maybe-uninitialized >/dev/null
ninja -C build-bench -j2 warrant bench_inventory >&2
W=build-bench/warrant
rm -rf "$out" && mkdir -p "$out"
export WARRANT_NOW=${WARRANT_NOW:-2025-06-01T00:00:00Z}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== generate $N identities"
/usr/bin/time -f "generate: %e s, peak %M KiB" $W generate --identities "$N" --seed 1 --out "$out/gen"
wc -l "$out"/gen/*.csv | sed 's/^/   /'
# the generator leaves ~1.7 GB of dirty pages: written back during the
# import, they slowed it by 10-20 % (CPU too), so flush them first
sync
rows=$(cat "$out"/gen/*.csv | wc -l)
rows=$((rows - 7))
echo "== import ($rows rows, one transaction per file; one process per file, in dependency order)"
: > "$out/import.times"
for f in identities systems entitlements accounts grants credentials roles; do
    /usr/bin/time -f "$f %e %U %S %M" $W --data "$out/data" import "$out/gen/$f.csv" 2>> "$out/import.times" >/dev/null
    n=$(($(wc -l < "$out/gen/$f.csv") - 1))
    tail -1 "$out/import.times" | awk -v n="$n" '{printf "   %-13s %9d rows %7.2f s wall %7.2f s CPU  %9s rows/s  %5.2f us CPU/row  peak %d KiB\n", $1, n, $2, $3+$4, ($2 >= 0.1 ? sprintf("%.0f", n / $2) : "-"), ($3+$4)*1e6/n, $5}'
done
secs=$(awk '{t += $2} END {printf "%.2f", t}' "$out/import.times")
cpu=$(awk '{t += $3 + $4} END {printf "%.1f", t}' "$out/import.times")
peak=$(awk '$5 > m {m = $5} END {print m}' "$out/import.times")
echo "import: $secs s wall, $(awk -v r="$rows" -v s="$secs" 'BEGIN{printf "%.0f", r/s}') rows/s, CPU $cpu s ($(awk -v r="$rows" -v s="$cpu" 'BEGIN{printf "%.0f", r/s}') rows per CPU second), peak RSS $peak KiB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   database: $(du -sh "$out/data/warrant.db" | cut -f1)"
echo "== re-import (nothing changes)"
/usr/bin/time -f "re-import: %e s (CPU %U+%S s), peak %M KiB" $W --data "$out/data" import "$out"/gen/grants.csv
echo "== readiness"
/usr/bin/time -f "bench_inventory: peak %M KiB, CPU %U+%S s, %e s wall" build-bench/bench/inventory/bench_inventory "$out/data" 100
