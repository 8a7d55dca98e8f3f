// Tests of the data-set registry mechanics with a test-only data set: registering it is all it
// takes for its name to be found, checked and loaded; a name registered twice is refused; a data
// set without a default folder needs one, and the error says how to get the files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkImageDataset, getImageDataset, imageDatasetDir, imageDatasetNames, loadImageDataset, registerImageDataset, type ImageDatasetEntry,
} from './imageDatasetRegistry.js';
import type { RawImages } from './normalize.js';

const raw = (n: number): RawImages => ({ n, channels: 1, height: 2, width: 2, images: new Uint8Array(4 * n).fill(7), labels: new Uint8Array(n) });
const checked: string[] = [];
const tiny: ImageDatasetEntry = {
  name: 'test-tiny', title: 'Tiny', shape: { channels: 1, height: 2, width: 2, classes: 2 }, defaultDir: null, hint: 'make it yourself',
  check: (dir) => { checked.push(dir); if (dir === '/nope') throw new Error('Tiny folder not found: /nope (make it yourself)'); },
  load: ({ testSize }) => ({ train: raw(6), test: raw(testSize ?? 4), stats: { mean: [0.5], std: [0.25] } }),
};

test('a registered data set is found, checked and loaded by name', () => {
  assert.deepEqual(imageDatasetNames(), []);
  assert.throws(() => getImageDataset('test-tiny'), { message: "unknown image data set 'test-tiny' (registered: )" });
  registerImageDataset(tiny);
  assert.deepEqual(imageDatasetNames(), ['test-tiny']);
  assert.equal(getImageDataset('test-tiny'), tiny);
  checkImageDataset('test-tiny', '/here');
  const d = loadImageDataset('test-tiny', { dir: '/here', testSize: 3 });
  assert.deepEqual([d.train.n, d.test.n, d.stats.mean], [6, 3, [0.5]]);
  assert.deepEqual(checked, ['/here', '/here'], 'load checks first');
  assert.throws(() => checkImageDataset('test-tiny', '/nope'), { message: 'Tiny folder not found: /nope (make it yourself)' });
  // no default folder: one is required
  assert.equal(imageDatasetDir('test-tiny', null), null);
  assert.throws(() => loadImageDataset('test-tiny', { dir: null, testSize: null }), { message: 'Tiny needs a data folder, and lrlab cannot download it: make it yourself' });
  registerImageDataset({ ...tiny, name: 'test-default', defaultDir: '/usr/share/tiny' });
  assert.equal(imageDatasetDir('test-default', null), '/usr/share/tiny');
  assert.equal(imageDatasetDir('test-default', '/mine'), '/mine');
  checkImageDataset('test-default', null);
  assert.equal(checked.at(-1), '/usr/share/tiny');
});

test('a name registered twice is refused', () => {
  assert.throws(() => registerImageDataset({ ...tiny, title: 'Other' }), { message: "registerImageDataset: data set 'test-tiny' is already registered" });
  assert.throws(() => registerImageDataset({ ...tiny, name: '' }), /name must be a non-empty string/);
  assert.equal(getImageDataset('test-tiny').title, 'Tiny');
});
