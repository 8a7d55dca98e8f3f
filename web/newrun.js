// The "new run" form, generated from the experiment's config schema (GET /api/kinds: each kind's
// JSON Schema and presets): pick a kind and a preset (its values fill the fields), change any key;
// the changed keys are sent as overrides (POST /api/runs {kind, preset, overrides, seeds}) and the
// server checks them with the CLI's own config builder, so errors are the CLI's one-line ones.
import { $, el, postJSON, getJSON } from './util.js';
import { flatten } from './compare.js';

let kinds = [];
const SKIP = new Set(['kind', 'preset', 'seeds']);

/** A leaf's input for its schema: number, checkbox, select, or JSON text for anything else. */
function leafInput(key, sch) {
  const t = sch.type;
  if (sch.enum) return el('select', { 'data-key': key, 'data-type': 'enum' }, sch.enum.map((v) => el('option', { value: JSON.stringify(v) }, String(v))));
  if (t === 'integer' || t === 'number') {
    return el('input', { type: 'number', 'data-key': key, 'data-type': 'number', step: t === 'integer' ? 1 : 'any', min: sch.minimum, max: sch.maximum > 1e15 ? undefined : sch.maximum });
  }
  if (t === 'boolean') return el('input', { type: 'checkbox', 'data-key': key, 'data-type': 'boolean' });
  if (t === 'string') return el('input', { type: 'text', 'data-key': key, 'data-type': 'string' });
  return el('input', { type: 'text', class: 'json', 'data-key': key, 'data-type': 'json', title: 'JSON' });
}

/** Fieldsets for an object schema's properties (nested objects nest; unions and arrays are JSON fields). */
function fields(sch, at) {
  return Object.entries(sch.properties ?? {}).filter(([k]) => !(at === '' && SKIP.has(k))).map(([k, s]) => {
    const key = at ? `${at}.${k}` : k;
    if (s.type === 'object' && s.properties) return el('fieldset', { class: 'group' }, el('legend', {}, key), fields(s, key));
    return el('label', { class: 'field' }, el('span', { class: 'k' }, k), leafInput(key, s));
  });
}

function inputs() { return [...document.querySelectorAll('#new-run-fields [data-key]')]; }

function valueOf(inp) {
  switch (inp.dataset.type) {
    case 'number': return inp.value === '' ? '' : Number(inp.value);
    case 'boolean': return inp.checked;
    case 'enum': return JSON.parse(inp.value);
    case 'string': return inp.value;
    default: try { return JSON.parse(inp.value); } catch { return inp.value; }
  }
}

function setValue(inp, v) {
  if (inp.dataset.type === 'boolean') inp.checked = Boolean(v);
  else if (inp.dataset.type === 'enum') inp.value = JSON.stringify(v);
  else if (inp.dataset.type === 'json') inp.value = JSON.stringify(v);
  else inp.value = v === null || v === undefined ? '' : String(v);
}

/** The preset's value of every field (a JSON field holds a whole section). */
function presetValues() {
  const k = kinds.find((x) => x.kind === $('#nr-kind').value);
  const p = k.presets.find((x) => x.name === $('#nr-preset').value) ?? k.presets[0];
  const get = (key) => key.split('.').reduce((o, part) => (o && typeof o === 'object' ? o[part] : undefined), p.config);
  return { preset: p, get };
}

function fillFromPreset() {
  const { preset, get } = presetValues();
  $('#nr-preset-desc').textContent = preset.description;
  $('#nr-seeds').value = String(preset.config.seeds ?? 1);
  for (const inp of inputs()) setValue(inp, get(inp.dataset.key));
  $('#new-run-error').textContent = '';
}

function buildForm() {
  const k = kinds.find((x) => x.kind === $('#nr-kind').value);
  $('#nr-preset').replaceChildren(...k.presets.map((p) => el('option', { value: p.name }, p.name)));
  $('#nr-preset').value = k.defaultPreset;
  $('#new-run-fields').replaceChildren(...fields(k.schema, ''));
  fillFromPreset();
}

/** The keys whose field differs from the preset, with their new values. */
export function changedOverrides() {
  const { get } = presetValues();
  const out = {};
  for (const inp of inputs()) {
    const v = valueOf(inp), was = get(inp.dataset.key);
    if (JSON.stringify(v) !== JSON.stringify(was)) out[inp.dataset.key] = v;
  }
  return out;
}

export async function initNewRun({ onStarted }) {
  try { ({ kinds } = await getJSON('/api/kinds')); } catch (e) { $('#new-run-error').textContent = e.message; return; }
  $('#nr-kind').replaceChildren(...kinds.map((k) => el('option', { value: k.kind }, k.kind)));
  $('#nr-kind').addEventListener('change', buildForm);
  $('#nr-preset').addEventListener('change', fillFromPreset);
  $('#nr-reset').addEventListener('click', (ev) => { ev.preventDefault(); fillFromPreset(); });
  buildForm();
  $('#new-run-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const overrides = changedOverrides();
    const seeds = Number($('#nr-seeds').value);
    const err = $('#new-run-error');
    err.textContent = '';
    $('#nr-start').disabled = true;
    $('#nr-overrides').textContent = Object.keys(overrides).length ? `overrides: ${flatten(overrides).length ? Object.entries(overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') : ''}` : 'no overrides: the preset as it is';
    try {
      const r = await postJSON('/api/runs', { kind: $('#nr-kind').value, preset: $('#nr-preset').value, overrides, seeds, ...($('#nr-scale').checked ? { scaleSchedule: true } : {}) });
      await onStarted(r.id);
    } catch (e) { err.textContent = e.message; } finally { $('#nr-start').disabled = false; }
  });
}
