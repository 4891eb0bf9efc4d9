// change.js — one change, everything an approver needs on one screen: who
// initiated it and for whom, what it does in plain words, on which signals
// and why, the policy decision with its obligations, the readiness the
// decision saw, the approval stages, the rollback plan; then Approve or
// Reject with a mandatory reason.  The server decides: its refusals
// (separation of duties, wrong stage, already approved) are shown as it
// words them.  Below, the lineage, verified in this browser (lineage.js).
import { api, ApiError } from './api.js';
import {
  h, mount, stateBadge, riskBadge, principalLine, opWords, opsSummary, when, section, facts, announce,
} from './dom.js';
import { renderLineage } from './lineage.js';

// Readiness metrics: label, direction (good: higher is better), unit.
export const METRICS = [
  ['ownership_completeness', 'Ownership completeness', 'good', '%'],
  ['orphan_rate', 'Orphan rate', 'bad', '%'],
  ['orphaned_accounts', 'Orphaned accounts', 'bad', ''],
  ['dormant_rate', 'Dormant rate', 'bad', '%'],
  ['entitlement_accuracy', 'Entitlement accuracy', 'good', '%'],
  ['excessive_privilege_rate', 'Excessive privilege rate', 'bad', '%'],
  ['secrets_outside_vault', 'Secrets outside a vault', 'bad', ''],
  ['secrets_outside_vault_rate', 'Secrets outside a vault (rate)', 'bad', '%'],
  ['stale_secrets', 'Stale secrets', 'bad', ''],
  ['stale_secrets_rate', 'Stale secrets (rate)', 'bad', '%'],
  ['nhi_without_owner', 'NHIs without an owner', 'bad', ''],
];

const get = async (path) => { try { return await api(path); } catch { return null; } };

function who(c, principals) {
  const i = c.initiator || {};
  const rows = [['Initiated by', principalLine(i)]];
  const p = principals[i.id];
  if (p && p.name) rows.push(['Name', p.name]);
  if (i.kind === 'copilot') {
    const hp = principals[i.on_behalf_of];
    rows.push(['On behalf of', h('span', null, h('strong', null, i.on_behalf_of), hp && hp.name ? ` (${hp.name})` : '',
      ' — the copilot\'s authority is the intersection of its own and this person\'s; this person may not approve it')]);
  }
  if (i.kind === 'agent' || i.kind === 'service') {
    rows.push(['Accountable owner', h('span', null, h('strong', null, i.owner || '—'),
      ' — may not approve what their ', i.kind, ' initiated')]);
  }
  return rows;
}

function mandateFacts(m) {
  if (!m) return null;
  const pctUsed = m.max_changes ? Math.min(100, Math.round((m.used / m.max_changes) * 100)) : 0;
  return h('div', { class: 'subcard' }, [
    h('h3', null, 'Mandate'),
    facts([
      ['Mandate', h('code', null, m.id)],
      ['Purpose', m.purpose],
      ['Given by', m.owner],
      ['Systems', (m.systems || []).join(', ')],
      ['Actions', (m.actions || []).join(', ')],
      ['Used', h('span', null, meter(pctUsed, `${m.used} of ${m.max_changes} changes used`), ` ${m.used} / ${m.max_changes}`)],
      ['Deadline', when(m.deadline)],
      m.readiness_floor ? ['Readiness floor', m.readiness_floor] : null,
      ['State', m.state],
    ]),
  ]);
}

function meter(percent, label) {
  const bar = h('span', { class: 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(percent), 'aria-label': label },
    h('span', { class: `meter-fill ${percent >= 90 ? 'tone-bg-bad' : percent >= 70 ? 'tone-bg-warn' : 'tone-bg-ok'}` }));
  bar.firstChild.style.width = `${percent}%`;   // CSSOM, allowed by the CSP
  return bar;
}

