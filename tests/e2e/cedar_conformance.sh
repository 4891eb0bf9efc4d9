#!/usr/bin/env bash
# cedar_conformance.sh — runs every upstream Cedar integration test in the
# shared cedar-tests directory through `warrant cedar authorize` and
# compares decision, reason (as a set) and errors (as a set) for each
# request; checks shouldValidate with `warrant policy check --schema`.
# The directory is $CEDAR_TESTS, else $WARRANT_SRC/../shared/cedar-tests,
# else /work/shared/cedar-tests.  A missing directory is a failure.
source "$(dirname "$0")/lib/common.sh"

dir=${CEDAR_TESTS:-}
if [ -z "$dir" ]; then
  for d in "$WARRANT_SRC/../shared/cedar-tests" "$WARRANT_SRC/../../shared/cedar-tests" /work/shared/cedar-tests; do
    if [ -d "$d/tests" ]; then dir=$d; break; fi
  done
fi
if [ -z "$dir" ] || [ ! -d "$dir/tests" ]; then
  echo "FAIL: cedar-tests directory not found (set CEDAR_TESTS)" >&2
  exit 1
fi
command -v jq >/dev/null || { echo "FAIL: jq is required" >&2; exit 1; }

ntests=0
nreq=0
for t in "$dir"/tests/*/*.json; do
  ntests=$((ntests+1))
  pol="$dir/$(jq -r .policies "$t")"
  ent="$dir/$(jq -r .entities "$t")"
  sch=$(jq -r '.schema // empty' "$t")
  args=(--policies "$pol" --entities "$ent")
  [ -n "$sch" ] && args+=(--schema "$dir/$sch")
  # requests as JSON lines
  jq -c '.requests[] | {principal, action, resource, context}' "$t" > "$T/req.jsonl"
  jq -c '.requests[] | {decision, reason: (.reason|sort), errors: (.errors|sort)}' "$t" > "$T/want.jsonl"
  if ! w cedar authorize "${args[@]}" < "$T/req.jsonl" > "$T/got.raw" 2>"$T/err"; then
    fail "$t: warrant cedar authorize failed: $(cat "$T/err")"
    continue
  fi
  jq -c '{decision, reason: ((.reason // [])|sort), errors: ((.errors // [])|sort), error}' "$T/got.raw" \
    | jq -c 'if .error == null then del(.error) else . end' > "$T/got.jsonl"
  i=0
  while IFS= read -r want && IFS= read -r got <&3; do
    nreq=$((nreq+1))
    if [ "$want" == "$got" ]; then pass; else
      desc=$(jq -r ".requests[$i].description // \"request $i\"" "$t")
      fail "$t [$desc]: want $want got $got"
    fi
    i=$((i+1))
  done < "$T/want.jsonl" 3< "$T/got.jsonl"
  if [ "$(wc -l < "$T/want.jsonl")" != "$(wc -l < "$T/got.jsonl")" ]; then
    fail "$t: got $(wc -l < "$T/got.jsonl") answers for $(wc -l < "$T/want.jsonl") requests"
  fi
  if [ -n "$sch" ]; then
    sv=$(jq -r '.shouldValidate // true' "$t")
    rc=0
    w policy check --schema "$dir/$sch" "$pol" > "$T/chk" 2>&1 || rc=$?
    if [ "$sv" = true ] && [ $rc -ne 0 ]; then fail "$t: should validate: $(cat "$T/chk")"
    elif [ "$sv" = false ] && [ $rc -eq 0 ]; then fail "$t: should not validate"
    else pass; fi
  fi
done
[ "$ntests" -gt 0 ] || fail "no tests found in $dir/tests"
echo "cedar conformance: $ntests test files, $nreq requests"
finish
