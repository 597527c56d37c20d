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
import { type MaskKernels, maskKernelsWasm } from './mask-kernels.js';

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
 * i + kernel/2 - 1. Any non-zero input counts as set; the output is 0/1.
 *
 * Separable. Along rows each run of set pixels is widened and written with `fill` (native).
 * Down columns, the OR over a window of K rows is built by doubling (window 2k = window k OR the
 * same window k rows lower) on whole rows at once, four pixels per 32-bit word: about log2(K)
 * passes of word ORs instead of K reads per pixel. Measured in `pnpm bench --only front-end`.
 */
export function dilateSquare(mask: Uint8Array, size: number, kernel: number): Uint8Array {
  const length = (size + Math.floor(kernel / 2)) * size;
  const kernels = maskKernelsWasm();
  if (!kernels) return dilateInto(mask, size, kernel, new Uint8Array(length)).slice();
  const [pointer] = kernels.reserve([length]);
  return dilateInto(mask, size, kernel, new Uint8Array(kernels.buffer(), pointer!, length), kernels, pointer).slice();
}

/**
 * {@link dilateSquare} into `padded` ((size + kernel/2) rows, overwritten) and returns the view
 * of the result, its first size^2 bytes. With `kernels`, `padded` is their memory at `pointer`
 * and the column ORs run there.
 */
function dilateInto(mask: Uint8Array, size: number, kernel: number, padded: Uint8Array, kernels?: MaskKernels, pointer = 0): Uint8Array {
  const before = Math.floor(kernel / 2);
  const after = kernel - 1 - before;
  // `before` zero rows on top, so that output row y is the OR of padded rows y .. y + kernel - 1.
  if (kernels) padded.fill(0); // their memory is reused; a fresh array is already zero
  const scan = new RunScanner(mask);
  let first = -1;
  let last = -1;
  for (let y = 0; y < size; y += 1) {
    const target = (y + before) * size - y * size;
    scan.runs(y * size, (y + 1) * size, (start, end) => {
      const row = y * size;
      padded.fill(1, target + Math.max(row, start - after), target + Math.min(row + size, end + before));
      if (first < 0) first = y + before;
      last = y + before;
    });
  }
  // Only rows first - kernel + 1 .. last can become set.
  if (first >= 0) {
    const from = Math.max(0, first - kernel + 1);
    if (kernels) kernels.exports.orWindowDown(pointer, size, from, last + 1, kernel);
    else orWindowDown(padded, size, from, last + 1, kernel);
  }
  return padded.subarray(0, size * size);
}

/**
 * Finds the runs of non-zero bytes in a mask, skipping four bytes at a time where a 32-bit word
 * is all zero or all one (most of a mask is one or the other).
 */
class RunScanner {
  private readonly words: Uint32Array | undefined;
  constructor(private readonly bytes: Uint8Array) {
    this.words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : undefined;
  }

  /** Calls `visit(start, end)` for each run of set bytes in [from, to), end exclusive. */
  runs(from: number, to: number, visit: (start: number, end: number) => void): void {
    let i = from;
    while (i < to) {
      i = this.skip(i, to, 0);
      if (i >= to) return;
      const start = i;
      i = this.skip(i, to, 1);
      visit(start, i);
    }
  }

  /** The first index at or after `i` (below `to`) whose byte is not of the kind being skipped (0: zero, 1: non-zero). */
  private skip(index: number, to: number, kind: 0 | 1): number {
    const { bytes, words } = this;
    const isSkipped = (value: number): boolean => (kind === 0 ? value === 0 : value !== 0);
    let i = index;
    if (words) {
      while (i < to && (i & 3) !== 0) {
        if (!isSkipped(bytes[i]!)) return i;
        i += 1;
      }
      const whole = kind === 0 ? 0 : 0x01010101;
      while (i + 4 <= to && words[i >> 2] === whole) i += 4;
    }
    while (i < to && isSkipped(bytes[i]!)) i += 1;
    return i;
  }
}

/** In place, for rows `from` .. `to` - 1: row y becomes the OR of rows y .. y + window - 1 (rows past `to` count as 0). */
function orWindowDown(buffer: Uint8Array, width: number, from: number, to: number, window: number): void {
  const words = width % 4 === 0 ? new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >> 2) : undefined;
  const orShifted = (shift: number): void => {
    // Ascending order reads row y + shift before it is updated, so one buffer suffices.
    if (words) {
      const stride = (shift * width) >> 2;
      const start = (from * width) >> 2;
      const end = ((to - shift) * width) >> 2;
      for (let i = start; i < end; i += 1) words[i]! |= words[i + stride]!;
    } else {
      const stride = shift * width;
      const end = (to - shift) * width;
      for (let i = from * width; i < end; i += 1) buffer[i]! |= buffer[i + stride]!;
    }
  };
  let covered = 1;
  while (covered * 2 <= window) {
    orShifted(covered);
    covered *= 2;
  }
  if (covered < window) orShifted(window - covered);
}

