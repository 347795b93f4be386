// Approvals: the approvals of the stored inventory; officers and admins add,
// edit and delete them (PUT/DELETE /v1/approvals/{id}, each an audit entry).
import { h, add, clear, badge, table, field, errorBox, num, announce } from './dom.js';

const KINDS = ['security_assessment', 'standard_contract', 'certification'];

export async function approvalsView(ctx, root, query) {
  const inv = await ctx.api.get('/v1/inventory');
  const canPut = ctx.can('PUT', '/v1/approvals/{id}');
  const canDelete = ctx.can('DELETE', '/v1/approvals/{id}');
  const editorBox = h('div', { id: 'approval-editor' });
  const msg = h('div', { id: 'approvals-msg', 'aria-live': 'polite' });
  const flash = query.get('saved') ? h('p', { class: 'ok', role: 'status', text: query.get('saved') }) : null;

  add(root, h('h1', { text: 'Approvals' }),
    h('p', { class: 'muted', text: `Security assessments, standard contracts and certifications in inventory version ${inv.version}. An approval covers a transfer when its kind meets the need, its holder is the processor (or its group), it is valid on the transfer date and its scope holds the assets, the recipient and the individuals.` }),
    flash, msg);
  if (canPut) add(root, h('p', {}, h('button', { type: 'button', id: 'approval-new', text: 'New approval', on: { click: () => openEditor(ctx, editorBox, inv, null) } })));
  add(root, editorBox);

  const cols = [
    { label: 'Approval', cell: a => h('code', { text: a.id }) },
    { label: 'Kind', cell: a => badge(a.kind, 'kind') },
    { label: 'Holder', cell: a => a.group ? `group ${a.group}` : a.processor },
    { label: 'Reference', cell: a => a.reference || '—' },
    { label: 'Valid', cell: a => validity(a) },
    { label: 'Scope', cell: a => scopeText(a.scope) },
  ];
  if (canPut || canDelete) {
    cols.push({ label: 'Actions', cell: a => {
      const cell = h('div', { class: 'row-actions' });
      if (canPut) cell.append(h('button', { type: 'button', class: 'secondary edit', 'aria-label': `Edit ${a.id}`, text: 'Edit',
        on: { click: () => openEditor(ctx, editorBox, inv, a) } }));
      if (canDelete) cell.append(h('button', { type: 'button', class: 'danger delete', 'aria-label': `Delete ${a.id}`, text: 'Delete',
        on: { click: () => confirmDelete(ctx, cell, a, msg) } }));
      return cell;
    } });
  }
  add(root, table('approvals-table', 'Approvals', cols, inv.approvals, 'No approvals in the inventory.'));
}

function validity(a) {
  const parts = [];
  if (a.issued) parts.push('issued ' + a.issued);
  if (a.effective) parts.push('effective ' + a.effective);
  if (a.filed) parts.push('filed ' + a.filed);
  parts.push(a.expires ? 'expires ' + a.expires : (a.kind === 'standard_contract' ? 'no end date' : 'default term'));
  return parts.join(' · ');
}

function scopeText(s) {
  if (!s) return 'any';
  const out = [];
  out.push(s.assets && s.assets.length ? 'assets: ' + s.assets.join(', ') : 'any asset');
  out.push(s.recipients && s.recipients.length ? 'recipients: ' + s.recipients.join('; ') : 'any recipient');
  if (s.max_individuals !== undefined) out.push('at most ' + num(s.max_individuals) + ' individuals');
  return out.join(' · ');
}

function confirmDelete(ctx, cell, a, msg) {
  clear(cell);
  const yes = h('button', { type: 'button', class: 'danger', id: 'confirm-delete', text: `Confirm: delete ${a.id}`, on: { click: async () => {
    yes.disabled = true;
    try {
      const r = await ctx.api.request('DELETE', '/v1/approvals/' + encodeURIComponent(a.id));
      announce(`Deleted ${a.id}`);
      ctx.go('approvals', { saved: `Deleted ${a.id} (inventory version ${r.data.version}).` });
    } catch (e) {
      clear(msg).append(errorBox(e, `Could not delete ${a.id}`));
      yes.disabled = false;
    }
  } } });
  const no = h('button', { type: 'button', class: 'secondary', text: 'Cancel', on: { click: () => ctx.go('approvals') } });
  cell.append(h('span', { class: 'warn', text: 'Transfers relying on it will be denied. ' }), yes, ' ', no);
  yes.focus();
}

