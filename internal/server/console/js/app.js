// app.js: sign-in, navigation and the view router. The page holds no data
// of its own: it asks for a token (kept in sessionStorage, so it ends with
// the tab), reads the role with GET /v1/whoami, and each view calls the API.
import { h, add, clear, errorBox, field, announce } from './dom.js';
import { Api, ApiError, loadRoles } from './api.js';
import { dashboardView } from './view-dashboard.js';
import { assessmentView } from './view-assessment.js';
import { transfersView } from './view-transfers.js';
import { checkView } from './view-check.js';
import { approvalsView } from './view-approvals.js';
import { inventoryView } from './view-inventory.js';
import { auditView } from './view-audit.js';

const TOKEN_KEY = 'xborder.token';

const VIEWS = [
  { path: 'dashboard', label: 'Dashboard', render: dashboardView },
  { path: 'assessment', label: 'Assessment', render: assessmentView },
  { path: 'transfers', label: 'Transfers', render: transfersView },
  { path: 'check', label: 'Check a transfer', render: checkView, needs: ['POST', '/v1/transfers/check'] },
  { path: 'approvals', label: 'Approvals', render: approvalsView },
  { path: 'inventory', label: 'Inventory', render: inventoryView },
  { path: 'audit', label: 'Audit log', render: auditView },
];

const main = () => document.getElementById('main');

// ctx is handed to every view.
const ctx = {
  api: null,
  me: null,
  roles: new Map(),
  // can tells whether the signed-in role may call a route (the server
  // enforces the same table; this only hides controls).
  can(method, pattern) {
    const r = this.roles.get(method + ' ' + pattern);
    return !!(this.me && r && r.includes(this.me.role));
  },
  go(path, query) {
    const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v !== null && v !== undefined)).toString() : '';
    const target = '#/' + path + (q ? '?' + q : '');
    if (location.hash === target) route(); else location.hash = target;
  },
};

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  return { path: path || 'dashboard', query: new URLSearchParams(q || '') };
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  ctx.api = null;
  ctx.me = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  showLogin(message);
}

function showLogin(message) {
  const m = clear(main());
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const err = h('div', { id: 'login-error' });
  const form = h('form', { id: 'login-form', class: 'card narrow', on: { submit: async (ev) => {
    ev.preventDefault();
    clear(err);
    const tok = input.value.trim();
    if (!tok) return;
    const btn = form.querySelector('button');
    btn.disabled = true;
    try {
      await signIn(tok);
      if (!/^#\/./.test(location.hash)) location.hash = '#/dashboard';
      else route();
    } catch (e) {
      add(err, errorBox(e, e.status === 401 ? 'The token was refused' : 'Cannot sign in'));
      input.focus();
    } finally {
      btn.disabled = false;
    }
  } } },
  h('h1', { tabindex: '-1', text: 'Sign in' }),
  h('p', { text: 'Paste an API token. The console keeps it only in this browser tab (sessionStorage) and sends it as Authorization: Bearer to this server. Ask an administrator for a token (xborder token create --role ROLE).' }),
  field('API token', input),
  h('button', { type: 'submit', text: 'Sign in' }));
  add(m, form);
  if (message) add(err, h('p', { class: 'notice', role: 'alert', text: message }));
  add(m, err);
  input.focus();
}

async function signIn(tok) {
  const api = new Api(tok, null);
  const who = await api.get('/v1/whoami');
  sessionStorage.setItem(TOKEN_KEY, tok);
  ctx.api = new Api(tok, () => signOut('Your session ended: the server no longer accepts this token. Sign in again.'));
  ctx.me = who;
  if (ctx.roles.size === 0) ctx.roles = await loadRoles();
  renderChrome();
}

function renderChrome() {
  const nav = clear(document.getElementById('nav'));
  const ul = h('ul', {});
  for (const v of VIEWS) {
    if (v.needs && !ctx.can(...v.needs)) continue;
    ul.append(h('li', {}, h('a', { href: '#/' + v.path, id: 'nav-' + v.path, text: v.label })));
  }
  nav.append(ul);
  nav.hidden = false;
  const who = document.getElementById('who');
  document.getElementById('who-text').textContent = `${ctx.me.name || 'unnamed'} (${ctx.me.role}${ctx.me.role === 'auditor' ? ', read-only' : ''})`;
  who.hidden = false;
}

let renderSeq = 0;

async function route() {
  if (!ctx.api) return;
  const { path, query } = parseHash();
  const view = VIEWS.find(v => v.path === path) || VIEWS[0];
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.getAttribute('href') === '#/' + view.path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const seq = ++renderSeq;
  const m = clear(main());
  const root = h('section', { class: 'view', id: 'view-' + view.path, 'aria-busy': 'true' });
  m.append(root);
  document.title = view.label + ' · xborder';
  announce('Loading ' + view.label);
  try {
    if (view.needs && !ctx.can(...view.needs)) {
      add(root, h('h1', { tabindex: '-1', text: view.label }),
        h('p', { class: 'notice', text: `The ${ctx.me.role} role may not use this page; the server refuses it too.` }));
    } else {
      await view.render(ctx, root, query);
    }
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e instanceof ApiError && e.status === 401) return;
    add(root, errorBox(e, 'Could not load ' + view.label));
  }
  if (seq !== renderSeq) return;
  root.setAttribute('aria-busy', 'false');
  root.dataset.ready = 'true';
  announce(view.label + ' loaded');
  const h1 = root.querySelector('h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: false }); }
}

async function boot() {
  document.getElementById('signout').addEventListener('click', () => signOut('Signed out.'));
  window.addEventListener('hashchange', route);
  ctx.roles = await loadRoles();
  const tok = sessionStorage.getItem(TOKEN_KEY);
  if (tok) {
    try {
      await signIn(tok);
      route();
      return;
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin(e.status === 401 ? 'The saved token is no longer accepted. Sign in again.' : 'Cannot reach the server: ' + e.message);
      return;
    }
  }
  showLogin();
}

boot();
