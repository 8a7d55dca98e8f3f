// Seeded random number generators. Every random draw in lrlab takes an explicit Generator,
// so a run is reproducible from its seed; the state can be saved and restored exactly.
import { native, type NativeGenerator } from './native.js';
import type { Device } from './dtype.js';

export class Generator {
  readonly native: NativeGenerator;
  readonly seed: number;
  readonly device: Device;

  constructor(seed: number, device: Device = 'cpu') {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Generator: seed must be a non-negative integer, got ${seed}`);
    this.seed = seed;
    this.device = device;
    this.native = new native.Generator(seed, device);
  }

  /** The full generator state (opaque bytes). */
  getState(): Uint8Array { return new Uint8Array(this.native.getState()); }
  setState(state: Uint8Array): void { this.native.setState(state); }
  /** State as a base64 string, for JSON checkpoints. */
  serialize(): string { return Buffer.from(this.getState()).toString('base64'); }
  restore(state: string): void { this.setState(Buffer.from(state, 'base64')); }

  /** An independent generator whose seed is derived from this one's seed and a label. */
  derive(label: string): Generator { return new Generator(deriveSeed(this.seed, label), this.device); }
}

/** A deterministic 48-bit seed from a base seed and a label (FNV-1a mixing). */
export function deriveSeed(seed: number, label: string): number {
  let h = 0xcbf29ce484222325n;
  const mix = (b: number) => { h ^= BigInt(b & 0xff); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; };
  let s = BigInt(seed);
  for (let i = 0; i < 8; i++) { mix(Number(s & 0xffn)); s >>= 8n; }
  for (const ch of Buffer.from(label, 'utf8')) mix(ch);
  return Number(h & 0xffffffffffffn);
}
