#!/usr/bin/env bash
# test.sh — README command 2 (and what .ci/run calls): install dependencies,
# build the release and the ASan+UBSan configurations, run the whole test
# suite in both, then the short fuzz runs.
# WARRANT_LONG_TESTS=1 adds the long crash test and long fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
long=${WARRANT_LONG_TESTS:-0}
lt=OFF; [ "$long" = 1 ] && lt=ON

echo "== release build and tests"
dir=$(bash scripts/build.sh release -DWARRANT_LONG_TESTS=$lt)
ctest --test-dir "$dir" --output-on-failure -j "$jobs"

echo "== ASan+UBSan build and tests"
dir=$(bash scripts/build.sh sanitize -DWARRANT_LONG_TESTS=$lt)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"

if [ -d fuzz ] && ls fuzz/fuzz_*.c >/dev/null 2>&1; then
  echo "== short fuzz runs"
  fz=20; [ "$long" = 1 ] && fz=600
  bash scripts/fuzz.sh "${WARRANT_FUZZ_SECONDS:-$fz}"
fi
echo "== all tests passed"
