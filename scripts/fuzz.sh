#!/usr/bin/env bash
# fuzz.sh [SECONDS] — builds the libFuzzer targets (scripts/build.sh fuzz)
# and runs each fuzz/fuzz_<name>.c for SECONDS (default 20) starting from a
# temporary copy of fuzz/corpus/<name>/ (the repository is not modified).
# Fails on any crash, leak or sanitizer report; the inputs that failed are
# kept in build-fuzz/failed-<name>/ (the temporary copy is removed).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
dir=$(bash scripts/build.sh fuzz)
work=$(mktemp -d "${TMPDIR:-/tmp}/warrant-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
for src in fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  short=${name#fuzz_}
  bin="$dir/fuzz/$name"
  [ -x "$bin" ] || { echo "fuzz: $bin was not built" >&2; status=1; continue; }
  mkdir -p "$work/$short" "$work/artifacts-$short"
  if [ -d "fuzz/corpus/$short" ]; then cp -r "fuzz/corpus/$short/." "$work/$short/"; fi
  echo "== fuzz $short for ${secs}s"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
      -artifact_prefix="$work/artifacts-$short/" "$work/$short" > "$work/$short.log" 2>&1; then
    echo "fuzz: $short FAILED" >&2
    tail -n 60 "$work/$short.log" >&2
    mkdir -p "$dir/failed-$short"
    cp "$work/artifacts-$short"/* "$dir/failed-$short/" 2>/dev/null || true
    echo "fuzz: failing inputs kept in $dir/failed-$short/:" >&2
    ls "$dir/failed-$short" >&2 || true
    status=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$work/$short.log" | tail -n 1 || true
  fi
done
exit $status
