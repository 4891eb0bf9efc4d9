# common.sh — shared helpers for end-to-end tests that drive the real
# `warrant` binary.  Source it; it sets -eu, makes a fresh data directory in
# $T, and provides expect_ok / expect_fail / expect_eq.
set -euo pipefail
: "${WARRANT:?WARRANT must point at the warrant binary}"
: "${WARRANT_SRC:?}"
base="${WARRANT_TEST_TMP:-/tmp}"
mkdir -p "$base"
T=$(mktemp -d "$base/e2e.XXXXXX")
export WARRANT_DATA="$T/data"
FAILS=0
PASSES=0
w() { "$WARRANT" "$@"; }

pass() { PASSES=$((PASSES+1)); }
fail() { FAILS=$((FAILS+1)); echo "FAIL: $*" >&2; }

# expect_ok DESC cmd...: the command must exit 0; its stdout is in $OUT.
expect_ok() {
  local desc=$1; shift
  if OUT=$("$@" 2>"$T/stderr"); then pass; else fail "$desc (exit $?): $(cat "$T/stderr")"; fi
}
# expect_fail DESC CODE cmd...: must exit with CODE (or any non-zero if CODE is '*');
# stderr is in $ERR.
expect_fail() {
  local desc=$1 code=$2; shift 2
  local rc=0
  OUT=$("$@" 2>"$T/stderr") || rc=$?
  ERR=$(cat "$T/stderr")
  if [ "$rc" -eq 0 ]; then fail "$desc: expected failure, got success"; return; fi
  if [ "$code" != '*' ] && [ "$rc" -ne "$code" ]; then fail "$desc: expected exit $code, got $rc: $ERR"; return; fi
  pass
}
expect_eq() {
  local desc=$1 got=$2 want=$3
  if [ "$got" == "$want" ]; then pass; else fail "$desc: got '$got', want '$want'"; fi
}
expect_contains() {
  local desc=$1 hay=$2 needle=$3
  if [[ "$hay" == *"$needle"* ]]; then pass; else fail "$desc: '$needle' not in: $hay"; fi
}
finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ] && rm -rf "$T"
  [ "$FAILS" -eq 0 ]
}
