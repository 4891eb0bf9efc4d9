#!/usr/bin/env bash
# sync_merge.sh — `warrant sync` compares each group with the inventory's
# grants of it (lib/workflow/sync.c), so its drift must not depend on the
# order the target lists things in, on a group listed twice, or on a group
# larger than any batch (70,000 members: more than the bulk path's 65,536
# queue).  The target is a fixed listing served by a tiny exec program.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"   # jget
PY=$(command -v python3)
N=70000
cat > "$T/lister.py" <<'PY'
import json, sys
json.load(sys.stdin)
sys.stdout.write(open(sys.argv[1]).read())
PY
# gen.py STATE ORDER OUT: the listing; ORDER "fwd" or "rev" (groups, their
# members, accounts and the repeated group's two entries all reversed)
cat > "$T/gen.py" <<'PY'
import json, sys
state, order, out = sys.argv[1], sys.argv[2], sys.argv[3]
n = 70000
u = lambda i: "u%05d" % i
accounts = [{"login": u(i), "disabled": False} for i in range(n)]
groups = [
    {"name": "big", "members": [u(i) for i in range(n)]},
    {"name": "small", "members": [u(i) for i in range(10)] + [u(3)]},
    {"name": "dup", "members": [u(0), u(1), u(2)]},
    {"name": "dup", "members": [u(2), u(3)]},
    {"name": "oldgroup", "members": [u(5)]},
    {"name": "misc", "members": [u(6), "nobody"]},
]
if state == "drift":
    accounts = [a for a in accounts if a["login"] != u(n - 1)]     # gone from the target
    accounts[1]["disabled"] = True                                 # u00001 disabled out of band
    accounts.append({"login": "newacct", "disabled": False})
    groups = [
        {"name": "big", "members": [u(i) for i in range(n) if not 100 <= i < 200]},
        {"name": "small", "members": [u(i) for i in range(1, 10)] + [u(20), u(21), u(20)]},
        {"name": "dup", "members": [u(3), u(4)]},
        {"name": "dup", "members": [u(4), u(5), u(3)]},
        {"name": "misc", "members": [u(6), "nobody"]},
        {"name": "fresh", "members": [u(7), "newacct"]},
        {"name": "fresh", "members": ["newacct"]},
    ]
if order == "rev":
    accounts.reverse()
    groups.reverse()
    for g in groups:
        g["members"].reverse()
json.dump({"accounts": accounts, "groups": groups}, open(out, "w"))
PY
for s in first drift; do for o in fwd rev; do "$PY" "$T/gen.py" $s $o "$T/$s-$o.json"; done; done
printf 'id,name,domain,owner,criticality\napp,App,corp,,high\n' > "$T/systems.csv"
{ echo "id,kind,name,department,status"; for i in 0 1 2 3 4 5 6 7 8 9; do echo "u0000$i,human,U$i,d,active"; done; } > "$T/ids.csv"
w init >/dev/null
w import "$T/systems.csv" --kind systems >/dev/null
w import "$T/ids.csv" --kind identities >/dev/null
use() { w system set-connector app exec --config "{\"argv\":[\"$PY\",\"$T/lister.py\",\"$T/$1.json\"],\"capabilities\":[\"list\"],\"timeout_ms\":60000,\"max_output\":16777216}" >/dev/null; }
grants() { w --json inventory search --kind grants --system app --limit 1 | jq -r .total; }
# counts and digests of every difference list: equal reports, whatever the order
summary() { jq -c '.drift | to_entries | map({(.key): [.value.count, .value.digest]}) | add' <<<"$1"; }

use first-fwd
expect_ok "first sync, dry run (the streaming path)" w --json sync app --dry-run --list 5
DRY=$(summary "$OUT")
expect_ok "first sync" w --json sync app --list 5
expect_eq "first: the bulk path's counts and digests are the dry run's (item hashes summed on the reader thread)" \
  "$(summary "$OUT")" "$DRY"
expect_eq "first: items in listing order, as the dry run's" "$(jget "$OUT" '.drift.unmanaged.items | join(",")')" \
  "app:u00000 app:big,app:u00001 app:big,app:u00002 app:big,app:u00003 app:big,app:u00004 app:big"
