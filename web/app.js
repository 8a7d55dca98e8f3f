// lrlab dashboard: lists the runs (from /api/runs), shows the selected run's charts (Vega-Lite specs
// from /api/charts, compiled here with the vendored vega / vega-lite builds), streams new metrics
// rows over server-sent events and overlays runs of one kind. Plain browser JS, no build step.
/* global vega, vegaLite */

const $ = (sel) => document.querySelector(sel);
const state = {
  selected: [],        // run ids shown
  ticked: new Set(),   // run ids ticked for an overlay
  runs: new Map(),     // id -> run from the list
  views: [],           // { id, view, el }
  rows: [],            // every row received, with .series and .run
  hidden: new Set(),   // hidden series
  streams: [],
  prefix: new Map(),   // run id -> series prefix
  generation: 0,       // bumps on every selection change (stale async work is dropped)
};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-store' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

const enc = (id) => encodeURIComponent(id);
const pct = (v) => (v && v.mean !== null && v.mean !== undefined ? (Math.abs(v.mean) <= 1.5 ? v.mean * 100 : v.mean).toFixed(1) : '–');
const frac = (v) => (v && v.mean !== null && v.mean !== undefined ? v.mean.toFixed(3) : '–');

/** A run's headline numbers, one short line per method (which number: the kind's list column, from the server). */
function finalCell(run) {
  const col = run.column ?? { key: '', label: '', format: 'frac' };
  const fmt = col.format === 'pct' ? pct : frac;
  const lines = Object.entries(run.final.methods).map(([m, s]) => el('div', {}, el('span', { class: 'm' }, m), ' ', fmt(s[col.key])));
  const what = col.label;
  return el('td', { class: 'final', title: `${what} (${run.final.source === 'summary' ? 'final' : 'latest'})` }, lines.length ? lines : el('span', { class: 'muted' }, 'no rows yet'));
}

function statusBadge(s) { return el('span', { class: `badge ${s}` }, s); }

// ------------------------------------------------------------------ run list

async function refreshList() {
  const f = new FormData($('#filters'));
  const q = new URLSearchParams();
  for (const [k, v] of f) if (v) q.set(k, v);
  let data;
  try { data = await getJSON(`/api/runs?${q}`); setConn(true); } catch (e) { setConn(false, e.message); return; }
  fillPresets(data.facets);
  $('#count').textContent = `${data.runs.length < data.total ? `showing ${data.runs.length} of ` : ''}${data.total} run${data.total === 1 ? '' : 's'}`;
  const errs = $('#errors');
  errs.hidden = data.errors.length === 0;
  errs.textContent = data.errors.length ? `Skipped: ${data.errors.join('; ')}` : '';
  state.runs = new Map(data.runs.map((r) => [r.id, r]));
  const kindTicked = [...state.ticked].map((id) => state.runs.get(id)?.kind).find(Boolean);
  const body = $('#runs tbody');
  body.replaceChildren(...data.runs.map((r) => {
    const box = el('input', {
      type: 'checkbox', title: 'overlay this run', checked: state.ticked.has(r.id), disabled: kindTicked && kindTicked !== r.kind,
      onclick: (ev) => { ev.stopPropagation(); toggleTick(r.id, ev.target.checked); },
    });
    const prog = `${r.kind} · ${r.preset} · ${r.methods.length} methods · ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'} · ${r.progress.clock} ${r.progress.last}`;
    return el('tr', { 'data-id': r.id, class: state.selected.includes(r.id) ? 'sel' : '', onclick: () => select([r.id]) },
      el('td', {}, box),
      el('td', { class: 'id' }, el('div', { class: 'name' }, r.id), el('div', { class: 'muted small' }, prog)),
      el('td', {}, statusBadge(r.status)), finalCell(r));
  }));
}

function fillPresets(facets) {
  fillSelect($('#f-kind'), facets.map((f) => f.kind));
  fillSelect($('#f-preset'), facets.map((f) => f.preset));
}

