// The image-model registry, after tfjs-layers' serialization.registerClass: an architecture is
// one entry (its arch name, the zod schema of its model section, a factory and a short name),
// registered once; configs, factories and JSON Schemas find it by `arch`. The model section of a
// config is then the discriminated union of the registered schemas, so each architecture has its
// own keys and nothing else (no placeholders for the keys of other architectures).
//
// The registry holds no architecture itself: index.ts registers the built-in ones, and a new
// model is one file exporting its entry plus one line there (tests register their own).
import type { Generator } from '../engine/index.js';
import { parseConfig, z } from '../util/schema.js';
import type { ImageModel, ImageModelEntry, ImageModelOptions, ImageModelSection, ImageShape } from './types.js';

const entries = new Map<string, ImageModelEntry>();

/**
 * Add an architecture. Refused: an arch already registered (two entries must never answer to one
 * config), and a schema that is not an object with `arch: z.literal(arch)` (the union dispatches
 * on that key).
 */
export function registerImageModel(entry: ImageModelEntry): void {
  const arch: unknown = entry.arch;
  if (typeof arch !== 'string' || arch === '') throw new Error(`registerImageModel: arch must be a non-empty string, got ${JSON.stringify(arch)}`);
  if (entries.has(arch)) throw new Error(`registerImageModel: arch '${arch}' is already registered`);
  const s: unknown = entry.schema;
  const lit = s instanceof z.ZodObject ? (s.shape as Record<string, unknown>).arch : undefined;
  if (!(lit instanceof z.ZodLiteral) || lit.values.size !== 1 || !lit.values.has(arch)) {
    throw new Error(`registerImageModel: the schema of '${arch}' must be an object schema with arch: z.literal('${arch}')`);
  }
  entries.set(arch, entry);
}

/** The registered arch names, in registration order. */
export function registeredImageArchs(): string[] { return [...entries.keys()]; }

/**
 * The schema of a model section: the discriminated union (on `arch`) of the registered
 * architectures' schemas. Built on every call, so that it includes everything registered so far.
 */
export function imageModelSchema(): z.ZodType<ImageModelSection> {
  const schemas = [...entries.values()].map((e) => e.schema);
  if (schemas.length === 0) throw new Error('imageModelSchema: no image model is registered');
  return z.discriminatedUnion('arch', schemas as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<ImageModelSection>;
}

/** Check a model section against its architecture's schema; throws a one-line error naming 'model.<key>'. */
export function parseImageModelConfig(config: unknown): { config: ImageModelSection; entry: ImageModelEntry } {
  const c = parseConfig(imageModelSchema(), config, 'model');
  return { config: c, entry: entries.get(c.arch)! };
}

function checkShape(shape: ImageShape): void {
  if (shape === null || typeof shape !== 'object') throw new Error(`createImageModel: shape must be { inChannels, height, width, classes }, got ${JSON.stringify(shape)}`);
  for (const k of ['inChannels', 'height', 'width', 'classes'] as const) {
    const v = shape[k];
    const min = k === 'classes' ? 2 : 1;
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`createImageModel: shape.${k} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
}

/**
 * Build an image model from its model section, for images and classes of `shape`; initial weights
 * are drawn from gen. Options default to float32 on the CPU.
 */
export function createImageModel(config: ImageModelSection, shape: ImageShape, opts: Partial<ImageModelOptions>, gen: Generator): ImageModel {
  const { config: c, entry } = parseImageModelConfig(config);
  checkShape(shape);
  const o: ImageModelOptions = { dtype: opts.dtype ?? 'float32', device: opts.device ?? 'cpu' };
  if (o.dtype !== 'float32' && o.dtype !== 'float64') throw new Error(`createImageModel: dtype must be 'float32' or 'float64', got ${JSON.stringify(o.dtype)}`);
  const { inChannels, height, width, classes } = shape;
  return entry.create(c, { inChannels, height, width, classes }, o, gen);
}

/** The architecture's short name for a model section, e.g. 'WRN-16-10'. */
export function describeImageModel(config: ImageModelSection): string {
  const { config: c, entry } = parseImageModelConfig(config);
  return entry.describe(c);
}
