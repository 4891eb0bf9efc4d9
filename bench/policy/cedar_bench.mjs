// cedar_bench.mjs — measures the official Cedar implementation (the npm
// package @cedar-policy/cedar-wasm, Rust compiled to WebAssembly, driven by
// node) on a workload made by gen.py, in two ways:
//
//   same  "same work": every decision hands policies (text), entities and the
//         request to isAuthorized(), which parses and validates all of them.
//         Entities are passed as the JS array the API takes (JSON.parse is
//         done once, outside the timing), which if anything favours Cedar.
//   same-text  as "same", but each decision also decodes the entities from
//         their JSON text with JSON.parse — the counterpart of Warrant's
//         "same-text" row, where Warrant decodes the text (yajl events into the store).
//   best  "at its best": the policy set is parsed once (preparsePolicySet)
//         and each decision calls statefulIsAuthorized().  That API still
//         takes the entities on every call, so we give it what a careful
//         application would: a per-request slice (the principal, resource and
//         action, the entities their attributes name, and all of their
//         ancestors), computed before the timing starts.  Each slice's answer
//         is checked against the full entity set whenever "same" mode covered
//         that request.
//
// Usage: node cedar_bench.mjs WORKLOAD_DIR [--mode same|same-text|best|both]
//                              [--seconds S] [--max N]
// Prints one JSON line per mode: decisions/s, p50/p99 latency in µs, the
// number of allows, and "answers": the decisions of the first pass over the
// requests as a string of 0/1, so another engine's answers can be compared.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

function usage(msg) {
  console.error(`cedar_bench: ${msg}\nusage: node cedar_bench.mjs WORKLOAD_DIR [--mode same|same-text|best|both] [--seconds S] [--max N]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let dir = null, mode = 'both', seconds = 3, max = Infinity;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--mode') mode = args[++i];
  else if (a === '--seconds') seconds = Number(args[++i]);
  else if (a === '--max') max = Number(args[++i]);
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else dir = a;
}
if (!dir) usage('missing WORKLOAD_DIR');
if (!['same', 'same-text', 'best', 'both'].includes(mode)) usage(`bad --mode ${mode}`);
if (!(seconds > 0) || !(max > 0)) usage('--seconds and --max must be positive');

const policies = fs.readFileSync(path.join(dir, 'policies.cedar'), 'utf8');
const entitiesText = fs.readFileSync(path.join(dir, 'entities.json'), 'utf8');
const entities = JSON.parse(entitiesText);
const requests = fs.readFileSync(path.join(dir, 'requests.jsonl'), 'utf8')
  .split('\n').filter(Boolean).map((l) => JSON.parse(l));
if (!requests.length) usage(`${dir}/requests.jsonl has no requests`);

// ---- entity slicing ------------------------------------------------------
const key = (u) => `${u.type}\u0000${u.id}`;
const byUid = new Map(entities.map((e) => [key(e.uid), e]));

function entityRefs(v, out) {
  if (Array.isArray(v)) v.forEach((x) => entityRefs(x, out));
  else if (v && typeof v === 'object') {
    if (v.__entity) out.push(v.__entity);
    else Object.values(v).forEach((x) => entityRefs(x, out));
  }
}

function slice(req) {
  const seen = new Set(), out = [];
  const visit = (u, hops) => {
    const k = key(u);
    if (seen.has(k)) return;
    seen.add(k);
    const e = byUid.get(k);
    if (!e) return;
    out.push(e);
    e.parents.forEach((p) => visit(p, 0));
    if (hops > 0) {
      const refs = [];
      entityRefs(e.attrs, refs);
      refs.forEach((r) => visit(r, hops - 1));
    }
  };
  // one hop of attribute references: resource.owner is loaded, so
  // `principal in resource.owner.readers` (github) evaluates as on the full set
  [req.principal, req.resource, req.action].forEach((u) => visit(u, 1));
  return out;
}

// ---- measurement -----------------------------------------------------------
function decide(answer) {
  if (answer.type !== 'success') {
    console.error(`cedar_bench: Cedar failed: ${JSON.stringify(answer.errors).slice(0, 500)}`);
    process.exit(1);
  }
  return answer.response;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function run(name, once, warmup) {
  for (let i = 0; i < warmup; i++) once(requests[i % requests.length], i % requests.length);
  const lat = [], first = [];
  let allows = 0, errors = 0;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();   // CPU time: the machine is shared
  for (let i = 0; i < max; i++) {
    const idx = i % requests.length;
    const s = process.hrtime.bigint();
    const r = once(requests[idx], idx);
    const e = process.hrtime.bigint();
    lat.push(Number(e - s) / 1000);
    const allow = r.decision === 'allow';
    if (i < requests.length) first.push(allow);
    allows += allow;
    errors += r.diagnostics.errors.length > 0;
    if (e > deadline && i + 1 >= Math.min(3, max)) break;
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  const cu = process.cpuUsage(c0), cpu = (cu.user + cu.system) / 1e6;
  lat.sort((a, b) => a - b);
  return {
    engine: 'cedar-wasm', version: cedar.getCedarVersion(), workload: path.basename(path.resolve(dir)),
    mode: name, decisions: lat.length, decisions_per_s: +(lat.length / total).toFixed(lat.length / total >= 100 ? 0 : 3),
    decisions_per_cpu_s: +(lat.length / cpu).toFixed(lat.length / cpu >= 100 ? 0 : 3),
    p50_us: +percentile(lat, 0.5).toFixed(2), p99_us: +percentile(lat, 0.99).toFixed(2),
    allows, errors, answers: first.map((b) => (b ? '1' : '0')).join(''), firstDecisions: first,
  };
}

const base = (r) => ({ principal: r.principal, action: r.action, resource: r.resource, context: r.context || {} });
const results = [];
if (mode === 'same' || mode === 'both') {
  const res = run('same', (r) => decide(cedar.isAuthorized({ ...base(r), policies: { staticPolicies: policies }, entities })),
    Math.min(5, requests.length));
  results.push(res);
}
if (mode === 'same-text' || mode === 'both') {
  const res = run('same-text', (r) => decide(cedar.isAuthorized({ ...base(r), policies: { staticPolicies: policies },
    entities: JSON.parse(entitiesText) })), Math.min(5, requests.length));
  results.push(res);
}
if (mode === 'best' || mode === 'both') {
  const prep = cedar.preparsePolicySet('bench', { staticPolicies: policies });
  if (prep.type !== 'success') {
    console.error(`cedar_bench: preparsePolicySet failed: ${JSON.stringify(prep.errors).slice(0, 500)}`);
    process.exit(1);
  }
  const slices = requests.map(slice);
  const sliceMean = slices.reduce((n, s) => n + s.length, 0) / slices.length;
  const res = run('best', (r, idx) => decide(cedar.statefulIsAuthorized({
    ...base(r), preparsedPolicySetId: 'bench', entities: slices[idx] })), Math.min(200, requests.length));
  // the slices must not change any answer the full entity set gave
  const same = results.find((x) => x.mode === 'same');
  if (same) {
    const n = Math.min(same.firstDecisions.length, res.firstDecisions.length);
    let bad = 0;
    for (let i = 0; i < n; i++) bad += same.firstDecisions[i] !== res.firstDecisions[i];
    res.slice_checked = n;
    res.slice_mean_entities = +sliceMean.toFixed(1);
    if (bad) {
      console.error(`cedar_bench: entity slicing changed ${bad} of ${n} decisions`);
      process.exit(1);
    }
  }
  results.push(res);
}
for (const r of results) {
  delete r.firstDecisions;
  console.log(JSON.stringify(r));
}
