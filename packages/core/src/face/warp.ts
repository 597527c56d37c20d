import type { RgbImage } from '../image/tensor.js';
import { type Affine, applyAffine } from './affine.js';

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

/**
 * Resamples `image` through `map` (destination pixel centre -> source pixel centre) into a
 * `width` x `height` RGB image, bilinear, with reflected borders.
 */
export function warpAffine(image: RgbImage, map: Affine, width: number, height: number, options: WarpOptions = {}): RgbImage {
  const samples = Math.max(1, Math.floor(options.supersample ?? 1));
  const { width: sw, height: sh, channels, data } = image;
  const out = new Uint8Array(width * height * 3);
  const offsets: number[] = [];
  for (let k = 0; k < samples; k += 1) offsets.push((k + 0.5) / samples - 0.5);
  const weight = 1 / (samples * samples);
  const rgb = new Float64Array(3);
  for (let v = 0; v < height; v += 1) {
    for (let u = 0; u < width; u += 1) {
      rgb[0] = 0;
      rgb[1] = 0;
      rgb[2] = 0;
      for (const oy of offsets) {
        for (const ox of offsets) {
          const [sx, sy] = applyAffine(map, u + ox, v + oy);
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          const fx = sx - x0;
          const fy = sy - y0;
          const xa = reflectIndex(x0, sw);
          const xb = reflectIndex(x0 + 1, sw);
          const ya = reflectIndex(y0, sh) * sw;
          const yb = reflectIndex(y0 + 1, sh) * sw;
          const p00 = (ya + xa) * channels;
          const p01 = (ya + xb) * channels;
          const p10 = (yb + xa) * channels;
          const p11 = (yb + xb) * channels;
          const w00 = (1 - fx) * (1 - fy);
          const w01 = fx * (1 - fy);
          const w10 = (1 - fx) * fy;
          const w11 = fx * fy;
          for (let c = 0; c < 3; c += 1) {
            rgb[c]! += data[p00 + c]! * w00 + data[p01 + c]! * w01 + data[p10 + c]! * w10 + data[p11 + c]! * w11;
          }
        }
      }
      const o = (v * width + u) * 3;
      out[o] = Math.min(255, Math.floor(rgb[0]! * weight + 0.5));
      out[o + 1] = Math.min(255, Math.floor(rgb[1]! * weight + 0.5));
      out[o + 2] = Math.min(255, Math.floor(rgb[2]! * weight + 0.5));
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
