/**
 * Paste-back: the swapped crop goes back into the photo through the inverse of the alignment,
 * weighted by the feathered mask. Photo pixels where the mask is zero are copied untouched, so
 * nothing outside the face region changes, not even by rounding.
 */
import { FslsdError } from '../errors.js';
import type { RgbImage } from '../image/tensor.js';
import { type Affine, applyAffine, invertAffine } from './affine.js';

/** The inputs of {@link pasteBack}. */
export interface PasteBackInput {
  /** The photo the face came from (RGB or RGBA; alpha is kept as is). */
  readonly photo: RgbImage;
  /** The swapped aligned crop (y_f as 8-bit RGB), `size`^2. */
  readonly face: RgbImage;
  /** The paste alpha over the crop, `size`^2 values in [0, 1]. */
  readonly alpha: Float32Array;
  /** Crop pixel centre -> photo pixel centre, as {@link alignFace} returned it. */
  readonly toPhoto: Affine;
  /**
   * Paste into `photo.data` itself and return `photo`, instead of a new copy. A fresh copy of a
   * 1080p frame costs more (about 5 ms of zeroed pages) than the paste; use this for pictures
   * you own, such as decoded video frames or a photo already copied by an earlier paste. Default false.
   */
  readonly inPlace?: boolean;
}

/** Bilinear sample of the alpha at crop point (x, y), zero outside the crop (the general case, near its edges). */
function sampleAlphaAtEdge(alpha: Float32Array, size: number, x: number, y: number): number {
  if (x <= -1 || y <= -1 || x >= size || y >= size) return 0;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number): number => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : alpha[yy * size + xx]!);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/** The photo pixels a `size`^2 crop can change (inclusive bounds; empty when x1 < x0 or y1 < y0). */
export function pasteFootprint(photo: { readonly width: number; readonly height: number }, size: number, toPhoto: Affine): { x0: number; x1: number; y0: number; y1: number } {
  const corners = [[-0.5, -0.5], [size - 0.5, -0.5], [-0.5, size - 0.5], [size - 0.5, size - 0.5]].map(([u, v]) => applyAffine(toPhoto, u!, v!));
  return {
    x0: Math.max(0, Math.floor(Math.min(...corners.map((p) => p[0])))),
    x1: Math.min(photo.width - 1, Math.ceil(Math.max(...corners.map((p) => p[0])))),
    y0: Math.max(0, Math.floor(Math.min(...corners.map((p) => p[1])))),
    y1: Math.min(photo.height - 1, Math.ceil(Math.max(...corners.map((p) => p[1])))),
  };
}

/** @throws FslsdError `INVALID_IMAGE` when the crop and alpha sizes disagree. */
export function checkPasteInput(input: PasteBackInput): void {
  const { face, alpha } = input;
  const size = face.width;
  if (face.height !== size || alpha.length !== size * size) {
    throw new FslsdError('INVALID_IMAGE', `Paste-back needs a square crop and an alpha of the same size (crop ${face.width}x${face.height}, alpha ${alpha.length} values).`, {
      fix: 'Pass the swapped crop and the mask of the same aligned face.',
    });
  }
}

/**
 * A new photo with the face pasted in. The photo keeps its size and channel count.
 * @throws FslsdError `INVALID_IMAGE` when the crop and alpha sizes disagree.
 */
export function pasteBack(input: PasteBackInput): RgbImage {
  checkPasteInput(input);
  const { photo, face, alpha, toPhoto } = input;
  const size = face.width;
  const { width, height, channels } = photo;
  const out = input.inPlace === true ? photo.data : new Uint8Array(photo.data);
  const toCrop = invertAffine(toPhoto);
  const { x0, x1, y0, y1 } = pasteFootprint(photo, size, toPhoto);
  const fc = face.channels;
  const fd = face.data;
  const { a: ua, b: ub, c: uc, d: va, e: vb, f: vc } = toCrop;
  const last = size - 1;
  for (let y = y0; y <= y1; y += 1) {
    // u and v as applyAffine computes them ((a x + b y) + c), with b y taken out of the loop.
    const uy = ub * y;
    const vy = vb * y;
    for (let x = x0; x <= x1; x += 1) {
      const u = ua * x + uy + uc;
      const v = va * x + vy + vc;
      let a: number;
      let u0: number;
      let v0: number;
      let fx: number;
      let fy: number;
      if (u >= 0 && v >= 0 && u < last && v < last) {
        // Inside the crop (the common case): the alpha's taps and fractions serve the crop's
        // sample too, as the clamped general case below would compute them.
        u0 = u | 0;
        v0 = v | 0;
        fx = u - u0;
        fy = v - v0;
        const q = v0 * size + u0;
        a = (alpha[q]! * (1 - fx) + alpha[q + 1]! * fx) * (1 - fy) + (alpha[q + size]! * (1 - fx) + alpha[q + size + 1]! * fx) * fy;
        if (!(a > 0)) continue;
      } else {
        a = sampleAlphaAtEdge(alpha, size, u, v);
        if (!(a > 0)) continue;
        // Bilinear sample of the crop, edge-clamped (alpha is zero long before the crop's edge).
        const ux = Math.min(last, Math.max(0, u));
        const uv = Math.min(last, Math.max(0, v));
        u0 = Math.min(size - 2, Math.floor(ux));
        v0 = Math.min(size - 2, Math.floor(uv));
        fx = ux - u0;
        fy = uv - v0;
      }
      const gx = 1 - fx;
      const gy = 1 - fy;
      const b = 1 - a;
      const p00 = (v0 * size + u0) * fc;
      const p01 = p00 + fc;
      const p10 = p00 + size * fc;
      const p11 = p10 + fc;
      const o = (y * width + x) * channels;
      // Each value is a convex mix of bytes (>= 0), so `| 0` is the floor here.
      const f0 = (fd[p00]! * gx + fd[p01]! * fx) * gy + (fd[p10]! * gx + fd[p11]! * fx) * fy;
      out[o] = Math.min(255, (out[o]! * b + f0 * a + 0.5) | 0);
      const f1 = (fd[p00 + 1]! * gx + fd[p01 + 1]! * fx) * gy + (fd[p10 + 1]! * gx + fd[p11 + 1]! * fx) * fy;
      out[o + 1] = Math.min(255, (out[o + 1]! * b + f1 * a + 0.5) | 0);
      const f2 = (fd[p00 + 2]! * gx + fd[p01 + 2]! * fx) * gy + (fd[p10 + 2]! * gx + fd[p11 + 2]! * fx) * fy;
      out[o + 2] = Math.min(255, (out[o + 2]! * b + f2 * a + 0.5) | 0);
    }
  }
  return input.inPlace === true ? photo : { width, height, channels, data: out };
}
