// dom.js — small helpers to build the page without innerHTML (so data from
// the server can never become markup), and the plain-words formatting the
// pages share: states, risks, principals, operations, times.

// h('div', {class: 'x', onclick: fn, 'aria-label': '...'}, child, ...)
// Children: strings (text nodes), nodes, arrays, null/false (skipped).
export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Replaces el's children (null/false children are skipped, unlike
// Element.append, which would print "null").
export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// Announces a message to screen readers (the polite live region).
export function announce(msg) {
  const r = document.getElementById('announce');
  if (!r) return;
  r.textContent = '';
  setTimeout(() => { r.textContent = msg; }, 30);
}

// ---- states and risks: colour always comes with a text label -------------
const STATES = {
  proposed: ['Proposed', 'neutral'],
  awaiting_approval: ['Awaiting approval', 'warn'],
  approved: ['Approved', 'ok'],
  denied: ['Denied', 'bad'],
  rejected: ['Rejected', 'bad'],
  expired: ['Expired', 'muted'],
  executing: ['Executing (in doubt)', 'warn'],
  executed: ['Executed', 'ok'],
  failed: ['Failed', 'bad'],
  validated: ['Validated', 'ok'],
  closed: ['Closed', 'muted'],
  rolled_back: ['Rolled back', 'muted'],
};

export function stateBadge(state) {
  const [label, tone] = STATES[state] || [state, 'neutral'];
  return h('span', { class: `badge tone-${tone}`, 'data-state': state }, label);
}

export const RISK_ORDER = { critical: 4, high: 3, medium: 2, low: 1 };

export function riskBadge(risk) {
  const r = risk || 'low';
  const tone = { critical: 'bad', high: 'bad', medium: 'warn', low: 'neutral' }[r] || 'neutral';
  return h('span', { class: `badge risk risk-${r} tone-${tone}`, title: `${r} risk` }, `${r[0].toUpperCase()}${r.slice(1)} risk`);
}

export function kindChip(kind) {
  return h('span', { class: `chip kind-${kind || 'unknown'}` }, kind || '?');
}

// "cop (copilot for hank)", "bot (agent, owner ethan)".
export function principalLine(p) {
  if (!p) return h('span', null, '—');
  const parts = [h('strong', null, p.id), ' ', kindChip(p.kind)];
  if (p.kind === 'copilot' && p.on_behalf_of) parts.push(' acting for ', h('strong', null, p.on_behalf_of));
  if ((p.kind === 'agent' || p.kind === 'service') && p.owner) parts.push(' owned by ', h('strong', null, p.owner));
  return h('span', { class: 'principal' }, parts);
}

// ---- operations in plain words ----------------------------------------------
export function opWords(op) {
  const code = (s) => h('code', null, s ?? '—');
  switch (op.op) {
    case 'grant': return ['Grant ', code(op.entitlement), ' to account ', code(op.account)];
    case 'revoke': return ['Revoke ', code(op.entitlement), ' from account ', code(op.account)];
    case 'disable': return ['Disable account ', code(op.account)];
    case 'enable': return ['Enable account ', code(op.account)];
    case 'transfer_ownership':
      return ['Transfer ownership of ', code(op.object), ' to ', op.to ? code(op.to) : 'nobody'];
    case 'rotate_credential':
      return [op.irreversible ? 'Rotation of ' : 'Rotate credential ', code(op.credential),
        op.irreversible ? ' cannot be undone (a secret cannot be un-rotated)' : ''];
    default: return [code(op.op), ' ', code(JSON.stringify(op))];
  }
}

// A one-line text summary of a change's operations (for lists and titles).
export function opsSummary(ops) {
  if (!ops || !ops.length) return 'No operations';
  const t = (op) => {
    switch (op.op) {
      case 'grant': return `Grant ${op.entitlement} to ${op.account}`;
      case 'revoke': return `Revoke ${op.entitlement} from ${op.account}`;
      case 'disable': return `Disable ${op.account}`;
      case 'enable': return `Enable ${op.account}`;
      case 'transfer_ownership': return `Transfer ${op.object} to ${op.to ?? 'nobody'}`;
      case 'rotate_credential': return `Rotate ${op.credential}`;
      default: return op.op;
    }
  };
  return ops.length === 1 ? t(ops[0]) : `${t(ops[0])} and ${ops.length - 1} more`;
}

// ---- time ---------------------------------------------------------------------
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const abs = Math.abs(s);
  const unit = abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.floor(abs / 60), 'min'] :
    abs < 86400 ? [Math.floor(abs / 3600), 'h'] : [Math.floor(abs / 86400), 'd'];
  return s >= 0 ? `${unit[0]} ${unit[1]} ago` : `in ${unit[0]} ${unit[1]}`;
}

export function when(iso) {
  if (!iso) return h('span', null, '—');
  return h('time', { datetime: iso, title: iso }, `${iso.replace('T', ' ').replace('Z', ' UTC')} (${ago(iso)})`);
}

export function pct(v) {
  return v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`;
}

export function section(title, id, ...body) {
  return h('section', { class: 'card', 'aria-labelledby': id },
    h('h2', { id }, title), ...body);
}

// A definition list from [label, value] pairs (values: strings or nodes).
export function facts(rows) {
  return h('dl', { class: 'facts' },
    rows.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}
