#!/usr/bin/env bash
# demo.sh — README command 1: install dependencies, build, and run the
# narrated demo of the whole governance loop on a fresh data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
dir=$(bash scripts/build.sh release)
data=${WARRANT_DEMO_DATA:-./demo-data}
rm -rf "$data"
exec "$dir/warrant" demo run --data "$data" "$@"
