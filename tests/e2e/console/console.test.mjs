// console.test.mjs — drives the approver console in Debian's chromium with
// playwright-core (see tests/e2e/console_browser.sh for the data and the
// environment).  Every check prints one line; the exit status is 1 if any
// failed.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const BASE = env('BASE'), SHORT = env('SHORT_BASE'), SHOTS = env('SHOTS');
const T = { olivia: env('OLIVIA'), hank: env('HANK'), cop: env('COP'), bot: env('BOT') };
const C1 = env('C1'), C2 = env('C2'), C3 = env('C3');

let failures = 0, passes = 0;
function check(name, ok, detail = '') {
  if (ok) { passes++; console.log(`ok   ${name}`); } else { failures++; console.log(`FAIL ${name} ${detail}`); }
}

// ---- the verifier modules themselves, in node (same code the page runs) ------------
const lib = pathToFileURL(env('CONSOLE_SRC')).href;
const ed = await import(`${lib}/ed25519.js`);
const vf = await import(`${lib}/verify.js`);
check('Ed25519 RFC 8032 vectors (and a tampered message fails)', await ed.selfTest());
{
  const note = await (await fetch(`${BASE}/log/checkpoint`)).text();
  const key = await (await fetch(`${BASE}/log/key`)).text();
  const cp = await vf.verifyCheckpoint(note, key);
  check('checkpoint verifies in node', cp.size > 0 && cp.root.length === 32, JSON.stringify(cp.size));
  const flipped = note.replace(/\n(\d+)\n/, (m, n) => `\n${Number(n) + 1}\n`);
  let refused = false;
  try { await vf.verifyCheckpoint(flipped, key); } catch (e) { refused = /INVALID/.test(e.message); }
  check('a checkpoint with a changed size is refused', refused);
  // inclusion of the first entry, and a wrong leaf fails
  const auth = { headers: { Authorization: `Bearer ${T.olivia}` } };
  const raw = new Uint8Array(await (await fetch(`${BASE}/v1/log/entries/0`, auth)).arrayBuffer());
  const proof = await (await fetch(`${BASE}/v1/log/proof/inclusion?index=0&size=${cp.size}`, auth)).json();
  const leaf = await vf.leafHash(raw);
  check('server leaf hash = SHA-256(0x00||bytes)', vf.b64encode(leaf) === proof.leaf_hash);
  const path = proof.proof.map(vf.b64decode);
  check('inclusion proof verifies', await vf.verifyInclusion(0, cp.size, leaf, path, cp.root));
  const bad = Uint8Array.from(leaf); bad[0] ^= 1;
  check('a wrong leaf does not', !(await vf.verifyInclusion(0, cp.size, bad, path, cp.root)));
}

// ---- HTTP headers of the page ---------------------------------------------------------
{
  const r = await fetch(`${BASE}/`);
  const csp = r.headers.get('content-security-policy') || '';
  check('page: text/html', (r.headers.get('content-type') || '').startsWith('text/html'));
  check('page: CSP default-src self, no inline script', csp.includes("default-src 'self'") && csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), csp);
  check('page: nosniff, no-referrer, no framing', r.headers.get('x-content-type-options') === 'nosniff' &&
    r.headers.get('referrer-policy') === 'no-referrer' && csp.includes("frame-ancestors 'none'"));
  const js = await fetch(`${BASE}/assets/app.js`);
  const etag = js.headers.get('etag');
  check('script: text/javascript with ETag, no-cache', (js.headers.get('content-type') || '').startsWith('text/javascript') && !!etag && js.headers.get('cache-control') === 'no-cache');
  const again = await fetch(`${BASE}/assets/app.js`, { headers: { 'If-None-Match': etag } });
  check('script: 304 when unchanged', again.status === 304);
  check('unknown asset: 404', (await fetch(`${BASE}/assets/nope.js`)).status === 404);
}

