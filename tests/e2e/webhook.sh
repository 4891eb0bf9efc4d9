#!/usr/bin/env bash
# webhook.sh — webhooks through the real CLI and the real server, to a real
# HTTP endpoint (tests/e2e/lib/webhook_receiver.py) on a loopback socket:
# a change awaiting approval reaches the endpoint with its eligible
# approvers, signed (the signature checked in Python with hmac, as a
# receiver would), in log order; `warrant serve` delivers on its timer; a
# failing endpoint is retried, keeping the webhook-id; bad input is refused.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"
source "$(dirname "$0")/lib/server.sh"
setup_org
R="$T/receiver"; mkdir -p "$R"
python3 "$WARRANT_SRC/tests/e2e/lib/webhook_receiver.py" "$R" &
RPID=$!
trap 'kill $RPID 2>/dev/null; stop_server' EXIT
for _ in $(seq 100); do [ -s "$R/port" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$R/port")/hooks/warrant"

# ---- bad input: exit 2 (invalid) or 3 (not found), nothing stored -----------
expect_fail "ftp url" 2 w webhook add ftp://example.org/x
expect_contains "names the url" "$ERR" "webhook url 'ftp://example.org/x'"
expect_fail "bad event filter" 2 w webhook add "$URL" --events 'change.**'
expect_fail "missing secret file" '*' w webhook add "$URL" --secret-file "$T/none"
expect_contains "names the secret file" "$ERR" "$T/none"
expect_fail "secret --out missing" 2 w webhook secret
expect_fail "remove unknown" 3 w webhook remove whk_nope
expect_fail "unknown subcommand" 2 w webhook frob
expect_ok "still none" w --json webhook list
expect_eq "no webhook stored" "$(jget "$OUT" length)" 0

# ---- subscribe, signed ---------------------------------------------------------
expect_ok "new secret" w webhook secret --out "$T/hook.secret"
expect_eq "secret file is private" "$(stat -c %a "$T/hook.secret")" 600
expect_ok "add" w --json webhook add "$URL" --events 'change.*' --secret-file "$T/hook.secret" --as olivia
H=$(jget "$OUT" .id)
expect_eq "signed" "$(jget "$OUT" .signed)" true
expect_eq "starts at the end of the log" "$(jget "$OUT" .pending)" 0

C=$(w --json propose --as hank revoke payroll:p1 payroll:viewer --recommendation r --rationale r | jq -r .id)
expect_ok "deliver" w --json webhook deliver
expect_eq "one delivered" "$(jget "$OUT" .delivered)" 1
expect_eq "received one" "$(wc -l < "$R/received.jsonl")" 1
REC=$(head -1 "$R/received.jsonl")
BODY=$(jget "$REC" .body)
expect_eq "type" "$(jget "$BODY" .type)" change.proposed
expect_eq "the change" "$(jget "$BODY" .data.change.id)" "$C"
expect_eq "awaiting approval" "$(jget "$BODY" .data.change.state)" awaiting_approval
expect_contains "names who may approve" "$(jget "$BODY" '.data.change.pending_stage.eligible_approvers | tostring')" olivia
expect_eq "webhook-id is webhook.index" "$(jget "$REC" '.headers["webhook-id"]')" "$H.$(jget "$BODY" .data.log_index)"
expect_ok "signature verifies (python hmac)" python3 - "$T/hook.secret" <<PY
import base64, hashlib, hmac, json, sys
rec = json.loads(open("$R/received.jsonl").readline())
key = base64.b64decode(open(sys.argv[1]).read().strip()[len("whsec_"):])
h = rec["headers"]
msg = f'{h["webhook-id"]}.{h["webhook-timestamp"]}.{rec["body"]}'.encode()
want = "v1," + base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
sys.exit(0 if hmac.compare_digest(want, h["webhook-signature"]) else 1)
PY
expect_ok "entry in the payload is the log's entry" w log entry "$(jget "$BODY" .data.log_index)"
expect_eq "same bytes as the log" "$(printf '%s' "$OUT" | jq -cS .)" "$(jget "$BODY" .data.entry | jq -cS .)"

# ---- a failing endpoint: retried, same webhook-id -----------------------------------
echo 500 > "$R/status"
w approve "$C" --as olivia --reason ok >/dev/null
expect_fail "delivery fails" 1 w --json webhook deliver
expect_ok "list shows the error" w --json webhook list
expect_eq "last error" "$(jget "$OUT" '.[0].last_error')" "HTTP 500"
expect_eq "still pending" "$(jget "$OUT" '.[0].pending')" 1
echo 200 > "$R/status"
expect_ok "retry after the backoff" env WARRANT_NOW="$(date -u -d '+10 seconds' +%Y-%m-%dT%H:%M:%SZ)" "$WARRANT" webhook deliver
expect_eq "received the approval" "$(tail -1 "$R/received.jsonl" | jq -r '.body | fromjson | .type')" change.approval

# ---- the server delivers on its timer ------------------------------------------------
printf 'webhook_interval = 1\n' > "$T/serve.conf"
start_server --config "$T/serve.conf"
n0=$(wc -l < "$R/received.jsonl")
w execute "$C" --as hank >/dev/null
for _ in $(seq 100); do [ "$(wc -l < "$R/received.jsonl")" -gt "$((n0 + 1))" ] && break; sleep 0.1; done
expect_eq "executing and executed arrive, in order" \
  "$(tail -n +$((n0 + 1)) "$R/received.jsonl" | jq -r '.body | fromjson | .type' | paste -sd, -)" \
  "change.executing,change.executed"
TOK=$(token olivia)
expect_http "metrics count deliveries" 200 GET /metrics "$TOK"
expect_contains "deliveries counter" "$BODY" "warrant_webhook_deliveries_total 2"
stop_server
expect_ok "remove" w webhook remove "$H"
expect_ok "list" w --json webhook list
expect_eq "none left" "$(jget "$OUT" length)" 0
finish
