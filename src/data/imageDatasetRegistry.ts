// The image data sets of Section 6 / Appendix H behind one registry: a data set is one entry (its
// name, image shape and classes, where its files are by default, how to check and load them, and
// how to get them), registered once (imageDatasets.ts registers the built-in ones). Configs name a
// data set; the experiment finds its shape, files and normalization statistics here.
import type { ChannelStats, RawImages } from './normalize.js';

/** A data set's images and classes. */
export interface ImageDatasetShape { channels: number; height: number; width: number; classes: number }

/** A loaded data set: raw uint8 splits and the normalization statistics the experiments use. */
export interface ImageData { train: RawImages; test: RawImages; stats: ChannelStats }

export interface ImageDatasetEntry {
  /** The config's name of it (dataset.name), e.g. 'cifar10'. */
  readonly name: string;
  /** Its name in messages, e.g. 'CIFAR-10'. */
  readonly title: string;
  readonly shape: Readonly<ImageDatasetShape>;
  /** The folder used when a config gives none; null: it has no standard place (a folder is required). */
  readonly defaultDir: string | null;
  /** How to get the files, for error messages (a clause: "download ... and pass --data DIR"). */
  readonly hint: string;
  /** Check that the files are in `dir` without reading them; throws a one-line error that includes the hint. */
  check(dir: string): void;
  /** Load the training set and the first testSize test images (null: all), with their statistics. */
  load(o: { dir: string; testSize: number | null }): ImageData;
}

const entries = new Map<string, ImageDatasetEntry>();

/** Add a data set; a name that is already registered is refused. */
export function registerImageDataset(entry: ImageDatasetEntry): void {
  if (typeof entry.name !== 'string' || entry.name === '') throw new Error(`registerImageDataset: name must be a non-empty string, got ${JSON.stringify(entry.name)}`);
  if (entries.has(entry.name)) throw new Error(`registerImageDataset: data set '${entry.name}' is already registered`);
  entries.set(entry.name, entry);
}

/** The registered names, in registration order. */
export function imageDatasetNames(): string[] { return [...entries.keys()]; }

export function getImageDataset(name: string): ImageDatasetEntry {
  const e = entries.get(name);
  if (!e) throw new Error(`unknown image data set '${name}' (registered: ${imageDatasetNames().join(', ')})`);
  return e;
}

/** The folder of a data set: `dir`, else its default folder, else null (it has none). */
export function imageDatasetDir(name: string, dir: string | null): string | null {
  return dir ?? getImageDataset(name).defaultDir;
}

function requireDir(name: string, dir: string | null): string {
  const d = imageDatasetDir(name, dir);
  const e = getImageDataset(name);
  if (d === null) throw new Error(`${e.title} needs a data folder, and lrlab cannot download it: ${e.hint}`);
  return d;
}

/** Check that a data set's files are there (in `dir`, or its default folder), without reading them. */
export function checkImageDataset(name: string, dir: string | null): void {
  getImageDataset(name).check(requireDir(name, dir));
}

/** Check and load a data set (the test set cut to testSize). */
export function loadImageDataset(name: string, o: { dir: string | null; testSize: number | null }): ImageData {
  const d = requireDir(name, o.dir);
  const e = getImageDataset(name);
  e.check(d);
  return e.load({ dir: d, testSize: o.testSize });
}
