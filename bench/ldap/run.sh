#!/usr/bin/env bash
# bench/ldap/run.sh — `warrant sync` of a large directory against the raw
# ldapsearch export of the same data (the floor), in the same run.
#   BENCH_ACCOUNTS (default 100000)  BENCH_MEMBERSHIPS (default 1000000)
#   BENCH_WARRANT (default build/warrant): the binary measured, e.g. an
#   older build for an A/B in the same session
# Generates an LDIF (gen.py), loads it with slapadd into a throwaway slapd
# on a loopback port, then measures wall time and peak RSS (/usr/bin/time)
# of: the paged ldapsearch export of people and groups to a file; a
# first `warrant sync --dry-run` (reading and comparing, nothing written);
# the first `warrant sync` (imports every account, group and membership, through
# the bulk-load path), run twice from an empty inventory (once timed, once
# sampling the heap); a later `warrant sync` (steady state: nothing
# changed).  Heap is the peak RssAnon sampled from /proc every 50 ms: maxrss
# also counts the database pages SQLite maps.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
N=${BENCH_ACCOUNTS:-100000}
M=${BENCH_MEMBERSHIPS:-1000000}
[ -x build/warrant ] || { cmake -S . -B build -G Ninja >/dev/null && ninja -C build -j2 warrant >&2; }
WARRANT=${BENCH_WARRANT:-$SRC/build/warrant}
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-ldap.XXXXXX")
source "$SRC/scripts/lib/slapd.sh"
cleanup() { stop_slapd; rm -rf "$T"; }
ensure_slapd
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >&2
echo "generating $N accounts, $M memberships" >&2
python3 "$SRC/bench/ldap/gen.py" "$N" "$M" "$T"
t0=$(date +%s.%N)
start_slapd "$T/dir.ldif"
trap cleanup EXIT
echo "slapadd + start: $(echo "$(date +%s.%N) - $t0" | bc) s" >&2

measure() { # measure LABEL cmd... -> prints "LABEL seconds maxrss_kib"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null
  printf '%-28s %8.2f s %9d KiB\n' "$label" $(cat "$T/time")
}
# peak anonymous RSS (heap, not the mmapped database file) by polling /proc
anon_peak() { # anon_peak LABEL cmd...
  local label=$1; shift
  "$@" >/dev/null & local pid=$! peak=0 v
  while kill -0 $pid 2>/dev/null; do
    v=$(awk '/^RssAnon/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$peak" ] && peak=$v
    sleep 0.05
  done
  wait $pid
  printf '%-28s %8s   %9d KiB anonymous (peak RssAnon)\n' "$label" "" "$peak"
}
export_floor() {
  ldapsearch -x -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$LDAP_URL" -D "$LDAP_ADMIN" -w "$LDAP_PW" \
    -b "ou=people,$LDAP_BASE" '(uid=*)' uid > "$T/export.ldif"
  ldapsearch -x -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$LDAP_URL" -D "$LDAP_ADMIN" -w "$LDAP_PW" \
    -b "ou=groups,$LDAP_BASE" '(|(objectClass=groupOfNames)(objectClass=posixGroup))' cn member memberUid >> "$T/export.ldif"
}
export WARRANT_DATA="$T/data"
CONFIG="{\"url\":\"$LDAP_URL\",\"bind_dn\":\"$LDAP_ADMIN\",\"bind_password_file\":\"$LDAP_PWFILE\",\"base_dn\":\"$LDAP_BASE\",\"timeout_ms\":600000,\"page_size\":${BENCH_PAGE:-500}}"
echo "== $N accounts, $M memberships; $(nproc) cores; $(uname -srm)"
export -f export_floor
export LDAP_URL LDAP_ADMIN LDAP_PW LDAP_BASE T
measure "ldapsearch export (floor)" bash -c export_floor
measure "ldapsearch export, again" bash -c export_floor
# the floor's heap: each ldapsearch process itself (not a wrapping shell)
anon_peak "ldapsearch people (floor)" ldapsearch -x -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$LDAP_URL" \
  -D "$LDAP_ADMIN" -w "$LDAP_PW" -b "ou=people,$LDAP_BASE" '(uid=*)' uid
anon_peak "ldapsearch groups (floor)" ldapsearch -x -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$LDAP_URL" \
  -D "$LDAP_ADMIN" -w "$LDAP_PW" -b "ou=groups,$LDAP_BASE" '(|(objectClass=groupOfNames)(objectClass=posixGroup))' \
  cn member memberUid
# the first sync, twice from an empty inventory: time, then heap
for run in time heap; do
  rm -rf "$WARRANT_DATA"
  "$WARRANT" init >/dev/null
  "$WARRANT" import "$T/identities.csv" --kind identities >/dev/null
  "$WARRANT" import "$T/systems.csv" --kind systems >/dev/null
  "$WARRANT" system set-connector dir ldap --config "$CONFIG" >/dev/null
  if [ $run = time ]; then
    measure "warrant sync (first, dry run)" "$WARRANT" --json sync dir --list 10 --dry-run
    measure "warrant sync (first: import)" "$WARRANT" --json sync dir --list 10
  else
    anon_peak "warrant sync (first, dry run)" "$WARRANT" --json sync dir --list 10 --dry-run
    anon_peak "warrant sync (first: import)" "$WARRANT" --json sync dir --list 10
  fi
done
measure "warrant sync (steady state)" "$WARRANT" --json sync dir --list 10
anon_peak "warrant sync (steady state)" "$WARRANT" --json sync dir --list 10
"$WARRANT" --json sync dir --list 3 | jq -c '{accounts:.target_accounts, memberships:.target_memberships, unmanaged:.drift.unmanaged.count, orphans:.drift.orphans.count}'
