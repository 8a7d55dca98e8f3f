// lrlab dashboard: the runs list (from /api/runs; grouped by sweep; hyperparameter columns from any
// config key, sorted and filtered), a run's page (live charts and curves, tables, its config, stop /
// resume / download), overlays and config diffs of ticked runs, and the pages of sweeps.js,
// newrun.js and playground.js. Plain browser JS modules, no build step.
import { $, el, enc, getJSON, postJSON, tableEl } from './util.js';
import { LiveCharts } from './runview.js';
import { configBlock, diffTable, passes, sortRuns } from './compare.js';
import { showSweep } from './sweeps.js';
import { initNewRun } from './newrun.js';
import { initPlayground } from './playground.js';

const state = {
  selected: [], ticked: new Set(), runs: new Map(), list: [],
  columns: [],            // [{key, filter}]
  sort: null,             // {key, dir}
  expanded: new Set(),    // sweeps whose runs are shown
  perSeed: false,
  generation: 0,
};
const charts = new LiveCharts($('#charts'), {
  onRows: () => scheduleDetails(),
  onStatus: (id, s) => {
    if (state.selected.length !== 1) return;
    setLive(s.state === 'running');
    if (s.summary && state.summarySeen !== id) { state.summarySeen = id; void showDetails(state.selected, state.generation); }
    scheduleDetails();
  },
  onWarning: (m) => $('#view-warnings').append(el('p', { class: 'warn' }, m)),
  onConn: (ok, msg) => setConn(ok, msg),
});

const pct = (v) => (v && v.mean !== null && v.mean !== undefined ? (Math.abs(v.mean) <= 1.5 ? v.mean * 100 : v.mean).toFixed(1) : '–');
const frac = (v) => (v && v.mean !== null && v.mean !== undefined ? v.mean.toFixed(3) : '–');

function finalCell(run) {
  const col = run.column ?? { key: '', label: '', format: 'frac' };
  const fmt = col.format === 'pct' ? pct : frac;
  const lines = Object.entries(run.final.methods).map(([m, s]) => el('div', {}, el('span', { class: 'm' }, m), ' ', fmt(s[col.key])));
  return el('td', { class: 'final', title: `${col.label} (${run.final.source === 'summary' ? 'final' : 'latest'})` }, lines.length ? lines : el('span', { class: 'muted' }, 'no rows yet'));
}

const statusBadge = (s) => el('span', { class: `badge ${s}` }, s);

export function setConn(ok, msg) {
  const c = $('#conn');
  c.textContent = ok ? 'connected' : 'server unreachable';
  c.className = `conn ${ok ? 'ok' : 'bad'}`;
  c.title = msg || '';
}

// ------------------------------------------------------------------ pages

/** Show one of the main area's pages: 'empty', 'view' (a run), 'sweep-view', 'new-run', 'playground'. */
export function showPage(name) {
  for (const id of ['empty', 'view', 'sweep-view', 'new-run', 'playground']) $(`#${id}`).hidden = id !== name;
  for (const b of document.querySelectorAll('nav button')) b.classList.toggle('on', b.dataset.page === name);
  if (name !== 'view') { charts.close(); state.selected = []; markSelected(); }
}

// ------------------------------------------------------------------ run list

export async function refreshList() {
  const f = new FormData($('#filters'));
  const q = new URLSearchParams();
  for (const [k, v] of f) if (v) q.set(k, v);
  for (const c of state.columns) q.append('param', c.key);
  let data;
  try { data = await getJSON(`/api/runs?${q}`); setConn(true); } catch (e) { setConn(false, e.message); return; }
  fillSelect($('#f-kind'), data.facets.map((x) => x.kind));
  fillSelect($('#f-preset'), data.facets.map((x) => x.preset));
  const errs = $('#errors');
  errs.hidden = data.errors.length === 0;
  errs.textContent = data.errors.length ? `Skipped: ${data.errors.join('; ')}` : '';
  state.list = data.runs;
  state.runs = new Map(data.runs.map((r) => [r.id, r]));
  let runs = data.runs.filter((r) => state.columns.every((c) => passes(r.params?.[c.key], c.filter)));
  if (state.sort) runs = sortRuns(runs, state.sort.key, state.sort.dir);
  $('#count').textContent = `${runs.length < data.total ? `showing ${runs.length} of ` : ''}${data.total} run${data.total === 1 ? '' : 's'}`;
  renderHead();
  const kindTicked = [...state.ticked].map((id) => state.runs.get(id)?.kind).find(Boolean);
  const rowOf = (r) => {
    const box = el('input', {
      type: 'checkbox', title: 'tick to overlay (same kind) and to diff two configs', checked: state.ticked.has(r.id), disabled: kindTicked && kindTicked !== r.kind,
      onclick: (ev) => { ev.stopPropagation(); toggleTick(r.id, ev.target.checked); },
    });
    const prog = `${r.kind} · ${r.preset} · ${r.methods.length} methods · ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'} · ${r.progress.clock} ${r.progress.last}`;
    return el('tr', { 'data-id': r.id, class: `${state.selected.includes(r.id) ? 'sel' : ''}${r.sweep ? ' in-sweep' : ''}`, onclick: () => select([r.id]) },
      el('td', {}, box),
      el('td', { class: 'id' }, el('div', { class: 'name' }, r.sweep ? `${r.sweep.point}/seed${r.sweep.seed}` : r.id), el('div', { class: 'muted small' }, prog)),
      ...state.columns.map((c) => el('td', { class: 'param' }, fmtParam(r.params?.[c.key]))),
      el('td', {}, statusBadge(r.status)), finalCell(r));
  };
  // runs of a sweep sit under their sweep's row (folded until expanded)
  const out = [];
  const seen = new Set();
  for (const r of runs) {
    if (!r.sweep) { out.push(rowOf(r)); continue; }
    if (seen.has(r.sweep.id)) continue;
    seen.add(r.sweep.id);
    const members = runs.filter((x) => x.sweep?.id === r.sweep.id);
    const open = state.expanded.has(r.sweep.id);
    out.push(el('tr', { class: 'sweep', 'data-sweep': r.sweep.id, onclick: () => void openSweep(r.sweep.id) },
      el('td', {}, el('button', { class: 'fold', title: open ? 'hide its runs' : 'show its runs', onclick: (ev) => { ev.stopPropagation(); toggleSweep(r.sweep.id); } }, open ? '▾' : '▸')),
      el('td', { colspan: 2 + state.columns.length + 1 }, el('div', { class: 'name' }, `sweep ${r.sweep.id}`),
        el('div', { class: 'muted small' }, `${members.length} run${members.length === 1 ? '' : 's'} · ${r.kind} · ${r.preset} · click for its table and plots`))));
    if (open) out.push(...members.map(rowOf));
  }
  $('#runs tbody').replaceChildren(...out);
}

