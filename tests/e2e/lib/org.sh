# org.sh — a small organisation for workflow tests: initialises
# $WARRANT_DATA, imports tests/fixtures/org and adds the principals.
#   olivia  human, owns payroll          sam, sue  humans, role security
#   hank    human, role it (analyst)     ethan     human, owns github and the agent
#   ivy     human, no roles              cop       copilot for hank
#   cop-ivy copilot for ivy              bot       agent, owner ethan
#   svc     service, owner hank
setup_org() {
  w init >/dev/null
  local f
  for f in identities systems entitlements accounts grants; do
    w import "$WARRANT_SRC/tests/fixtures/org/$f.csv" --kind "$f" >/dev/null
  done
  w sandbox reset >/dev/null
  w principal add olivia --kind human --name "Olivia Owner" >/dev/null
  w principal add sam --kind human --role security >/dev/null
  w principal add sue --kind human --role security >/dev/null
  w principal add hank --kind human --role it >/dev/null
  w principal add ethan --kind human >/dev/null
  w principal add ivy --kind human >/dev/null
  w principal add cop --kind copilot --for hank >/dev/null
  w principal add cop-ivy --kind copilot --for ivy >/dev/null
  w principal add bot --kind agent --owner ethan >/dev/null
  w principal add svc --kind service --owner hank >/dev/null
}
# prep OP ARGS... — hank proposes the operation; olivia (the owner) approves,
# and sam (security) too where the policy asks for it (privileged); C is the
# change.  ex — hank executes change C (--json; output in OUT via expect_*).
prep() {
  C=$(w --json propose --as hank "$@" --recommendation r --rationale r | jq -r .id)
  approve_all "$C"
}
approve_all() {
  w approve "$1" --as olivia --reason ok >/dev/null
  w approve "$1" --as sam --reason ok >/dev/null 2>&1 || true
}
ex() { w --json execute "$C" --as hank; }
# roll_back — hank proposes the rollback of change C, it is approved as
# prep's changes are, and hank executes it; R is the rollback change.
roll_back() {
  expect_ok "rollback proposed" w --json rollback "$C" --as hank --reason "wrong person"
  R=$(jget "$OUT" .id)
  approve_all "$R"
  expect_ok "rollback executes" w --json execute "$R" --as hank
}
# jget JSON FILTER — jq -r on a string
jget() { printf '%s' "$1" | jq -r "$2"; }
# log_size — the number of entries in the lineage log
log_size() { w log checkpoint | sed -n 2p; }
# site_forbid_ivy_grant — a site rule for the copilot intersection tests:
# ivy herself may not grant, so her copilot may not either.
site_forbid_ivy_grant() {
  cat > "$WARRANT_DATA/policies/zz-site.cedar" <<'CEDAR'
@id("ivy-never-grants")
forbid (principal == Human::"ivy", action == Action::"grant", resource);
CEDAR
}
# site_forbid_ivy_read_payroll — a site rule for the governed-read tests:
# ivy may not read payroll (its inventory, readiness, changes), so her
# copilot may not either.
site_forbid_ivy_read_payroll() {
  cat > "$WARRANT_DATA/policies/zz-site-read.cedar" <<'CEDAR'
@id("ivy-never-reads-payroll")
forbid (principal == Human::"ivy", action == Action::"read", resource in System::"payroll");
CEDAR
}
