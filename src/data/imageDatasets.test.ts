// The built-in image data sets are registered under the config's names, with their shapes, and
// refuse a second registration of those names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cifar10Dataset } from './cifar10.js';
import { fashionMnistDataset } from './fashionMnist.js';
import { checkImageDataset, getImageDataset, imageDatasetNames, registerImageDataset } from './imageDatasets.js';

test('fashion-mnist and cifar10 are registered; CIFAR-10 needs a folder and says how to get it', () => {
  assert.deepEqual(imageDatasetNames(), ['fashion-mnist', 'cifar10']);
  assert.equal(getImageDataset('fashion-mnist'), fashionMnistDataset);
  assert.equal(getImageDataset('cifar10').shape.channels, 3);
  assert.throws(() => checkImageDataset('cifar10', null), /^Error: CIFAR-10 needs a data folder, and lrlab cannot download it: download the binary version \(cifar-10-binary\.tar\.gz\)/);
  assert.throws(() => registerImageDataset(cifar10Dataset), /data set 'cifar10' is already registered/);
});