const fmtParam = (v) => (v === null || v === undefined ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function renderHead() {
  const th = (label, key) => el('th', {
    class: key ? 'sortable' : '', title: key ? 'click to sort' : undefined,
    onclick: key ? () => { state.sort = state.sort?.key === key ? { key, dir: -state.sort.dir } : { key, dir: 1 }; void refreshList(); } : undefined,
  }, label, key && state.sort?.key === key ? (state.sort.dir > 0 ? ' ▲' : ' ▼') : '');
  $('#runs thead').replaceChildren(el('tr', {}, el('th', {}), th('run'), ...state.columns.map((c) => th(c.key, c.key)), th('status'), th('final')));
  $('#columns').replaceChildren(...state.columns.map((c) => el('span', { class: 'chip', 'data-key': c.key }, c.key, ' ',
    el('input', { type: 'search', class: 'col-filter', placeholder: 'filter: >0.01, text', value: c.filter, oninput: (ev) => { c.filter = ev.target.value; void refreshList(); } }),
    el('button', { class: 'x', title: 'remove this column', onclick: () => { state.columns = state.columns.filter((x) => x !== c); void refreshList(); } }, '×'))));
}

function fillSelect(sel, values) {
  const cur = sel.value;
  const opts = [...new Set(values)].sort();
  const have = [...sel.options].map((o) => o.value).slice(1);
  if (opts.join('\n') === have.join('\n')) return;
  sel.replaceChildren(el('option', { value: '' }, 'all'), ...opts.map((p) => el('option', { value: p }, p)));
  sel.value = opts.includes(cur) ? cur : '';
}

function toggleSweep(id) {
  if (state.expanded.has(id)) state.expanded.delete(id); else state.expanded.add(id);
  void refreshList();
}

function toggleTick(id, on) {
  if (on) state.ticked.add(id); else state.ticked.delete(id);
  if (state.ticked.size > 0) void select([...state.ticked]);
  void refreshList();
}

function markSelected() {
  for (const tr of document.querySelectorAll('#runs tbody tr[data-id]')) tr.classList.toggle('sel', state.selected.includes(tr.dataset.id));
}

async function loadConfigKeys() {
  try {
    const { keys } = await getJSON('/api/config-keys');
    $('#config-keys').replaceChildren(...keys.map((k) => el('option', { value: k.key }, `${k.runs} runs`)));
  } catch { /* the list refresh says when the server is unreachable */ }
}

// ------------------------------------------------------------------ one run or an overlay

export async function select(ids) {
  const gen = ++state.generation;
  showPage('view');
  state.selected = ids;
  state.summarySeen = null;
  markSelected();
  $('#view-title').textContent = ids.length === 1 ? ids[0] : `${ids.length} runs overlaid`;
  $('#tables').replaceChildren();
  $('#compare').replaceChildren();
  $('#view-warnings').replaceChildren();
  $('#actions').hidden = true;
  history.replaceState(null, '', `#${ids.map(enc).join(',')}`);
  const q = ids.map((id) => `run=${enc(id)}`).join('&');
  $('#download').href = `/api/export?${q}&format=${$('#download-format').value}`;
  const res = await charts.show(ids, ['/api/charts', `/api/curves?perSeed=${state.perSeed ? 1 : 0}`]);
  if (!res || gen !== state.generation) return;
  seriesToggles(res.series);
  await showDetails(ids, gen);
}

let detailsTimer = null;
/** A single run's tables and buttons follow its latest rows, at most every 3 s. */
function scheduleDetails() {
  if (state.selected.length !== 1 || detailsTimer) return;
  const gen = state.generation;
  detailsTimer = setTimeout(() => { detailsTimer = null; if (gen === state.generation) void showDetails(state.selected, gen); }, 3000);
}

async function showDetails(ids, gen) {
  const facts = $('#view-facts');
  if (ids.length !== 1) {
    facts.replaceChildren(...ids.flatMap((id) => { const r = state.runs.get(id); return [el('dt', {}, id), el('dd', {}, r ? `${r.kind} '${r.preset}', ${r.status}` : '')]; }));
    if (ids.length === 2) {
      try {
        const [a, b] = await Promise.all(ids.map((id) => getJSON(`/api/runs/${enc(id)}`)));
        if (gen === state.generation) $('#compare').replaceChildren(diffTable(ids[0], a.config, ids[1], b.config));
      } catch (e) { $('#compare').replaceChildren(el('p', { class: 'warn' }, e.message)); }
    }
    return;
  }
  let d;
  try { d = await getJSON(`/api/runs/${enc(ids[0])}`); } catch (e) { facts.replaceChildren(el('dt', {}, 'error'), el('dd', {}, e.message)); return; }
  if (gen !== state.generation) return;
  const items = [['kind', d.kind], ['preset', d.preset], ['status', d.status.state], ['methods', d.methods.join(', ')],
    ['seeds', String(d.summary?.seeds?.join(', ') ?? d.config.seeds)], ...(d.facts ?? [])];
  facts.replaceChildren(...items.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
    ...(d.report ? [el('dt', {}, 'report'), el('dd', {}, el('a', { href: d.report, target: '_blank' }, 'report.html'))] : []));
  setLive(d.status.state === 'running');
  const launchedRunning = d.launched?.state === 'running' && d.status.state === 'running';
  $('#actions').hidden = false;
  $('#stop').hidden = !launchedRunning;
  $('#resume').hidden = !(d.status.state === 'interrupted' && d.launched?.state !== 'running');
  $('#view-warnings').replaceChildren(...d.warnings.map((w) => el('p', { class: 'warn' }, w)));
  $('#tables').replaceChildren(...d.tables.map(tableEl));
  $('#compare').replaceChildren(configBlock(d.config));
}

function setLive(on) { $('#live').hidden = !on; }

function seriesToggles(series) {
  $('#series-list').replaceChildren(...series.map((s) => el('label', { class: 'series' },
    el('input', { type: 'checkbox', checked: true, onchange: (ev) => charts.setHidden(s, !ev.target.checked) }), ' ', s)));
}

async function act(what) {
  const id = state.selected[0];
  const msg = $('#action-msg');
  msg.textContent = what === 'stop' ? 'stopping (the run saves a checkpoint)…' : 'resuming…';
  try {
    const r = await postJSON(`/api/runs/${enc(id)}/${what}`);
    msg.textContent = what === 'stop' ? `stopped (exit code ${r.code}); resume continues it from its checkpoint` : 'resumed';
  } catch (e) { msg.textContent = e.message; }
  await refreshList();
  if (state.selected[0] === id) await select([id]);
}

async function openSweep(id) {
  showPage('sweep-view');
  history.replaceState(null, '', `#sweep=${enc(id)}`);
  await showSweep(id, { openRun: (rid) => void select([rid]) });
}

// ------------------------------------------------------------------ start

$('#filters').addEventListener('input', () => void refreshList());
$('#filters').addEventListener('submit', (ev) => ev.preventDefault());
$('#add-column').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = $('#column-key').value.trim();
  if (key && !state.columns.some((c) => c.key === key)) state.columns.push({ key, filter: '' });
  $('#column-key').value = '';
  void refreshList();
});
$('#per-seed').addEventListener('change', (ev) => { state.perSeed = ev.target.checked; if (state.selected.length) void select(state.selected); });
$('#stop').addEventListener('click', () => void act('stop'));
$('#resume').addEventListener('click', () => void act('resume'));
$('#download-format').addEventListener('change', () => { $('#download').href = $('#download').href.replace(/format=\w+/, `format=${$('#download-format').value}`); });
for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => showPage(b.dataset.page));
initNewRun({ onStarted: async (id) => { await refreshList(); await select([id]); } });
initPlayground();
await refreshList();
void loadConfigKeys();
setInterval(() => void refreshList(), 3000);
setInterval(() => void loadConfigKeys(), 15000);
const hash = location.hash.slice(1);
if (hash.startsWith('sweep=')) void openSweep(decodeURIComponent(hash.slice(6)));
else {
  const initial = hash.split(',').filter(Boolean).map(decodeURIComponent);
  if (initial.length) {
    if (initial.length > 1) { initial.forEach((id) => state.ticked.add(id)); void refreshList(); }
    void select(initial);
  }
}