/** Set pixels as float 0/1, a run at a time. */
function toFloat(mask: Uint8Array): Float32Array {
  const out = new Float32Array(mask.length);
  new RunScanner(mask).runs(0, mask.length, (start, end) => out.fill(1, start, end));
  return out;
}

/** The largest feather radius whose four box sums still fit a 32-bit integer ((2r+1)^4 < 2^31). */
const MAX_FEATHER_RADIUS = 107;

/**
 * Two (2r+1)^2 box filters with zero padding (dividing by the full window) of a 0/1 mask, as
 * float in [0, 1], zero wherever `keep` is 0. The filters of a 0/1 mask are window counts, so
 * all four separable passes run on 32-bit integers (exact) over the bounding box of the set
 * pixels grown by 2r, and only the end divides by (2r+1)^4.
 */
/** Top, bottom, left, right (inclusive) of a 0/1 mask's set pixels; bottom is -1 when none is set. */
function maskExtent(mask: Uint8Array, size: number): [number, number, number, number] {
  let top = size;
  let bottom = -1;
  let left = size;
  let right = -1;
  for (let y = 0; y < size; y += 1) {
    const row = mask.subarray(y * size, (y + 1) * size);
    const first = row.indexOf(1);
    if (first < 0) continue;
    top = Math.min(top, y);
    bottom = y;
    left = Math.min(left, first);
    right = Math.max(right, row.lastIndexOf(1));
  }
  return [top, bottom, left, right];
}

/** {@link maskExtent} of `space.binary`, by the WebAssembly kernel. */
function wasmExtent(space: FeatherSpace, size: number): [number, number, number, number] {
  space.kernels.exports.maskExtent(space.binary, size, space.extent);
  const [top, bottom, left, right] = new Int32Array(space.kernels.buffer(), space.extent, 4);
  return [top!, bottom!, left!, right!];
}

/** Where {@link featheredAlpha}'s inputs and working buffers sit in the WebAssembly kernels' memory. */
interface FeatherSpace {
  readonly kernels: MaskKernels;
  /** Offsets of the mask, the keep mask, and two int32 buffers of at least size^2 values. */
  readonly binary: number;
  readonly keep: number;
  readonly counts: number;
  readonly sums: number;
  /** Four int32 for the mask's extent. */
  readonly extent: number;
}

function featheredAlpha(binary: Uint8Array, keep: Uint8Array, size: number, radius: number, space?: FeatherSpace): Float32Array {
  const out = new Float32Array(size * size);
  const [top, bottom, left, right] = space ? wasmExtent(space, size) : maskExtent(binary, size);
  if (bottom < 0) return out;
  const reach = 2 * radius;
  // The box: every pixel the two filters can reach.
  const y0 = Math.max(0, top - reach);
  const y1 = Math.min(size - 1, bottom + reach);
  const x0 = Math.max(0, left - reach);
  const x1 = Math.min(size - 1, right + reach);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const window = 2 * radius + 1;
  const scale = 1 / (window * window * window * window);
  if (space) {
    // The same steps in the WebAssembly kernels; only the finished box is copied out.
    const { exports } = space.kernels;
    exports.gatherBox(space.binary, size, x0, y0, w, h, space.counts);
    for (let pass = 0; pass < 2; pass += 1) {
      exports.boxAlongRows(space.counts, space.sums, w, h, radius);
      exports.boxDownColumns(space.sums, space.counts, w, h, radius);
    }
    exports.scaleWhereKept(space.counts, space.keep, size, x0, y0, w, h, scale, space.sums);
    const box = new Float32Array(space.kernels.buffer(), space.sums, w * h);
    for (let y = 0; y < h; y += 1) out.set(box.subarray(y * w, (y + 1) * w), (y0 + y) * size + x0);
    return out;
  }
  const counts = new Int32Array(w * h);
  for (let y = y0; y <= y1; y += 1) for (let x = x0, p = y * size + x0, q = (y - y0) * w; x <= x1; x += 1, p += 1, q += 1) counts[q] = binary[p]!;
  const sums = new Int32Array(w * h);
  for (let pass = 0; pass < 2; pass += 1) {
    boxAlongRows(counts, sums, w, h, radius);
    boxDownColumns(sums, counts, w, h, radius);
  }
  for (let y = y0; y <= y1; y += 1) {
    for (let x = x0, p = y * size + x0, q = (y - y0) * w; x <= x1; x += 1, p += 1, q += 1) {
      if (keep[p] !== 0) out[p] = counts[q]! * scale;
    }
  }
  return out;
}

/** Window sums of width 2r+1 along each row, zero outside. Head, middle and tail apart, so the middle has no branch. */
function boxAlongRows(input: Int32Array, output: Int32Array, width: number, height: number, radius: number): void {
  const head = Math.min(width, radius + 1);
  for (let y = 0; y < height; y += 1) {
    const base = y * width;
    const end = base + width;
    let sum = 0;
    for (let p = base; p < base + Math.min(width, radius); p += 1) sum += input[p]!;
    let p = base;
    for (; p < base + head; p += 1) {
      if (p + radius < end) sum += input[p + radius]!;
      output[p] = sum;
    }
    for (; p < end - radius; p += 1) {
      sum += input[p + radius]! - input[p - radius - 1]!;
      output[p] = sum;
    }
    for (; p < end; p += 1) {
      sum -= input[p - radius - 1]!;
      output[p] = sum;
    }
  }
}

