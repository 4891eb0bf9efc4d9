// api.js — the console talks to the server only through its public API
// (/v1/..., /log/...) plus sign-in (/console/session).  The session cookie
// is HttpOnly, so scripts never see it; what the page holds is the
// session's CSRF token, sent as X-CSRF-Token on every request that is not
// a GET (the server refuses such requests without it, and refuses them
// from any other origin).

let csrf = null;
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function setCsrf(token) { csrf = token; }
export function whenSignedOut(fn) { onSignedOut = fn; }

// fetch wrapper: JSON in, JSON out; failures become ApiError with the
// server's own message ({"error":{"code","message"}}).
export async function api(path, { method = 'GET', body, bearer, raw } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', `The server could not be reached (${e.message}).`);
  }
  if (raw && res.ok) return res;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: String(res.status), message: text || res.statusText };
    const e = new ApiError(res.status, err.code, err.message, data);
    // a dead session (expired, logged out, token revoked): back to sign-in
    // (no cookie at all: the browser dropped it when its Max-Age ran out)
    if (res.status === 401 && !bearer) {
      onSignedOut(e.code === 'session' ? e.message : 'Your session has expired; sign in again.');
    }
    throw e;
  }
  return data;
}

// Exact bytes (for verification) and plain text.
export async function bytes(path) {
  const res = await api(path, { raw: true });
  return new Uint8Array(await res.arrayBuffer());
}

export async function text(path) {
  const res = await api(path, { raw: true });
  return res.text();
}
