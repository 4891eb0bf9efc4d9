#!/usr/bin/env bash
# demo.sh — README command 1: install dependencies, build, and run the
# narrated demo of the whole governance loop on a fresh data directory.
# When slapd is installed (deps.sh installs it), the demo gains its LDAP
# leg: a throwaway slapd on a loopback port, loaded with
# examples/demo/directory.ldif, stopped when the demo ends.
# WARRANT_DEMO_LDAP=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
dir=$(bash scripts/build.sh release)
data=${WARRANT_DEMO_DATA:-./demo-data}
rm -rf "$data"
ldap=()
if [ "${WARRANT_DEMO_LDAP:-1}" = 1 ] && [ -x /usr/sbin/slapd ] && command -v slapadd >/dev/null; then
  T=$(mktemp -d)
  source scripts/lib/slapd.sh
  start_slapd examples/demo/directory.ldif
  trap 'stop_slapd; rm -rf "$T"' EXIT
  printf '{"url":"%s","bind_dn":"%s","bind_password_file":"%s","base_dn":"%s"}\n' \
    "$LDAP_URL" "$LDAP_ADMIN" "$LDAP_PWFILE" "$LDAP_BASE" > "$T/ldap.json"
  ldap=(--ldap-config "$T/ldap.json")
fi
"$dir/warrant" demo run --data "$data" "${ldap[@]}" "$@"
