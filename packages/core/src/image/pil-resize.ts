/**
 * Pillow's `Image.resize(size, BILINEAR)` on 8-bit RGB, reproduced value for value. The released
 * FSLSD pipeline (torchvision's `Resize((256, 256))` on a PIL image) feeds pSp this way, and H3R
 * and the face parser resize their inputs the same way.
 *
 * What Pillow computes (libImaging/Resample.c, unchanged from 7.0 to 11): a triangle filter whose
 * support grows with the reduction (antialiasing), coefficients normalised per output pixel and
 * rounded to 22-bit fixed point; a horizontal pass that rounds to 8 bits, then a vertical one.
 * Doubles reproduce its integer arithmetic exactly (every sum stays far below 2^53).
 */
import { FslsdError } from '../errors.js';
import { resizeKernelsWasm } from './resize-kernels.js';
import type { RgbImage } from './tensor.js';

/** Pillow's fixed-point precision for 8-bit images: 32 - 8 - 2 bits. */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Per output pixel: the first input pixel, how many it reads, and their fixed-point weights. */
interface Coefficients {
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** `taps` weights per output pixel. */
  readonly weights: Float64Array;
  readonly taps: number;
}

function triangle(x: number): number {
  const distance = x < 0 ? -x : x;
  return distance < 1 ? 1 - distance : 0;
}

/** Pillow's `precompute_coeffs` with `normalize_coeffs_8bpc`, for the bilinear filter (support 1). */
function coefficients(inputSize: number, outputSize: number): Coefficients {
  const scale = inputSize / outputSize;
  const filterScale = Math.max(1, scale);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outputSize);
  const count = new Int32Array(outputSize);
  const weights = new Float64Array(outputSize * taps);
  const raw = new Float64Array(taps);
  for (let out = 0; out < outputSize; out += 1) {
    const centre = (out + 0.5) * scale;
    // C's (int) truncates toward zero.
    const low = Math.max(0, Math.trunc(centre - support + 0.5));
    const high = Math.min(inputSize, Math.trunc(centre + support + 0.5)) - low;
    let total = 0;
    for (let j = 0; j < high; j += 1) {
      raw[j] = triangle((j + low - centre + 0.5) / filterScale);
      total += raw[j]!;
    }
    for (let j = 0; j < high; j += 1) {
      const w = total !== 0 ? raw[j]! / total : raw[j]!;
      // (int)(w * 2^22 +- 0.5), truncating toward zero.
      weights[out * taps + j] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    first[out] = low;
    count[out] = high;
  }
  return { first, count, weights, taps };
}