function inputsTable(inputs) {
  if (!inputs || !inputs.length) return h('p', { class: 'muted' }, 'No input signals were given.');
  return h('table', { class: 'table' }, [
    h('caption', { class: 'sr-only' }, 'Input signals'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Source'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'SHA-256 digest'))),
    h('tbody', null, inputs.map((s) => h('tr', null,
      h('td', null, s.source), h('td', null, s.description || '—'), h('td', null, h('code', { class: 'digest' }, s.sha256))))),
  ]);
}

function decisionBlock(d) {
  if (!d) return h('p', null, 'No decision recorded.');
  const o = d.obligations || {};
  const outcome = { allow: ['Allowed', 'ok'], deny: ['Denied', 'bad'], approval_required: ['Allowed after approval', 'warn'] }[d.outcome] || [d.outcome, 'neutral'];
  return h('div', null, [
    facts([
      ['Outcome', h('span', { class: `badge tone-${outcome[1]}` }, outcome[0])],
      ['Why', h('ul', { class: 'plain' }, (d.explanation || []).map((x) => h('li', null, x)))],
      ['Determining policies', (d.policies || []).length ? h('span', null, d.policies.map((p) => h('code', { class: 'chip' }, p))) : 'none'],
      (d.errors || []).length ? ['Policies that erred', h('span', null, d.errors.map((p) => h('code', { class: 'chip tone-bad' }, p)))] : null,
      ['Policy set', h('code', { class: 'digest' }, d.policy_set || '—')],
    ]),
    h('h3', null, 'Obligations'),
    facts([
      ['Modes permitted', (o.modes || []).join(', ') || '—'],
      ['Approvals', (o.approvals || []).length ? o.approvals.map((a) => `${a.role} × ${a.count === -1 ? 'all' : a.count}`).join(' → ') : 'none'],
      ['Evidence at closure', (o.evidence || []).join(', ') || 'none'],
      ['Readiness floor', (o.readiness_floor || []).length ? o.readiness_floor.map((f) => typeof f === 'string' ? f : JSON.stringify(f)).join(', ') : 'none'],
      o.grant_ttl_s ? ['Grants expire after', `${Math.round(o.grant_ttl_s / 3600)} h`] : null,
      o.approval_timeout_s ? ['Each stage has', `${Math.round(o.approval_timeout_s / 3600)} h`] : null,
      ['Risk', riskBadge(o.risk)],
    ]),
  ]);
}

export function readinessTable(r) {
  if (!r || !Object.keys(r).length) return h('p', { class: 'muted' }, 'No readiness values were recorded.');
  return h('table', { class: 'table readiness' }, [
    h('caption', { class: 'sr-only' }, 'Readiness values the decision saw'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Better when'))),
    h('tbody', null, METRICS.filter(([k]) => k in r).map(([k, label, dir, unit]) => {
      const v = r[k];
      const tone = unit === '%' ? (dir === 'good' ? (v >= 90 ? 'ok' : v >= 70 ? 'warn' : 'bad') : (v <= 5 ? 'ok' : v <= 20 ? 'warn' : 'bad'))
        : (v === 0 ? 'ok' : 'warn');
      return h('tr', null, h('td', null, label), h('td', null, h('span', { class: `num tone-text-${tone}` }, `${v}${unit}`)),
        h('td', { class: 'muted' }, dir === 'good' ? 'higher' : 'lower'));
    })),
  ]);
}

function stagesBlock(c) {
  const stages = (c.decision && c.decision.stages) || [];
  const approvals = c.approvals || [];
  if (!stages.length) return h('p', { class: 'muted' }, 'This change needs no approval.');
  return h('ol', { class: 'stages' }, stages.map((s, i) => {
    const mine = approvals.filter((a) => a.stage === i);
    const pending = c.pending_stage && c.pending_stage.index === i && c.state === 'awaiting_approval';
    const done = mine.filter((a) => a.verdict === 'approve' || a.verdict === 'approved').length;
    const status = pending ? ['In progress', 'warn'] : i < (c.stage || 0) || (c.state !== 'awaiting_approval' && done) ? ['Done', 'ok'] : ['Waiting', 'muted'];
    return h('li', { class: 'stage' }, [
      h('div', { class: 'stage-head' }, [
        h('strong', null, `Stage ${i + 1}: ${s.role}`),
        ` — needs ${s.count === -1 ? 'all eligible' : s.count} approval${s.count === 1 ? '' : 's'} `,
        h('span', { class: `badge tone-${status[1]}` }, status[0]),
      ]),
      h('div', { class: 'muted' }, 'Eligible: ', (pending ? c.pending_stage.eligible_approvers : s.eligible || []).join(', ') || 'nobody'),
      pending && c.stage_deadline ? h('div', { class: 'muted' }, 'Deadline: ', when(c.stage_deadline)) : null,
      mine.length ? h('ul', { class: 'approvals' }, mine.map((a) => h('li', null, [
        h('span', { class: `badge tone-${/^reject/.test(a.verdict) ? 'bad' : 'ok'}` }, /^reject/.test(a.verdict) ? 'Rejected' : 'Approved'),
        ' by ', h('strong', null, a.approver), a.at ? [' ', when(a.at)] : null,
        h('blockquote', null, a.reason),
      ]))) : null,
    ]);
  }));
}

function rollbackBlock(c) {
  if (c.inverse && c.inverse.length) {
    return h('div', null, [
      h('p', null, 'Recorded in the log before anything was applied; rolling back applies exactly this:'),
      h('ul', { class: 'ops' }, c.inverse.map((op) => h('li', null, opWords(op)))),
    ]);
  }
  const ops = (c.request && c.request.operations) || [];
  const irreversible = ops.some((o) => o.op === 'rotate_credential');
  return h('div', null, [
    h('p', null, 'The exact inverse is computed from the target\'s state at execution time and recorded in the log before any operation is applied; a failure part-way rolls back everything applied.'),
    h('p', null, 'Expected inverse: '),
    h('ul', { class: 'ops' }, ops.map((op) => h('li', null, inverseWords(op)))),
    irreversible ? h('div', { class: 'alert alert-warn' }, 'Credential rotation cannot be undone: its rollback will be refused.') : null,
  ]);
}

function inverseWords(op) {
  const inv = { grant: 'revoke', revoke: 'grant', disable: 'enable', enable: 'disable' }[op.op];
  if (inv) return opWords({ ...op, op: inv });
  if (op.op === 'transfer_ownership') return ['Transfer ', h('code', null, op.object), ' back to its current owner'];
  return opWords({ ...op, irreversible: true });
}

function decidePanel(c, me, reload) {
  if (c.state !== 'awaiting_approval') return null;
  const eligible = (c.pending_stage && c.pending_stage.eligible_approvers) || [];
  const reason = h('textarea', { id: 'reason', name: 'reason', rows: '3', required: true, 'aria-required': 'true', 'aria-describedby': 'reason-help', maxlength: '4096' });
  const msg = h('div', { id: 'decision-message', class: 'alert', role: 'alert', hidden: true });
  const approve = h('button', { type: 'button', class: 'btn btn-approve', id: 'approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'btn btn-reject', id: 'reject' }, 'Reject');
  const act = async (verb) => {
    msg.hidden = true;
    const text = reason.value.trim();
    if (!text) {
      msg.className = 'alert alert-bad';
      msg.textContent = 'A reason is required: it is recorded with your decision in the lineage log.';
      msg.hidden = false;
      reason.focus();
      return;
    }
    approve.disabled = reject.disabled = true;
    try {
      const out = await api(`/v1/changes/${encodeURIComponent(c.id)}/${verb}`, { method: 'POST', body: { reason: text } });
      announce(`${verb === 'approve' ? 'Approved' : 'Rejected'}. The change is now ${out.state.replace('_', ' ')}.`);
      await reload(`${verb === 'approve' ? 'Your approval' : 'Your rejection'} was recorded. The change is now: ${out.state.replace('_', ' ')}.`);
    } catch (e) {
      // the server's own words: separation of duties, stage, state
      msg.className = 'alert alert-bad';
      msg.textContent = e instanceof ApiError ? `The server refused: ${e.message}` : String(e);
      msg.hidden = false;
      approve.disabled = reject.disabled = false;
    }
  };
  approve.addEventListener('click', () => act('approve'));
  reject.addEventListener('click', () => act('reject'));
  return h('section', { class: 'card decide', 'aria-labelledby': 'decide-h' }, [
    h('h2', { id: 'decide-h' }, 'Your decision'),
    eligible.includes(me.principal) ? h('p', null, `You are an eligible approver of stage ${c.pending_stage.index + 1} (${c.pending_stage.role}).`)
      : h('p', { class: 'alert alert-warn' }, `You are not listed among the eligible approvers of this stage (${eligible.join(', ') || 'nobody'}); the server will refuse a decision it does not allow.`),
    h('label', { for: 'reason' }, 'Reason (required)'),
    reason,
    h('p', { id: 'reason-help', class: 'help' }, 'Recorded with your decision in the tamper-evident lineage log.'),
    msg,
    h('div', { class: 'actions' }, approve, reject),
  ]);
}

export async function renderChange({ main, me }, id, notice) {
  const c = await api(`/v1/changes/${encodeURIComponent(id)}`);
  const i = c.initiator || {};
  const ids = [...new Set([i.id, i.on_behalf_of, i.owner].filter(Boolean))];
  const [plist, mandate] = await Promise.all([
    Promise.all(ids.map((p) => get(`/v1/principals/${encodeURIComponent(p)}`))),
    c.mandate ? get(`/v1/mandates/${encodeURIComponent(c.mandate)}`) : null,
  ]);
  const principals = Object.fromEntries(plist.filter(Boolean).map((p) => [p.id, p]));
  const req = c.request || {};
  const reload = (msg) => renderChange({ main, me }, id, msg);
  const lineageBox = h('div', { id: 'lineage' });

  mount(main, 
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/inbox' }, '← Inbox')),
    h('div', { class: 'page-head change-head' }, [
      h('div', null, [
        h('h1', null, opsSummary(req.operations)),
        h('p', { class: 'lede' }, [
          h('code', { class: 'id' }, c.id), ' · ', h('strong', null, c.system || '—'),
          c.decision && c.decision.domain ? ` (${c.decision.domain})` : '', ` · ${c.environment} · mode `, h('strong', null, c.mode),
          ' · proposed ', when(c.created_at),
        ]),
      ]),
      h('div', { class: 'head-badges' }, stateBadge(c.state), riskBadge(c.risk)),
    ]),
    notice ? h('div', { class: 'alert alert-ok', role: 'status', id: 'notice' }, notice) : null,
    c.rollback_of ? h('div', { class: 'alert alert-warn' }, 'This change rolls back ', h('a', { href: `#/change/${encodeURIComponent(c.rollback_of)}` }, c.rollback_of), '.') : null,
    h('div', { class: 'grid' }, [
      h('div', { class: 'col-main' }, [
        section('What it does', 'what-h', h('ul', { class: 'ops' }, (req.operations || []).map((op) => h('li', null, opWords(op))))),
        section('Who asked, and for whom', 'who-h', facts(who(c, principals)), mandateFacts(mandate)),
        section('Why: signals, recommendation, rationale', 'why-h', [
          facts([
            ['Recommendation', req.recommendation || '—'],
            ['Rationale', req.rationale || '—'],
            req.ticket ? ['Ticket', req.ticket] : null,
          ]),
          h('h3', null, 'Input signals'),
          inputsTable(req.inputs),
        ]),
        section('Policy decision', 'policy-h', decisionBlock(c.decision)),
        section('Readiness the decision saw', 'ready-h',
          h('p', { class: 'help' }, `Metrics of ${c.decision && c.decision.system ? c.decision.system : 'the system'} at decision time, in whole percent (rounded so rounding never loosens a gate).`),
          readinessTable(c.decision && c.decision.readiness)),
      ]),
      h('div', { class: 'col-side' }, [
        decidePanel(c, me, reload),
        section('Approval stages', 'stages-h', stagesBlock(c)),
        section('Rollback plan', 'rollback-h', rollbackBlock(c)),
        c.evidence && c.evidence.length ? section('Evidence', 'evidence-h', h('ul', { class: 'plain' }, c.evidence.map((e) => h('li', null, `${e.kind}: ${e.ref}`, e.sha256 ? [' ', h('code', { class: 'digest' }, e.sha256)] : null)))) : null,
      ]),
    ]),
    section('Lineage, verified in your browser', 'lineage-h', lineageBox),
  );
  renderLineage(lineageBox, c.id);
}
