// Mapping URL paths to files without ever leaving the allowed folder: '..', '.', empty and hidden
// segments, backslashes, NUL and absolute paths are refused, and the resolved real path (symlinks
// followed) must still lie inside the folder's real path.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

/** A refused path: `status` 400 for a malformed one, 404 for one that is outside or missing. */
export class PathError extends Error {
  constructor(readonly status: 400 | 404, message: string) { super(message); }
}

/** Decode a URL path component; a malformed escape is a 400. */
export function decodeSegment(s: string): string {
  try { return decodeURIComponent(s); } catch { throw new PathError(400, 'malformed percent-encoding in the URL'); }
}

/**
 * Check a raw request path (before any normalization): no segment may decode to '.' or '..' (also
 * '%2e%2e', '..%2f..'), and no NUL or backslash anywhere.
 */
export function checkRawPath(raw: string): void {
  for (const seg of raw.split('/')) {
    const d = decodeSegment(seg);
    if (d.includes('\0') || d.includes('\\')) throw new PathError(400, 'NUL or backslash in the URL path');
    if (d.split('/').some((p) => p === '.' || p === '..')) throw new PathError(400, "'.' or '..' in the URL path");
  }
}

/** Check a relative, '/'-separated path (already decoded): no '..', '.', empty or hidden segments, not absolute. */
export function checkRelative(rel: string): string[] {
  if (rel === '' || isAbsolute(rel) || rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) throw new PathError(400, 'expected a relative path');
  if (rel.includes('\0') || rel.includes('\\')) throw new PathError(400, 'NUL or backslash in the path');
  const parts = rel.split('/');
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..') throw new PathError(400, "empty, '.' or '..' segment in the path");
    if (p.startsWith('.')) throw new PathError(404, 'not found');
  }
  return parts;
}

/** The real path of an existing `rel` inside `root` (a symlink pointing outside is 404). */
export function resolveInside(root: string, rel: string, want: 'file' | 'dir'): string {
  const parts = checkRelative(rel);
  let realRoot: string, real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(join(root, ...parts));
  } catch { throw new PathError(404, 'not found'); }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new PathError(404, 'not found');
  const st = statSync(real);
  if (want === 'file' ? !st.isFile() : !st.isDirectory()) throw new PathError(404, 'not found');
  return real;
}
