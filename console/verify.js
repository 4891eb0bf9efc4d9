// verify.js — checks the lineage log in the browser, trusting only the
// verifier key (which an auditor compares out of band) and the code here:
//
//   1. the checkpoint is a C2SP signed note: text "origin\nsize\nroot\n",
//      a blank line, then signature lines "— <name> base64(keyhash[4] ||
//      Ed25519 signature[64])"; the verifier key is
//      "<name>+<hex keyhash>+base64(0x01 || public key)" and
//      keyhash = SHA-256(name || 0x0A || 0x01 || public key)[:4];
//   2. each entry's leaf hash is SHA-256(0x00 || exact entry bytes)
//      (RFC 9162 §2.1.1);
//   3. its inclusion proof leads from that leaf to the checkpoint's root
//      (RFC 9162 §2.1.3.2), with node = SHA-256(0x01 || left || right).
// SHA-256 is WebCrypto's; Ed25519 is ed25519.js (or WebCrypto's, when the
// browser has it, as a second opinion).
import { verify as ed25519Verify } from './ed25519.js';

const enc = new TextEncoder();

export function b64decode(s) {
  const bin = atob(s.trim());
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export function cryptoAvailable() {
  return typeof crypto !== 'undefined' && !!crypto.subtle;
}

// ---- RFC 9162 -------------------------------------------------------------------
export const leafHash = (entry) => sha256(Uint8Array.of(0), entry);
const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);

// RFC 9162 §2.1.3.2: true when proof (array of 32-byte hashes) shows leaf
// at index in the tree of size entries whose root is root.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

// ---- C2SP signed note + tlog-checkpoint ------------------------------------------
export function parseVerifierKey(vkey) {
  const s = vkey.trim();
  // names never contain '+' (C2SP signed-note); base64 keys may
  const a = s.indexOf('+');
  const b = s.indexOf('+', a + 1);
  if (a <= 0 || b <= a) throw new Error('the verifier key is not "name+keyhash+key"');
  const name = s.slice(0, a), hash = s.slice(a + 1, b), key = b64decode(s.slice(b + 1));
  if (!/^[0-9a-f]{8}$/.test(hash)) throw new Error('the verifier key hash is not 8 hex digits');
  if (key.length !== 33 || key[0] !== 1) throw new Error('the verifier key is not an Ed25519 key (0x01 || 32 bytes)');
  return { name, hash, publicKey: key.slice(1), raw: s };
}

export async function keyHash(name, publicKey) {
  return (await sha256(enc.encode(name), Uint8Array.of(0x0a, 0x01), publicKey)).slice(0, 4);
}

// Verifies a checkpoint note against a verifier key.  Returns
// {origin, size, root (bytes), method} or throws with what is wrong.
export async function verifyCheckpoint(note, vkey) {
  const key = parseVerifierKey(vkey);
  const expectHash = await keyHash(key.name, key.publicKey);
  if (toHex(expectHash) !== key.hash) throw new Error('the verifier key\'s hash does not match its name and key');
  const sep = note.indexOf('\n\n');
  if (sep < 0) throw new Error('the checkpoint is not a signed note (no blank line before the signatures)');
  const textPart = note.slice(0, sep + 1);
  const lines = textPart.split('\n');
  if (lines.length < 4) throw new Error('the checkpoint has fewer than three lines');
  const [origin, sizeLine, rootLine] = lines;
  if (!/^[0-9]+$/.test(sizeLine)) throw new Error('the checkpoint size is not a number');
  const root = b64decode(rootLine);
  if (root.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
  let found = false, ok = false;
  for (const line of note.slice(sep + 2).split('\n')) {
    if (!line) continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`malformed signature line: ${line}`);
    if (m[1] !== key.name) continue;
    const sig = b64decode(m[2]);
    if (sig.length !== 68 || !equal(sig.slice(0, 4), expectHash)) continue;
    found = true;
    ok = await ed25519Verify(key.publicKey, enc.encode(textPart), sig.slice(4));
    if (ok) break;
  }
  if (!found) throw new Error(`no signature by ${key.name} (key hash ${key.hash}) on the checkpoint`);
  if (!ok) throw new Error('the checkpoint signature is INVALID for the verifier key');
  let method = 'Ed25519 (console verifier, RFC 8032)';
  const second = await webcryptoEd25519(key.publicKey, enc.encode(textPart), note, key.name);
  if (second === false) throw new Error('WebCrypto Ed25519 disagrees: the signature is invalid');
  if (second === true) method += ' and WebCrypto Ed25519';
  return { origin, size: Number(sizeLine), root, method, key };
}

// WebCrypto's Ed25519 as a second opinion: true/false, or null when the
// browser does not offer it.
async function webcryptoEd25519(publicKey, message, note, name) {
  try {
    const k = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    for (const line of note.split('\n')) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const sig = b64decode(m[2]).slice(4);
      return await crypto.subtle.verify({ name: 'Ed25519' }, k, sig, message);
    }
    return null;
  } catch {
    return null;
  }
}
