// IDX parsing: raw and gzipped bytes, every broken-file error, and reading a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdx } from './idx.js';

/** IDX bytes: magic 0x0000 08 ndims, big-endian dims, then the data. */
function idx(dims: number[], data: Uint8Array, magic = 0x0800 + dims.length): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, Buffer.from(data)]);
}
test('parseIdx reads raw and gzipped bytes alike', () => {
  const raw = idx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
  for (const b of [raw, gzipSync(raw)]) {
    const a = parseIdx(b, 2, 'x');
    assert.deepEqual(a.dims, [2, 3]);
    assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
  }
});

test('parseIdx errors: wrong magic, truncated header and data, trailing bytes, bad gzip', () => {
  assert.throws(() => parseIdx(idx([3], Uint8Array.from([1, 2, 3])), 3, 'f'), { message: 'IDX file f: wrong magic number 0x00000801 (expected 0x00000803)' });
  assert.throws(() => parseIdx(idx([3], Uint8Array.from([1, 2, 3]), 0x0d01), 1, 'f'), { message: 'IDX file f: wrong magic number 0x00000d01 (expected 0x00000801)' });
  assert.throws(() => parseIdx(Buffer.from([0, 0, 8]), 1, 'f'), { message: 'IDX file f: truncated: 3 bytes, too short for the magic number' });
  assert.throws(() => parseIdx(idx([4, 2, 2], new Uint8Array(0)).subarray(0, 10), 3, 'f'), { message: 'IDX file f: truncated: 10 bytes, too short for the 16-byte header' });
  assert.throws(() => parseIdx(idx([4, 2, 2], new Uint8Array(15)), 3, 'f'),
    { message: 'IDX file f: truncated: header says 4 x 2 x 2 (16 bytes of data) but only 15 bytes follow' });
  assert.throws(() => parseIdx(idx([2], new Uint8Array(3)), 1, 'f'), { message: 'IDX file f: 1 unexpected bytes after the 2 data' });
  assert.throws(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 1, 'f'), { message: 'IDX file f: not a valid gzip stream (unknown compression method)' });
});

test('readIdx reads and parses a file, naming it in errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrlab-idx-'));
  try {
    writeFileSync(join(dir, 'a.gz'), gzipSync(idx([3], Uint8Array.from([7, 8, 9]))));
    assert.deepEqual([...readIdx(join(dir, 'a.gz'), 1).data], [7, 8, 9]);
    assert.throws(() => readIdx(join(dir, 'a.gz'), 3), { message: `IDX file ${join(dir, 'a.gz')}: wrong magic number 0x00000801 (expected 0x00000803)` });
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
