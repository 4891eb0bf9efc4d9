// lineage.js — the timeline of a change from its log entries, each one
// verified here, in the browser, from first principles (verify.js):
//   1. fetch the signed checkpoint (/log/checkpoint) and the verifier key
//      (/log/key), and check the Ed25519 signature over the note;
//   2. for each entry of the change (indexes from /v1/changes/{id}/lineage)
//      fetch its exact bytes (/v1/log/entries/{i}) and compute its leaf
//      hash SHA-256(0x00 || bytes);
//   3. fetch its inclusion proof for the checkpoint's tree size
//      (/v1/log/proof/inclusion) and hash up to the signed root.
// The timeline is drawn from the verified bytes themselves, not from the
// server's summary, so what is shown is what the signature covers.  The
// server's own check ("verified" in the lineage response) is not relied on.
import { api, bytes, text } from './api.js';
import { h, mount, principalLine, opsSummary, when, stateBadge } from './dom.js';
import { cryptoAvailable, verifyCheckpoint, leafHash, verifyInclusion, b64decode, toHex } from './verify.js';
import { selfTest } from './ed25519.js';

const KIND_WORDS = {
  'change.proposed': 'Proposed',
  'change.approval': 'Approved',
  'change.rejected': 'Rejected',
  'change.expired': 'Expired',
  'change.executing': 'Execution started',
  'change.execution_denied': 'Execution refused',
  'change.executed': 'Executed',
  'change.failed': 'Failed',
  'change.validated': 'Validated',
  'change.validation_failed': 'Validation failed',
  'change.closed': 'Closed',
  'change.rolled_back': 'Rolled back',
};

function summary(e) {
  const parts = [];
  if (e.kind === 'change.proposed') {
    parts.push(`${e.mode} · ${opsSummary(e.operations)}`);
    if (e.decision) parts.push(` · decision: ${e.decision.outcome}`);
  }
  if (e.approval) parts.push(h('span', null, `stage ${e.approval.stage + 1} (${e.approval.role}): “`, h('em', null, e.approval.reason), '”'));
  if (e.kind === 'change.executing' && e.inverse) parts.push(`rollback plan recorded first (${e.inverse.length} operation${e.inverse.length === 1 ? '' : 's'})`);
  if (e.kind === 'change.execution_denied' && e.decision) parts.push((e.decision.explanation || []).join('; '));
  if (e.error) parts.push(`error: ${e.error}`);
  if (e.evidence) parts.push(`evidence: ${e.evidence.map((x) => `${x.kind} ${x.ref}`).join(', ')}`);
  return parts;
}

function status(el, ok, label) {
  mount(el, h('span', { class: `verify ${ok === true ? 'verify-ok' : ok === false ? 'verify-bad' : 'verify-pending'}` },
    ok === true ? '✓ ' : ok === false ? '✗ ' : '… ', label));
}

