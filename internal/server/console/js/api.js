// api.js: the console's only way to the server. Every call carries the
// bearer token; the server decides what each role may do, and the console
// reads the same role table (x-roles in /openapi.json) to hide controls a
// role may not use.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

export class Api {
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, opts = {}) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(opts.query || {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
    const headers = { 'Authorization': 'Bearer ' + this.token, 'Accept': 'application/json', ...(opts.headers || {}) };
    const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string') {
        init.body = opts.body;
      } else {
        init.body = JSON.stringify(opts.body);
        headers['Content-Type'] = 'application/json';
      }
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new ApiError(0, 'network', 'The server could not be reached (' + e.message + '). Nothing was changed by this request if it never arrived; retrying is safe.');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!res.ok) {
      const e = data && data.error ? data.error : {};
      const err = new ApiError(res.status, e.code || 'http_' + res.status, e.message || (text || res.statusText), e.details);
      if (res.status === 401 && this.onUnauthorized) this.onUnauthorized(err);
      throw err;
    }
    return { data, headers: res.headers, status: res.status };
  }

  async get(path, query) {
    return (await this.request('GET', path, { query })).data;
  }
}

// loadRoles reads which roles may call each route from the OpenAPI document
// (x-roles). If it cannot be read, no write control is shown: fail closed.
export async function loadRoles() {
  const roles = new Map();
  try {
    const res = await fetch('/openapi.json', { cache: 'no-store', credentials: 'omit' });
    const doc = await res.json();
    for (const [path, ops] of Object.entries(doc.paths || {})) {
      for (const [method, op] of Object.entries(ops)) {
        if (op && Array.isArray(op['x-roles'])) roles.set(method.toUpperCase() + ' ' + path, op['x-roles']);
      }
    }
  } catch (_) { /* fail closed: can() answers false */ }
  return roles;
}

// newIdempotencyKey makes a random UUID v4 with getRandomValues, which works
// in any context (crypto.randomUUID needs HTTPS or localhost).
export function newIdempotencyKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, v => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
