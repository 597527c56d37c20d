/**
 * The inner-face mask from 68 landmarks, standing in for the official face parser.
 *
 * The released code takes the parser classes skin, nose, eyeglasses, eyes, brows, mouth and lips
 * (no hair, ears or neck), resizes that mask to 1024^2 and dilates it with a 50x50 kernel. From
 * landmarks we build the same region as a polygon: the jaw line, closed over the forehead by the
 * brows lifted towards the hairline; then the same 50x50 dilation. The paste-back alpha is a
 * feathered version that never reaches past the dilated mask, so every photo pixel outside the
 * dilated region stays bit-identical.
 */
import { FslsdError } from '../errors.js';
import { CROP_SIZE } from '../image/tensor.js';
import type { Point } from '../landmarks/maps.js';

/** Masks of one aligned face, `size`^2, values in [0, 1]. */
export interface FaceMasks {
  /** The inner-face region after the official 50x50 dilation: m_t, what the decoder blends with. */
  readonly inner: Float32Array;
  /** The paste-back alpha: feathered, zero wherever `inner` is zero. */
  readonly paste: Float32Array;
  readonly size: number;
}

/** Options of {@link landmarkFaceMasks}. */
export interface FaceMaskOptions {
  /** Side of the square crop. Default 1024. */
  readonly size?: number;
  /** Side of the square dilation kernel at 1024^2 (scaled with `size`). Default 50, as released. */
  readonly dilation?: number;
  /** Width of the paste-back feather at 1024^2, in pixels (scaled with `size`). Default 24. */
  readonly feather?: number;
  /** How far the forehead reaches above the brows, as a fraction of the brow-to-chin distance. Default 0.2. */
  readonly forehead?: number;
}

