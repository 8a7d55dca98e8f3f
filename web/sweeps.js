// A sweep's page: its table (one row per grid point: the swept values, each method's mean ± std
// over seeds, the headline gap), its gap-vs-parameter plots (specs with their data inline, from
// /api/sweeps/ID), the runs of each point, and the download of the whole sweep.
/* global vega, vegaLite */
import { $, el, enc, getJSON, tableEl } from './util.js';

let views = [];

export async function showSweep(id, { openRun }) {
  for (const v of views) v.finalize();
  views = [];
  const root = $('#sweep-view');
  root.replaceChildren(el('h2', { id: 'sweep-title' }, `sweep ${id}`), el('p', { class: 'muted' }, 'loading…'));
  let s;
  try { s = await getJSON(`/api/sweeps/${enc(id)}`); } catch (e) { root.append(el('p', { class: 'warn' }, e.message)); return; }
  const fmt = $('#download-format').value || 'csv';
  const download = el('a', { class: 'button', id: 'sweep-download', href: `/api/export?sweep=${enc(id)}&format=${fmt}`, download: '' }, `download (${fmt})`);
  const facts = el('dl', { class: 'facts' },
    ...[['experiment', `${s.experiment} '${s.preset}'`], ['swept', s.keys.join(' × ')], ['status', s.state], ['gap', s.gapLabel],
      ['parts', `${s.parts.run} run, ${s.parts.reused} reused`]].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const plots = el('div', { id: 'sweep-charts' });
  const points = el('div', { class: 'table' }, el('table', { id: 'sweep-points' },
    el('caption', {}, 'The runs of each point (click to open)'),
    el('thead', {}, el('tr', {}, el('th', {}, 'point'), ...s.keys.map((k) => el('th', {}, k)), el('th', {}, 'runs'))),
    el('tbody', {}, s.points.map((p) => el('tr', {}, el('th', {}, p.label), ...s.keys.map((k) => el('td', {}, p.values[k])),
      el('td', { class: 'wrap' }, p.runs.map((r) => el('a', { href: `#${enc(r)}`, onclick: (ev) => { ev.preventDefault(); openRun(r); } }, r.split('/').pop(), ' '))))))));
  root.replaceChildren(el('div', { id: 'view-head' }, el('h2', { id: 'sweep-title' }, `sweep ${id}`), download), facts,
    el('div', { id: 'sweep-table' }, tableEl(s.table)), plots, points);
  for (const c of s.charts) {
    const holder = el('div', { class: 'chart', 'data-chart': c.id });
    plots.append(el('figure', {}, el('h3', {}, c.title), holder, el('figcaption', {}, c.caption)));
    const view = new vega.View(vega.parse(vegaLite.compile(c.spec).spec), { renderer: 'svg', container: holder, hover: true });
    await view.runAsync();
    views.push(view);
    holder.dataset.rendered = '1';
  }
}
