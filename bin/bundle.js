// Whether the CLI's bundle (dist/cli/, scripts/bundle.mjs) is as new as the sources: it is used only
// while no file or folder under src/ (nor package.json) changed after the sources it was built from.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const BUNDLE_DIR = join('dist', 'cli');
export const BUNDLE_STAMP = 'bundle.json';

/** The newest modification time (ms) of src/ (its files and folders, recursively) and package.json. */
export function newestSource(root) {
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p); else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  return newest;
}

/** The bundle's main.js when it was built from the sources as they are now (and LRLAB_NO_BUNDLE is unset), else null. */
export function freshBundle(root) {
  if (process.env.LRLAB_NO_BUNDLE) return null;
  try {
    const stamp = JSON.parse(readFileSync(join(root, BUNDLE_DIR, BUNDLE_STAMP), 'utf8'));
    return typeof stamp.sourcesNewest === 'number' && newestSource(root) <= stamp.sourcesNewest ? join(root, BUNDLE_DIR, 'main.js') : null;
  } catch {
    return null; // (not built, or unreadable: the sources through tsx)
  }
}
