// The playground of the synthetic experiment: sliders for the large and small learning rates, the
// anneal point, the noise level and the Q scale. Moving one starts a short run (and stops the one
// before) whose learning-order curves — P-only and Q-only test accuracy per method — grow live.
import { $, el, postJSON } from './util.js';
import { LiveCharts } from './runview.js';

const SLIDERS = [
  { id: 'eta1', key: 'train.eta1', label: 'large learning rate η1 (L-S before the anneal)', min: 0.005, max: 0.1, step: 0.005, value: 0.03 },
  { id: 'eta2', key: 'train.eta2', label: 'small learning rate η2 (S; L-S after the anneal)', min: 0.0005, max: 0.02, step: 0.0005, value: 0.003 },
  { id: 'anneal', key: 'train.annealAtStep', label: 'anneal point (fraction of the steps; also where S+noise drops its noise)', min: 0.1, max: 0.9, step: 0.05, value: 0.5 },
  { id: 'noise', key: 'train.noiseStd', label: 'noise level (S+noise pre-activation noise std)', min: 0, max: 3, step: 0.1, value: 0.3 },
  { id: 'qscale', key: 'data.qScale', label: 'Q scale (how much easier Q is to memorize)', min: 1, max: 100, step: 1, value: 60 },
];

let current = null;
let timer = null;
const charts = new LiveCharts(document.querySelector('#pg-charts'));

function overrides() {
  const steps = Math.max(100, Math.round(Number($('#pg-steps').value) || 2000));
  const v = Object.fromEntries(SLIDERS.map((s) => [s.id, Number($(`#pg-${s.id}`).value)]));
  const at = Math.max(1, Math.min(steps - 1, Math.round(v.anneal * steps)));
  return {
    'train.maxSteps': steps, 'train.evalEvery': Math.max(10, Math.round(steps / 40)), 'train.annealAtStep': at, 'train.noiseAnnealAtStep': at,
    'train.eta1': v.eta1, 'train.eta2': v.eta2, 'train.noiseStd': v.noise, 'data.qScale': v.qscale,
    'data.testSizes': { pOnly: 500, qOnly: 250, both: 250 },
  };
}

async function start() {
  const msg = $('#pg-status');
  if (current) { msg.textContent = 'stopping the previous run…'; await postJSON(`/api/runs/${encodeURIComponent(current)}/stop`).catch(() => {}); }
  msg.textContent = 'starting…';
  try {
    const r = await postJSON('/api/runs', { kind: 'synthetic', preset: 'order', overrides: overrides(), seeds: 1, folder: 'playground' });
    current = r.id;
    $('#pg-run').textContent = r.id;
    $('#pg-charts').dataset.run = r.id;
    msg.textContent = 'running: the curves grow as it trains';
    await charts.show([r.id], ['/api/charts']);
  } catch (e) { msg.textContent = e.message; }
}

export function initPlayground() {
  $('#pg-sliders').replaceChildren(...SLIDERS.map((s) => el('label', { class: 'slider' },
    el('span', { class: 'k' }, s.label),
    el('input', { type: 'range', id: `pg-${s.id}`, 'data-key': s.key, min: s.min, max: s.max, step: s.step, value: s.value,
      oninput: (ev) => { $(`#pg-${s.id}-v`).textContent = ev.target.value; },
      onchange: () => { clearTimeout(timer); timer = setTimeout(() => void start(), 300); } }),
    el('output', { id: `pg-${s.id}-v` }, String(s.value)))));
}
