#!/usr/bin/env bash
# demo.sh — README command 1's demo must tell a true story: it checks every
# step's outcome itself (exit 1 on any surprise); here we also check that
# the key moments appear and that the data directory it leaves is sound.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/org.sh"   # jget
expect_ok "demo runs" w demo run --data "$T/demo" --identities 400
for moment in "refused: separation of duties" "mode execute is not granted" "outside mandate" \
              "below the bar for AI execution" "in production the account is still active" \
              "is now rolled_back" "revokes 1 expired grant" "checkpoint signature valid"; do
  expect_contains "demo shows: $moment" "$OUT" "$moment"
done
expect_ok "log verifies afterwards" w --data "$T/demo" log verify
expect_ok "changes listed" w --data "$T/demo" --json change list
expect_eq "closed changes" "$(jget "$OUT" '[.[] | select(.state=="closed")] | length')" 2
expect_fail "demo refuses an existing data directory" 4 w demo run --data "$T/demo"
expect_fail "demo bad size" 2 w demo run --data "$T/other" --identities ten
finish
