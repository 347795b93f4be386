// Audit log: the latest signed checkpoint, the entries, and verification in
// the browser: an entry's inclusion in the signed tree (RFC 6962 with Web
// Crypto SHA-256), the checkpoint's Ed25519 signature against a key the
// auditor pins, and consistency with the last checkpoint this browser saw.
import { h, add, clear, table, field, errorBox, num, chinaTime } from './dom.js';
import * as M from './merkle.js';

const PAGE = 50;

export async function auditView(ctx, root, query) {
  add(root, h('h1', { text: 'Audit log' }));
  if (!M.hasWebCrypto()) {
    add(root, h('p', { class: 'error', role: 'alert', text: 'This page is not a secure context (HTTPS or localhost), so the browser offers no Web Crypto: proofs cannot be verified here. Serve the console over HTTPS, or verify with xborder audit verify.' }));
  }
  let cp;
  try {
    cp = await ctx.api.get('/v1/audit/checkpoint');
  } catch (e) {
    if (e.code !== 'not_found') throw e;
    add(root, h('p', { class: 'empty', text: 'No checkpoint has been signed yet.' }));
    return;
  }
  // The root and size the console trusts come from the signed note text,
  // not from the JSON fields beside it.
  let signed;
  try {
    signed = M.parseCheckpoint(M.parseNote(cp.note).text);
  } catch (e) {
    add(root, errorBox({ message: 'The checkpoint note cannot be read: ' + e.message, code: 'bad_checkpoint' }));
    return;
  }
  const size = Number(signed.size);
  const rootB64 = M.b64encode(signed.root);
  const fieldsAgree = signed.size === BigInt(cp.size) && rootB64 === cp.root && signed.origin === cp.origin;

  const cpBox = h('section', { class: 'card', 'aria-labelledby': 'cp-h' },
    h('h2', { id: 'cp-h', text: 'Latest signed checkpoint' }),
    h('dl', { class: 'kv' },
      h('dt', { text: 'Log' }), h('dd', {}, h('code', { text: signed.origin })),
      h('dt', { text: 'Size' }), h('dd', { id: 'cp-size', text: num(size) + ' entries' }),
      h('dt', { text: 'Root (SHA-256)' }), h('dd', {}, h('code', { id: 'cp-root', class: 'wrap', text: rootB64 })),
      h('dt', { text: 'Signed by' }), h('dd', { text: (cp.key_ids || []).join(', ') || '—' })),
    fieldsAgree ? null : h('p', { class: 'error', role: 'alert', text: 'The checkpoint JSON fields differ from its signed note: trust the note.' }),
    h('details', {}, h('summary', { text: 'Signed note' }), h('pre', { class: 'mono', text: cp.note })));
  add(root, cpBox);

  add(root, signatureBox(cp.note, signed.origin));
  const witness = h('section', { class: 'card', id: 'witness', 'aria-labelledby': 'w-h' }, h('h2', { id: 'w-h', text: 'Consistency with what this browser saw before' }));
  add(root, witness);
  await witnessCheck(ctx, witness, signed);

  // Inclusion.
  const idx = h('input', { id: 'verify-index', type: 'number', min: '0', max: String(Math.max(0, size - 1)), step: '1', required: true, inputmode: 'numeric' });
  const result = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const vform = h('form', { id: 'verify-form', class: 'inline', on: { submit: async (ev) => {
    ev.preventDefault();
    await verifyEntry(ctx, result, Number(idx.value), signed);
  } } }, field(`Entry number (0 to ${num(size - 1)})`, idx), h('button', { type: 'submit', id: 'verify-button', text: 'Verify inclusion' }));
  add(root, h('section', { class: 'card', 'aria-labelledby': 'v-h' },
    h('h2', { id: 'v-h', text: 'Verify that an entry is in the log' }),
    h('p', { class: 'muted', text: `The browser fetches the entry's bytes and the inclusion proof pinned to size ${num(size)}, hashes them itself (RFC 6962, SHA-256) and compares the result with the root in the signed note above.` }),
    size > 0 ? vform : h('p', { class: 'empty', text: 'The log is empty.' }), result));

  // Entries, newest first.
  const from = query.has('from') ? Math.max(0, Number(query.get('from')) || 0) : Math.max(0, size - PAGE);
  const page = await ctx.api.get('/v1/audit/entries', { from, limit: PAGE });
  const rows = page.entries.slice().reverse();
  add(root, h('h2', { text: 'Entries' }),
    h('p', { class: 'muted', id: 'entries-range', text: `Entries ${num(from)}–${num(from + page.entries.length - 1)} of ${num(page.size)} (newest first). Entries past ${num(size - 1)} are not yet in a signed checkpoint.` }),
    table('entries-table', 'Audit log entries', [
      { label: 'Entry', cell: e => String(e.index) },
      { label: 'Time', cell: e => e.archived ? 'archived' : chinaTime(e.time) },
      { label: 'Kind', cell: e => e.kind ? h('code', { text: e.kind }) : '—' },
      { label: 'Actor', cell: e => e.actor || '—' },
      { label: 'What', cell: e => summary(e) },
      { label: 'Verify', cell: e => e.index < size
        ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Verify entry ${e.index}`, text: 'Verify',
          on: { click: () => { idx.value = String(e.index); verifyEntry(ctx, result, e.index, signed); result.scrollIntoView({ block: 'nearest' }); } } })
        : h('span', { class: 'muted', text: 'not yet signed' }) },
    ], rows, 'No entries.'));
  const nav = h('nav', { class: 'pager', 'aria-label': 'Entry pages' },
    h('button', { type: 'button', class: 'secondary', id: 'entries-newer', disabled: from + PAGE >= page.size, text: '← Newer',
      on: { click: () => ctx.go('audit', { from: Math.min(from + PAGE, Math.max(0, page.size - PAGE)) }) } }),
    h('button', { type: 'button', class: 'secondary', id: 'entries-older', disabled: from === 0, text: 'Older →',
      on: { click: () => ctx.go('audit', { from: Math.max(0, from - PAGE) }) } }));
  add(root, nav);

  if (query.get('verify') !== null && query.get('verify') !== '') {
    const n = Number(query.get('verify'));
    idx.value = String(n);
    await verifyEntry(ctx, result, n, signed);
  }
}

function summary(e) {
  if (e.archived) return 'content archived (hash kept)';
  const b = e.body || {};
  let s = '';
  if (e.kind === 'transfer.check') s = `${b.decision || ''} ${b.transfer || ''} (${b.processor || ''}${b.mechanism ? ', ' + b.mechanism : ''})`;
  else if (e.kind === 'inventory.put') s = `inventory version ${b.version}`;
  else if (e.kind && e.kind.startsWith('approval.')) s = `${typeof b.approval === 'string' ? b.approval : (b.approval && b.approval.id) || ''} (version ${b.version})`;
  return h('details', {}, h('summary', { text: s.trim() || e.kind || 'entry' }), h('pre', { class: 'mono', text: JSON.stringify(b, null, 2) }));
}

// verifyEntry checks one entry's inclusion entirely in the browser.
async function verifyEntry(ctx, out, index, signed) {
  clear(out);
  out.dataset.verified = '';
  const size = signed.size;
  const fail = (why) => {
    out.dataset.verified = 'false';
    add(out, h('div', { class: 'verdict fail', role: 'alert' }, h('strong', { text: 'FAILED: ' }), `entry ${index} could not be verified against the signed checkpoint of size ${size}. `, why));
  };
  if (!Number.isInteger(index) || index < 0 || BigInt(index) >= size) return fail(`Choose an entry from 0 to ${size - 1n}.`);
  if (!M.hasWebCrypto()) return fail('No Web Crypto in this context.');
  add(out, h('p', { class: 'muted', text: 'Verifying…' }));
  let proof, entry;
  try {
    [proof, entry] = await Promise.all([
      ctx.api.get('/v1/audit/proof/inclusion', { index, size: String(size) }),
      ctx.api.get('/v1/audit/entries', { from: index, limit: 1 }),
    ]);
  } catch (e) {
    clear(out);
    return fail('The server did not give the proof: ' + e.message);
  }
  clear(out);
  const e = entry.entries[0];
  if (!e || e.index !== index) return fail('The server did not return that entry.');
  let leaf, decoded = null, how;
  try {
    if (e.data) {
      const bytes = M.b64decode(e.data);
      decoded = M.decodeEntry(bytes);
      if (decoded.index !== String(index)) return fail(`The entry's bytes say index ${decoded.index}.`);
      leaf = await M.leafHash(bytes);
      how = 'hashed from the entry bytes in this browser';
    } else {
      leaf = M.b64decode(proof.leaf_hash);
      how = 'the entry content is archived: its stored leaf hash was checked';
    }
  } catch (err) {
    return fail('The entry bytes cannot be read: ' + err.message);
  }
  if (proof.leaf_hash && !M.equalBytes(leaf, M.b64decode(proof.leaf_hash))) return fail('The entry bytes do not hash to the leaf the proof is about.');
  const path = (proof.proof || []).map(M.b64decode);
  let computed;
  try {
    computed = await M.rootFromInclusion(index, size, leaf, path);
  } catch (err) {
    return fail('The proof is malformed: ' + err.message);
  }
  if (!M.equalBytes(computed, signed.root)) return fail('The root recomputed from the proof differs from the signed root.');
  out.dataset.verified = 'true';
  add(out, h('div', { class: 'verdict pass', role: 'status' }, h('strong', { text: 'VERIFIED: ' }),
    `entry ${index} is in the log of size ${size} whose root is in the signed checkpoint (leaf ${how}; ${path.length} proof hashes).`),
  h('dl', { class: 'kv' },
    h('dt', { text: 'Leaf hash' }), h('dd', {}, h('code', { class: 'wrap', text: M.b64encode(leaf) })),
    h('dt', { text: 'Recomputed root' }), h('dd', {}, h('code', { class: 'wrap', text: M.b64encode(computed) }))),
  decoded ? h('details', { open: true }, h('summary', { text: 'The verified entry, as decoded from its bytes' }),
    h('dl', { class: 'kv' },
      h('dt', { text: 'Time' }), h('dd', { text: `${decoded.time} (${chinaTime(decoded.time)})` }),
      h('dt', { text: 'Kind' }), h('dd', {}, h('code', { text: decoded.kind })),
      h('dt', { text: 'Actor' }), h('dd', { text: decoded.actor })),
    h('pre', { class: 'mono', text: pretty(decoded.body) })) : null);
}

function pretty(s) {
  try { return JSON.stringify(JSON.parse(s), null, 2); } catch (_) { return s; }
}

function signatureBox(note, origin) {
  const key = 'xborder.vkey.' + origin;
  const input = h('input', { id: 'vkey', class: 'mono', autocomplete: 'off', spellcheck: 'false', value: localStorage.getItem(key) || '' });
  const out = h('div', { id: 'sig-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'sig-form', class: 'inline', on: { submit: async (ev) => {
    ev.preventDefault();
    clear(out);
    const r = await M.verifyNote(note, input.value);
    out.dataset.verified = String(r.ok);
    if (r.ok) localStorage.setItem(key, input.value.trim());
    add(out, h('div', { class: 'verdict ' + (r.ok ? 'pass' : 'fail'), role: r.ok ? 'status' : 'alert' },
      h('strong', { text: r.ok ? 'SIGNATURE VALID: ' : 'SIGNATURE NOT VERIFIED: ' }), r.reason));
  } } }, field('Verifier key of the log', input, 'name+hash+key, obtained from the operator through a channel you trust (it is in every audit export bundle). Kept in this browser once it verifies.'),
  h('button', { type: 'submit', id: 'sig-button', text: 'Verify signature' }));
  return h('section', { class: 'card', 'aria-labelledby': 'sig-h' }, h('h2', { id: 'sig-h', text: 'Checkpoint signature (Ed25519)' }), form, out);
}

