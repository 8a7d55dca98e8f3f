// An image part's own resolved config: the keys that can change one method's result on a seed.
// The data (which images, not the folder they were read from), the model, the patch, the training
// settings, what is measured (metrics: the rows' fields) and the method's lr schedule, noise schedule and training subset; not the method's name
// (a label), the checkpoint cadence, the preset name or the number of seeds.
import type { ImageExperimentConfig } from './config.js';

export function imagePartConfig(c: ImageExperimentConfig, methodName: string): Record<string, unknown> {
  const m = c.methods.find((x) => x.name === methodName);
  if (!m) throw new Error(`no method '${methodName}' in the config`);
  const { dir: _dir, ...dataset } = c.dataset;
  const { checkpointEvery: _ck, ...train } = c.train;
  return { dataset, model: c.model, patch: c.patch, train, metrics: c.metrics, method: { lr: m.lr, noise: m.noise, subset: m.subset } };
}
