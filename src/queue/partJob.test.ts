import { test } from 'node:test';
import assert from 'node:assert/strict';
import { synthetic } from '../experiments/synthetic/index.js';
import { deepMerge } from '../experiments/configTools.js';
import { partId } from '../experiments/partId.js';
import { CODE_VERSION } from '../util/version.js';
import type { BaseConfig } from '../experiments/experiment.js';
import { JobRefused, checkPartResult, jobIdOf, makePartJob, partDevice, validatePartJob } from './partJob.js';

const cfg = synthetic.validate(deepMerge(synthetic.presets.default!.config(), { seeds: 3 })) as BaseConfig;
const job = makePartJob(synthetic, cfg, { method: 'S', seed: cfg.seed + 1 }, '0123456789abcdef', '/runs/x');

test('a part job carries data only: the kind, the config restricted to its seed, method, identity, code version', () => {
  assert.deepEqual(Object.keys(job).sort(), ['codeVersion', 'config', 'format', 'kind', 'method', 'part', 'partId', 'run', 'runDir', 'seed']);
  assert.equal(job.config.seeds, 1);
  assert.equal(job.config.seed, cfg.seed + 1);
  assert.equal(job.partId, partId('synthetic', synthetic.partConfig(cfg as never, 'S'), cfg.seed + 1), 'the identity of the part in the whole run');
  assert.equal(jobIdOf(job.run, job.partId), `0123456789abcdef.${job.partId.slice('sha256:'.length)}`);
  assert.equal(partDevice(job.config), 'cpu');
  assert.equal(partDevice({ train: { device: 'cuda' } }), 'cuda');
  const v = validatePartJob(JSON.parse(JSON.stringify(job)));
  assert.deepEqual(v.key, { method: 'S', seed: cfg.seed + 1 });
});

test('a worker refuses a job of another code version (so that it waits for another worker), a tampered or malformed one', () => {
  const refuse = (data: unknown, what: RegExp, otherVersion = false) => assert.throws(() => validatePartJob(data),
    (e: unknown) => e instanceof JobRefused && what.test(e.message) && e.otherVersion === otherVersion, String(what));
  refuse({ ...job, codeVersion: '0.0.1+ckpt1' }, new RegExp(`code version 0\\.0\\.1\\+ckpt1, this worker runs ${CODE_VERSION.replace(/[.+]/g, '\\$&')}`), true);
  refuse({ ...job, config: { ...job.config, train: { ...(job.config.train as object), eta2: 7 } } }, /identity does not match its config/);
  refuse({ ...job, config: { ...job.config, train: { ...(job.config.train as object), eta2: -1 } } }, /config key 'train\.eta2'/);
  refuse({ ...job, kind: 'nope' }, /unknown experiment kind 'nope'/);
  refuse({ ...job, method: 'L-S' }, /not that of method 'L-S'/);
  refuse({ ...job, command: 'rm -rf /' }, /not an lrlab part job/);
  refuse('echo hi', /not an lrlab part job/);
});

test('the coordinator checks what comes back against the job', () => {
  const row = JSON.stringify({ method: 'S', seed: job.seed, step: 0 });
  const partFile = { method: 'S', seed: job.seed, partId: job.partId, status: 'done', message: null, weightsSha256: 'x', seconds: 1 };
  assert.equal(checkPartResult({ partFile, rows: [row], sideFiles: { 'events.bin': 'AAE=' }, worker: 'h:1' }, job).rows.length, 1);
  assert.throws(() => checkPartResult({ partFile: { ...partFile, partId: 'sha256:' + '0'.repeat(64) }, rows: [], sideFiles: {}, worker: 'h:1' }, job), /belongs to another part/);
  assert.throws(() => checkPartResult({ partFile, rows: [JSON.stringify({ method: 'L-S', seed: job.seed, step: 0 })], sideFiles: {}, worker: 'h:1' }, job), /not one of this part/);
  assert.throws(() => checkPartResult({ partFile, rows: ['{'], sideFiles: {}, worker: 'h:1' }, job), /not JSON/);
  assert.throws(() => checkPartResult({ rows: [] }, job), /malformed/);
  assert.throws(() => checkPartResult({ partFile, rows: [], sideFiles: { '../x': 'AA==' }, worker: 'h:1' }, job), /malformed/, 'a side file stays in parts/');
});
