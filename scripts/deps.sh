#!/usr/bin/env bash
# deps.sh — installs the Debian packages Warrant needs to build and test.
# Safe to run again: apt-get skips what is installed.  Uses sudo when not root.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config clang libclang-rt-dev
      libsqlite3-dev sqlite3 libsodium-dev libssl-dev openssl libjansson-dev libyajl-dev
      libmicrohttpd-dev libcurl4-openssl-dev libldap2-dev slapd ldap-utils
      jq curl python3
      chromium chromium-driver)  # the approver console's browser test
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm (for the benchmark against cedar-wasm and the MCP SDK test)
# may come from another packaging of nodejs that already bundles npm.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
