/** Reading the PyTorch parity fixture (packages/models/fixtures/parity.json). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageDirectory } from '@fslsd/models/node';

/** The parity fixtures live in the repository only (not in the published package). */
const fixturesDirectory = () => path.join(packageDirectory(), 'fixtures');

export interface Encoded {
  shape: number[];
  data: string;
}

export interface Summary {
  sample: Encoded & { offset: number; stride: number };
  patch: Encoded & { rows: [number, number]; cols: [number, number] };
  stats: { mean: number; meanAbs: number; min: number; max: number; atUpper: number; atLower: number };
}

export interface ParityFixture {
  reference: { seed: number; width: number; weights: string; torch: string };
  inputs: { source: string; target: string; mask: string; split: string; strength: number; sourceLandmarks: [number, number][]; targetLandmarks: [number, number][] };
  outputs: {
    landmarkPixels: number[][];
    sourceWPlus: Encoded;
    targetWPlus: Encoded;
    direction: Encoded;
    fused: Record<'official' | 'paper' | 'megafs', Encoded>;
    latent: Encoded;
    sideOutput: Summary;
    image: Summary;
    maskPyramid: (Encoded | { size: number; sample: Encoded })[];
  };
  /** The same swap reached with no options at all (the released configuration). */
  defaults: {
    inputs: { source: string; target: string; sourceLandmarks: [number, number][]; targetLandmarks: [number, number][] };
    outputs: { sourceWPlus: Encoded; direction: Encoded; latent: Encoded; sideOutput: Summary; image: Summary };
  };
}

/**
 * Fixture folder: the shipped one, or FSLSD_PARITY_FIXTURES to check another exported set
 * (e.g. a full-width random export) against its own reference outputs.
 */
export function parityFixturesDirectory(): string {
  return process.env.FSLSD_PARITY_FIXTURES ?? fixturesDirectory();
}

/** Model folder matching {@link parityFixturesDirectory} (FSLSD_PARITY_MODELS), default the tiny set. */
export function parityModelsDirectory(): string | undefined {
  return process.env.FSLSD_PARITY_MODELS;
}

export function loadFixture(): ParityFixture {
  return JSON.parse(readFileSync(path.join(parityFixturesDirectory(), 'parity.json'), 'utf8')) as ParityFixture;
}

export function decode(encoded: Encoded): Float32Array {
  const bytes = Buffer.from(encoded.data, 'base64');
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer);
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Picks the fixture's strided sample out of a planar [3, size, size] image. */
export function strided(data: Float32Array, size: number, offset: number, stride: number): Float32Array {
  const per = Math.ceil((size - offset) / stride);
  const out = new Float32Array(3 * per * per);
  let k = 0;
  for (let c = 0; c < 3; c += 1) for (let y = offset; y < size; y += stride) for (let x = offset; x < size; x += stride) out[k++] = data[c * size * size + y * size + x]!;
  return out;
}

/** Picks a dense [rows, cols] patch out of a planar [3, size, size] image. */
export function patch(data: Float32Array, size: number, rows: [number, number], cols: [number, number]): Float32Array {
  const out: number[] = [];
  for (let c = 0; c < 3; c += 1) for (let y = rows[0]; y < rows[1]; y += 1) for (let x = cols[0]; x < cols[1]; x += 1) out.push(data[c * size * size + y * size + x]!);
  return Float32Array.from(out);
}

export function mean(data: Float32Array): number {
  let sum = 0;
  for (const v of data) sum += v;
  return sum / data.length;
}

/** How many values satisfy the predicate. */
export function count(data: Float32Array, predicate: (value: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < data.length; i += 1) if (predicate(data[i]!)) n += 1;
  return n;
}