expect_eq "first: unmanaged (70000 + 10 + dup's 4 + 1 + 1)" "$(jget "$OUT" .drift.unmanaged.count)" 70016
expect_eq "first: new groups (dup once)" "$(jget "$OUT" .drift.new_groups.count)" 5
expect_eq "first: unknown member" "$(jget "$OUT" '.drift.unknown_members.items | join(",")')" "app:nobody app:misc"
expect_eq "first: orphans" "$(jget "$OUT" .drift.orphans.count)" $((N - 10))
expect_eq "first: grants stored" "$(grants)" 70016
# the first sync had the database alone: it wrote through a rollback
# journal (wr_store_bulk_enter) and put the database back in WAL mode
expect_eq "first: no journal left" "$(ls "$WARRANT_DATA" | grep -c -- '-journal$' || true)" 0
expect_eq "first: the database is in WAL mode again (header bytes 18-19)" \
  "$(od -An -tu1 -j18 -N2 "$WARRANT_DATA/warrant.db" | xargs)" "2 2"

use first-rev
expect_ok "steady state, everything listed in reverse" w --json sync app
expect_eq "steady: nothing unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 0
expect_eq "steady: nothing missing (dup's grants named by its two entries)" "$(jget "$OUT" .drift.missing.count)" 0
expect_eq "steady: no account gone" "$(jget "$OUT" .drift.accounts_missing.count)" 0
expect_eq "steady: memberships read (small names u3 twice)" "$(jget "$OUT" .target_memberships)" 70019
use first-fwd
expect_ok "steady state, forward" w --json sync app
STEADY=$(summary "$OUT")
use first-rev
expect_ok "steady state, reverse" w --json sync app
expect_eq "steady: same report in either order" "$(summary "$OUT")" "$STEADY"

use drift-fwd
expect_ok "dry run, forward" w --json sync app --dry-run --list 200
FWD=$(summary "$OUT")
expect_eq "missing: 100 of big, u0 of small, u0-u2 of dup, oldgroup's u5" "$(jget "$OUT" .drift.missing.count)" 105
expect_eq "missing items" "$(jget "$OUT" '[.drift.missing.items[] | select(contains(":big") | not)] | sort | join(",")')" \
  "app:u00000 app:dup,app:u00000 app:small,app:u00001 app:dup,app:u00002 app:dup,app:u00005 app:oldgroup"
expect_eq "unmanaged: once each, though dup and fresh are listed twice and small names u20 twice" \
  "$(jget "$OUT" '.drift.unmanaged.items | sort | join(",")')" \
  "app:newacct app:fresh,app:u00004 app:dup,app:u00005 app:dup,app:u00007 app:fresh,app:u00020 app:small,app:u00021 app:small"
expect_eq "status changed" "$(jget "$OUT" '.drift.status_changed.items | join(",")')" "app:u00001 disabled"
expect_eq "account gone" "$(jget "$OUT" '.drift.accounts_missing.items | join(",")')" "app:u69999"
expect_eq "new account" "$(jget "$OUT" '.drift.new_accounts.items | join(",")')" "app:newacct"
expect_eq "new group" "$(jget "$OUT" '.drift.new_groups.items | join(",")')" "app:fresh"
expect_eq "dry run stores nothing" "$(grants)" 70016
use drift-rev
expect_ok "dry run, reverse" w --json sync app --dry-run
expect_eq "dry run: same report in either order" "$(summary "$OUT")" "$FWD"
expect_ok "sync, reverse" w --json sync app
expect_eq "sync: the dry run's report" "$(summary "$OUT")" "$FWD"
expect_eq "sync: removed the missing" "$(jget "$OUT" .imported.removed)" 105
expect_eq "inventory follows: 70016 - 105 + 6" "$(grants)" 69917
expect_eq "u0 no longer in small" "$(w --json inventory search --kind grants --system app --identity u00000 | jq -r '[.items[].entitlement] | sort | join(",")')" "app:big"
use drift-fwd
expect_ok "sync again, forward" w --json sync app
expect_eq "clean: nothing unmanaged" "$(jget "$OUT" .drift.unmanaged.count)" 0
expect_eq "clean: nothing missing" "$(jget "$OUT" .drift.missing.count)" 0
expect_eq "clean: no status change" "$(jget "$OUT" .drift.status_changed.count)" 0

# the listing runs on a reader thread: its failure is the sync's, and
# nothing of a half-read target is stored
printf '{"accounts": [' > "$T/broken.json"
use broken
expect_fail "a broken listing fails the sync" '*' w --json sync app
expect_contains "with the connector's error" "$ERR" "exec connector"
expect_eq "inventory untouched" "$(grants)" 69917
finish