export async function renderLineage(box, changeId) {
  const head = h('div', { class: 'checkpoint', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Fetching the lineage and the signed checkpoint…'));
  const list = h('ol', { class: 'timeline', 'aria-label': 'Lineage entries, oldest first' });
  mount(box, head, list);
  if (!cryptoAvailable()) {
    mount(head, h('div', { class: 'alert alert-bad', role: 'alert' },
      'This browser offers no WebCrypto here (it needs HTTPS or localhost), so the lineage cannot be verified in the page. Use `warrant lineage` or `warrant log verify`.'));
    return;
  }
  let lin, note, vkey;
  try {
    lin = await api(`/v1/changes/${encodeURIComponent(changeId)}/lineage`);
    // the checkpoint after the lineage: its tree covers every index listed
    [note, vkey] = await Promise.all([text('/log/checkpoint'), text('/log/key')]);
  } catch (e) {
    mount(head, h('div', { class: 'alert alert-bad', role: 'alert' }, `Could not fetch the lineage: ${e.message}`));
    return;
  }

  // 1. the checkpoint
  let cp = null, cpError = null;
  const tested = await selfTest();
  if (!tested) cpError = 'the Ed25519 verifier failed its RFC 8032 self-test';
  else {
    try { cp = await verifyCheckpoint(note, vkey); } catch (e) { cpError = e.message; }
  }
  const keyBox = h('code', { class: 'digest', id: 'verifier-key' }, vkey.trim());
  const compareIn = h('input', { id: 'key-compare', type: 'text', spellcheck: 'false', placeholder: 'paste the verifier key you trust' });
  const compareOut = h('span', { class: 'compare-result', role: 'status' });
  compareIn.addEventListener('input', () => {
    const v = compareIn.value.trim();
    if (!v) { compareOut.textContent = ''; compareOut.className = 'compare-result'; return; }
    const same = v === vkey.trim();
    compareOut.textContent = same ? '✓ same key' : '✗ different key: do not trust this log view';
    compareOut.className = `compare-result ${same ? 'verify-ok' : 'verify-bad'}`;
  });
  mount(head, 
    cp ? h('div', { class: 'alert alert-ok', id: 'checkpoint-status' }, [
      h('strong', null, `✓ Checkpoint ${cp.size} signature valid`),
      ` — ${cp.method}. Origin `, h('code', null, cp.origin), ', root ', h('code', { class: 'digest' }, toHex(cp.root).slice(0, 16) + '…'), '.',
    ]) : h('div', { class: 'alert alert-bad', role: 'alert', id: 'checkpoint-status' }, h('strong', null, '✗ The checkpoint could not be verified: '), cpError),
    h('details', { class: 'keybox' }, [
      h('summary', null, 'Verifier key (compare it out of band)'),
      h('p', { class: 'help' }, 'Everything below is checked against this key. Compare it with the one your auditors hold, e.g. from ', h('code', null, 'warrant log key'), ' on the server.'),
      keyBox,
      h('label', { for: 'key-compare' }, 'Compare with a key you trust'),
      compareIn, compareOut,
    ]),
  );

  // 2 and 3. the entries
  const entries = lin.entries || [];
  if (!entries.length) list.append(h('li', { class: 'muted' }, 'No log entries for this change.'));
  let okCount = 0;
  for (const item of entries) {
    const st = h('div', { class: 'entry-status' });
    status(st, null, 'verifying…');
    const li = h('li', { class: 'entry', 'data-index': String(item.index) }, h('div', { class: 'entry-body' }, h('p', null, `Entry ${item.index}`)), st);
    list.append(li);
    if (!cp) { status(st, false, 'not verified: no valid checkpoint'); continue; }
    try {
      if (item.index >= cp.size) throw new Error(`entry ${item.index} is beyond checkpoint ${cp.size}`);
      const raw = await bytes(`/v1/log/entries/${item.index}`);
      const leaf = await leafHash(raw);
      const proof = await api(`/v1/log/proof/inclusion?index=${item.index}&size=${cp.size}`);
      const path = proof.proof.map(b64decode);
      const included = await verifyInclusion(item.index, cp.size, leaf, path, cp.root);
      const entry = JSON.parse(new TextDecoder().decode(raw));
      const about = entry.change === changeId || entry.rollback_of === changeId;
      const body = h('div', { class: 'entry-body' }, [
        h('div', { class: 'entry-head' }, [
          h('strong', null, KIND_WORDS[entry.kind] || entry.kind), ' ',
          entry.state && entry.state.to ? stateBadge(entry.state.to) : null,
          h('span', { class: 'muted' }, ' · '), when(entry.at),
        ]),
        h('div', null, 'by ', principalLine(entry.actor), h('span', { class: 'muted' }, ` via ${entry.channel}`)),
        h('div', { class: 'entry-summary' }, summary(entry)),
        h('details', null, [
          h('summary', null, `Exact bytes of entry ${item.index} (${raw.length} bytes)`),
          h('p', { class: 'help' }, 'Leaf hash SHA-256(0x00 ‖ bytes) = ', h('code', { class: 'digest' }, toHex(leaf))),
          h('pre', { class: 'bytes' }, JSON.stringify(entry, null, 2)),
        ]),
      ]);
      li.replaceChild(body, li.firstChild);
      if (!included) status(st, false, `inclusion proof does NOT lead to checkpoint ${cp.size}'s root`);
      else if (!about) status(st, false, `entry ${item.index} is not about this change`);
      else { okCount++; status(st, true, `verified against checkpoint ${cp.size}`); }
    } catch (e) {
      status(st, false, `verification failed: ${e.message}`);
    }
  }
  if (cp && entries.length) {
    const all = okCount === entries.length;
    head.prepend(h('p', { class: `summary-line ${all ? 'verify-ok' : 'verify-bad'}`, id: 'lineage-summary' },
      all ? `✓ ${entries.length === 1 ? 'The only entry' : `All ${entries.length} entries`} of this change verified against checkpoint ${cp.size}.`
        : `✗ ${entries.length - okCount} of ${entries.length} entries failed verification.`));
  }
}
