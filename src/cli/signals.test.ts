// The first SIGINT/SIGTERM sets the flag, is passed on, and says what it does (or nothing, where the
// processes it is passed on to say it themselves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interruptFlag } from './signals.js';

/** What interruptFlag(onSignal, ...doing) writes to stderr at a first SIGTERM, and its flag then. */
function firstSignal(...doing: [] | [string | null]): { said: string; set: boolean; heard: string[] } {
  const said: string[] = [], heard: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => { said.push(String(s)); return true; }) as typeof process.stderr.write;
  const stop = interruptFlag((sig) => { heard.push(sig); }, ...doing);
  try {
    process.emit('SIGTERM', 'SIGTERM');
    return { said: said.join(''), set: stop.get(), heard };
  } finally { stop.release(); process.stderr.write = write; }
}

test('interruptFlag: the first signal sets the flag, is passed on, and says what it does', () => {
  assert.deepEqual(firstSignal(), { said: '\nSIGTERM: saving a checkpoint and stopping (send again to quit at once)\n', set: true, heard: ['SIGTERM'] });
  assert.equal(firstSignal('stopping the coordinator').said, '\nSIGTERM: stopping the coordinator (send again to quit at once)\n');
  assert.deepEqual(firstSignal(null), { said: '', set: true, heard: ['SIGTERM'] });
});
