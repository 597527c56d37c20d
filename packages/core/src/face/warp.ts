import type { RgbImage } from '../image/tensor.js';
import type { Affine } from './affine.js';
import { warpKernelWasm } from './warp-kernel.js';

/** Options of {@link warpAffine}. */
export interface WarpOptions {
  /**
   * Samples per axis inside each destination pixel, averaged (1 = plain bilinear). Use more when
   * the map shrinks the picture, so that the result does not alias.
   */
  readonly supersample?: number;
}

/**
 * numpy's `reflect` padding: mirror about the edge pixels without repeating them
 * (-1 -> 1, n -> n - 2), which is how FFHQ alignment fills the area outside the photo.
 */
export function reflectIndex(index: number, size: number): number {
  if (size === 1) return 0;
  const period = 2 * (size - 1);
  let i = index % period;
  if (i < 0) i += period;
  return i < size ? i : period - i;
}

/** The extremes of the source points the map samples for a `width` x `height` result (half a pixel beyond the corner centres, for supersampling). */
function sourceReach(map: Affine, width: number, height: number): { xMin: number; xMax: number; yMin: number; yMax: number } {
  const corners = [[-0.5, -0.5], [width - 0.5, -0.5], [-0.5, height - 0.5], [width - 0.5, height - 0.5]];
  const xs = corners.map(([u, v]) => map.a * u! + map.b * v! + map.c);
  const ys = corners.map(([u, v]) => map.d * u! + map.e * v! + map.f);
  return { xMin: Math.min(...xs), xMax: Math.max(...xs), yMin: Math.min(...ys), yMax: Math.max(...ys) };
}

/** The most entries a reflection table gets; a map reaching further (absurd, or not finite) reflects index by index. */
const MAX_TABLE = 1 << 20;

/** reflectIndex(i, size) for i = from .. to (inclusive), at index i - from; empty when that is more than {@link MAX_TABLE} entries. */
function reflectTable(from: number, to: number, size: number): Int32Array {
  const span = to - from + 1;
  const table = new Int32Array(span > 0 && span <= MAX_TABLE ? span : 0);
  for (let i = 0; i < table.length; i += 1) table[i] = reflectIndex(from + i, size);
  return table;
}

/** reflectIndex(index, size), from `table` at `slot` when the table has it. */
function reflected(table: Int32Array, slot: number, index: number, size: number): number {
  return slot >= 0 && slot < table.length ? table[slot]! : reflectIndex(index, size);
}

/** Fraction bits of a fixed-point source position and of each weight (1/2048 pixel). */
const BITS = 11;
const ONE = 1 << BITS;
/** Half of the final scale (two weights of 2^11), added before the shift to round. */
const HALF = 1 << (2 * BITS - 1);
/**
 * The furthest a map may reach (pixels) for fixed-point positions: 2^19 pixels in 1/2048 pixel
 * fit 32 bits. A map reaching further (absurd, or not finite) gets the TypeScript loop, which
 * computes the same positions in float64.
 */
const FIXED_REACH = 2 ** 19;

/** `value` rounded half up, as the kernel's roundHalfUp. */
const roundHalfUp = (value: number): number => Math.floor(value + 0.5);

/**
 * Bilinear value of four neighbours (top left, top right, bottom left, bottom right) at 11-bit
 * fractions (fx, fy) in 1/2048, rounded to a byte in integers as the kernel computes it: each
 * row weighted to 2^11, the two rows to 2^22, half added, shifted down.
 */
function lerp2(topLeft: number, topRight: number, bottomLeft: number, bottomRight: number, fx: number, fy: number): number {
  const top = topLeft * (ONE - fx) + topRight * fx;
  const bottom = bottomLeft * (ONE - fx) + bottomRight * fx;
  return (top * (ONE - fy) + bottom * fy + HALF) >> (2 * BITS);
}

/**
 * {@link warpAffine} with one sample per pixel on the WebAssembly kernel: the rows the map can
 * reach (all of them when it reaches past the top or bottom, for the reflection) are copied into
 * its memory, and the result copied out. Undefined where the kernel cannot run or the map is not
 * finite or reaches absurdly far; the TypeScript loop then does the same work.
 */
