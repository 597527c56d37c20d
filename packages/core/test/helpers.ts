/**
 * Shared helpers of the core tests: the PyTorch parity fixture (read from the models package by
 * path, since @fslsd/models depends on core), image decoding with sharp, and running graphs on
 * onnxruntime-node (a devDependency only: core itself never imports a runtime).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { expect } from 'vitest';
import { type OrtRuntime, type RgbImage, FslsdError } from '../src/index.js';
import { type ModelProto, encodeModel } from '../src/graph.js';

/** Root of packages/models (fixtures, samples, tiny set). */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));
export const FIXTURE_FILE = `${MODELS_DIR}fixtures/parity.json`;
export const MASK_FILE = `${MODELS_DIR}fixtures/parity-mask.png`;
export const SAMPLES_DIR = `${MODELS_DIR}assets/samples/`;
export const TINY_DIR = `${MODELS_DIR}tiny/`;

/** onnxruntime-node as the runtime interface core expects. */
export const runtime = ort as unknown as OrtRuntime;
export { ort };

export interface Encoded {
  shape: number[];
  data: string;
}

export interface ParityFixture {
  inputs: { source: string; target: string; mask: string; split: string; strength: number; sourceLandmarks: [number, number][]; targetLandmarks: [number, number][] };
  outputs: {
    landmarkPixels: number[][];
    sourceSmall: { sample: Encoded & { offset: number; stride: number }; stats: { mean: number } };
    sourceWPlus: Encoded;
    targetWPlus: Encoded;
    direction: Encoded;
    fused: Record<'official' | 'paper' | 'megafs', Encoded>;
    maskPyramid: (Encoded | { size: number; sample: Encoded })[];
  };
}

let cached: ParityFixture | undefined;
export function loadFixture(): ParityFixture {
  cached ??= JSON.parse(readFileSync(FIXTURE_FILE, 'utf8')) as ParityFixture;
  return cached;
}

/** base64 little-endian float32 -> Float32Array (copied, so the buffer is aligned). */
export function decode(encoded: Encoded): Float32Array {
  const bytes = new Uint8Array(Buffer.from(encoded.data, 'base64'));
  expect(bytes.length).toBe(4 * encoded.shape.reduce((a, b) => a * b, 1));
  return new Float32Array(bytes.buffer);
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) worst = d; // NaN propagates as the worst value
  }
  return worst;
}

/** Values [channel, offset::stride, offset::stride] of a planar [channels, size, size] tensor. */
export function strided(data: Float32Array, channels: number, size: number, offset: number, stride: number): Float32Array {
  const out: number[] = [];
  for (let c = 0; c < channels; c += 1) {
    for (let y = offset; y < size; y += stride) for (let x = offset; x < size; x += stride) out.push(data[c * size * size + y * size + x]!);
  }
  return Float32Array.from(out);
}

/**
 * An 8-bit grayscale PNG as one byte per pixel. sharp's raw output widens gray to sRGB (three
 * equal channels), so take channel 0, as @fslsd/node's readMask does.
 */
export async function readGrayPng(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  expect((await sharp(file).metadata()).channels).toBe(1);
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** An RGB(A) image as core's RgbImage. */
export async function readRgbPng(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  expect([3, 4]).toContain(info.channels);
  return { width: info.width, height: info.height, channels: info.channels as 3 | 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Runs `model` once on onnxruntime-node and releases the session. */
export async function runModel(model: ModelProto, feeds: Record<string, ort.Tensor>, outputs?: string[]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    return await (outputs ? session.run(feeds, outputs) : session.run(feeds));
  } finally {
    await session.release();
  }
}

/** Calls `work` and returns what it threw (fails the test if it did not throw). */
export function caught(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** Asserts `error` is an FslsdError with `code` and returns it. */
export function expectFslsd(error: unknown, code: string): FslsdError {
  expect(error).toBeInstanceOf(FslsdError);
  expect((error as FslsdError).code).toBe(code);
  return error as FslsdError;
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
export function randomFloats(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}