/** The options of a filter: 'all' and the distinct values seen in the index (kept when unchanged). */
function fillSelect(sel, values) {
  const cur = sel.value;
  const opts = [...new Set(values)].sort();
  const have = [...sel.options].map((o) => o.value).slice(1);
  if (opts.join('\n') === have.join('\n')) return;
  sel.replaceChildren(el('option', { value: '' }, 'all'), ...opts.map((p) => el('option', { value: p }, p)));
  sel.value = opts.includes(cur) ? cur : '';
}

function toggleTick(id, on) {
  if (on) state.ticked.add(id); else state.ticked.delete(id);
  if (state.ticked.size > 0) select([...state.ticked]);
  void refreshList();
}

function setConn(ok, msg) {
  const c = $('#conn');
  c.textContent = ok ? 'connected' : 'server unreachable';
  c.className = `conn ${ok ? 'ok' : 'bad'}`;
  c.title = msg || '';
}

// ------------------------------------------------------------------ one run or an overlay

function closeStreams() {
  for (const s of state.streams) s.close();
  state.streams = [];
  for (const v of state.views) v.view.finalize();
  state.views = [];
}

async function select(ids) {
  const gen = ++state.generation;
  closeStreams();
  state.selected = ids;
  state.rows = [];
  state.hidden = new Set();
  for (const tr of document.querySelectorAll('#runs tbody tr')) tr.classList.toggle('sel', ids.includes(tr.dataset.id));
  $('#empty').hidden = true;
  $('#view').hidden = false;
  $('#view-title').textContent = ids.length === 1 ? ids[0] : `${ids.length} runs overlaid`;
  $('#charts').replaceChildren(el('p', { class: 'muted' }, 'loading…'));
  $('#tables').replaceChildren();
  $('#view-warnings').replaceChildren();
  history.replaceState(null, '', `#${ids.map(enc).join(',')}`);
  let charts;
  try {
    charts = await getJSON(`/api/charts?${ids.map((id) => `run=${enc(id)}`).join('&')}`);
  } catch (e) {
    $('#charts').replaceChildren(el('p', { class: 'warn' }, `Cannot show ${ids.join(', ')}: ${e.message}`));
    return;
  }
  if (gen !== state.generation) return;
  state.prefix = new Map(charts.runs.map((r) => [r.id, r.prefix]));
  seriesToggles(charts.series);
  $('#charts').replaceChildren();
  for (const c of charts.charts) {
    const holder = el('div', { class: 'chart', 'data-chart': c.id, 'data-points': 0 });
    $('#charts').append(el('figure', {}, el('h3', {}, c.title), holder, el('figcaption', {}, c.caption)));
    const view = new vega.View(vega.parse(vegaLite.compile(c.spec).spec), { renderer: 'svg', container: holder, hover: true });
    await view.runAsync();
    if (gen !== state.generation) { view.finalize(); return; }
    state.views.push({ id: c.id, view, el: holder });
  }
  await showDetails(ids, gen);
  for (const id of ids) openStream(id, gen);
}

async function showDetails(ids, gen) {
  const facts = $('#view-facts');
  facts.replaceChildren();
  if (ids.length !== 1) {
    for (const id of ids) { const r = state.runs.get(id); facts.append(el('dt', {}, id), el('dd', {}, r ? `${r.kind} '${r.preset}', ${r.status}` : '')); }
    return;
  }
  let d;
  try { d = await getJSON(`/api/runs/${enc(ids[0])}`); } catch (e) { facts.append(el('dt', {}, 'error'), el('dd', {}, e.message)); return; }
  if (gen !== state.generation) return;
  const add = (k, v) => facts.append(el('dt', {}, k), el('dd', {}, v));
  add('kind', d.kind); add('preset', d.preset); add('status', d.status.state); add('methods', d.methods.join(', '));
  add('seeds', String(d.summary?.seeds?.join(', ') ?? d.config.seeds));
  for (const [k, v] of d.facts ?? []) add(k, v);
  if (d.report) facts.append(el('dt', {}, 'report'), el('dd', {}, el('a', { href: d.report, target: '_blank' }, 'report.html')));
  setLive(d.status.state === 'running');
  $('#view-warnings').replaceChildren(...d.warnings.map((w) => el('p', { class: 'warn' }, w)));
  $('#tables').replaceChildren(...d.tables.map(tableEl));
}