function warpOnKernel(image: RgbImage, map: Affine, width: number, height: number): RgbImage | undefined {
  const kernel = warpKernelWasm();
  if (!kernel) return undefined;
  const { a, b, c, d, e, f } = map;
  const reach = sourceReach(map, width, height);
  const far = Math.max(Math.abs(reach.xMin), Math.abs(reach.xMax), Math.abs(reach.yMin), Math.abs(reach.yMax));
  if (!(far < FIXED_REACH)) return undefined;
  const { width: sw, height: sh, channels, data } = image;
  const stride = sw * channels;
  const rowsInside = reach.yMin >= 0 && reach.yMax < sh - 1;
  const firstRow = rowsInside ? Math.max(0, Math.floor(reach.yMin) - 1) : 0;
  const lastRow = rowsInside ? Math.min(sh - 1, Math.floor(reach.yMax) + 2) : sh - 1;
  const sourceBytes = (lastRow - firstRow + 1) * stride;
  const resultBytes = width * height * 3;
  // Sixteen spare bytes after each: the kernel reads eight bytes at a time and writes sixteen.
  const [source, result, table] = kernel.reserve([sourceBytes + 16, resultBytes + 16, 8 * width + 16]);
  const memory = kernel.buffer();
  new Uint8Array(memory, source!, sourceBytes).set(data.subarray(firstRow * stride, firstRow * stride + sourceBytes));
  kernel.exports.warpBilinear(source!, firstRow, sw, sh, channels, result!, width, height, a, b, c, d, e, f, table!);
  return { width, height, channels: 3, data: new Uint8Array(memory, result!, resultBytes).slice() };
}

/**
 * Resamples `image` through `map` (destination pixel centre -> source pixel centre) into a
 * `width` x `height` RGB image, bilinear, with reflected borders.
 */
