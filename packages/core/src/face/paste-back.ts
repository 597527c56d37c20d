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
}

function sampleAlpha(alpha: Float32Array, size: number, x: number, y: number): number {
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
  const out = new Uint8Array(photo.data);
  const toCrop = invertAffine(toPhoto);
  const { x0, x1, y0, y1 } = pasteFootprint(photo, size, toPhoto);
  const fc = face.channels;
  const fd = face.data;
  for (let y = y0; y <= y1; y += 1) {
    for (let x = x0; x <= x1; x += 1) {
      const [u, v] = applyAffine(toCrop, x, y);
      const a = sampleAlpha(alpha, size, u, v);
      if (!(a > 0)) continue;
      // Bilinear sample of the crop, edge-clamped (alpha is zero long before the crop's edge).
      const ux = Math.min(size - 1, Math.max(0, u));
      const vy = Math.min(size - 1, Math.max(0, v));
      const u0 = Math.min(size - 2, Math.floor(ux));
      const v0 = Math.min(size - 2, Math.floor(vy));
      const fx = ux - u0;
      const fy = vy - v0;
      const p00 = (v0 * size + u0) * fc;
      const p01 = p00 + fc;
      const p10 = p00 + size * fc;
      const p11 = p10 + fc;
      const o = (y * width + x) * channels;
      for (let c = 0; c < 3; c += 1) {
        const f = (fd[p00 + c]! * (1 - fx) + fd[p01 + c]! * fx) * (1 - fy) + (fd[p10 + c]! * (1 - fx) + fd[p11 + c]! * fx) * fy;
        out[o + c] = Math.min(255, Math.max(0, Math.floor(out[o + c]! * (1 - a) + f * a + 0.5)));
      }
    }
  }
  return { width, height, channels, data: out };
}
