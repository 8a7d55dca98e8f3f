// The image models of Section 6 / Appendix H, as the rest of lrlab uses them: the registry
// (registry.ts) with the built-in architectures registered — the authors' WideResNet-depth-k
// ('wrn'), a CPU-size pre-activation ResNet of the same design ('resnet') and an MLP with
// BatchNorm ('mlp'). Import the image models from here, so that the built-ins are always there.
//
// A new architecture: a file exporting its ImageModelEntry (see types.ts) and one line in BUILTIN.
import type { z } from '../util/schema.js';
import { imageModelSchema as registeredSchema, registerImageModel } from './registry.js';
import { mlpBnModel } from './mlpBn.js';
import { wideResNetModel } from './preActResNet.js';
import { smallResNetModel } from './smallResNet.js';

const BUILTIN = [
  wideResNetModel,
  smallResNetModel,
  mlpBnModel,
] as const;
for (const entry of BUILTIN) registerImageModel(entry);

/** The model section of a config, one type per built-in architecture (discriminated on arch). */
export type ImageModelConfig = z.infer<(typeof BUILTIN)[number]['schema']>;
export type ImageArch = ImageModelConfig['arch'];

/**
 * The schema of a model section: the union of every registered architecture's schema. Typed with
 * the built-in ones; at run time it also accepts architectures registered later (tests, plug-ins).
 */
export const imageModelSchema = (): z.ZodType<ImageModelConfig> => registeredSchema() as z.ZodType<ImageModelConfig>;

export { createImageModel, describeImageModel, parseImageModelConfig, registerImageModel, registeredImageArchs } from './registry.js';
export { recalibrateBatchNorm } from './batchNorm.js';
export type { ImageForwardOptions, ImageModel, ImageModelEntry, ImageModelOptions, ImageModelSection, ImageShape } from './types.js';
