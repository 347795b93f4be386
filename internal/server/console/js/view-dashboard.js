// Dashboard: the state of compliance at a glance.
import { h, add, num, badge, chinaTime, errorBox } from './dom.js';
import { countTransfers, findingsList } from './common.js';

function stat(id, label, value, note, small) {
  return h('div', { class: small ? 'stat small' : 'stat', id }, h('div', { class: 'stat-value', text: value }), h('div', { class: 'stat-label', text: label }),
    note ? h('div', { class: 'stat-note', text: note }) : null);
}

export async function dashboardView(ctx, root) {
  add(root, h('h1', { text: 'Dashboard' }));
  const [inv, asm, cp, allow, deny] = await Promise.allSettled([
    ctx.api.get('/v1/inventory'),
    ctx.api.get('/v1/assessment'),
    ctx.api.get('/v1/audit/checkpoint'),
    countTransfers(ctx.api, 'allow'),
    countTransfers(ctx.api, 'deny'),
  ]);

  const invBox = h('section', { class: 'card', 'aria-labelledby': 'd-inv' }, h('h2', { id: 'd-inv', text: 'Inventory' }));
  if (inv.status === 'fulfilled') {
    const v = inv.value;
    add(invBox, h('div', { class: 'stats' },
      stat('d-inv-version', 'inventory version', num(v.version)),
      stat('d-inv-processors', 'processors', num(v.processors.length)),
      stat('d-inv-assets', 'assets', num(v.assets.length)),
      stat('d-inv-approvals', 'approvals', num(v.approvals.length))));
  } else add(invBox, errorBox(inv.reason));

  const asBox = h('section', { class: 'card', 'aria-labelledby': 'd-assets' }, h('h2', { id: 'd-assets', text: 'Assets by result' }));
  if (asm.status === 'fulfilled') {
    const c = { important: 0, not_important: 0, undetermined: 0 };
    for (const a of asm.value.assets) c[a.result] = (c[a.result] || 0) + 1;
    add(asBox, h('p', { class: 'muted', text: `As of ${asm.value.as_of} (China time).` }),
      h('div', { class: 'stats' }, Object.entries(c).map(([k, n]) => stat('d-assets-' + k, k.replace('_', ' '), num(n)))));
  } else add(asBox, errorBox(asm.reason));

  const trBox = h('section', { class: 'card', 'aria-labelledby': 'd-transfers' }, h('h2', { id: 'd-transfers', text: 'Transfers by decision' }));
  const cnt = (r) => r.status === 'fulfilled' ? num(r.value.n) + (r.value.exact ? '' : '+') : 'error';
  add(trBox, h('div', { class: 'stats' },
    stat('d-transfers-allow', 'allowed', cnt(allow)),
    stat('d-transfers-deny', 'denied', cnt(deny))),
  h('p', {}, h('a', { href: '#/transfers', text: 'See the recorded transfers' })));
  if (allow.status === 'rejected') add(trBox, errorBox(allow.reason));

  const cpBox = h('section', { class: 'card', 'aria-labelledby': 'd-cp' }, h('h2', { id: 'd-cp', text: 'Latest signed checkpoint' }));
  if (cp.status === 'fulfilled') {
    const size = cp.value.size;
    let when = '—';
    if (size > 0) {
      try {
        const e = await ctx.api.get('/v1/audit/entries', { from: size - 1, limit: 1 });
        if (e.entries[0] && e.entries[0].time) when = chinaTime(e.entries[0].time);
      } catch (_) { /* the size is still worth showing */ }
    }
    add(cpBox, h('div', { class: 'stats' },
      stat('d-cp-size', 'entries signed', num(size)),
      stat('d-cp-time', 'newest signed entry', when, 'checkpoints carry no time: this is the time of the last entry they cover', true)),
    h('p', {}, h('a', { href: '#/audit', text: 'Open the audit log and verify entries' })));
  } else if (cp.reason && cp.reason.code === 'not_found') {
    add(cpBox, h('p', { class: 'empty', text: 'No checkpoint has been signed yet.' }));
  } else add(cpBox, errorBox(cp.reason));

  const fBox = h('section', { class: 'card wide', 'aria-labelledby': 'd-findings' }, h('h2', { id: 'd-findings', text: 'Findings' }));
  if (asm.status === 'fulfilled') add(fBox, findingsList(asm.value.findings, 'd-findings-list'));
  else add(fBox, errorBox(asm.reason));

  add(root, h('div', { class: 'grid' }, invBox, asBox, trBox, cpBox, fBox));
}
