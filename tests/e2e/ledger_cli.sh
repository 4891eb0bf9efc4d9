#!/usr/bin/env bash
# ledger_cli.sh — `warrant log`: checkpoint, key, entry, proofs, verify,
# tiles; bad input; the tile file damaged or lost (proofs unchanged); and a
# flipped byte in the database named by verify.
source "$WARRANT_SRC/tests/e2e/lib/common.sh"
WRITER="$(dirname "$WARRANT")/tests/ledger_writer"
DB="$WARRANT_DATA/warrant.db"

expect_fail "log before init" '*' w log checkpoint
expect_ok "init" "$WRITER" "$WARRANT_DATA" init cli.test/log
expect_fail "key refuses overwrite" 4 "$WRITER" "$WARRANT_DATA" init cli.test/log
expect_eq "key mode" "$(stat -c %a "$WARRANT_DATA/log.key")" "600"
expect_ok "empty checkpoint" w log checkpoint
expect_eq "empty size" "$(sed -n 2p <<< "$OUT")" "0"
expect_ok "append" "$WRITER" "$WARRANT_DATA" append '{"z":1,"a":[true,null,2.50]}' '{"kind":"x","s":"é\n"}' \
  '{"i":3}' '{"i":4}' '{"i":5}'
expect_eq "indices" "$(tr '\n' ' ' <<< "$OUT")" "0 1 2 3 4 "

expect_ok "checkpoint" w log checkpoint
cp_text=$OUT
expect_eq "origin line" "$(sed -n 1p <<< "$cp_text")" "cli.test/log"
expect_eq "size line" "$(sed -n 2p <<< "$cp_text")" "5"
expect_contains "signature line" "$cp_text" "— cli.test/log "
expect_ok "key" w log key
expect_contains "vkey form" "$OUT" "cli.test/log+"
grep -q "PRIVATE" <<< "$OUT" && fail "key output leaks the private key" || pass

expect_ok "entry 0" w log entry 0
expect_eq "canonical bytes" "$OUT" '{"a":[true,null,2.5],"z":1}'
w log entry 1 > "$T/e1"
expect_eq "no trailing newline added" "$(wc -c < "$T/e1")" "$(printf '{"kind":"x","s":"é\\n"}' | wc -c)"
expect_fail "entry out of range" 3 w log entry 5
expect_fail "entry not a number" 2 w log entry abc

expect_ok "inclusion" w log prove inclusion 3
expect_contains "inclusion json" "$OUT" '{"index":3,"tree_size":5,"leaf_hash":"'
expect_ok "inclusion --size" w log prove inclusion 1 --size 2
expect_contains "inclusion size 2" "$OUT" '"tree_size":2,'
expect_fail "inclusion index >= size" 2 w log prove inclusion 5
expect_fail "inclusion size > log" 2 w log prove inclusion 1 --size 9
expect_ok "consistency" w log prove consistency 2 5
expect_contains "consistency json" "$OUT" '{"old_size":2,"new_size":5,"proof":["'
expect_fail "consistency old > new" 2 w log prove consistency 5 2
expect_fail "consistency beyond log" 2 w log prove consistency 2 6
expect_fail "unknown subcommand" 2 w log frobnicate
expect_ok "help" w log --help

expect_ok "verify" w log verify
expect_ok "tiles" w log tiles "$T/export"
expect_eq "exported checkpoint" "$(cat "$T/export/checkpoint")" "$cp_text"
expect_eq "partial tile size" "$(stat -c %s "$T/export/tile/0/000.p/5")" "160"
[ -f "$T/export/tile/entries/000.p/5" ] && pass || fail "entry bundle missing"

# the tile file (ledger-tiles.cache, lib/ledger/tile_file.c): proofs read
# it, but changed, zeroed, truncated or deleted it changes no proof, and
# verify rewrites it.  100 more entries make 6 full level-0 tiles.
TF="$WARRANT_DATA/ledger-tiles.cache"
more=(); for i in $(seq 6 105); do more+=("{\"i\":$i}"); done
expect_ok "append 100" "$WRITER" "$WARRANT_DATA" append "${more[@]}"
proofs() {
  for i in 0 17 33 50 95 104; do w log prove inclusion "$i"; w log prove inclusion "$i" --size 97; done
  for m in 1 16 31 64 100; do w log prove consistency "$m" 105; done
}
want=$(proofs)
expect_eq "six records" "$(stat -c %s "$TF")" "$((6 * 1024))"
cp "$TF" "$T/tiles.good"
python3 - "$TF" <<'PY'
import sys
f = open(sys.argv[1], 'r+b'); b = bytearray(f.read())
for k in range(0, len(b), 97): b[k] ^= 0x5a      # every record, header included
f.seek(0); f.write(b); f.close()
PY
expect_eq "proofs despite a changed tile file" "$(proofs)" "$want"
expect_ok "verify with a changed tile file" w log verify
cmp -s "$TF" "$T/tiles.good" && pass || fail "verify did not rewrite the tile file"
truncate -s 2500 "$TF"
expect_eq "proofs despite a truncated tile file" "$(proofs)" "$want"
rm -f "$TF"
expect_eq "proofs without the tile file" "$(proofs)" "$want"
expect_ok "verify refills the tile file" w log verify
cmp -s "$TF" "$T/tiles.good" && pass || fail "verify did not refill the tile file"

# flip one byte of entry 2 in the database: verify names index 2
sqlite3 "$DB" "UPDATE ledger_entry SET data = CAST('{\"i\":9}' AS BLOB) WHERE idx = 2"
expect_fail "verify detects a changed entry" 6 w log verify
expect_contains "bad index named" "$ERR" "index 2"
sqlite3 "$DB" "UPDATE ledger_entry SET data = CAST('{\"i\":3}' AS BLOB) WHERE idx = 2"
expect_ok "verify after repair" w log verify
# flip one byte of the leaf hash of entry 4 in stored tile 0/0 (row id
# 16 << 56: level 0's range comes last, lg_tile_rowid)
sqlite3 "$DB" "UPDATE ledger_subtile SET hashes = substr(hashes, 1, 128) || X'FF' || substr(hashes, 130) WHERE id = 16 << 56"
expect_fail "verify detects a changed hash" 6 w log verify
expect_contains "hash index named" "$ERR" "index 4"
finish
