// Reading what was appended to a JSONL file since a byte offset: only complete lines (a line being
// written is left for the next read), and a file that shrank (a resumed run truncates its metrics to
// the checkpoint) is reported so that the reader starts over.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface TailRead {
  /** Parsed objects of the complete new lines. */
  rows: unknown[];
  /** 1-based line numbers (counted from `firstLine`) of lines that did not parse. */
  bad: number[];
  /** The offset after the last complete line. */
  offset: number;
  /** The number of complete lines read (for numbering the next read). */
  lines: number;
  /** True when the file is shorter than `offset`: the caller should drop what it has and read from 0. */
  truncated: boolean;
}

/** Read the complete lines of `path` from byte `offset` on (a missing file reads as empty). */
export function readAppended(path: string, offset: number, firstLine = 1, maxBytes = 64 * 1024 * 1024): TailRead {
  let size: number;
  try { size = statSync(path).size; } catch { return { rows: [], bad: [], offset: 0, lines: 0, truncated: offset > 0 }; }
  if (size < offset) return { rows: [], bad: [], offset, lines: 0, truncated: true };
  if (size === offset) return { rows: [], bad: [], offset, lines: 0, truncated: false };
  const n = Math.min(size - offset, maxBytes);
  const buf = Buffer.alloc(n);
  const fd = openSync(path, 'r');
  try { readSync(fd, buf, 0, n, offset); } finally { closeSync(fd); }
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return { rows: [], bad: [], offset, lines: 0, truncated: false };
  const text = buf.subarray(0, end).toString('utf8');
  const rows: unknown[] = [];
  const bad: number[] = [];
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    try { rows.push(JSON.parse(l)); } catch { bad.push(firstLine + i); }
  });
  return { rows, bad, offset: offset + end + 1, lines: lines.length, truncated: false };
}
