// Small helpers shared by the dashboard's modules: element building, JSON requests (state-changing
// ones carry the page's token), tables.

export const $ = (sel) => document.querySelector(sel);
export const enc = (id) => encodeURIComponent(id);

/** The per-server token the server wrote into this page (POSTs without it are refused). */
const TOKEN = document.querySelector('meta[name="lrlab-token"]')?.getAttribute('content') ?? '';

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'value') e.value = v;
    else if (k === 'checked') e.checked = Boolean(v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

export async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-store' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

/** POST a JSON body with the page's token; resolves with the JSON answer, throws its one-line error. */
export async function postJSON(url, body = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Lrlab-Token': TOKEN }, body: JSON.stringify(body) });
  const ans = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(ans.error || `${r.status} ${r.statusText}`);
  return ans;
}

/** A viz Table ({caption, header, rows, paperCols, notes}) as a dashboard table. */
export function tableEl(t) {
  const paper = new Set(t.paperCols ?? []);
  return el('div', { class: 'table' },
    el('table', {},
      el('caption', {}, t.caption),
      el('thead', {}, el('tr', {}, t.header.map((h, i) => el('th', { class: paper.has(i) ? 'paper' : '' }, h)))),
      el('tbody', {}, t.rows.map((r) => el('tr', {}, r.map((c, i) => (i === 0 ? el('th', {}, c) : el('td', { class: paper.has(i) ? 'paper' : '' }, c))))))),
    (t.notes ?? []).map((n) => el('p', { class: 'note' }, n)));
}

/** A value as short text (numbers as they are, objects as JSON). */
export const show = (v) => (v === null || v === undefined ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v));
