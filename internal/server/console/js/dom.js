// dom.js: building the page without ever parsing data as HTML. Every value
// from the API goes into the page as a text node or an attribute value, so
// a name like "<img onerror=...>" shows as those characters and runs nothing.

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'required', 'multiple', 'readOnly', 'open']);

// h(tag, props, ...children) makes an element. props: attributes (strings),
// the DOM properties in PROPS, class, text (textContent) and on ({event: fn}).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (/^on/i.test(k)) throw new Error('h: event handlers go in on: {}');
    else if (k === 'href' && !/^(#|\/|blob:)/.test(String(v))) throw new Error('h: only local links');
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

// add appends children: nodes as they are, anything else as text.
export function add(el, ...children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// num formats an integer with thousands separators (no locale surprises).
export function num(n) {
  if (n === null || n === undefined || n === '') return '—';
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// chinaTime shows an instant in China time (UTC+8, no daylight saving), the
// time the law counts in, whatever the browser's zone.
export function chinaTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const c = new Date(d.getTime() + 8 * 3600 * 1000);
  return `${c.getUTCFullYear()}-${pad(c.getUTCMonth() + 1)}-${pad(c.getUTCDate())} ${pad(c.getUTCHours())}:${pad(c.getUTCMinutes())}:${pad(c.getUTCSeconds())} CST`;
}

// badge shows an enum value as text with a colour class; the text alone
// carries the meaning (colour is only a second cue).
export function badge(value, kind = '') {
  const v = value === null || value === undefined ? 'none' : String(value);
  return h('span', { class: `badge ${kind} v-${v.replace(/[^a-z0-9_]/gi, '')}`, text: v.replace(/_/g, ' ') });
}

// table builds an accessible table: caption, header cells with scope, and a
// row per item. cols: [{label, cell(item) -> node|string, class}].
export function table(id, caption, cols, items, empty = 'None.') {
  if (!items || items.length === 0) return h('p', { class: 'empty', id, text: empty });
  return h('div', { class: 'table-wrap' },
    h('table', { id },
      h('caption', { text: caption }),
      h('thead', {}, h('tr', {}, cols.map(c => h('th', { scope: 'col', class: c.class || null, text: c.label })))),
      h('tbody', {}, items.map(it => h('tr', {}, cols.map((c, i) => {
        const v = c.cell(it);
        return i === 0 ? h('th', { scope: 'row', class: c.class || null }, v) : h('td', { class: c.class || null }, v);
      }))))));
}

// list renders strings as a bulleted list (or nothing).
export function list(items, cls = '') {
  if (!items || items.length === 0) return null;
  return h('ul', { class: cls }, items.map(x => h('li', {}, x)));
}

// errorBox shows an API error: message, stable code and details (for
// inventory errors these are file:line:column positions).
export function errorBox(err, prefix = '') {
  const details = (err && err.details) || [];
  return h('div', { class: 'error', role: 'alert' },
    h('p', {}, h('strong', { text: prefix ? prefix + ': ' : 'Error: ' }), err && err.message ? err.message : String(err),
      err && err.code ? h('span', { class: 'code', text: ` (${err.code})` }) : null),
    details.length ? h('ul', { class: 'details' }, details.map(d => h('li', {}, h('code', { text: d })))) : null);
}

// field wraps a labelled control. The label's for= ties it to the control.
export function field(label, control, hint) {
  const id = control.id;
  const hintEl = hint ? h('span', { class: 'hint', id: id + '-hint', text: hint }) : null;
  if (hintEl) control.setAttribute('aria-describedby', id + '-hint');
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control, hintEl);
}

export function announce(msg) {
  const s = document.getElementById('status');
  if (s) s.textContent = msg;
}