/** Pillow's clip8 after the shift: round (the HALF added up front), floor, clamp to 0..255. */
function clip8(sum: number): number {
  const value = Math.floor(sum / ONE);
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/**
 * Both passes in the WebAssembly kernels (the same integers, the same bytes), or undefined where
 * they cannot run. The weights become int32: they are whole numbers below 2^22.
 */
function resizeOnKernels(image: RgbImage, width: number, height: number, horizontal: Coefficients, vertical: Coefficients): RgbImage | undefined {
  const kernels = resizeKernelsWasm();
  if (!kernels) return undefined;
  const { width: inWidth, channels, data } = image;
  const firstRow = vertical.first[0]!;
  const rows = vertical.first[height - 1]! + vertical.count[height - 1]! - firstRow;
  const sourceBytes = rows * inWidth * channels;
  const stride = width * 3;
  const tables = (c: Coefficients) => [c.first.byteLength, c.count.byteLength, c.weights.length * 4];
  const [source, middle, output, hFirst, hCount, hWeights, vFirst, vCount, vWeights] = kernels.reserve([sourceBytes + 4, rows * stride + 4, height * stride + 4, ...tables(horizontal), ...tables(vertical)]);
  const memory = kernels.buffer();
  new Uint8Array(memory, source!, sourceBytes).set(data.subarray(firstRow * inWidth * channels, firstRow * inWidth * channels + sourceBytes));
  for (const [c, first, count, weights] of [[horizontal, hFirst, hCount, hWeights], [vertical, vFirst, vCount, vWeights]] as const) {
    new Int32Array(memory, first!, c.first.length).set(c.first);
    new Int32Array(memory, count!, c.count.length).set(c.count);
    new Int32Array(memory, weights!, c.weights.length).set(c.weights);
  }
  kernels.exports.resizeRows(source!, channels, inWidth, rows, middle!, width, hFirst!, hCount!, hWeights!, horizontal.taps);
  kernels.exports.resizeColumns(middle!, stride, firstRow, output!, height, vFirst!, vCount!, vWeights!, vertical.taps);
  return { width, height, channels: 3, data: new Uint8Array(memory, output!, height * stride).slice() };
}

/**
 * `image` resized to `width` x `height` exactly as Pillow's bilinear resize does it (RGB out;
 * an alpha channel in the input is dropped). A pass whose size does not change is skipped, as
 * Pillow skips it.
 * @throws FslsdError `INVALID_IMAGE` for an empty image or a non-positive size.
 */
export function resizeLikePil(image: RgbImage, width: number, height: number): RgbImage {
  const { width: inWidth, height: inHeight, channels, data } = image;
  if (!(inWidth > 0 && inHeight > 0) || !(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new FslsdError('INVALID_IMAGE', `Cannot resize a ${inWidth}x${inHeight} image to ${width}x${height}.`, { fix: 'Pass a non-empty image and a positive whole-number size.' });
  }
  // Horizontal pass over the input rows the vertical pass will read, into 8-bit RGB.
  const vertical = height !== inHeight ? coefficients(inHeight, height) : undefined;
  const horizontal = width !== inWidth ? coefficients(inWidth, width) : undefined;
  if (vertical && horizontal) {
    const fast = resizeOnKernels(image, width, height, horizontal, vertical);
    if (fast) return fast;
  }
  const firstRow = vertical ? vertical.first[0]! : 0;
  const lastRow = vertical ? vertical.first[height - 1]! + vertical.count[height - 1]! : inHeight;
  const rows = lastRow - firstRow;
  let middle: Uint8Array;
  if (horizontal) {
    const { first, count, weights, taps } = horizontal;
    middle = new Uint8Array(rows * width * 3);
    for (let y = 0; y < rows; y += 1) {
      const row = (y + firstRow) * inWidth;
      for (let x = 0; x < width; x += 1) {
        let r = HALF;
        let g = HALF;
        let b = HALF;
        const k = x * taps;
        let p = (row + first[x]!) * channels;
        for (let j = 0; j < count[x]!; j += 1, p += channels) {
          const w = weights[k + j]!;
          r += data[p]! * w;
          g += data[p + 1]! * w;
          b += data[p + 2]! * w;
        }
        const o = (y * width + x) * 3;
        middle[o] = clip8(r);
        middle[o + 1] = clip8(g);
        middle[o + 2] = clip8(b);
      }
    }
  } else {
    middle = new Uint8Array(rows * width * 3);
    for (let y = 0; y < rows; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const p = ((y + firstRow) * inWidth + x) * channels;
        const o = (y * width + x) * 3;
        middle[o] = data[p]!;
        middle[o + 1] = data[p + 1]!;
        middle[o + 2] = data[p + 2]!;
      }
    }
  }
  if (!vertical) return { width, height, channels: 3, data: middle };
  const { first, count, weights, taps } = vertical;
  const out = new Uint8Array(width * height * 3);
  const stride = width * 3;
  for (let y = 0; y < height; y += 1) {
    const k = y * taps;
    const top = (first[y]! - firstRow) * stride;
    for (let i = 0; i < stride; i += 1) {
      let sum = HALF;
      for (let j = 0, p = top + i; j < count[y]!; j += 1, p += stride) sum += middle[p]! * weights[k + j]!;
      out[y * stride + i] = clip8(sum);
    }
  }
  return { width, height, channels: 3, data: out };
}
