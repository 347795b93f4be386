// Check a transfer: POST /v1/transfers/check from a form. The browser makes
// the Idempotency-Key; resubmitting the same request (a double click, a
// retry after a network error) reuses it, so the server counts it once.
import { h, add, clear, badge, field, errorBox, list, num, announce } from './dom.js';
import { newIdempotencyKey } from './api.js';
import { reasonsList, missingList, findingsList, coverageCell, cumulativeText, CLAIMABLE_EXEMPTIONS } from './common.js';

let last = { body: null, key: null };

export async function checkView(ctx, root) {
  const inv = await ctx.api.get('/v1/inventory');
  const isAdmin = ctx.me.role === 'admin';

  const id = h('input', { id: 'c-id', name: 'id', required: true, maxlength: '200', autocomplete: 'off' });
  const proc = h('select', { id: 'c-processor', name: 'processor', required: true },
    h('option', { value: '', text: 'choose…' }),
    inv.processors.map(p => h('option', { value: p.id, text: p.name ? `${p.id} — ${p.name}` : p.id })));
  const assetsBox = h('fieldset', { id: 'c-assets', class: 'assets' }, h('legend', { text: 'Assets (of the processor)' }));
  const fillAssets = () => {
    for (const el of [...assetsBox.querySelectorAll('div')]) el.remove();
    const mine = inv.assets.filter(a => a.processor === proc.value);
    if (!proc.value) assetsBox.append(h('div', { class: 'muted', text: 'Choose a processor first.' }));
    else if (mine.length === 0) assetsBox.append(h('div', { class: 'muted', text: 'This processor has no assets.' }));
    for (const a of mine) {
      const cid = 'c-asset-' + a.id.replace(/[^A-Za-z0-9_-]/g, '_');
      assetsBox.append(h('div', { class: 'check' }, h('input', { type: 'checkbox', id: cid, name: 'assets', value: a.id }), ' ',
        h('label', { for: cid }, h('code', { text: a.id }), a.name ? ' — ' + a.name : '')));
    }
  };
  proc.addEventListener('change', fillAssets);
  fillAssets();
  const rname = h('input', { id: 'c-recipient', name: 'recipient', required: true, autocomplete: 'off' });
  const rcountry = h('input', { id: 'c-country', name: 'country', maxlength: '2', pattern: '[A-Za-z]{2}', autocomplete: 'off' });
  const purpose = h('textarea', { id: 'c-purpose', name: 'purpose', rows: '2', maxlength: '2000' });
  const inds = h('input', { id: 'c-individuals', name: 'individuals', type: 'number', min: '0', step: '1', inputmode: 'numeric' });
  const sens = h('input', { id: 'c-sensitive', name: 'sensitive_individuals', type: 'number', min: '0', step: '1', inputmode: 'numeric' });
  const exm = h('select', { id: 'c-exemption', name: 'exemption' }, h('option', { value: '', text: 'none claimed' }),
    CLAIMABLE_EXEMPTIONS.map(x => h('option', { value: x, text: x.replace(/_/g, ' ') })));
  const exref = h('input', { id: 'c-exemption-ref', name: 'exemption_ref', autocomplete: 'off' });
  const exfiled = h('input', { id: 'c-exemption-filed', name: 'exemption_filed', type: 'date' });
  const backfill = h('input', { id: 'c-backfill', name: 'backfill', type: 'checkbox' });
  const bdate = h('input', { id: 'c-date', name: 'date', type: 'date' });
  const submit = h('button', { type: 'submit', id: 'c-submit', text: 'Check transfer' });
  const out = h('div', { id: 'check-result', 'aria-live': 'polite' });

  const form = h('form', { id: 'check-form', class: 'card', on: { submit: async (ev) => {
    ev.preventDefault();
    clear(out);
    const assets = [...assetsBox.querySelectorAll('input[name=assets]:checked')].map(x => x.value);
    const body = { id: id.value.trim(), processor: proc.value, assets, recipient: { name: rname.value.trim() } };
    if (rcountry.value.trim()) body.recipient.country = rcountry.value.trim().toUpperCase();
    if (purpose.value.trim()) body.purpose = purpose.value.trim();
    // An empty count is "unknown" (null), which may leave the mechanism undetermined.
    body.individuals = inds.value === '' ? null : Number(inds.value);
    body.sensitive_individuals = sens.value === '' ? null : Number(sens.value);
    if (exm.value) body.exemption = exm.value;
    if (exref.value.trim()) body.exemption_ref = exref.value.trim();
    if (exfiled.value) body.exemption_filed = exfiled.value;
    if (isAdmin && backfill.checked) { body.backfill = true; body.date = bdate.value; }
    if (assets.length === 0) {
      add(out, errorBox({ message: 'Choose at least one asset.', code: 'form' }));
      return;
    }
    const text = JSON.stringify(body);
    const key = text === last.body && last.key ? last.key : newIdempotencyKey();
    last = { body: text, key };
    submit.disabled = true;
    announce('Checking…');
    try {
      const res = await ctx.api.request('POST', '/v1/transfers/check', { body: text, headers: { 'Idempotency-Key': key, 'Content-Type': 'application/json' } });
      add(out, renderDecision(res.data, key, res.headers.get('Idempotent-Replayed') === 'true'));
      announce('Decision: ' + res.data.decision);
    } catch (e) {
      add(out, errorBox(e, 'The check was not recorded'), h('p', { class: 'muted', text: `Idempotency-Key ${key}: submitting the same request again reuses it, so it is never counted twice.` }));
      announce('The check failed: ' + e.message);
    } finally {
      submit.disabled = false;
    }
  } } },
  h('div', { class: 'cols' },
    field('Transfer id', id, 'Unique id of this transfer, e.g. the pipeline run id.'),
    field('Processor (exporter)', proc)),
  assetsBox,
  h('div', { class: 'cols' },
    field('Recipient name', rname, 'As named in the approvals (case and outer spaces ignored).'),
    field('Recipient country', rcountry, 'Two-letter code, e.g. DE.')),
  field('Purpose', purpose),
  h('div', { class: 'cols' },
    field('Individuals (non-sensitive PI)', inds, 'Distinct individuals. Empty: unknown.'),
    field('Sensitive individuals', sens, 'Distinct individuals whose sensitive PI goes out. Empty: unknown.')),
  h('div', { class: 'cols' },
    field('Exemption claimed', exm),
    field('Exemption reference', exref, 'Required for the automotive exemptions.'),
    field('Report or filing date', exfiled)),
  isAdmin ? h('fieldset', { class: 'backfill' }, h('legend', { text: 'Backfill (admin)' }),
    h('div', { class: 'check' }, backfill, ' ', h('label', { for: 'c-backfill', text: 'Record a past transfer (logged as a backfill)' })),
    field('Transfer date', bdate)) : null,
  h('p', { class: 'muted', text: 'The transfer is dated today (China time). An allowed transfer is counted and logged at once.' }),
  submit);

  add(root, h('h1', { text: 'Check a transfer' }), form, out);
}