export function warpAffine(image: RgbImage, map: Affine, width: number, height: number, options: WarpOptions = {}): RgbImage {
  const samples = Math.max(1, Math.floor(options.supersample ?? 1));
  if (samples === 1 && width > 0 && height > 0) {
    const fast = warpOnKernel(image, map, width, height);
    if (fast) return fast;
  }
  const { width: sw, height: sh, channels, data } = image;
  const out = new Uint8Array(width * height * 3);
  const weight = 1 / (samples * samples);
  const { a, b, c, d, e, f } = map;
  let r = 0;
  let g = 0;
  let bl = 0;
  // Reflected indices for every column and row the map can reach, computed once: near or past an
  // edge a sample then looks its four neighbours up instead of paying four divisions.
  const reach = sourceReach(map, width, height);
  const xFrom = Math.floor(reach.xMin) - 1;
  const yFrom = Math.floor(reach.yMin) - 1;
  const xTable = reflectTable(xFrom, Math.floor(reach.xMax) + 2, sw);
  const yTable = reflectTable(yFrom, Math.floor(reach.yMax) + 2, sh);
  // One bilinear sample at source point (sx, sy), added to r, g, bl. Inside the picture the four
  // neighbours are read directly; only samples near or past an edge pay for the reflection.
  const sample = (sx: number, sy: number, scale: number): void => {
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const fx = sx - x0;
    const fy = sy - y0;
    let xa = x0;
    let xb = x0 + 1;
    let ya = y0;
    let yb = y0 + 1;
    if (x0 < 0 || y0 < 0 || xb >= sw || yb >= sh) {
      xa = reflected(xTable, xa - xFrom, xa, sw);
      xb = reflected(xTable, xb - xFrom, xb, sw);
      ya = reflected(yTable, ya - yFrom, ya, sh);
      yb = reflected(yTable, yb - yFrom, yb, sh);
    }
    const p00 = (ya * sw + xa) * channels;
    const p01 = (ya * sw + xb) * channels;
    const p10 = (yb * sw + xa) * channels;
    const p11 = (yb * sw + xb) * channels;
    const w00 = (1 - fx) * (1 - fy) * scale;
    const w01 = fx * (1 - fy) * scale;
    const w10 = (1 - fx) * fy * scale;
    const w11 = fx * fy * scale;
    r += data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11;
    g += data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11;
    bl += data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11;
  };
  const stride = sw * channels;
  // One sample per pixel (the common case: the face is smaller than the crop): positions in
  // 1/2048 pixel, a column term plus a row term each rounded once, and integer weights, as the
  // WebAssembly kernel computes them; only pixels near or past an edge use the float64 sample.
  const columnsX = new Float64Array(samples === 1 ? width : 0);
  const columnsY = new Float64Array(columnsX.length);
  for (let u = 0; u < columnsX.length; u += 1) {
    columnsX[u] = roundHalfUp(a * u * ONE);
    columnsY[u] = roundHalfUp(d * u * ONE);
  }
  const limitX = (sw - 1) * ONE;
  const limitY = (sh - 1) * ONE;
  for (let v = 0; v < height; v += 1) {
    // Same association as the per-pixel formula a*u + b*v + c, so results do not change by a bit.
    const bv = b * v;
    const ev = e * v;
    const rowX = roundHalfUp((bv + c) * ONE);
    const rowY = roundHalfUp((ev + f) * ONE);
    for (let u = 0; u < width; u += 1) {
      const o = (v * width + u) * 3;
      if (samples === 1) {
        const x = rowX + columnsX[u]!;
        const y = rowY + columnsY[u]!;
        if (x >= 0 && y >= 0 && x < limitX && y < limitY) {
          const fx = x & (ONE - 1);
          const fy = y & (ONE - 1);
          const p00 = (y >> BITS) * stride + (x >> BITS) * channels;
          const p10 = p00 + stride;
          out[o] = lerp2(data[p00]!, data[p00 + channels]!, data[p10]!, data[p10 + channels]!, fx, fy);
          out[o + 1] = lerp2(data[p00 + 1]!, data[p00 + channels + 1]!, data[p10 + 1]!, data[p10 + channels + 1]!, fx, fy);
          out[o + 2] = lerp2(data[p00 + 2]!, data[p00 + channels + 2]!, data[p10 + 2]!, data[p10 + channels + 2]!, fx, fy);
          continue;
        }
      }
      r = 0;
      g = 0;
      bl = 0;
      if (samples === 1) {
        sample(a * u + bv + c, d * u + ev + f, 1);
      } else {
        for (let ky = 0; ky < samples; ky += 1) {
          const vy = v + (ky + 0.5) / samples - 0.5;
          for (let kx = 0; kx < samples; kx += 1) {
            const ux = u + (kx + 0.5) / samples - 0.5;
            sample(a * ux + b * vy + c, d * ux + e * vy + f, weight);
          }
        }
      }
      out[o] = Math.min(255, Math.floor(r + 0.5));
      out[o + 1] = Math.min(255, Math.floor(g + 0.5));
      out[o + 2] = Math.min(255, Math.floor(bl + 0.5));
    }
  }
  return { width, height, channels: 3, data: out };
}

/**
 * Averages `factor` x `factor` blocks (a box filter), as FFHQ alignment shrinks large photos
 * before resampling. The last partial row/column averages the pixels it has.
 */
export function shrinkImage(image: RgbImage, factor: number): RgbImage {
  const k = Math.max(1, Math.floor(factor));
  if (k === 1) return image;
  const { width: sw, height: sh, channels, data } = image;
  const width = Math.ceil(sw / k);
  const height = Math.ceil(sh / k);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    const y1 = Math.min(sh, (y + 1) * k);
    for (let x = 0; x < width; x += 1) {
      const x1 = Math.min(sw, (x + 1) * k);
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let yy = y * k; yy < y1; yy += 1) {
        for (let xx = x * k; xx < x1; xx += 1) {
          const p = (yy * sw + xx) * channels;
          r += data[p]!;
          g += data[p + 1]!;
          b += data[p + 2]!;
          n += 1;
        }
      }
      const o = (y * width + x) * 3;
      out[o] = Math.floor(r / n + 0.5);
      out[o + 1] = Math.floor(g / n + 0.5);
      out[o + 2] = Math.floor(b / n + 0.5);
    }
  }
  return { width, height, channels: 3, data: out };
}