// ---- the browser ------------------------------------------------------------------------
// Each page is its own chromium with a fresh profile (--user-data-dir,
// through launchPersistentContext), so every person has their own cookies.
const profiles = env('PROFILE_DIR');
const opened = [];
async function openPage(base, viewport = { width: 1280, height: 860 }) {
  const dir = mkdtempSync(`${profiles.replace(/\/$/, '')}-`);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport, deviceScaleFactor: 1,
  });
  opened.push([ctx, dir]);
  const page = ctx.pages()[0] || await ctx.newPage();
  page.foreign = [];
  page.problems = [];
  page.on('request', (req) => { if (!req.url().startsWith(base) && !req.url().startsWith('data:')) page.foreign.push(req.url()); });
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) page.problems.push(m.text()); });
  page.on('pageerror', (e) => page.problems.push(String(e)));
  await page.goto(`${base}/`);
  return page;
}

async function signIn(page, token) {
  await page.waitForSelector('#token');
  await page.fill('#token', token);
  await page.click('form.signin-form button[type=submit]');
}

async function shot(page, name, opts = {}) {
  const path = join(SHOTS, `${name}.png`);
  if (opts.element) await page.locator(opts.element).screenshot({ path });
  else await page.screenshot({ path, fullPage: !!opts.full });
  return statSync(path).size;
}

