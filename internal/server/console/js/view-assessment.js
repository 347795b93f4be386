// Assessment: GET /v1/assessment, the same JSON as `xborder assess --format
// json` over the stored inventory and the counted transfers.
import { h, add, badge, table, list, field, num } from './dom.js';
import { byId, reasonsList, missingList, findingsList, coverageCell, cumulativeText } from './common.js';

export async function assessmentView(ctx, root, query) {
  const asOf = query.get('as_of') || '';
  const [asm, inv] = await Promise.all([
    ctx.api.get('/v1/assessment', { as_of: asOf }),
    ctx.api.get('/v1/inventory'),
  ]);
  const names = byId(inv.assets);
  const dateIn = h('input', { id: 'as-of', name: 'as_of', type: 'date', value: asOf });
  const form = h('form', { class: 'inline', id: 'assess-form', on: { submit: (ev) => { ev.preventDefault(); ctx.go('assessment', { as_of: dateIn.value }); } } },
    field('As of (China time)', dateIn, 'Empty: today.'), h('button', { type: 'submit', text: 'Assess' }));
  const blob = new Blob([JSON.stringify(asm, null, 2)], { type: 'application/json' });
  const dl = h('a', { href: URL.createObjectURL(blob), download: `assessment-${asm.as_of}.json`, class: 'button secondary', text: 'Download JSON' });

  add(root, h('h1', { text: 'Assessment' }),
    h('p', { class: 'muted' }, `As of ${asm.as_of} · schema ${asm.schema} · packs: `,
      (asm.packs || []).map(p => `${p.id} ${p.version}`).join(', ')),
    h('div', { class: 'toolbar' }, form, dl));

  const important = asm.assets.filter(a => a.result === 'important').length;
  const undetermined = asm.assets.filter(a => a.result === 'undetermined').length;
  add(root, h('p', { id: 'assess-summary' },
    `${num(asm.assets.length)} assets: ${num(important)} important, ${num(undetermined)} undetermined; `,
    `${num(asm.transfers.length)} counted transfers; ${num((asm.findings || []).length)} findings.`));

  add(root, h('h2', { text: 'Assets' }), table('assess-assets', 'Data assets, their result and why', [
    { label: 'Asset', cell: a => h('code', { text: a.id }) },
    { label: 'Name', cell: a => (names.get(a.id) || {}).name || '' },
    { label: 'Processor', cell: a => a.processor },
    { label: 'Data item', cell: a => h('code', { text: a.item }) },
    { label: 'Result', cell: a => badge(a.result, 'result') },
    { label: 'Why', cell: a => whyAsset(a) },
  ], asm.assets, 'No assets in the inventory.'));

  add(root, h('h2', { text: 'Transfers' }), table('assess-transfers', 'Counted transfers with mechanism and coverage', [
    { label: 'Transfer', cell: t => h('code', { text: t.id }) },
    { label: 'Processor', cell: t => t.processor },
    { label: 'Mechanism', cell: t => h('span', {}, badge(t.mechanism, 'mechanism'), t.exemption ? h('span', { text: ' (' + t.exemption.replace(/_/g, ' ') + ')' }) : null) },
    { label: 'Coverage', cell: t => coverageCell(t.coverage) },
    { label: 'Yearly totals', cell: t => cumulativeText(t.cumulative) },
    { label: 'Reasons', cell: t => t.reasons && t.reasons.length ? h('details', {}, h('summary', { text: `${t.reasons.length} reason(s)` }), reasonsList(t.reasons)) : '—' },
  ], asm.transfers, 'No counted transfers yet: transfers are recorded by checks.'));

  add(root, h('h2', { text: 'Findings' }), findingsList(asm.findings, 'assess-findings'));

  // The checklist: every fact still needed, asset by asset. The boxes are for
  // the officer's own tracking and are not saved.
  const open = asm.assets.filter(a => a.missing && a.missing.length);
  add(root, h('h2', { text: 'Missing facts checklist' }));
  if (open.length === 0) add(root, h('p', { class: 'empty', id: 'assess-missing', text: 'Nothing is missing: every asset is decided.' }));
  else {
    add(root, h('p', { class: 'muted', text: 'Declare these facts in the inventory (or name data sources for xborder scan) to decide the undetermined assets. Ticks are not saved.' }),
      h('ul', { class: 'checklist', id: 'assess-missing' }, open.flatMap(a => a.missing.map((m, i) => {
        const id = `miss-${a.id}-${m.fact}-${i}`.replace(/[^A-Za-z0-9_-]/g, '_');
        return h('li', {}, h('input', { type: 'checkbox', id }), ' ',
          h('label', { for: id }, h('code', { text: a.id }), ' — ', h('code', { text: m.fact }), ': ', m.question || ''));
      }))));
  }
}

function whyAsset(a) {
  if (a.result === 'important' && a.matched && a.matched.length) {
    return list(a.matched.map(m => h('span', {}, m.text || m.criterion, m.provenance ? h('span', { class: 'prov', text: ` [${m.provenance}]` }) : null)));
  }
  if (a.result === 'undetermined') return h('div', {}, 'Needs: ', missingList(a.missing));
  return h('span', { class: 'muted', text: 'no criterion holds' });
}
