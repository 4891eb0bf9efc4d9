#!/usr/bin/env bash
# cedar_cli.sh — `warrant cedar authorize`, `warrant policy check` and
# `warrant policy test` end to end: decisions, per-line request errors,
# file errors with positions, schema validation, and the test runner.
source "$(dirname "$0")/lib/common.sh"
D=$T/p
mkdir -p "$D/tests"
cat > "$D/app.cedarschema" <<'S'
entity Group;
entity User in [Group] = { level: Long };
entity Doc = { owner: User };
action read, write appliesTo { principal: [User], resource: [Doc], context: { ip: ipaddr } };
S
cat > "$D/app.cedar" <<'P'
@id("owner-read")
permit(principal, action == Action::"read", resource) when { resource.owner == principal };
@id("admins")
permit(principal in Group::"admins", action, resource);
@id("no-loopback")
forbid(principal, action, resource) when { context.ip.isLoopback() };
P
cat > "$D/entities.json" <<'E'
[{"uid":{"type":"User","id":"alice"},"attrs":{"level":1},"parents":[]},
 {"uid":{"type":"User","id":"root"},"attrs":{"level":9},"parents":[{"type":"Group","id":"admins"}]},
 {"uid":{"type":"Doc","id":"d"},"attrs":{"owner":{"type":"User","id":"alice"}},"parents":[]}]
E
cat > "$D/tests/basic.json" <<'J'
{"requests":[
 {"description":"owner reads","principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"read"},
  "resource":{"type":"Doc","id":"d"},"context":{"ip":"10.0.0.1"},"decision":"allow","reason":["owner-read"]},
 {"description":"owner cannot write","principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"write"},
  "resource":{"type":"Doc","id":"d"},"context":{"ip":"10.0.0.1"},"decision":"deny"},
 {"description":"loopback forbidden","principal":{"type":"User","id":"root"},"action":{"type":"Action","id":"write"},
  "resource":{"type":"Doc","id":"d"},"context":{"ip":"127.0.0.1"},"decision":"deny","reason":["no-loopback"]}
]}
J
args=(--policies "$D/app.cedar" --entities "$D/entities.json" --schema "$D/app.cedarschema")
req='{"principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"read"},"resource":{"type":"Doc","id":"d"},"context":{"ip":"10.0.0.1"}}'
expect_ok "authorize" w cedar authorize "${args[@]}" <<<"$req"
expect_eq "allow line" "$OUT" '{"decision":"allow","reason":["owner-read"],"errors":[]}'
OUT=$(printf '%s\nnot json\n{"principal":1}\n\n%s\n' "$req" "$req" | w cedar authorize "${args[@]}")
expect_eq "one line per request" "$(wc -l <<<"$OUT")" 4
expect_contains "bad JSON line" "$(sed -n 2p <<<"$OUT")" '"error":"invalid JSON'
expect_contains "bad request line" "$(sed -n 3p <<<"$OUT")" '"error":"principal: expected'
expect_eq "stream goes on" "$(sed -n 4p <<<"$OUT")" '{"decision":"allow","reason":["owner-read"],"errors":[]}'
OUT=$(w cedar authorize "${args[@]}" <<<'{"principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"read"},"resource":{"type":"Doc","id":"d"},"context":{"ip":"bad"}}')
expect_contains "context per schema" "$OUT" '"error":"context.ip: invalid ip literal'
# a policy error is reported by id
printf 'permit(principal, action, resource) when { principal.nope };\n' > "$T/err.cedar"
OUT=$(w cedar authorize --policies "$T/err.cedar" --entities "$D/entities.json" --explain <<<"$req")
expect_contains "errors list" "$OUT" '"errors":["policy0"]'
expect_contains "explain" "$OUT" 'does not have attribute'
# bad files: positions and non-zero exit
printf 'permit(principal, action, resource)\nwhen { 1 + };' > "$T/bad.cedar"
expect_fail "bad policy file" '*' w cedar authorize --policies "$T/bad.cedar" < /dev/null
expect_contains "policy position" "$ERR" "bad.cedar:2:12: expected an expression"
printf '[{"uid":{"type":"User"}}]' > "$T/bad.json"
expect_fail "bad entities" '*' w cedar authorize --policies "$D/app.cedar" --entities "$T/bad.json" < /dev/null
expect_contains "entities path" "$ERR" "entities[0].uid"
printf 'entity A = { x: Nope };' > "$T/bad.cedarschema"
expect_fail "bad schema" '*' w cedar authorize --policies "$D/app.cedar" --schema "$T/bad.cedarschema" < /dev/null
expect_contains "schema position" "$ERR" "bad.cedarschema:1:17: unknown type 'Nope'"
expect_fail "missing option" 2 w cedar authorize
# policy check
expect_ok "check" w policy check "$D/app.cedar" --schema "$D/app.cedarschema"
expect_eq "check output" "$OUT" "3 policies OK"
expect_fail "check bad" '*' w policy check "$T/bad.cedar" "$D/app.cedar"
expect_contains "check message" "$ERR" "bad.cedar:2:12:"
printf 'permit(principal, action, resource) when { principal.levle > 1 };\n' > "$T/typo.cedar"
expect_fail "validation attr" '*' w policy check "$T/typo.cedar" --schema "$D/app.cedarschema"
expect_contains "validation message" "$ERR" "typo.cedar:1:54: policy policy0: attribute 'levle' is not declared"
printf 'permit(principal == Usr::"a", action, resource);\n' > "$T/typo2.cedar"
expect_fail "validation type" '*' w policy check "$T/typo2.cedar" --schema "$D/app.cedarschema"
expect_contains "unknown type" "$ERR" "unknown entity type Usr"
printf 'permit(principal, action == Action::"delete", resource);\n' > "$T/typo3.cedar"
expect_fail "validation action" '*' w policy check "$T/typo3.cedar" --schema "$D/app.cedarschema"
expect_contains "unknown action" "$ERR" 'unknown action Action::"delete"'
# policy test
expect_ok "policy test" w policy test "$D"
expect_contains "summary" "$OUT" "3 passed, 0 failed"
sed -i 's/"decision":"deny","reason":\["no-loopback"\]/"decision":"allow"/' "$D/tests/basic.json"
expect_fail "policy test failure" 1 w policy test "$D"
expect_contains "fail line" "$OUT" "FAIL"
expect_contains "fail summary" "$OUT" "2 passed, 1 failed"
finish