try {
  // 1. AI principals cannot sign in
  {
    const page = await openPage(BASE);
    check('unsigned visitor lands on sign-in', (await page.waitForSelector('h1')) && /Sign in/.test(await page.textContent('h1')));
    await shot(page, 'signin');
    for (const [who, tok] of [['copilot', T.cop], ['agent', T.bot]]) {
      await signIn(page, tok);
      const alert = page.locator('.signin-form [role=alert]');
      await alert.waitFor({ state: 'visible' });
      const msg = await alert.textContent();
      check(`${who} token refused at sign-in with the server's message`, /AI principal/.test(msg) && /only people sign in/.test(msg), msg);
    }
    check('still on sign-in', (await page.evaluate(() => location.hash)) === '#/signin');
    await page.fill('#token', 'tok_x.nonsense');
    await page.click('form.signin-form button[type=submit]');
    await page.waitForFunction(() => /malformed bearer token/.test(document.querySelector('.signin-form [role=alert]').textContent));
    check('a bad token is refused with the reason', true);
    await page.context().close();
  }

  // 2. olivia: inbox, change page, approve, lineage verified, dashboard
  const page = await openPage(BASE);
  await signIn(page, T.olivia);
  await page.waitForSelector('.inbox');
  check('signed in as olivia', /olivia/.test(await page.textContent('#user-name')));
  const cookies = await page.context().cookies();
  const sc = cookies.find((c) => c.name === 'warrant_session');
  check('session cookie: HttpOnly, SameSite=Strict', sc && sc.httpOnly && sc.sameSite === 'Strict', JSON.stringify(sc));
  check('the cookie is invisible to scripts', (await page.evaluate(() => document.cookie)) === '');
  const rows = page.locator('.inbox-item');
  check('inbox lists the four pending changes', (await rows.count()) === 4, String(await rows.count()));
  check('riskiest first (the admin grant is high risk)', /Grant payroll:admin to payroll:p5/.test(await rows.first().textContent()));
  check('nav shows the pending count', (await page.textContent('#nav-count')) === '4');
  await page.click('button.seg[data-kind=copilot]');
  check('filter by initiator kind: copilot', (await rows.count()) === 2);
  await page.click('button.seg[data-kind=agent]');
  check('filter by initiator kind: agent', (await rows.count()) === 1 && /bot/.test(await rows.first().textContent()));
  await page.click('button.seg[data-kind=all]');
  await page.selectOption('#f-sort', 'age');
  check('oldest first puts the copilot revoke on top', /Revoke payroll:approver from payroll:ghost/.test(await rows.first().textContent()));
  await page.selectOption('#f-domain', 'finance');
  check('filter by domain', (await rows.count()) === 4);
  await page.selectOption('#f-domain', '');
  await page.selectOption('#f-sort', 'risk');
  await shot(page, 'inbox');

  // keyboard: tab to the copilot's revoke and open it with Enter
  await page.selectOption('#f-sort', 'age');
  await page.focus('#f-sort');
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('inbox-link') &&
      /payroll:ghost/.test(document.activeElement.textContent));
  }
  check('keyboard reaches the change link', reached);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#decide-h');
  check('Enter opens the change page', (await page.evaluate(() => location.hash)) === `#/change/${C1}`);
  const body = await page.textContent('main');
  check('change page: initiator and the human behind it', /cop/.test(body) && /acting for/.test(body) && /hank/.test(body));
  check('change page: operation in plain words', /Revoke payroll:approver from account payroll:ghost/.test(body));
  check('change page: input signal with its digest', /hr-feed/.test(body) && /sha256:[0-9a-f]{64}/.test(body));
  check('change page: recommendation and rationale', /still holds approver/.test(body));
  check('change page: determining policies', /copilot-assists/.test(body) && /human-production-changes/.test(body));
  check('change page: obligations and readiness', /Evidence at closure/.test(body) && /Ownership completeness/.test(body));
  check('change page: approval stage and rollback plan', /Stage 1: owner/.test(body) && /Grant payroll:approver to account payroll:ghost/.test(body));
  await page.waitForSelector('#lineage-summary', { timeout: 20000 });
  await shot(page, 'change');
  await shot(page, 'change-full', { full: true });

  // approve: the reason is mandatory
  await page.click('#approve');
  check('approve without a reason is stopped', /reason is required/.test(await page.textContent('#decision-message')));
  await page.fill('#reason', 'confirmed with HR: ghost left on 2025-09-30');
  await page.click('#approve');
  await page.waitForSelector('#notice');
  check('the state changes to approved', /now: approved/.test(await page.textContent('#notice')) &&
    (await page.getAttribute('.head-badges [data-state]', 'data-state')) === 'approved');
  await page.waitForSelector('#lineage-summary', { timeout: 20000 });
  const summary = await page.textContent('#lineage-summary');
  const m = /All (\d+) entries of this change verified against checkpoint (\d+)/.exec(summary);
  check('lineage verified in the browser', !!m && Number(m[1]) === 2, summary);
  const statuses = await page.locator('.entry-status').allTextContents();
  check('each entry: "verified against checkpoint N"', statuses.length === 2 && statuses.every((s) => /✓ verified against checkpoint \d+/.test(s)), JSON.stringify(statuses));
  check('checkpoint signature checked', /Checkpoint \d+ signature valid/.test(await page.textContent('#checkpoint-status')));
  check('the approval appears in the timeline with its reason', /confirmed with HR/.test(await page.textContent('.timeline')));
  const vkey = (await (await fetch(`${BASE}/log/key`)).text()).trim();
  check('the verifier key is displayed', (await page.textContent('#verifier-key')) === vkey);
  await page.click('.keybox summary');
  await page.fill('#key-compare', vkey);
  check('comparing the key out of band: same', /same key/.test(await page.textContent('.compare-result')));
  await page.fill('#key-compare', vkey.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
  check('comparing the key out of band: different', /different key/.test(await page.textContent('.compare-result')));
  await page.click('.keybox summary');
  await shot(page, 'lineage', { element: 'section[aria-labelledby=lineage-h]' });

  // CSRF and Origin, with olivia's live cookie
  const csrfless = await page.evaluate(async (id) => {
    const r = await fetch(`/v1/changes/${id}/reject`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"reason":"x"}' });
    return [r.status, (await r.json()).error.code];
  }, C3);
  check('a mutation without the CSRF token is refused (403)', csrfless[0] === 403 && csrfless[1] === 'csrf', JSON.stringify(csrfless));
  const csrf = await page.evaluate(async () => (await (await fetch('/console/session')).json()).csrf);
  const foreign = await page.context().request.post(`${BASE}/v1/changes/${C3}/reject`, {
    headers: { Origin: 'http://evil.example', 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, data: { reason: 'x' },
  });
  check('a mutation from a foreign Origin is refused (403)', foreign.status() === 403 && /cross-site/.test(await foreign.text()));
  const site = await page.context().request.post(`${BASE}/v1/changes/${C3}/reject`, {
    headers: { 'Sec-Fetch-Site': 'cross-site', 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, data: { reason: 'x' },
  });
  check('Sec-Fetch-Site: cross-site is refused (403)', site.status() === 403);
  const wrong = await page.context().request.post(`${BASE}/v1/changes/${C3}/reject`, {
    headers: { 'X-CSRF-Token': 'a'.repeat(64), 'Content-Type': 'application/json' }, data: { reason: 'x' },
  });
  check('a wrong CSRF token is refused (403)', wrong.status() === 403);
  const reads = await page.evaluate(async () => (await fetch('/v1/whoami')).json());
  check('the cookie authenticates the public API (GET /v1/whoami)', reads.principal === 'olivia');

  // dashboard
  await page.click('a[data-nav=dashboard]');
  await page.waitForSelector('.domains');
  const dash = await page.textContent('main');
  check('dashboard: readiness per domain', /finance/i.test(dash) && /engineering/i.test(dash) && (await page.locator('.bar-row').count()) >= 14);
  check('dashboard: a trend from the snapshots', (await page.locator('svg.spark').count()) >= 1);
  check('dashboard: mandate consumption', /remove orphaned payroll access/.test(dash) && /1 \/ 3/.test(dash));
  check('dashboard: the denied AI action with its reason', /Proposal denied/.test(dash) && /outside mandate|never grant|forbid/i.test(dash));
  await shot(page, 'dashboard', { full: true });

  // phone
  const phone = await openPage(BASE, { width: 390, height: 844 });
  await signIn(phone, T.olivia);
  await phone.waitForSelector('.inbox');
  check('phone: no horizontal scrolling', await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  await shot(phone, 'inbox-phone');
  await phone.goto(`${BASE}/#/change/${C3}`);
  await phone.waitForSelector('#decide-h');
  check('phone: change page fits', await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  await phone.context().close();

  // sign out: the cookie no longer works
  await page.click('#signout');
  await page.waitForSelector('#signin-notice');
  check('signed out', /signed out/.test(await page.textContent('#signin-notice')));
  const after = await page.context().request.get(`${BASE}/v1/whoami`);
  check('the old session is dead after sign-out (401)', after.status() === 401);
  check('no request left this origin', page.foreign.length === 0, page.foreign.join(' '));
  check('no script error or CSP violation', page.problems.length === 0, page.problems.join(' | '));
  await page.context().close();

  // 3. hank may not approve what his copilot proposed
  {
    const p = await openPage(BASE);
    await signIn(p, T.hank);
    await p.waitForSelector('.inbox, .empty');
    check("hank's inbox does not offer his copilot's change", (await p.locator('.inbox-item').count()) === 0);
    await p.goto(`${BASE}/#/change/${C2}`);
    await p.waitForSelector('#decide-h');
    check('hank is told he is not an eligible approver', /not listed among the eligible approvers/.test(await p.textContent('.decide')));
    await p.fill('#reason', 'looks fine to me');
    await p.click('#approve');
    await p.waitForFunction(() => !document.getElementById('decision-message').hidden);
    const shown = await p.textContent('#decision-message');
    const direct = await (await fetch(`${BASE}/v1/changes/${C2}/approve`, {
      method: 'POST', headers: { Authorization: `Bearer ${T.hank}`, 'Content-Type': 'application/json' }, body: '{"reason":"x"}',
    })).json();
    check("self-approval refused with the server's message", shown === `The server refused: ${direct.error.message}` && /separation of duties/.test(shown), shown);
    check('the change is still awaiting approval', (await p.getAttribute('.head-badges [data-state]', 'data-state')) === 'awaiting_approval');
    await shot(p, 'self-approval-refused');
    await p.context().close();
  }

  // 4. an expired session goes back to sign-in (server with session_ttl=3)
  {
    const p = await openPage(SHORT);
    await signIn(p, T.olivia);
    await p.waitForSelector('.inbox');
    await p.waitForTimeout(3500);
    await p.click('a[data-nav=dashboard]');
    await p.waitForSelector('#signin-notice', { timeout: 10000 });
    check('expired session: back to sign-in', (await p.evaluate(() => location.hash)) === '#/signin' &&
      /expired/.test(await p.textContent('#signin-notice')), await p.textContent('#signin-notice'));
    await p.context().close();
  }
} catch (e) {
  check('no exception', false, e.stack || String(e));
} finally {
  for (const [ctx, dir] of opened) {
    await ctx.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
