/**
 * Reads TensorFlow.js weight files (`*-weights_manifest.json` + the binary shards it names)
 * into named tensors, dequantised the way tfjs's `io.decodeWeights` does it, so a converted
 * network computes with exactly the numbers the original computes with.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FslsdError } from '@fslsd/core';

/** How tfjs stored one weight when it was quantised. */
export interface WeightQuantization {
  readonly dtype: 'uint8' | 'uint16' | 'float16';
  readonly scale?: number;
  readonly min?: number;
}

/** One weight as the manifest describes it. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: WeightQuantization;
}

/** One group of the manifest: the shards it spans and the weights packed into them, in order. */
export interface WeightGroup {
  readonly paths: readonly string[];
  readonly weights: readonly WeightSpec[];
}

/**
 * A weight after decoding. `values` are the float32 numbers tfjs computes with. For 8-bit
 * weights the codes and the 256-entry table are kept too: a graph can then ship one byte per
 * weight and still reproduce `values` exactly (values[i] === table[codes[i]]).
 */
export interface Weight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
  readonly codes?: Uint8Array;
  readonly table?: Float32Array;
}

/** The weights of one model, by name, plus the source file names (for provenance). */
export interface WeightSet {
  readonly weights: ReadonlyMap<string, Weight>;
  readonly files: readonly string[];
}

const BYTES_PER_ELEMENT: Record<string, number> = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };

function fail(message: string, fix: string): never {
  throw new FslsdError('MANIFEST_INVALID', message, { fix });
}

/** float16 bits -> number. Every half-precision value is exact in float32, so no rounding choice exists. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * An int32 entry. The SSD detector's manifest carries a few (reshape sizes, slice bounds left
 * over from the TensorFlow graph); face-api never reads them, but they occupy bytes of the
 * shard, so they must be decoded to keep the offsets right. tfjs rounds quantised integers
 * (Math.round(code * scale + min)); the integers are small, so float32 holds them exactly.
 */
function decodeInt32(spec: WeightSpec, view: DataView, count: number): Weight {
  const q = spec.quantization;
  const values = new Float32Array(count);
  if (!q) {
    for (let i = 0; i < count; i += 1) values[i] = view.getInt32(i * 4, true);
  } else if ((q.dtype === 'uint8' || q.dtype === 'uint16') && typeof q.scale === 'number' && typeof q.min === 'number') {
    for (let i = 0; i < count; i += 1) values[i] = Math.round((q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true)) * q.scale + q.min);
  } else {
    fail(`Weight "${spec.name}" is int32 with an unsupported quantization ${JSON.stringify(q)}.`, 'tfjs quantises int32 weights only as uint8/uint16 (scale + min).');
  }
  return { name: spec.name, shape: spec.shape, values };
}

/**
 * Decodes one weight from `bytes` (little-endian, as tfjs writes). The affine dequantisation
 * `code * scale + min` is evaluated in double precision and rounded once to float32, which is
 * what tfjs does when it stores the result into a Float32Array.
 */
export function decodeWeight(spec: WeightSpec, bytes: Uint8Array): Weight {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = spec.quantization;
  if (spec.dtype === 'int32') return decodeInt32(spec, view, count);
  if (spec.dtype !== 'float32') fail(`Weight "${spec.name}" has dtype ${spec.dtype}; the face networks only use float32 weights.`, 'Use the weight files shipped with @vladmandic/face-api 1.7.15.');
  if (!q) {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i += 1) values[i] = view.getFloat32(i * 4, true);
    return { name: spec.name, shape: spec.shape, values };
  }
  if (q.dtype === 'float16') {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i += 1) values[i] = halfToFloat(view.getUint16(i * 2, true));
    return { name: spec.name, shape: spec.shape, values };
  }
  if ((q.dtype !== 'uint8' && q.dtype !== 'uint16') || typeof q.scale !== 'number' || typeof q.min !== 'number') {
    fail(`Weight "${spec.name}" has an unsupported quantization ${JSON.stringify(q)}.`, 'Only uint8/uint16 (scale + min) and float16 quantization exist in tfjs weight manifests.');
  }
  const { scale, min } = q as Required<WeightQuantization>;
  const values = new Float32Array(count);
  if (q.dtype === 'uint16') {
    for (let i = 0; i < count; i += 1) values[i] = view.getUint16(i * 2, true) * scale + min;
    return { name: spec.name, shape: spec.shape, values };
  }
  const codes = bytes.slice(0, count);
  const table = new Float32Array(256);
  for (let code = 0; code < 256; code += 1) table[code] = code * scale + min;
  for (let i = 0; i < count; i += 1) values[i] = table[codes[i]!]!;
  return { name: spec.name, shape: spec.shape, values, codes, table };
}

/** Decodes every weight of `groups`, given each group's concatenated shard bytes. */
export function decodeWeightGroups(groups: readonly WeightGroup[], shards: readonly Uint8Array[]): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  groups.forEach((group, g) => {
    const bytes = shards[g]!;
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const size = count * BYTES_PER_ELEMENT[spec.quantization?.dtype ?? spec.dtype]!;
      if (offset + size > bytes.length) fail(`The weight data ends inside "${spec.name}" (needs ${offset + size} bytes, have ${bytes.length}).`, 'The .bin file is truncated or belongs to another manifest: reinstall @vladmandic/face-api.');
      if (weights.has(spec.name)) fail(`Weight "${spec.name}" is listed twice.`, 'Reinstall @vladmandic/face-api.');
      weights.set(spec.name, decodeWeight(spec, bytes.subarray(offset, offset + size)));
      offset += size;
    }
    if (offset !== bytes.length) fail(`The weight data has ${bytes.length - offset} bytes more than its manifest describes.`, 'The .bin file belongs to another manifest: reinstall @vladmandic/face-api.');
  });
  return weights;
}

/** Reads `<directory>/<model>-weights_manifest.json` and its shards. */
export async function readWeightSet(directory: string, model: string): Promise<WeightSet> {
  const manifestName = `${model}-weights_manifest.json`;
  let groups: WeightGroup[];
  try {
    groups = JSON.parse(await readFile(path.join(directory, manifestName), 'utf8')) as WeightGroup[];
  } catch (error) {
    throw new FslsdError('MODEL_NOT_FOUND', `Cannot read the TensorFlow.js weights manifest ${path.join(directory, manifestName)}: ${(error as Error).message}.`, {
      fix: 'Install the dev dependencies (pnpm install) or pass --source with the model folder of @vladmandic/face-api.',
      cause: error,
    });
  }
  if (!Array.isArray(groups)) fail(`${manifestName} is not a list of weight groups.`, 'Reinstall @vladmandic/face-api.');
  const files = [manifestName];
  const shards: Uint8Array[] = [];
  for (const group of groups) {
    const parts: Uint8Array[] = [];
    for (const shard of group.paths) {
      if (path.basename(shard) !== shard) fail(`Shard name ${JSON.stringify(shard)} is not a plain file name.`, 'Reinstall @vladmandic/face-api.');
      parts.push(new Uint8Array(await readFile(path.join(directory, shard))));
      files.push(shard);
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.length;
    }
    shards.push(joined);
  }
  return { weights: decodeWeightGroups(groups, shards), files };
}
