#!/usr/bin/env bash
# console_browser.sh — the approver console in a real browser: Debian's
# chromium, driven by playwright-core (installed from the npm registry with
# the committed package-lock.json into the test directory, never into the
# source tree) against the real `warrant serve` on a loopback port.
#
# The organisation comes from org.sh; the proposals below give the inbox a
# copilot's change, a human's high-risk change and an agent's change under a
# mandate, plus a denied AI proposal and two readiness snapshots.  The node
# script (tests/e2e/console/console.test.mjs) signs in as olivia, approves
# from the change page, checks the lineage is verified in the browser, signs
# in as hank and is refused self-approval of his copilot's change, is
# refused with an AI token, checks CSRF and Origin refusals, session expiry
# (a second server with session_ttl=3) and sign-out, keyboard use, a phone
# viewport, and that the page loads nothing from elsewhere.  Screenshots go
# to $WARRANT_TEST_TMP/console-screenshots; with
# WARRANT_UPDATE_SCREENSHOTS=1 they are also copied to docs/screenshots/.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$(dirname "$0")/lib/server.sh"

# ---- the browser --------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2
fi
expect_ok "chromium is installed" /usr/bin/chromium --version

# ---- playwright-core, cached under the build's test directory ----------------------
src="$WARRANT_SRC/tests/e2e/console"
pw="$base/console_node"
mkdir -p "$pw"
if ! cmp -s "$src/package-lock.json" "$pw/package-lock.json" || [ ! -d "$pw/node_modules/playwright-core" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$pw/"
  expect_ok "npm ci (playwright-core)" timeout 600 npm ci --prefix "$pw" --no-audit --no-fund
fi
cp "$src/console.test.mjs" "$pw/console.test.mjs"

# ---- the organisation and its pending work --------------------------------------------
setup_org
printf 'employee_id,status,left_on\nghost,terminated,2025-09-30\n' > "$T/leavers.csv"
WEEK_AGO=$(date -u -d '7 days ago' +%Y-%m-%dT%H:%M:%SZ)
WARRANT_NOW=$WEEK_AGO w readiness --snapshot >/dev/null
# a leaver's account disabled the governed way (gives the dashboard a trend)
D=$(w --json propose --as hank disable payroll:ghost --rationale "left 2025-09-30" | jq -r .id)
w approve "$D" --as olivia --reason "confirmed leaver" >/dev/null
w execute "$D" --as hank >/dev/null
w readiness --snapshot >/dev/null
# hank's copilot proposes twice (for olivia, the payroll owner)
C1=$(w --json propose --as cop revoke payroll:ghost payroll:approver --input "hr-feed=@$T/leavers.csv" \
  --recommendation revoke --rationale "ghost left on 2025-09-30 and still holds approver" | jq -r .id)
C2=$(w --json propose --as cop grant payroll:p4 payroll:viewer --recommendation grant \
  --rationale "p4 joined payroll operations" | jq -r .id)
# a person asks for an admin right: owner, then security; high risk
C3=$(w --json propose --as ivy grant payroll:p5 payroll:admin --rationale "quarter-end close" | jq -r .id)
# an agent under a mandate; and an AI action that policy denies
w --json mandate create --as ethan --agent bot --purpose "remove orphaned payroll access" \
  --system payroll --action revoke --action disable --max-changes 3 --duration 14d >/dev/null
M=$(w --json mandate list | jq -r '.[0].id')
C4=$(w --json propose --as bot --mandate "$M" revoke payroll:orphan1 payroll:viewer \
  --rationale "account has no owner" | jq -r .id)
w --json propose --as bot --mandate "$M" grant payroll:p6 payroll:viewer >/dev/null 2>&1 || true
expect_eq "olivia's inbox" "$(w --json change list --pending-for olivia | jq -r 'map(.id) | sort | join(",")')" \
  "$(printf '%s\n' "$C1" "$C2" "$C3" "$C4" | sort | paste -sd,)"

OLIVIA=$(token olivia)
HANK=$(token hank)
COP=$(token hank --for cop)
BOT=$(token ethan --for bot)

# ---- two servers on the same data: normal sessions, and 3-second ones ----------------------
start_server
MAIN_BASE=$BASE
MAIN_PID=$SERVER_PID
mkdir -p "$T/short"
"$WARRANT" serve --listen 127.0.0.1:0 --port-file "$T/short/port" --set session_ttl=3 2>"$T/short/server.log" &
SHORT_PID=$!
trap 'kill $SHORT_PID 2>/dev/null || true; stop_server' EXIT
for i in $(seq 200); do [ -s "$T/short/port" ] && break; sleep 0.05; done
SHORT_BASE="http://127.0.0.1:$(cat "$T/short/port")"

shots="$base/console-screenshots"
mkdir -p "$shots"
export BASE="$MAIN_BASE" SHORT_BASE OLIVIA HANK COP BOT C1 C2 C3 C4 SHOTS="$shots" \
  CONSOLE_SRC="$WARRANT_SRC/console" PROFILE_DIR="$T/profiles"
fails_before=$FAILS
expect_ok "console in chromium" timeout 300 node "$pw/console.test.mjs"
echo "$OUT"
if [ "$FAILS" -ne "$fails_before" ]; then tail -50 "$T/stderr" >&2; fi

# ---- what the browser did, seen from the store and the log ---------------------------------
expect_eq "approved in the browser" "$(w --json change show "$C1" | jq -r .state)" approved
expect_eq "approver and reason recorded" "$(w --json change show "$C1" | jq -r '.approvals[0] | "\(.approver): \(.reason)"')" \
  "olivia: confirmed with HR: ghost left on 2025-09-30"
expect_eq "channel http" "$(w --json lineage "$C1" | jq -r '.entries[-1].entry.channel')" http
expect_eq "self-approval left no trace" "$(w --json change show "$C2" | jq -r '.approvals | length')" 0
expect_eq "the CSRF-less reject did nothing" "$(w --json change show "$C3" | jq -r .state)" awaiting_approval
expect_ok "log still verifies" w log verify
expect_contains "access log names the console principal" "$(cat "$T/server.log")" '"principal":"olivia"'

for f in inbox change lineage dashboard; do
  expect_ok "screenshot $f" test -s "$shots/$f.png"
done
if [ "${WARRANT_UPDATE_SCREENSHOTS:-0}" = 1 ]; then
  mkdir -p "$WARRANT_SRC/docs/screenshots"
  for f in inbox change lineage dashboard inbox-phone; do cp "$shots/$f.png" "$WARRANT_SRC/docs/screenshots/"; done
fi
kill $SHORT_PID 2>/dev/null || true
wait $SHORT_PID 2>/dev/null || true
SERVER_PID=$MAIN_PID
finish
