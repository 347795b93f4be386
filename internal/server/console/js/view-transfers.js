// Transfers: the recorded checks (GET /v1/transfers), filtered and paged.
import { h, add, badge, table, field, num, chinaTime, list } from './dom.js';

const PAGE_SIZES = [25, 50, 100, 500];

export async function transfersView(ctx, root, query) {
  const q = {
    processor: query.get('processor') || '',
    from: query.get('from') || '',
    to: query.get('to') || '',
    decision: query.get('decision') || '',
    limit: Number(query.get('limit')) || 50,
    offset: Math.max(0, Number(query.get('offset')) || 0),
  };
  const [inv, res] = await Promise.all([ctx.api.get('/v1/inventory'), ctx.api.get('/v1/transfers', q)]);

  const proc = h('select', { id: 'f-processor', name: 'processor' }, h('option', { value: '', text: 'any' }),
    inv.processors.map(p => h('option', { value: p.id, selected: p.id === q.processor, text: p.name ? `${p.id} — ${p.name}` : p.id })));
  const from = h('input', { id: 'f-from', name: 'from', type: 'date', value: q.from });
  const to = h('input', { id: 'f-to', name: 'to', type: 'date', value: q.to });
  const dec = h('select', { id: 'f-decision', name: 'decision' },
    ['', 'allow', 'deny'].map(d => h('option', { value: d, selected: d === q.decision, text: d || 'any' })));
  const lim = h('select', { id: 'f-limit', name: 'limit' }, PAGE_SIZES.map(n => h('option', { value: String(n), selected: n === q.limit, text: String(n) })));
  const form = h('form', { id: 'transfers-filter', class: 'filters', on: { submit: (ev) => {
    ev.preventDefault();
    ctx.go('transfers', { processor: proc.value, from: from.value, to: to.value, decision: dec.value, limit: lim.value, offset: 0 });
  } } },
  field('Processor', proc), field('From (transfer date)', from), field('To (inclusive)', to), field('Decision', dec), field('Rows per page', lim),
  h('div', { class: 'field actions' }, h('button', { type: 'submit', text: 'Apply filters' })));

  const rows = res.transfers;
  add(root, h('h1', { text: 'Transfers' }),
    h('p', { class: 'muted', text: 'Every check recorded by POST /v1/transfers/check, in the order recorded. Allowed transfers are counted in the yearly totals.' }),
    form);

  const first = q.offset + 1, last = q.offset + rows.length;
  add(root, h('p', { id: 'transfers-range', role: 'status' }, rows.length ? `Rows ${num(first)}–${num(last)}` : 'No transfers match.'));
  add(root, table('transfers-table', 'Recorded transfer checks', [
    { label: '#', cell: t => String(t.seq) },
    { label: 'Transfer', cell: t => h('code', { text: t.id }) },
    { label: 'Date', cell: t => t.date },
    { label: 'Processor', cell: t => t.processor },
    { label: 'Assets', cell: t => (t.assets || []).join(', ') },
    { label: 'Recipient', cell: t => t.recipient ? `${t.recipient.name}${t.recipient.country ? ' (' + t.recipient.country + ')' : ''}` : '' },
    { label: 'Individuals', cell: t => `${num(t.individuals)} / ${num(t.sensitive_individuals)} sensitive`, class: 'n' },
    { label: 'Decision', cell: t => h('span', {}, badge(t.decision, 'decision-badge'), t.backfill ? ' (backfill)' : '') },
    { label: 'Mechanism', cell: t => t.mechanism ? badge(t.mechanism, 'mechanism') : '—' },
    { label: 'Coverage', cell: t => t.coverage ? badge(t.coverage, 'coverage') : '—' },
    { label: 'Why denied', cell: t => list(t.deny_reasons) || '—' },
    { label: 'Recorded', cell: t => h('span', {}, chinaTime(t.at), h('br'), h('span', { class: 'muted', text: `${t.actor || ''} · log #${t.log_index}` })) },
  ], rows, ''));

  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const base = { processor: q.processor, from: q.from, to: q.to, decision: q.decision, limit: q.limit };
  add(nav, h('button', { type: 'button', id: 'page-prev', class: 'secondary', disabled: q.offset === 0, text: '← Previous',
    on: { click: () => ctx.go('transfers', { ...base, offset: Math.max(0, q.offset - q.limit) }) } }));
  add(nav, h('button', { type: 'button', id: 'page-next', class: 'secondary', disabled: rows.length < q.limit, text: 'Next →',
    on: { click: () => ctx.go('transfers', { ...base, offset: q.offset + q.limit }) } }));
  add(root, nav);
}
