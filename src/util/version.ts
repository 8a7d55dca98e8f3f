// The version stamped into checkpoints: a checkpoint is resumed only by the same code version.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
/** Bump CHECKPOINT_FORMAT when the meaning of a checkpoint's contents changes. */
export const CHECKPOINT_FORMAT = 2;
export const CODE_VERSION = `${pkg.version}+ckpt${CHECKPOINT_FORMAT}`;