function lines(s) {
  return String(s).split(/[\n,]/).map(x => x.trim()).filter(Boolean);
}

function openEditor(ctx, box, inv, a) {
  clear(box);
  const isNew = !a;
  a = a || { scope: {} };
  const s = a.scope || {};
  const id = h('input', { id: 'a-id', required: true, value: a.id || '', readOnly: !isNew, autocomplete: 'off' });
  const kind = h('select', { id: 'a-kind', required: true }, KINDS.map(k => h('option', { value: k, selected: k === a.kind, text: k.replace(/_/g, ' ') })));
  const proc = h('select', { id: 'a-processor' }, h('option', { value: '', text: '(none: a group approval)' }),
    inv.processors.map(p => h('option', { value: p.id, selected: p.id === a.processor, text: p.name ? `${p.id} — ${p.name}` : p.id })));
  const group = h('input', { id: 'a-group', value: a.group || '', autocomplete: 'off' });
  const d = (name, v) => h('input', { id: 'a-' + name, type: 'date', value: v || '' });
  const issued = d('issued', a.issued), expires = d('expires', a.expires), effective = d('effective', a.effective), filed = d('filed', a.filed);
  const ref = h('input', { id: 'a-reference', value: a.reference || '', autocomplete: 'off' });
  const assets = h('textarea', { id: 'a-assets', rows: '3', text: (s.assets || []).join('\n') });
  const recips = h('textarea', { id: 'a-recipients', rows: '3', text: (s.recipients || []).join('\n') });
  const max = h('input', { id: 'a-max', type: 'number', min: '0', step: '1', value: s.max_individuals !== undefined ? String(s.max_individuals) : '' });
  const err = h('div', { id: 'approval-error' });
  const form = h('form', { id: 'approval-form', class: 'card', on: { submit: async (ev) => {
    ev.preventDefault();
    clear(err);
    const body = { id: id.value.trim(), kind: kind.value };
    if (proc.value) body.processor = proc.value;
    if (group.value.trim()) body.group = group.value.trim();
    for (const [k, el] of [['issued', issued], ['expires', expires], ['effective', effective], ['filed', filed]]) if (el.value) body[k] = el.value;
    if (ref.value.trim()) body.reference = ref.value.trim();
    const scope = {};
    if (lines(assets.value).length) scope.assets = lines(assets.value);
    const rs = recips.value.split('\n').map(x => x.trim()).filter(Boolean);
    if (rs.length) scope.recipients = rs;
    if (max.value !== '') scope.max_individuals = Number(max.value);
    if (Object.keys(scope).length) body.scope = scope;
    try {
      // One line of JSON: the server reads it as the inventory format, and
      // error positions (line 1, column N) point into this line.
      const r = await ctx.api.request('PUT', '/v1/approvals/' + encodeURIComponent(body.id), { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      ctx.go('approvals', { saved: `Saved ${body.id} (inventory version ${r.data.version}).` });
    } catch (e) {
      err.append(errorBox(e, 'Not saved'));
    }
  } } },
  h('h2', { text: isNew ? 'New approval' : `Edit ${a.id}` }),
  h('div', { class: 'cols' }, field('Approval id', id), field('Kind', kind)),
  h('div', { class: 'cols' }, field('Holder: processor', proc), field('or holder: group id', group, 'A parent\'s consolidated approval names the group instead.')),
  h('div', { class: 'cols' }, field('Issued', issued), field('Expires (last valid day)', expires, 'Empty: the default term of the kind.')),
  h('div', { class: 'cols' }, field('Effective (standard contract)', effective), field('Filed with the provincial CAC', filed)),
  field('Reference', ref),
  h('div', { class: 'cols' }, field('Scope: assets', assets, 'One asset id per line. Empty: any asset.'),
    field('Scope: recipients', recips, 'One recipient name per line. Empty: any recipient.')),
  field('Scope: at most this many individuals', max, 'Caps all transfers relying on it while it is valid. Empty: no cap.'),
  err,
  h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'approval-save', text: 'Save approval' }), ' ',
    h('button', { type: 'button', class: 'secondary', text: 'Cancel', on: { click: () => clear(box) } })));
  box.append(form);
  (isNew ? id : kind).focus();
}