/** Window sums of height 2r+1 down each column, zero outside: each row is the row above plus the entering row minus the leaving one. */
function boxDownColumns(input: Int32Array, output: Int32Array, width: number, height: number, radius: number): void {
  const n = width * height;
  const ahead = radius * width;
  const behind = (radius + 1) * width;
  for (let x = 0; x < width; x += 1) {
    let sum = 0;
    for (let y = 0; y <= Math.min(height - 1, radius); y += 1) sum += input[y * width + x]!;
    output[x] = sum;
  }
  let p = width;
  // Rows whose window has not yet left the top; then the full windows; then those past the bottom.
  const noneLeaving = Math.min(n, Math.max(width, behind));
  for (; p < noneLeaving; p += 1) output[p] = output[p - width]! + (p + ahead < n ? input[p + ahead]! : 0);
  for (; p < n - ahead; p += 1) output[p] = output[p - width]! + input[p + ahead]! - input[p - behind]!;
  for (; p < n; p += 1) output[p] = output[p - width]! - input[p - behind]!;
}

/**
 * The inner-face masks of an aligned face from its 68 landmarks (iBUG order) in crop pixels.
 * @throws FslsdError `INVALID_LANDMARKS` for another point count.
 */
export function landmarkFaceMasks(points68: ReadonlyArray<Point>, options: FaceMaskOptions = {}): FaceMasks {
  const size = options.size ?? CROP_SIZE;
  return regionFaceMasks(landmarkRegion(points68, options), { ...options, size });
}

/**
 * The undilated inner-face region of {@link landmarkFaceMasks}: the filled polygon, 0/1 per crop pixel.
 * @throws FslsdError `INVALID_LANDMARKS` for another point count.
 */
export function landmarkRegion(points68: ReadonlyArray<Point>, options: FaceMaskOptions = {}): Uint8Array {
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
  return fillConvexPolygon(convexHull(outline), size);
}

/** The kernels {@link regionFaceMasks} uses for a crop size and options. */
export function maskKernels(options: Omit<FaceMaskOptions, 'forehead'> = {}): { dilation: number; narrow: number; radius: number } {
  const size = options.size ?? CROP_SIZE;
  const unit = size / 1024;
  const dilation = Math.max(1, Math.round((options.dilation ?? 50) * unit));
  const feather = Math.max(0, Math.round((options.feather ?? 24) * unit));
  const radius = Math.floor(feather / 4);
  if (radius > MAX_FEATHER_RADIUS) {
    throw new FslsdError('INVALID_ARGUMENT', `A feather of ${options.feather} px is wider than the crop allows.`, { fix: `Use a feather of at most ${4 * MAX_FEATHER_RADIUS} px at 1024^2.` });
  }
  // Two box passes of radius r reach 2r; the pre-dilation leaves that much room inside the
  // official dilation, so the feathered alpha is zero wherever the dilated mask is.
  return { dilation, narrow: Math.max(1, dilation - 4 * radius - 2), radius };
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
  const { dilation, narrow: narrowKernel, radius } = maskKernels({ ...options, size });
  const dilatedLength = (size + Math.floor(dilation / 2)) * size;
  const narrowLength = (size + Math.floor(narrowKernel / 2)) * size;
  // With the WebAssembly kernels every intermediate lives in their memory: both dilations, the
  // feather's two count buffers (at most size^2 int32 each) and the extent's four int32.
  const kernels = maskKernelsWasm();
  const space = kernels?.reserve([dilatedLength, narrowLength, 4 * size * size, 4 * size * size, 16]);
  const bytesAt = (index: number, length: number): Uint8Array => (kernels && space ? new Uint8Array(kernels.buffer(), space[index]!, length) : new Uint8Array(length));
  const dilated = dilateInto(region, size, dilation, bytesAt(0, dilatedLength), kernels, space?.[0]);
  const inner = toFloat(dilated);
  const narrow = dilateInto(region, size, narrowKernel, bytesAt(1, narrowLength), kernels, space?.[1]);
  const feather = kernels && space ? { kernels, keep: space[0]!, binary: space[1]!, counts: space[2]!, sums: space[3]!, extent: space[4]! } : undefined;
  const paste = radius > 0 ? featheredAlpha(narrow, dilated, size, radius, feather) : maskedCopy(narrow, dilated);
  return { inner, paste, size };
}

/** `binary` as float 0/1, zero where `keep` is 0. */
function maskedCopy(binary: Uint8Array, keep: Uint8Array): Float32Array {
  const out = toFloat(binary);
  for (let i = 0; i < out.length; i += 1) if (keep[i] === 0) out[i] = 0;
  return out;
}
