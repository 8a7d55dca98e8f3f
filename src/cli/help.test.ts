// The run commands' help: the usage line names every option the help lists, the seeds' default is
// the default preset's, and --no-batch says what it does for the kind (a kind without a batched program).
import test from 'node:test';
import assert from 'node:assert/strict';
import { runUsage } from './help.js';
import { experiments } from '../experiments/registry.js';

test('each kind\'s usage line names every option its help lists, with the seeds\' default and what --no-batch does there', () => {
  for (const exp of experiments()) {
    const text = runUsage(exp);
    const [head, rest] = [text.slice(0, text.indexOf('\n\n')), text.slice(text.indexOf('\noptions:\n'))];
    const listed = [...rest.matchAll(/^ {2}(--[a-z][\w-]*)/gm)].map((m) => m[1]!);
    assert.ok(listed.length >= 10, `${exp.kind}: ${listed.length} options listed`);
    for (const o of listed) assert.ok(new RegExp(`\\[${o}[ \\]]`).test(head), `${exp.kind}: the usage line lacks ${o}`);
    assert.ok(rest.includes(`(default: the preset's count; ${exp.presets[exp.defaultPreset]!.config().seeds} in --preset ${exp.defaultPreset})`), exp.kind);
    assert.equal(rest.includes('changes nothing here'), exp.createBatch === undefined, `${exp.kind}: --no-batch`);
  }
});
