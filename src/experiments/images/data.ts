// Where an image run's data comes from: the data-set registry (src/data/imageDatasets.ts) resolves
// the config's data set and folder; checkImageData looks for the files without reading them,
// loadImageData loads them once per run.
import { getImageDataset, imageDatasetDir, type ImageData } from '../../data/imageDatasets.js';
import type { ImageExperimentConfig } from './config.js';
import { ConfigError } from '../../util/schema.js';

/**
 * Check that the data set's files exist (without reading them); throws a one-line error saying how
 * to get them (the data set's own hint).
 */
export function checkImageData(cfg: ImageExperimentConfig): void {
  const d = getImageDataset(cfg.dataset.name);
  const dir = imageDatasetDir(d.name, cfg.dataset.dir);
  if (dir === null) throw new Error(`preset '${cfg.preset}' uses ${d.title}, which lrlab cannot download: ${d.hint}`);
  d.check(dir);
}

/** Load the data set (test set cut to testSize) and its normalization statistics. */
export function loadImageData(cfg: ImageExperimentConfig): ImageData {
  checkImageData(cfg);
  const d = cfg.dataset;
  const dir = imageDatasetDir(d.name, d.dir)!;
  const data = getImageDataset(d.name).load({ dir, testSize: d.testSize });
  if (d.trainSize !== null && d.trainSize > data.train.n) {
    throw new ConfigError(`config key 'dataset.trainSize' is ${d.trainSize} but ${dir} has only ${data.train.n} training images`);
  }
  return data;
}