// witnessCheck remembers the newest checkpoint this browser has seen for the
// log and proves that the current one extends it (the log was only appended
// to). A failure is kept on screen and the remembered checkpoint is kept.
async function witnessCheck(ctx, box, signed) {
  const key = 'xborder.seen.' + signed.origin;
  let seen = null;
  try { seen = JSON.parse(localStorage.getItem(key) || 'null'); } catch (_) { seen = null; }
  const out = h('div', { id: 'witness-result' });
  box.append(out);
  const remember = () => localStorage.setItem(key, JSON.stringify({ size: String(signed.size), root: M.b64encode(signed.root) }));
  const forget = h('button', { type: 'button', class: 'secondary', text: 'Forget the remembered checkpoint', on: { click: () => { localStorage.removeItem(key); ctx.go('audit'); } } });
  if (!seen || !M.hasWebCrypto()) {
    remember();
    out.dataset.verified = '';
    add(out, h('p', { class: 'muted', text: `This browser now remembers size ${signed.size}. Next time, it will check that the log only grew since.` }));
    return;
  }
  const s1 = BigInt(seen.size), r1 = M.b64decode(seen.root);
  let ok, text;
  if (s1 > signed.size) {
    ok = false;
    text = `the server shows size ${signed.size}, smaller than the size ${s1} this browser saw before: the log shrank or this is another log.`;
  } else if (s1 === signed.size) {
    ok = M.equalBytes(r1, signed.root);
    text = ok ? `same size ${s1} and same root as seen before.` : `same size ${s1} as seen before but a different root: the log was rewritten.`;
  } else {
    try {
      const p = await ctx.api.get('/v1/audit/proof/consistency', { from: String(s1), to: String(signed.size) });
      ok = await M.verifyConsistency(s1, signed.size, (p.proof || []).map(M.b64decode), r1, signed.root);
      text = ok ? `the log of size ${signed.size} extends the size ${s1} this browser saw before (consistency proof verified here).`
        : `the consistency proof from size ${s1} to ${signed.size} does not verify: entries seen before were changed.`;
    } catch (e) {
      ok = false;
      text = 'the server gave no consistency proof: ' + e.message;
    }
  }
  out.dataset.verified = String(ok);
  if (ok) remember();
  add(out, h('div', { class: 'verdict ' + (ok ? 'pass' : 'fail'), role: ok ? 'status' : 'alert' }, h('strong', { text: ok ? 'CONSISTENT: ' : 'INCONSISTENT: ' }), text), forget);
}
