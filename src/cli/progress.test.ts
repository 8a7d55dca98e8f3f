// The progress bar's ETA: from the rate of the work done since the bar started, so that a resumed
// run (which starts part-way) does not claim it is almost done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from './progress.js';

function fakeStream(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  return { stream: { isTTY: false, write: (s: string) => { lines.push(s); return true; } } as unknown as NodeJS.WriteStream, lines };
}

test('Progress: a bar started at 50% (a resume) estimates the rest from its own pace, not from the work done before it', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const { stream, lines } = fakeStream();
  const bar = new Progress(100, 'run', stream);
  bar.update(50); // what a resumed run finds done
  t.mock.timers.tick(10_000);
  bar.update(60); // 10 units in 10 s: 40 more take 40 s
  assert.match(lines.at(-1)!, /^run .* 60% 0:10 elapsed, ETA 0:40/);
  t.mock.timers.tick(10_000);
  bar.update(100);
  assert.match(lines.at(-1)!, /100% 0:20 elapsed, ETA 0:00/);
  // set-up before the first report (loading data, restoring) is not counted as training pace
  const late = fakeStream();
  const b3 = new Progress(100, 'run', late.stream);
  t.mock.timers.tick(10_000);
  b3.update(0);
  t.mock.timers.tick(6_000);
  b3.update(10); // 10 units in 6 s: 90 more take 54 s
  assert.match(late.lines.at(-1)!, /10% 0:16 elapsed, ETA 0:54/);
  const fresh = fakeStream();
  const b2 = new Progress(10, 'run', fresh.stream);
  b2.update(0);
  assert.match(fresh.lines.at(-1)!, /ETA --:--/, 'no estimate before any work');
});
