// Whether the CLI's bundle (dist/cli/, scripts/bundle.mjs) is as new as the sources: it is used only
// while the sources' signature (the newest modification time of the files under src/, their number,
// total size and names, with package.json and tsconfig.json) is the one it was built from. Tests
// (*.test.ts, *.testutil.ts) are not bundled and do not count: editing one keeps the bundle.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const BUNDLE_DIR = join('dist', 'cli');
export const BUNDLE_STAMP = 'bundle.json';

const TEST_FILE = /\.(test|testutil)\.[cm]?[jt]sx?$/;

/** The sources' signature: { newest (ms), files, bytes, names (a hash of their paths) } over src/ (recursively, following links; tests left out), package.json and tsconfig.json. */
export function sourceSignature(root) {
  const sig = { newest: 0, files: 0, bytes: 0, names: '' };
  const names = createHash('sha256');
  const add = (p, st) => { sig.newest = Math.max(sig.newest, st.mtimeMs); sig.files += 1; sig.bytes += st.size; names.update(`${relative(root, p)}\n`); };
  for (const f of ['package.json', 'tsconfig.json']) { try { add(join(root, f), statSync(join(root, f))); } catch { /* absent */ } }
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name), st = statSync(p);
      if (st.isDirectory()) walk(p); else if (!TEST_FILE.test(name)) add(p, st);
    }
  };
  walk(join(root, 'src'));
  sig.names = names.digest('hex').slice(0, 16);
  return sig;
}

/** The bundle's main.js when it was built from the sources as they are now (and LRLAB_NO_BUNDLE is unset), else null. */
export function freshBundle(root) {
  if (process.env.LRLAB_NO_BUNDLE) return null;
  try {
    const stamp = JSON.parse(readFileSync(join(root, BUNDLE_DIR, BUNDLE_STAMP), 'utf8'));
    const now = sourceSignature(root), was = stamp.sources ?? {};
    return now.newest <= was.newest && now.files === was.files && now.bytes === was.bytes && now.names === was.names ? join(root, BUNDLE_DIR, 'main.js') : null;
  } catch {
    return null; // (not built, or unreadable: the sources through tsx)
  }
}
