// dashboard.js — the state of governance at a glance: readiness per domain
// (inline SVG bars, each with its value as text; trends from snapshots
// taken by `warrant readiness --snapshot`), agents' mandates and how much
// of each is used, and recent denials of AI actions with their reasons.
import { api } from './api.js';
import { h, mount, pct, when, ago, principalLine, opsSummary, section } from './dom.js';

// The readiness metrics drawn as bars (rates, 0..1).
const BARS = [
  ['ownership_completeness', 'Ownership completeness', 'good'],
  ['entitlement_accuracy', 'Entitlement accuracy', 'good'],
  ['orphan_rate', 'Orphan rate', 'bad'],
  ['dormant_rate', 'Dormant rate', 'bad'],
  ['excessive_privilege_rate', 'Excessive privilege', 'bad'],
  ['stale_secrets_rate', 'Stale secrets', 'bad'],
  ['secrets_outside_vault_rate', 'Secrets outside a vault', 'bad'],
];

const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;

function tone(v, dir) {
  if (v === null || v === undefined) return 'muted';
  return dir === 'good' ? (v >= 0.9 ? 'ok' : v >= 0.7 ? 'warn' : 'bad') : (v <= 0.05 ? 'ok' : v <= 0.2 ? 'warn' : 'bad');
}

// A row per metric: its name, an inline SVG bar, and the value as text.
function bars(m, label) {
  return h('ul', { class: 'bars', 'aria-label': label }, BARS.map(([k, name, dir]) => {
    const v = m[k];
    const svg = h('svg:svg', { viewBox: '0 0 100 10', preserveAspectRatio: 'none', class: 'bar', 'aria-hidden': 'true', focusable: 'false' },
      h('svg:rect', { x: 0, y: 0, width: 100, height: 10, class: 'bar-track' }),
      v === null || v === undefined ? null
        : h('svg:rect', { x: 0, y: 0, width: Math.max(0.5, 100 * Math.min(1, v)), height: 10, class: `bar-fill tone-fill-${tone(v, dir)}` }));
    return h('li', { class: 'bar-row' }, [
      h('span', { class: 'bar-label' }, name, h('span', { class: 'sr-only' }, dir === 'good' ? ' (higher is better)' : ' (lower is better)')),
      svg,
      h('span', { class: `bar-value tone-text-${tone(v, dir)}` }, pct(v)),
    ]);
  }));
}

// A sparkline of one metric over snapshots (oldest first).
function sparkline(points, metric, dir) {
  const vals = points.map((p) => p.metrics && p.metrics[metric]).filter((v) => typeof v === 'number');
  if (vals.length < 2) return h('span', { class: 'muted small' }, 'no trend yet (take snapshots with warrant readiness --snapshot)');
  const w = 120, ht = 28;
  const xs = (i) => (i / (vals.length - 1)) * (w - 4) + 2;
  const ys = (v) => ht - 2 - Math.min(1, Math.max(0, v)) * (ht - 4);
  const d = vals.map((v, i) => `${i ? 'L' : 'M'}${xs(i).toFixed(1)},${ys(v).toFixed(1)}`).join(' ');
  const delta = vals[vals.length - 1] - vals[0];
  const better = dir === 'good' ? delta >= 0 : delta <= 0;
  return h('span', { class: 'trend' }, [
    h('svg:svg', { viewBox: `0 0 ${w} ${ht}`, width: w, height: ht, class: 'spark', role: 'img', 'aria-label': `trend over ${vals.length} snapshots` },
      h('svg:path', { d, class: `spark-line ${better ? 'tone-stroke-ok' : 'tone-stroke-bad'}` })),
    h('span', { class: `small ${better ? 'tone-text-ok' : 'tone-text-bad'}` }, `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(1)} pts`),
  ]);
}

function domainCard(name, m, history) {
  return h('article', { class: 'domain card', 'aria-labelledby': `dom-${name}` }, [
    h('h3', { id: `dom-${name}` }, name),
    bars(m, `Readiness of ${name}`),
    h('div', { class: 'domain-foot' }, [
      h('span', null, `${plural(m.active_accounts ?? m.accounts ?? 0, 'active account')} · ${plural(m.grants ?? 0, 'grant')} · ${m.orphaned_accounts ?? 0} orphaned`),
      h('span', null, 'Ownership trend: ', sparkline(history, 'ownership_completeness', 'good')),
    ]),
  ]);
}

