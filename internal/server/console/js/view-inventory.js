// Inventory: the stored processors and assets; officers and admins replace
// the inventory (PUT /v1/inventory) from a YAML or JSON file.
import { h, add, clear, table, field, errorBox, num, announce } from './dom.js';

export async function inventoryView(ctx, root, query) {
  const inv = await ctx.api.get('/v1/inventory');
  add(root, h('h1', { text: 'Inventory' }),
    h('p', { class: 'muted', id: 'inv-version', text: `Version ${inv.version}: ${num(inv.processors.length)} processors, ${num(inv.assets.length)} assets, ${num(inv.approvals.length)} approvals. Transfers are not part of the inventory: checks record them.` }));
  if (query.get('saved')) add(root, h('p', { class: 'ok', role: 'status', text: query.get('saved') }));

  if (ctx.can('PUT', '/v1/inventory')) {
    const file = h('input', { id: 'inv-file', type: 'file', accept: '.yaml,.yml,.json,application/yaml,application/json' });
    const text = h('textarea', { id: 'inv-text', rows: '8', spellcheck: 'false', class: 'mono' });
    const err = h('div', { id: 'inv-error' });
    const btn = h('button', { type: 'submit', id: 'inv-upload', text: 'Replace the inventory' });
    file.addEventListener('change', async () => { if (file.files[0]) text.value = await file.files[0].text(); });
    const form = h('form', { id: 'inv-form', class: 'card', on: { submit: async (ev) => {
      ev.preventDefault();
      clear(err);
      if (!text.value.trim()) { err.append(errorBox({ message: 'Choose a file or paste the inventory.', code: 'form' })); return; }
      btn.disabled = true;
      try {
        const r = await ctx.api.request('PUT', '/v1/inventory', { body: text.value, headers: { 'Content-Type': 'application/yaml' } });
        announce('Inventory replaced');
        ctx.go('inventory', { saved: `Stored inventory version ${r.data.version}: ${r.data.processors} processors, ${r.data.assets} assets, ${r.data.approvals} approvals.` });
      } catch (e) {
        err.append(errorBox(e, 'The inventory was not stored'));
        if (e.details && e.details.length) err.append(h('p', { class: 'muted', text: 'Positions are line:column in the text above ("body").' }));
      } finally {
        btn.disabled = false;
      }
    } } },
    h('h2', { text: 'Replace the inventory' }),
    h('p', { class: 'muted', text: 'Processors, assets and approvals in the xborder inventory format (YAML or JSON), validated as xborder assess does. It replaces all three lists; transfers are refused (checks record them).' }),
    field('Inventory file', file), field('or paste it here', text), err, btn);
    add(root, form);
  }

  add(root, h('h2', { text: 'Processors' }), table('inv-processors', 'Processors (data exporters in China)', [
    { label: 'Processor', cell: p => h('code', { text: p.id }) },
    { label: 'Name', cell: p => p.name || '' },
    { label: 'Group', cell: p => p.group || '—' },
    { label: 'CIIO', cell: p => p.ciio ? 'yes' : 'no' },
    { label: 'Kinds', cell: p => (p.kinds || []).join(', ') },
    { label: 'Free trade zone', cell: p => p.ftz || 'none' },
  ], inv.processors, 'No processors yet: upload an inventory.'));

  add(root, h('h2', { text: 'Assets' }), table('inv-assets', 'Data assets', [
    { label: 'Asset', cell: a => h('code', { text: a.id }) },
    { label: 'Name', cell: a => a.name || '' },
    { label: 'Processor', cell: a => a.processor },
    { label: 'Data item', cell: a => h('code', { text: a.item }) },
    { label: 'Declared facts', cell: a => factsText(a.facts) },
  ], inv.assets, 'No assets yet.'));
}

function factsText(f) {
  if (!f) return '—';
  const e = Object.entries(f);
  if (e.length === 0) return '—';
  return e.map(([k, v]) => `${k} = ${Array.isArray(v) ? '[' + v.join(', ') + ']' : typeof v === 'number' ? num(v) : v}`).join('; ');
}
