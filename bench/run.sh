#!/usr/bin/env bash
# run.sh — runs every benchmark area (bench/<area>/run.sh) in turn.
# WARRANT_BUILD_DIR names the build whose programs to measure (the `bench`
# target sets it); each area script otherwise builds what it needs.
set -euo pipefail
cd "$(dirname "$0")"
status=0
for script in */run.sh; do
  echo "=== bench/${script%/run.sh} ==="
  bash "$script" || status=$?
done
exit $status
