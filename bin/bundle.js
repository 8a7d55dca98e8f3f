// Whether the CLI's bundle (dist/cli/, scripts/bundle.mjs) is as new as the sources: it is used only
// while the sources' signature (the newest modification time of src/ and its folders, the number of
// files and their total size, with package.json and tsconfig.json) is the one it was built from.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const BUNDLE_DIR = join('dist', 'cli');
export const BUNDLE_STAMP = 'bundle.json';

/** The sources' signature: { newest (ms), files, bytes } over src/ (recursively, following links), package.json and tsconfig.json. */
export function sourceSignature(root) {
  const sig = { newest: 0, files: 0, bytes: 0 };
  const add = (st) => { sig.newest = Math.max(sig.newest, st.mtimeMs); sig.files += 1; sig.bytes += st.size; };
  for (const f of ['package.json', 'tsconfig.json']) { try { add(statSync(join(root, f))); } catch { /* absent */ } }
  const walk = (dir) => {
    sig.newest = Math.max(sig.newest, statSync(dir).mtimeMs);
    for (const name of readdirSync(dir)) {
      const p = join(dir, name), st = statSync(p);
      if (st.isDirectory()) walk(p); else add(st);
    }
  };
  walk(join(root, 'src'));
  return sig;
}

/** The bundle's main.js when it was built from the sources as they are now (and LRLAB_NO_BUNDLE is unset), else null. */
export function freshBundle(root) {
  if (process.env.LRLAB_NO_BUNDLE) return null;
  try {
    const stamp = JSON.parse(readFileSync(join(root, BUNDLE_DIR, BUNDLE_STAMP), 'utf8'));
    const now = sourceSignature(root), was = stamp.sources ?? {};
    return now.newest <= was.newest && now.files === was.files && now.bytes === was.bytes ? join(root, BUNDLE_DIR, 'main.js') : null;
  } catch {
    return null; // (not built, or unreadable: the sources through tsx)
  }
}