function convexHull(points: Point[]): Point[] {
  const sorted = [...points].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i -= 1) {
    const p = sorted[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** 1 inside the convex polygon (tested at pixel centres), 0 outside. */
export function fillConvexPolygon(polygon: ReadonlyArray<Point>, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  const n = polygon.length;
  for (let y = 0; y < size; y += 1) {
    let left = Infinity;
    let right = -Infinity;
    for (let i = 0; i < n; i += 1) {
      const [x0, y0] = polygon[i]!;
      const [x1, y1] = polygon[(i + 1) % n]!;
      if ((y0 <= y && y1 >= y) || (y1 <= y && y0 >= y)) {
        if (y0 === y1) {
          left = Math.min(left, x0, x1);
          right = Math.max(right, x0, x1);
        } else {
          const x = x0 + ((y - y0) / (y1 - y0)) * (x1 - x0);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    if (left > right) continue;
    const from = Math.max(0, Math.ceil(left));
    const to = Math.min(size - 1, Math.floor(right));
    out.fill(1, y * size + from, y * size + to + 1);
  }
  return out;
}

/**
 * Binary dilation with a `kernel` x `kernel` square of ones, anchored at its centre as OpenCV
 * anchors an even kernel: output pixel i takes the maximum over input pixels i - kernel/2 ..
 * i + kernel/2 - 1. Separable: a running count along rows, then down columns, both in row order.
 */
export function dilateSquare(mask: Uint8Array, size: number, kernel: number): Uint8Array {
  const before = Math.floor(kernel / 2);
  const after = kernel - 1 - before;
  const rows = new Uint8Array(mask.length);
  const prefix = new Int32Array(size + 1);
  for (let y = 0; y < size; y += 1) {
    const base = y * size;
    for (let i = 0; i < size; i += 1) prefix[i + 1] = prefix[i]! + mask[base + i]!;
    for (let i = 0; i < size; i += 1) {
      const lo = i - before < 0 ? 0 : i - before;
      const hi = i + after + 1 > size ? size : i + after + 1;
      rows[base + i] = prefix[hi]! - prefix[lo]! > 0 ? 1 : 0;
    }
  }
  const out = new Uint8Array(mask.length);
  const count = new Int32Array(size);
  // count[x] = ones of column x in rows y - before .. y + after, kept up to date row by row.
  for (let y = 0; y < Math.min(size, after); y += 1) for (let x = 0; x < size; x += 1) count[x]! += rows[y * size + x]!;
  for (let y = 0; y < size; y += 1) {
    const enter = y + after;
    const leave = y - before - 1;
    if (enter < size) for (let x = 0, p = enter * size; x < size; x += 1, p += 1) count[x]! += rows[p]!;
    if (leave >= 0) for (let x = 0, p = leave * size; x < size; x += 1, p += 1) count[x]! -= rows[p]!;
    for (let x = 0, p = y * size; x < size; x += 1, p += 1) out[p] = count[x]! > 0 ? 1 : 0;
  }
  return out;
}

/** A (2r+1)^2 box filter with zero padding (divides by the full window), rows then columns. */
function boxBlur(input: Float32Array, size: number, radius: number): Float32Array {
  const width = 2 * radius + 1;
  const rows = new Float32Array(input.length);
  const prefix = new Float64Array(size + 1);
  for (let y = 0; y < size; y += 1) {
    const base = y * size;
    for (let i = 0; i < size; i += 1) prefix[i + 1] = prefix[i]! + input[base + i]!;
    for (let i = 0; i < size; i += 1) {
      const lo = i - radius < 0 ? 0 : i - radius;
      const hi = i + radius + 1 > size ? size : i + radius + 1;
      rows[base + i] = (prefix[hi]! - prefix[lo]!) / width;
    }
  }
  const out = new Float32Array(input.length);
  const sum = new Float64Array(size);
  for (let y = 0; y < Math.min(size, radius); y += 1) for (let x = 0; x < size; x += 1) sum[x]! += rows[y * size + x]!;
  for (let y = 0; y < size; y += 1) {
    const enter = y + radius;
    const leave = y - radius - 1;
    if (enter < size) for (let x = 0, p = enter * size; x < size; x += 1, p += 1) sum[x]! += rows[p]!;
    if (leave >= 0) for (let x = 0, p = leave * size; x < size; x += 1, p += 1) sum[x]! -= rows[p]!;
    for (let x = 0, p = y * size; x < size; x += 1, p += 1) out[p] = sum[x]! / width;
  }
  return out;
}

// Float32Array.from() on a typed array is several times slower than a plain loop in V8.
function toFloat(mask: Uint8Array): Float32Array {
  const out = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i += 1) out[i] = mask[i]!;
  return out;
}

/**
 * The inner-face masks of an aligned face from its 68 landmarks (iBUG order) in crop pixels.
 * @throws FslsdError `INVALID_LANDMARKS` for another point count.
 */
export function landmarkFaceMasks(points68: ReadonlyArray<Point>, options: FaceMaskOptions = {}): FaceMasks {
  if (!Array.isArray(points68) || points68.length !== 68) {
    throw new FslsdError('INVALID_LANDMARKS', `The landmark mask needs 68 points (iBUG order), got ${Array.isArray(points68) ? points68.length : typeof points68}.`, {
      fix: 'Pass the 68-point landmarks of the face in crop pixels, or supply your own mask.',
    });
  }
  const size = options.size ?? CROP_SIZE;
  const forehead = options.forehead ?? 0.2;
  const brows = points68.slice(17, 27);
  const chin = points68[8]!;
  const browCentre: Point = [brows.reduce((s, p) => s + p[0], 0) / brows.length, brows.reduce((s, p) => s + p[1], 0) / brows.length];
  const lift: Point = [(browCentre[0] - chin[0]) * forehead, (browCentre[1] - chin[1]) * forehead];
  const outline: Point[] = [...points68.slice(0, 17), ...brows, ...brows.map((p): Point => [p[0] + lift[0], p[1] + lift[1]])];
  return regionFaceMasks(fillConvexPolygon(convexHull(outline), size), { ...options, size });
}

/**
 * The masks from an undilated inner-face region (1 = face, 0 = not; from the landmark polygon or
 * a face parser), `size`^2: the official dilation for m_t, and the feathered paste alpha.
 */
export function regionFaceMasks(region: Uint8Array, options: Omit<FaceMaskOptions, 'forehead'> = {}): FaceMasks {
  const size = options.size ?? CROP_SIZE;
  if (region.length !== size * size) {
    throw new FslsdError('INVALID_MASK', `The face region has ${region.length} values; a ${size}x${size} crop needs ${size * size}.`, { fix: 'Pass one value per crop pixel.' });
  }
  const unit = size / 1024;
  const dilation = Math.max(1, Math.round((options.dilation ?? 50) * unit));
  const feather = Math.max(0, Math.round((options.feather ?? 24) * unit));
  const dilated = dilateSquare(region, size, dilation);
  const inner = toFloat(dilated);
  // Two box passes of radius r reach 2r; the pre-dilation leaves that much room inside the
  // official dilation, so the feathered alpha is zero wherever `inner` is.
  const radius = Math.floor(feather / 4);
  const narrow = dilateSquare(region, size, Math.max(1, dilation - 4 * radius - 2));
  let paste: Float32Array = toFloat(narrow);
  if (radius > 0) paste = boxBlur(boxBlur(paste, size, radius), size, radius);
  for (let i = 0; i < paste.length; i += 1) if (!dilated[i]) paste[i] = 0;
  return { inner, paste, size };
}