function tableEl(t) {
  const paper = new Set(t.paperCols);
  return el('div', { class: 'table' },
    el('table', {},
      el('caption', {}, t.caption),
      el('thead', {}, el('tr', {}, t.header.map((h, i) => el('th', { class: paper.has(i) ? 'paper' : '' }, h)))),
      el('tbody', {}, t.rows.map((r) => el('tr', {}, r.map((c, i) => (i === 0 ? el('th', {}, c) : el('td', { class: paper.has(i) ? 'paper' : '' }, c))))))),
    t.notes.map((n) => el('p', { class: 'note' }, n)));
}

function setLive(on) { $('#live').hidden = !on; }

function seriesToggles(series) {
  const list = $('#series-list');
  list.replaceChildren(...series.map((s) => el('label', { class: 'series' },
    el('input', { type: 'checkbox', checked: true, onchange: (ev) => { if (ev.target.checked) state.hidden.delete(s); else state.hidden.add(s); redraw(); } }), ' ', s)));
}

/** Put every visible row into every view again (after hiding or showing a series, or a reset). */
function redraw() {
  const rows = state.rows.filter((r) => !state.hidden.has(r.series));
  for (const v of state.views) {
    void update(v, vega.changeset().remove(() => true).insert(rows.map((r) => ({ ...r }))));
  }
}

/**
 * Apply a changeset to a view's rows and redraw; the second run lays the chart out again (axes and
 * legend sizes depend on the data), then data-points records how many rows the chart holds.
 */
async function update(v, changes) {
  await v.view.change('rows', changes).runAsync();
  await v.view.resize().runAsync();
  v.el.dataset.points = String(v.view.data('rows').length);
}

function addRows(runId, rows) {
  const prefix = state.prefix.get(runId) ?? '';
  const fresh = rows.map((r) => ({ ...r, run: runId, series: prefix + r.method }));
  state.rows.push(...fresh);
  const visible = fresh.filter((r) => !state.hidden.has(r.series));
  // a single run's tables follow its latest rows, at most every 5 s
  if (state.selected.length === 1 && !state.tablesTimer) {
    const gen = state.generation;
    state.tablesTimer = setTimeout(() => { state.tablesTimer = null; if (gen === state.generation) void showDetails(state.selected, gen); }, 5000);
  }
  for (const v of state.views) void update(v, vega.changeset().insert(visible.map((r) => ({ ...r }))));
}

function openStream(id, gen) {
  const es = new EventSource(`/api/runs/${enc(id)}/events`);
  state.streams.push(es);
  es.addEventListener('rows', (ev) => { if (gen === state.generation) addRows(id, JSON.parse(ev.data)); });
  es.addEventListener('reset', () => {
    if (gen !== state.generation) return;
    state.rows = state.rows.filter((r) => r.run !== id);
    redraw();
  });
  es.addEventListener('warning', (ev) => { $('#view-warnings').append(el('p', { class: 'warn' }, JSON.parse(ev.data).message)); });
  es.addEventListener('status', (ev) => {
    if (gen !== state.generation) return;
    const s = JSON.parse(ev.data);
    if (state.selected.length === 1) {
      setLive(s.state === 'running');
      if (s.summary && state.summarySeen !== id) { state.summarySeen = id; void showDetails(state.selected, gen); }
    }
  });
  es.onerror = () => setConn(false, 'event stream interrupted; reconnecting');
  es.onopen = () => setConn(true);
}

// ------------------------------------------------------------------ start

$('#filters').addEventListener('input', () => void refreshList());
$('#filters').addEventListener('submit', (ev) => ev.preventDefault());
await refreshList();
setInterval(() => void refreshList(), 3000);
const initial = location.hash.slice(1).split(',').filter(Boolean).map(decodeURIComponent);
if (initial.length) {
  if (initial.length > 1) { initial.forEach((id) => state.ticked.add(id)); void refreshList(); }
  void select(initial);
}
