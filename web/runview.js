// Live charts of one run or an overlay: Vega-Lite specs from the server (the kind's charts from
// /api/charts, the training curves from /api/curves) compiled with the vendored builds, fed with the
// metrics rows that the runs' event streams send (all rows, then those appended as they train).
// Used by the run page and the playground.
/* global vega, vegaLite */
import { el, enc, getJSON } from './util.js';

export class LiveCharts {
  /**
   * @param {HTMLElement} container where the figures go
   * @param {{onRows?: Function, onStatus?: Function, onWarning?: Function, onConn?: Function}} hooks
   */
  constructor(container, hooks = {}) {
    this.container = container;
    this.hooks = hooks;
    this.views = [];
    this.rows = [];
    this.hidden = new Set();
    this.streams = [];
    this.prefix = new Map();
    this.generation = 0;
    this.series = [];
  }

  close() {
    this.generation++;
    for (const s of this.streams) s.close();
    this.streams = [];
    for (const v of this.views) v.view.finalize();
    this.views = [];
  }

  /** Show runs `ids`: the charts of each url in `sources` (a function of the ids' query), then stream their rows. */
  async show(ids, sources) {
    this.close();
    const gen = this.generation;
    this.ids = ids;
    this.rows = [];
    this.container.replaceChildren(el('p', { class: 'muted' }, 'loading…'));
    const q = ids.map((id) => `run=${enc(id)}`).join('&');
    let answers;
    try { answers = await Promise.all(sources.map((s) => getJSON(`${s}${s.includes('?') ? '&' : '?'}${q}`))); } catch (e) {
      if (gen === this.generation) this.container.replaceChildren(el('p', { class: 'warn' }, `Cannot show ${ids.join(', ')}: ${e.message}`));
      return null;
    }
    if (gen !== this.generation) return null;
    this.prefix = new Map(answers[0].runs.map((r) => [r.id, r.prefix]));
    this.series = answers[0].series;
    this.container.replaceChildren();
    // a source with no charts yet (curves are found in the rows: a run that just started has none) is asked again once rows come
    this.pending = sources.filter((_, i) => answers[i].charts.length === 0).map((s) => `${s}${s.includes('?') ? '&' : '?'}${q}`);
    await this.addCharts(answers.flatMap((a) => a.charts), gen);
    if (ids.length && gen === this.generation) this.openStream(ids, gen); // (not for a view closed while its charts were drawn)
    return answers[0];
  }

  async addCharts(charts, gen) {
    for (const c of charts) {
      const holder = el('div', { class: 'chart', 'data-chart': c.id, 'data-points': 0 });
      this.container.append(el('figure', {}, el('h3', {}, c.title), holder, el('figcaption', {}, c.caption)));
      const view = new vega.View(vega.parse(vegaLite.compile(c.spec).spec), { renderer: 'svg', container: holder, hover: true });
      await view.runAsync();
      if (gen !== this.generation) { view.finalize(); return; }
      const v = { id: c.id, view, el: holder };
      this.views.push(v);
      const visible = this.rows.filter((r) => !this.hidden.has(r.series));
      if (visible.length) await this.update(v, vega.changeset().insert(visible.map((r) => ({ ...r }))));
    }
  }

  setHidden(series, hidden) {
    if (hidden) this.hidden.add(series); else this.hidden.delete(series);
    this.redraw();
  }

  /** Put every visible row into every view again (after hiding or showing a series, or a reset). */
  redraw() {
    const rows = this.rows.filter((r) => !this.hidden.has(r.series));
    for (const v of this.views) void this.update(v, vega.changeset().remove(() => true).insert(rows.map((r) => ({ ...r }))));
  }

  /** Apply a changeset and redraw; the second run lays the chart out again; data-points: the rows it holds. */
  async update(v, changes) {
    await v.view.change('rows', changes).runAsync();
    await v.view.resize().runAsync();
    v.el.dataset.points = String(v.view.data('rows').length);
  }

  addRows(runId, rows) {
    const prefix = this.prefix.get(runId) ?? '';
    const fresh = rows.map((r) => ({ ...r, run: runId, series: prefix + r.method }));
    this.rows.push(...fresh);
    const visible = fresh.filter((r) => !this.hidden.has(r.series));
    for (const v of this.views) void this.update(v, vega.changeset().insert(visible.map((r) => ({ ...r }))));
    this.hooks.onRows?.(runId, fresh);
    if (this.pending?.length) {
      const urls = this.pending, gen = this.generation;
      this.pending = [];
      void Promise.all(urls.map((u) => getJSON(u))).then((as) => { if (gen === this.generation) return this.addCharts(as.flatMap((a) => a.charts), gen); }).catch(() => {});
    }
  }

  // One event stream for all the runs shown (a browser keeps at most 6 connections to the server: a
  // stream per run of 6 overlaid runs left none for the page's other requests); each event names its run.
  openStream(ids, gen) {
    const es = new EventSource(`/api/events?${ids.map((id) => `run=${enc(id)}`).join('&')}`);
    this.streams.push(es);
    const on = (name, fn) => es.addEventListener(name, (ev) => { if (gen === this.generation) fn(JSON.parse(ev.data)); });
    on('rows', (d) => this.addRows(d.run, d.rows));
    on('reset', (d) => {
      this.rows = this.rows.filter((r) => r.run !== d.run);
      this.redraw();
    });
    on('warning', (d) => this.hooks.onWarning?.(`${d.run}: ${d.message}`));
    on('status', (d) => { const { run, ...status } = d; this.hooks.onStatus?.(run, status); });
    es.onerror = () => this.hooks.onConn?.(false, 'event stream interrupted; reconnecting');
    es.onopen = () => this.hooks.onConn?.(true);
  }
}
