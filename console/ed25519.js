// ed25519.js — Ed25519 signature verification (RFC 8032 §5.1.7), written
// for the console from the RFC with JavaScript BigInt, so a browser can
// check the log's signed checkpoint without trusting any third-party code
// and without WebCrypto's Ed25519 (not in every browser).  Verification
// only: no secrets are handled here, so constant time does not matter.
//
// Curve: the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over
// GF(p), p = 2^255 - 19, d = -121665/121666; base point B with y = 4/5
// and x even; group order L = 2^252 + 27742317777372353535851937790883648493.
// Points are kept in extended coordinates (X:Y:Z:T) with x = X/Z,
// y = Y/Z, x*y = T/Z (RFC 8032 §5.1.4), where one unified formula adds
// and doubles.  SHA-512 comes from WebCrypto (crypto.subtle.digest).

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function mod(a, m = P) {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

function pow(base, exp, m = P) {
  let r = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

const inv = (a) => pow(a, P - 2n);          // Fermat: a^(p-2) = 1/a
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);     // a square root of -1

// little-endian bytes <-> integer
function leToInt(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function intToLe32(n) {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 0; i < 32; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

const IDENTITY = { X: 0n, Y: 1n, Z: 1n, T: 0n };

// RFC 8032 §5.1.4, "add": complete for this curve, so it doubles too.
function add(p, q) {
  const A = mod((p.Y - p.X) * (q.Y - q.X));
  const B = mod((p.Y + p.X) * (q.Y + q.X));
  const C = mod(2n * p.T * q.T * D);
  const Dz = mod(2n * p.Z * q.Z);
  const E = B - A, F = Dz - C, G = Dz + C, H = B + A;
  return { X: mod(E * F), Y: mod(G * H), T: mod(E * H), Z: mod(F * G) };
}

const negate = (p) => ({ X: mod(-p.X), Y: p.Y, Z: p.Z, T: mod(-p.T) });

// [s]p by double-and-add (s is public here).
function mul(s, p) {
  let r = IDENTITY;
  let q = p;
  let k = s;
  while (k > 0n) {
    if (k & 1n) r = add(r, q);
    q = add(q, q);
    k >>= 1n;
  }
  return r;
}

// RFC 8032 §5.1.3: decoding a 32-byte point; null if it is not one.
function decode(bytes) {
  if (bytes.length !== 32) return null;
  const b = Uint8Array.from(bytes);
  const sign = b[31] >> 7;
  b[31] &= 0x7f;
  const y = leToInt(b);
  if (y >= P) return null;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  // candidate root x = u v^3 (u v^7)^((p-5)/8)
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === u) { /* x is a root */ } else if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
  else return null;
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return { X: x, Y: y, Z: 1n, T: mod(x * y) };
}

// RFC 8032 §5.1.2: the encoding of a point (y, with x's parity on top).
function encode(p) {
  const zi = inv(p.Z);
  const x = mod(p.X * zi), y = mod(p.Y * zi);
  const out = intToLe32(y);
  if (x & 1n) out[31] |= 0x80;
  return out;
}

const BASE = decode(intToLe32(mod(4n * inv(5n))));

async function sha512(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-512', buf));
}

// RFC 8032 §5.1.7.  publicKey: 32 bytes; signature: 64 bytes (R || S);
// message: bytes.  Resolves true only for a valid signature.
export async function verify(publicKey, message, signature) {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  const A = decode(publicKey);
  const Rbytes = signature.slice(0, 32);
  const R = decode(Rbytes);
  if (!A || !R) return false;
  const S = leToInt(signature.slice(32));
  if (S >= L) return false;                 // non-canonical S is refused
  const k = mod(leToInt(await sha512(Rbytes, publicKey, message)), L);
  // [S]B = R + [k]A  <=>  encode([S]B - [k]A) == R  (cofactorless check)
  const check = add(mul(S, BASE), negate(mul(k, A)));
  const enc = encode(check);
  return enc.every((x, i) => x === Rbytes[i]);
}

// RFC 8032 §7.1, TEST 1 and TEST 2: run once before trusting the verifier.
const hex = (s) => Uint8Array.from(s.match(/../g).map((b) => parseInt(b, 16)));
export async function selfTest() {
  const v1 = await verify(
    hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), new Uint8Array(0),
    hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'));
  const v2 = await verify(
    hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'), hex('72'),
    hex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'));
  // and a tampered message must fail
  const bad = await verify(
    hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'), hex('73'),
    hex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'));
  return v1 && v2 && !bad;
}