function renderDecision(r, key, replayed) {
  const allow = r.decision === 'allow';
  return h('section', { class: 'card decision-card ' + (allow ? 'is-allow' : 'is-deny'), 'aria-labelledby': 'cr-title' },
    h('h2', { id: 'cr-title' }, h('span', { class: 'decision', id: 'cr-decision', text: allow ? 'ALLOW' : 'DENY' }), ' ',
      h('span', { class: 'muted', text: `transfer ${r.transfer} on ${r.date}` })),
    replayed ? h('p', { class: 'notice', id: 'cr-replayed', text: 'This is the first answer to this same request (Idempotency-Key replay): nothing was counted again.' }) : null,
    h('dl', { class: 'kv' },
      h('dt', { text: 'Mechanism' }), h('dd', { id: 'cr-mechanism' }, badge(r.mechanism, 'mechanism'), r.exemption ? ` (${r.exemption.replace(/_/g, ' ')})` : ''),
      h('dt', { text: 'Coverage' }), h('dd', { id: 'cr-coverage' }, coverageCell(r.coverage)),
      h('dt', { text: 'Yearly totals with this transfer' }), h('dd', { id: 'cr-cumulative', text: cumulativeText(r.cumulative) }),
      h('dt', { text: 'Audit log entry' }), h('dd', { id: 'cr-log' }, h('a', { href: '#/audit?verify=' + r.log_index, text: '#' + r.log_index }), ` · inventory version ${num(r.inventory_version)}`),
      h('dt', { text: 'Idempotency-Key' }), h('dd', {}, h('code', { id: 'cr-key', text: key }))),
    r.deny_reasons && r.deny_reasons.length ? h('div', {}, h('h3', { text: 'Why it is denied' }), list(r.deny_reasons, 'deny-reasons')) : null,
    r.missing && r.missing.length ? h('div', {}, h('h3', { text: 'Facts still needed' }), missingList(r.missing, 'cr-missing')) : null,
    r.reasons && r.reasons.length ? h('div', {}, h('h3', { text: 'How the mechanism was reached' }), reasonsList(r.reasons, 'cr-reasons')) : null,
    r.findings && r.findings.length ? h('div', {}, h('h3', { text: 'Findings' }), findingsList(r.findings, 'cr-findings')) : null,
    r.assets && r.assets.length ? h('div', {}, h('h3', { text: 'Assets at the transfer date' }),
      h('ul', {}, r.assets.map(a => h('li', {}, h('code', { text: a.id }), ' ', badge(a.result, 'result'))))) : null);
}
