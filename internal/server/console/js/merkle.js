// merkle.js: checks the audit log's proofs in the browser, so an auditor
// does not have to trust the server's word that an entry is in the log.
// Hashing is RFC 6962 (RFC 9162 §2.1) with Web Crypto SHA-256:
//   leaf = SHA-256(0x00 || entry bytes), node = SHA-256(0x01 || left || right).
// Checkpoints are signed notes (golang.org/x/mod/sumdb/note) with Ed25519.

export function hasWebCrypto() {
  return !!(globalThis.crypto && globalThis.crypto.subtle);
}

export function b64decode(s) {
  const bin = atob(String(s));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function hex(bytes) {
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

export function equalBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

function concat(...parts) {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

export function leafHash(data) { return sha256(Uint8Array.of(0), data); }
export function nodeHash(l, r) { return sha256(Uint8Array.of(1), l, r); }

function checkHashes(proof) {
  for (const p of proof) if (!(p instanceof Uint8Array) || p.length !== 32) throw new Error('a proof hash is not 32 bytes');
}

// rootFromInclusion recomputes the root of a tree of `size` leaves from a
// leaf hash at `index` and its audit path (RFC 9162 §2.1.3.2). Sizes are
// BigInt so logs past 2^31 entries work.
export async function rootFromInclusion(index, size, leaf, proof) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (BigInt(index) >= BigInt(size)) throw new Error(`index ${index} is not below size ${size}`);
  checkHashes(proof);
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new Error('the proof is longer than the tree allows');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('the proof is shorter than the tree needs');
  return r;
}

// verifyInclusion: true when the proof takes leaf to root; false otherwise
// (a malformed proof is a failed proof, never an exception).
export async function verifyInclusion(index, size, leaf, proof, root) {
  try {
    return equalBytes(await rootFromInclusion(index, size, leaf, proof), root);
  } catch (_) {
    return false;
  }
}

// verifyConsistency checks that the tree of size1 (root1) is a prefix of the
// tree of size2 (root2) (RFC 9162 §2.1.4.2).
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  try {
    let first = BigInt(size1), second = BigInt(size2);
    if (first > second) return false;
    checkHashes(proof);
    if (first === second) return proof.length === 0 && equalBytes(root1, root2);
    if (first === 0n) return proof.length === 0;
    if (proof.length === 0) return false;
    let path = proof.slice();
    if ((first & (first - 1n)) === 0n) path = [root1, ...path];
    let fn = first - 1n, sn = second - 1n;
    while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n && equalBytes(fr, root1) && equalBytes(sr, root2);
  } catch (_) {
    return false;
  }
}

// parseNote splits a signed note into its text and signature lines.
export function parseNote(note) {
  const s = String(note);
  const i = s.lastIndexOf('\n\n');
  if (i < 0) throw new Error('not a signed note: no blank line before the signatures');
  const text = s.slice(0, i + 1);
  const sigs = [];
  for (const line of s.slice(i + 2).split('\n')) {
    if (line === '') continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error('malformed signature line');
    const raw = b64decode(m[2]);
    if (raw.length < 5) throw new Error('signature too short');
    sigs.push({ name: m[1], hash: (raw[0] << 24 | raw[1] << 16 | raw[2] << 8 | raw[3]) >>> 0, sig: raw.slice(4) });
  }
  return { text, sigs };
}

// parseCheckpoint reads "origin\nsize\nbase64(root)\n" from a note's text.
export function parseCheckpoint(text) {
  const lines = String(text).split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') throw new Error('checkpoint: want origin, size and root lines');
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error('checkpoint: bad size');
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Error('checkpoint: root is not 32 bytes');
  return { origin: lines[0], size: BigInt(lines[1]), root };
}

// parseVerifierKey reads a note verifier key "name+hash+base64(0x01||pub)".
export async function parseVerifierKey(vkey) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(String(vkey).trim());
  if (!m) throw new Error('a verifier key looks like name+0123abcd+base64');
  const key = b64decode(m[3]);
  if (key.length !== 33 || key[0] !== 1) throw new Error('not an Ed25519 note key');
  const h = await sha256(new TextEncoder().encode(m[1] + '\n'), key);
  const want = parseInt(m[2], 16) >>> 0;
  const got = (h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]) >>> 0;
  if (got !== want) throw new Error('the key hash does not match the key');
  return { name: m[1], hash: want, pub: key.slice(1) };
}

// verifyNote checks an Ed25519 signature on a note by the given key.
// Returns {ok, reason}.
export async function verifyNote(note, vkey) {
  let key, parsed;
  try {
    key = await parseVerifierKey(vkey);
    parsed = parseNote(note);
  } catch (e) {
    return { ok: false, reason: e.message };
  }
  const sig = parsed.sigs.find(s => s.name === key.name && s.hash === key.hash);
  if (!sig) return { ok: false, reason: 'the note carries no signature by this key' };
  if (sig.sig.length !== 64) return { ok: false, reason: 'the signature is not 64 bytes' };
  try {
    const k = await crypto.subtle.importKey('raw', key.pub, { name: 'Ed25519' }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, k, sig.sig, new TextEncoder().encode(parsed.text));
    return ok ? { ok: true, reason: 'valid Ed25519 signature by ' + key.name } : { ok: false, reason: 'the signature does not match the note' };
  } catch (e) {
    return { ok: false, reason: 'this browser cannot verify Ed25519 (' + e.message + ')' };
  }
}

// decodeEntry reads an audit entry's canonical bytes
// ("xborder-audit-entry/1\nindex N\ntime T\nkind K\nactor A\nprev P\n\nBODY")
// so the console shows exactly the bytes it hashed.
export function decodeEntry(bytes) {
  const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const cut = s.indexOf('\n\n');
  if (cut < 0) throw new Error('entry: no body');
  const head = s.slice(0, cut).split('\n');
  if (head[0] !== 'xborder-audit-entry/1') throw new Error('entry: unknown format ' + head[0]);
  const out = { body: s.slice(cut + 2) };
  for (const line of head.slice(1)) {
    const sp = line.indexOf(' ');
    if (sp < 0) throw new Error('entry: malformed header line');
    out[line.slice(0, sp)] = line.slice(sp + 1);
  }
  return out;
}
