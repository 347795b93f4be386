// common.js: data helpers shared by the views.
import { h, badge, num, list } from './dom.js';

// countTransfers counts recorded checks with a decision by paging through
// GET /v1/transfers (the API has no count endpoint). It stops after
// maxPages pages and then says the number is a lower bound.
export async function countTransfers(api, decision, maxPages = 5) {
  const limit = 10000;
  let n = 0;
  for (let page = 0; page < maxPages; page++) {
    const r = await api.get('/v1/transfers', { decision, limit, offset: page * limit });
    n += r.transfers.length;
    if (r.transfers.length < limit) return { n, exact: true };
  }
  return { n, exact: false };
}

export function byId(items) {
  const m = new Map();
  for (const x of items || []) m.set(x.id, x);
  return m;
}

// reasonsList renders decision reasons with their provenance (how firmly
// the rule rests on the sources: commentary, secondary, inferred).
export function reasonsList(reasons, id) {
  if (!reasons || reasons.length === 0) return null;
  return h('ul', { class: 'reasons', id }, reasons.map(r => h('li', {},
    r.rule ? h('span', { class: 'rule', text: r.rule }) : null, ' ',
    r.text || '',
    r.provenance ? h('span', { class: 'prov', text: ` [${r.provenance}]` }) : null)));
}

export function missingList(missing, id) {
  if (!missing || missing.length === 0) return null;
  return h('ul', { class: 'missing', id }, missing.map(m => h('li', {},
    h('code', { text: m.fact }), ': ', m.question || 'not known')));
}

export function findingsList(findings, id) {
  if (!findings || findings.length === 0) return h('p', { class: 'empty', id, text: 'No findings.' });
  return h('ul', { class: 'findings', id }, findings.map(f => h('li', { class: 'finding' },
    badge(f.kind, 'finding-kind'), ' ',
    f.subject ? h('code', { text: f.subject }) : null, ' ',
    f.severity ? h('span', { class: 'sev', text: `(${f.severity}) ` }) : null,
    f.text || '')));
}

export function cumulativeText(c) {
  if (!c) return '—';
  const p = c.processor || {}, g = c.group || {};
  return `${c.year}: processor ${num(p.individuals)} individuals, ${num(p.sensitive_individuals)} sensitive; group ${num(g.individuals)} / ${num(g.sensitive_individuals)}`;
}

export function coverageCell(cov) {
  if (!cov) return '—';
  return h('span', {}, badge(cov.status, 'coverage'), cov.approval ? h('span', { text: ' by ' }) : null,
    cov.approval ? h('code', { text: cov.approval }) : null,
    cov.problems && cov.problems.length ? h('details', {}, h('summary', { text: `${cov.problems.length} problem(s)` }), list(cov.problems)) : null);
}

export const CLAIMABLE_EXEMPTIONS = ['trade_academic_no_pi', 'transit_abroad_collected', 'contract_necessity', 'hr_management',
  'emergency', 'ftz_negative_list', 'vulnerability_report', 'incident_report', 'ota_recall_source_code'];