function mandatesTable(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'No mandates.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' }, [
    h('caption', { class: 'sr-only' }, 'Mandates and their consumption'),
    h('thead', null, h('tr', null, ['Agent', 'Purpose', 'Systems', 'Used / allowed', 'Deadline', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, items.map((m) => {
      const p = m.max_changes ? Math.min(100, Math.round((m.used / m.max_changes) * 100)) : 0;
      const fill = h('span', { class: `meter-fill ${p >= 90 ? 'tone-bg-bad' : p >= 70 ? 'tone-bg-warn' : 'tone-bg-ok'}` });
      fill.style.width = `${p}%`;
      const expired = Date.parse(m.deadline) < Date.now();
      return h('tr', null, [
        h('td', null, h('strong', null, m.agent), h('div', { class: 'muted small' }, `owner ${m.owner}`)),
        h('td', null, m.purpose),
        h('td', null, (m.systems || []).join(', '), h('div', { class: 'muted small' }, (m.actions || []).join(', '))),
        h('td', { class: 'nowrap' }, h('span', { class: 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': String(m.max_changes), 'aria-valuenow': String(m.used), 'aria-label': `${m.used} of ${m.max_changes} changes used` }, fill),
          ` ${m.used} / ${m.max_changes}`),
        h('td', null, h('time', { datetime: m.deadline, title: m.deadline }, expired ? `passed ${ago(m.deadline)}` : ago(m.deadline))),
        h('td', null, h('span', { class: `badge tone-${m.state === 'active' ? 'ok' : 'muted'}` }, m.state)),
      ]);
    })),
  ]));
}

function denialsList(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'No AI action has been denied.');
  return h('ul', { class: 'denials' }, items.map((d) => h('li', { class: 'denial' }, [
    h('div', { class: 'denial-head' }, [
      h('span', { class: 'badge tone-bad' }, d.kind === 'change.execution_denied' ? 'Execution refused' : 'Proposal denied'),
      ' ', principalLine(d.actor), h('span', { class: 'muted' }, ' · '), when(d.at),
    ]),
    h('div', null, d.operations ? opsSummary(d.operations) : '', d.system ? ` on ${d.system}` : '',
      d.change ? [' · ', h('a', { href: `#/change/${encodeURIComponent(d.change)}` }, d.change)] : null),
    h('ul', { class: 'reasons' }, (d.reasons || ['no reason recorded']).map((r) => h('li', null, r))),
  ])));
}

export async function renderDashboard({ main, setPendingCount }) {
  const [all, mandates, denials, pending, mine] = await Promise.all([
    api('/v1/readiness/all'),
    api('/v1/mandates'),
    api('/v1/denials?limit=20'),
    api('/v1/changes?state=awaiting_approval&limit=1000'),
    api('/v1/changes?pending_for=me&limit=1000'),
  ]);
  setPendingCount((mine.items || []).length);
  const domains = Object.entries(all.domains || {}).sort(([a], [b]) => a.localeCompare(b));
  const histories = await Promise.all(domains.map(([d]) =>
    api(`/v1/readiness/history?scope=domain&id=${encodeURIComponent(d)}&limit=50`).then((r) => r.items || []).catch(() => [])));
  const o = all.overall || {};
  const activeM = (mandates.items || []).filter((m) => m.state === 'active');
  mount(main, 
    h('div', { class: 'page-head' }, [
      h('h1', null, 'Dashboard'),
      h('p', { class: 'lede' }, 'Identity data readiness gates what AI may do; mandates bound what agents may do; denials show where they tried.'),
    ]),
    h('div', { class: 'stats', role: 'list', 'aria-label': 'Summary' }, [
      [String((pending.items || []).length), 'changes awaiting approval'],
      [String((mine.items || []).length), 'awaiting you'],
      [pct(o.ownership_completeness), 'ownership completeness (overall)'],
      [pct(o.orphan_rate), 'orphan rate (overall)'],
      [String(activeM.length), 'active mandates'],
      [String((denials.items || []).length), 'recent AI denials'],
    ].map(([n, l]) => h('div', { class: 'stat', role: 'listitem' }, h('span', { class: 'stat-n' }, n), h('span', { class: 'stat-l' }, l)))),
    section('Readiness by domain', 'readiness-h', [
      h('p', { class: 'help' }, 'Green meets a typical floor, amber is close, red is below. Values are shown as text next to every bar.'),
      domains.length ? h('div', { class: 'domains' }, domains.map(([d, m], i) => domainCard(d, m, histories[i])))
        : h('p', { class: 'muted' }, 'No inventory imported yet.'),
    ]),
    h('div', { class: 'grid' }, [
      h('div', { class: 'col-main' }, section('Mandates', 'mandates-h', mandatesTable(mandates.items || []))),
      h('div', { class: 'col-side' }, section('Recent denials of AI actions', 'denials-h', denialsList(denials.items || []))),
    ]),
  );
}
