#!/usr/bin/env bash
# build.sh [release|sanitize] — configures and builds into build/ or build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release)  dir=build;      flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  sanitize) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DWARRANT_SANITIZE=ON -DCMAKE_C_COMPILER=clang) ;;
  fuzz)     dir=build-fuzz; flags=(-DCMAKE_BUILD_TYPE=Debug -DWARRANT_FUZZ=ON -DCMAKE_C_COMPILER=clang) ;;
  *) echo "usage: build.sh [release|sanitize|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja "${flags[@]}" "${@:2}" >/dev/null
ninja -C "$dir" >&2
echo "$dir"
