// inbox.js — the changes awaiting MY approval (GET /v1/changes?pending_for=me:
// the stages where I am an eligible approver now), riskiest and oldest
// first, with counts and filters by system, domain and initiator kind.
import { api } from './api.js';
import { h, mount, riskBadge, kindChip, opsSummary, ago, RISK_ORDER, announce } from './dom.js';

const KINDS = ['human', 'copilot', 'agent', 'service'];
const filters = { system: '', domain: '', kind: '', sort: 'risk' };

function initiatorText(c) {
  const i = c.initiator || {};
  if (i.kind === 'copilot' && i.on_behalf_of) return [h('strong', null, i.id), ' for ', h('strong', null, i.on_behalf_of)];
  if ((i.kind === 'agent' || i.kind === 'service') && i.owner) return [h('strong', null, i.id), ', owner ', h('strong', null, i.owner)];
  return [h('strong', null, i.id)];
}

function sorted(items) {
  const byAge = (a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id.localeCompare(b.id);
  const byRisk = (a, b) => (RISK_ORDER[b.risk] || 0) - (RISK_ORDER[a.risk] || 0) || byAge(a, b);
  return [...items].sort(filters.sort === 'age' ? byAge : byRisk);
}

function counted(items, key) {
  const m = new Map();
  for (const c of items) m.set(key(c), (m.get(key(c)) || 0) + 1);
  return m;
}

function select(id, label, value, options, onChange) {
  const s = h('select', { id, name: id }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  s.addEventListener('change', () => onChange(s.value));
  return h('div', { class: 'field' }, h('label', { for: id }, label), s);
}

function row(c) {
  const stage = c.pending_stage;
  const href = `#/change/${encodeURIComponent(c.id)}`;
  return h('li', { class: `inbox-item risk-edge-${c.risk || 'low'}` }, h('a', { href, class: 'inbox-link' }, [
    h('div', { class: 'inbox-main' }, [
      h('div', { class: 'inbox-title' }, opsSummary(c.request && c.request.operations)),
      h('div', { class: 'inbox-meta' }, [
        h('span', null, 'on ', h('strong', null, c.system || '—')),
        c.decision && c.decision.domain ? h('span', null, ` · ${c.decision.domain}`) : null,
        h('span', null, ' · by '), ...initiatorText(c), ' ', kindChip(c.initiator && c.initiator.kind),
        h('span', null, ` · ${c.mode}`),
        c.environment === 'sandbox' ? h('span', { class: 'chip' }, 'sandbox') : null,
      ]),
    ]),
    h('div', { class: 'inbox-side' }, [
      riskBadge(c.risk),
      stage ? h('div', { class: 'inbox-stage' }, `Stage ${stage.index + 1} · ${stage.role} · ${stage.approved}/${stage.count} approved`) : null,
      h('div', { class: 'inbox-when' }, `waiting ${ago(c.created_at).replace(' ago', '')}`,
        c.stage_deadline ? ` · expires ${ago(c.stage_deadline)}` : ''),
    ]),
  ]));
}

export async function renderInbox({ main, me, setPendingCount }) {
  const page = await api('/v1/changes?pending_for=me&limit=1000');
  const all = page.items || [];
  setPendingCount(all.length);

  const body = h('div');
  const draw = () => {
    const items = sorted(all.filter((c) =>
      (!filters.system || c.system === filters.system) &&
      (!filters.domain || (c.decision && c.decision.domain) === filters.domain) &&
      (!filters.kind || (c.initiator && c.initiator.kind) === filters.kind)));
    const bySystem = counted(all, (c) => c.system || '—');
    const byDomain = counted(all, (c) => (c.decision && c.decision.domain) || '—');
    const byKind = counted(all, (c) => c.initiator && c.initiator.kind);
    const high = all.filter((c) => (RISK_ORDER[c.risk] || 0) >= 3).length;
    const ai = all.filter((c) => c.initiator && c.initiator.kind !== 'human').length;

    const kindButtons = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Initiator kind' },
      [['', 'All', all.length], ...KINDS.map((k) => [k, k[0].toUpperCase() + k.slice(1), byKind.get(k) || 0])]
        .map(([k, label, n]) => h('button', {
          type: 'button', class: 'seg', 'aria-pressed': String(filters.kind === k), 'data-kind': k || 'all',
          onclick: () => { filters.kind = k; draw(); announce(`${label}: ${n}`); },
        }, `${label} `, h('span', { class: 'count' }, String(n)))));

    mount(body, 
      h('div', { class: 'stats', role: 'list', 'aria-label': 'Summary' }, [
        h('div', { class: 'stat', role: 'listitem' }, h('span', { class: 'stat-n' }, String(all.length)), h('span', { class: 'stat-l' }, 'awaiting you')),
        h('div', { class: 'stat', role: 'listitem' }, h('span', { class: 'stat-n tone-text-bad' }, String(high)), h('span', { class: 'stat-l' }, 'high or critical risk')),
        h('div', { class: 'stat', role: 'listitem' }, h('span', { class: 'stat-n' }, String(ai)), h('span', { class: 'stat-l' }, 'initiated by AI')),
      ]),
      h('div', { class: 'filters', role: 'search', 'aria-label': 'Filter the inbox' }, [
        select('f-system', 'System', filters.system,
          [['', `All systems (${all.length})`], ...[...bySystem].sort().map(([s, n]) => [s, `${s} (${n})`])],
          (v) => { filters.system = v; draw(); }),
        select('f-domain', 'Domain', filters.domain,
          [['', `All domains (${all.length})`], ...[...byDomain].sort().map(([d, n]) => [d, `${d} (${n})`])],
          (v) => { filters.domain = v; draw(); }),
        h('div', { class: 'field' }, h('span', { class: 'label' }, 'Initiated by'), kindButtons),
        select('f-sort', 'Order', filters.sort, [['risk', 'Riskiest first'], ['age', 'Oldest first']],
          (v) => { filters.sort = v; draw(); }),
      ]),
      items.length
        ? h('ul', { class: 'inbox', 'aria-label': `${items.length} changes awaiting your approval` }, items.map(row))
        : h('div', { class: 'empty' }, all.length
          ? 'No change matches these filters.'
          : h('span', null, h('strong', null, 'Nothing awaits your approval. '), 'New proposals routed to you will appear here.')),
    );
  };
  draw();
  mount(main, 
    h('div', { class: 'page-head' }, [
      h('h1', null, 'Awaiting your approval'),
      h('p', { class: 'lede' }, `Changes where ${me.name || me.principal} is an eligible approver of the current stage, riskiest and oldest first.`),
    ]),
    body,
  );
}

