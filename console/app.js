// app.js — the approver console: session bootstrap, sign-in and sign-out,
// and a tiny hash router (#/inbox, #/change/<id>, #/dashboard, #/signin).
// Every page is built with dom.js from the public API's JSON.
import { api, setCsrf, whenSignedOut, ApiError } from './api.js';
import { h, mount, announce } from './dom.js';
import { renderInbox } from './inbox.js';
import { renderChange } from './change.js';
import { renderDashboard } from './dashboard.js';

const main = document.getElementById('main');
let me = null;            // {principal, name, kind, roles, expires_at}
let signinNotice = '';    // why we are back at sign-in (expired session, ...)

function setUser(session) {
  me = session;
  setCsrf(session ? session.csrf : null);
  document.getElementById('nav').hidden = !session;
  document.getElementById('user').hidden = !session;
  document.getElementById('user-name').textContent =
    session ? (session.name ? `${session.name} (${session.principal})` : session.principal) : '';
}

whenSignedOut((message) => {
  if (!me) return;
  setUser(null);
  signinNotice = message || 'Your session has ended.';
  location.hash = '#/signin';
});

// ---- sign-in -------------------------------------------------------------------------
function renderSignin() {
  const err = h('div', { class: 'alert alert-bad', role: 'alert', hidden: true });
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-help', placeholder: 'tok_….<64 hex>',
  });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h('form', { class: 'signin-form', novalidate: true }, [
    h('label', { for: 'token' }, 'Personal token'),
    input,
    h('p', { id: 'token-help', class: 'help' },
      'Create one on the command line: ', h('code', null, 'warrant token create --as YOUR-ID'),
      '. It is exchanged for a session cookie and not kept by this page. Only people sign in: copilot, agent and service tokens are refused.'),
    err,
    button,
  ]);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    const token = input.value.trim();
    if (!token) {
      err.textContent = 'Paste your token first.';
      err.hidden = false;
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      const s = await api('/console/session', { method: 'POST', bearer: token });
      input.value = '';
      setUser(s);
      announce(`Signed in as ${s.principal}`);
      location.hash = '#/inbox';
    } catch (e) {
      err.textContent = e instanceof ApiError ? e.message : String(e);
      err.hidden = false;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  const notice = signinNotice
    ? h('div', { class: 'alert alert-warn', role: 'status', id: 'signin-notice' }, signinNotice) : null;
  signinNotice = '';
  mount(main, h('div', { class: 'signin' }, [
    h('div', { class: 'signin-card card' }, [
      h('h1', null, 'Sign in to the approver console'),
      h('p', { class: 'lede' }, 'Review the changes that wait for your decision, see their whole lineage, and verify it yourself.'),
      notice,
      form,
    ]),
  ]));
  input.focus();
}

async function signOut() {
  try { await api('/console/session', { method: 'DELETE' }); } catch { /* already gone */ }
  setUser(null);
  signinNotice = 'You have signed out.';
  location.hash = '#/signin';
}
document.getElementById('signout').addEventListener('click', signOut);

// ---- routing ------------------------------------------------------------------------------
function markNav(name) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

export function setPendingCount(n) {
  document.getElementById('nav-count').textContent = n ? String(n) : '';
}

async function route() {
  const hash = location.hash || '#/inbox';
  if (!me && hash !== '#/signin') {
    location.hash = '#/signin';
    return;
  }
  if (me && hash === '#/signin') {
    location.hash = '#/inbox';
    return;
  }
  const [, page, arg] = hash.split('/');
  markNav(page);
  const ctx = { main, me, setPendingCount };
  try {
    if (page === 'signin') renderSignin();
    else if (page === 'change' && arg) await renderChange(ctx, decodeURIComponent(arg));
    else if (page === 'dashboard') await renderDashboard(ctx);
    else await renderInbox(ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;   // handled: back to sign-in
    mount(main, h('div', { class: 'alert alert-bad', role: 'alert' },
      `Could not load this page: ${e.message || e}`));
  }
  if (page !== 'signin') main.focus({ preventScroll: true });
}

async function boot() {
  try {
    const s = await api('/console/session');
    setUser(s);
  } catch {
    setUser(null);
  }
  window.addEventListener('hashchange', route);
  route();
}

boot();
