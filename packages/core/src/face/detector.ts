/**
 * Face detection with the converted face-api TinyFaceDetector (`face-detector.onnx` of
 * @fslsd/models/faces), computed as face-api computes it: the image padded to a square at the
 * bottom/right, resized (tfjs bilinear) to `inputSize`, the raw YOLO grid decoded with face-api's
 * anchors, then face-api's non-maximum suppression.
 *
 * This file also holds the small image helpers the three face networks share (crop, pad to
 * square, tfjs-style bilinear resize, NCHW packing): the tensors are small, plain TypeScript
 * is fast enough and runs everywhere.
 */
import { FslsdError } from '../errors.js';
import type { RgbImage } from '../image/tensor.js';
import type { InferenceSession, OrtRuntime } from '../runtime.js';

/** An axis-aligned rectangle in image pixels, top-left origin. */
export interface Box {
  /** Left edge. */
  readonly x: number;
  /** Top edge. */
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One detected face. */
export interface DetectedFace {
  /** The face's box in image pixels, clipped to the image. */
  readonly box: Box;
  /** Detector confidence in (0, 1). */
  readonly score: number;
}

/** Options of {@link detectFaces} and of a face analyzer's `detect()`. */
export interface DetectOptions {
  /**
   * Which path a face analyzer takes (ignored by {@link detectFaces} itself, which is the fast
   * one): 'fast', the tiny detector at `inputSize`; 'accurate', the SSD on the whole photo and
   * on 512-pixel tiles of a larger one plus the tiny detector at 1.25x the photo (finds small,
   * turned and rotated faces; about ten times slower). Default: 'accurate' where the SSD model
   * is loaded, else 'fast'.
   */
  readonly detector?: 'fast' | 'accurate';
  /** Side of the square the image is resized to for the fast path; a multiple of 32. Default 416 (face-api's default). */
  readonly inputSize?: number;
  /** Faces scoring at or below this are dropped. Default 0.5 (face-api's default). */
  readonly minScore?: number;
  /** Overlap (IoU) above which the weaker of two boxes is suppressed. Default 0.4 (face-api's). */
  readonly iouThreshold?: number;
  /** Keep at most this many faces (the best scoring). Default: all. */
  readonly maxFaces?: number;
  /**
   * Look only inside this rectangle of the photo (fast path only): it is cut out, padded to a
   * square and resized to `inputSize`, so a small region costs a fraction of the whole photo.
   * Boxes stay in photo pixels; a face cut by an edge of the region that lies inside the photo
   * is dropped (its box would be cut too). Video tracking uses it around the tracked face.
   */
  readonly region?: Box;
}

/** face-api's defaults for the tiny face detector. */
export const DETECTOR_DEFAULTS = { inputSize: 416, minScore: 0.5, iouThreshold: 0.4 } as const;

/** Anchor box sizes in grid cells, in the order of the grid's anchor axis (face-api's). */
const ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061], [4.266906, 5.178857], [9.041765, 10.66308],
];
const BOX_FIELDS = 5;

/**
 * A float image, interleaved RGB (height x width x 3), as tfjs holds an image tensor.
 * @internal
 */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** @internal @throws FslsdError `INVALID_IMAGE` unless `image` is a well-formed RGB(A) image. */
export function checkImage(image: RgbImage): void {
  const { width, height, channels, data } = image ?? ({} as RgbImage);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || (channels !== 3 && channels !== 4) || !data || data.length !== width * height * channels) {
    throw new FslsdError('INVALID_IMAGE', `The image is malformed (width ${width}, height ${height}, channels ${channels}, ${data?.length ?? 0} bytes).`, {
      fix: 'Pass { width, height, channels: 3 | 4, data } with width*height*channels bytes.',
    });
  }
}

/** The integer region [x, x + width) x [y, y + height) of `image` as floats (RGB, alpha dropped). @internal */
export function cropImage(image: RgbImage, x: number, y: number, width: number, height: number): FloatImage {
  const out = new Float32Array(width * height * 3);
  const { channels, data } = image;
  for (let row = 0; row < height; row += 1) {
    for (let col = 0; col < width; col += 1) {
      const source = ((y + row) * image.width + (x + col)) * channels;
      const target = (row * width + col) * 3;
      out[target] = data[source]!;
      out[target + 1] = data[source + 1]!;
      out[target + 2] = data[source + 2]!;
    }
  }
  return { width, height, data: out };
}

/**
 * face-api's padToSquare: zeros appended to the shorter side. Centred: round(diff / 2) after
 * and the rest before (face-api's split); otherwise all of it after (bottom/right). @internal
 */
export function padToSquare(image: FloatImage, centred: boolean): FloatImage {
  const { width, height } = image;
  if (width === height) return image;
  const size = Math.max(width, height);
  const difference = size - Math.min(width, height);
  const after = Math.round(difference * (centred ? 0.5 : 1));
  const before = centred ? difference - after : 0;
  const offsetX = width < height ? before : 0;
  const offsetY = height < width ? before : 0;
  const out = new Float32Array(size * size * 3);
  for (let row = 0; row < height; row += 1) {
    out.set(image.data.subarray(row * width * 3, (row + 1) * width * 3), ((row + offsetY) * size + offsetX) * 3);
  }
  return { width: size, height: size, data: out };
}

/**
 * tfjs's resizeBilinear with alignCorners = false and halfPixelCenters = false (what face-api
 * calls): source = output index * (in / out), the same arithmetic order as tfjs's CPU kernel,
 * so the float32 results agree. @internal
 */
export function resizeBilinear(image: FloatImage, outWidth: number, outHeight: number): FloatImage {
  const { width, height, data } = image;
  if (width === outWidth && height === outHeight) return image;
  const out = new Float32Array(outWidth * outHeight * 3);
  const rowRatio = height / outHeight;
  const colRatio = width / outWidth;
  let index = 0;
  for (let r = 0; r < outHeight; r += 1) {
    const sourceRow = rowRatio * r;
    const top = Math.max(0, Math.floor(sourceRow));
    const rowFraction = sourceRow - top;
    const bottom = Math.min(height - 1, Math.ceil(sourceRow));
    for (let c = 0; c < outWidth; c += 1) {
      const sourceCol = colRatio * c;
      const left = Math.max(0, Math.floor(sourceCol));
      const colFraction = sourceCol - left;
      const right = Math.min(width - 1, Math.ceil(sourceCol));
      const topLeft = (top * width + left) * 3;
      const topRight = (top * width + right) * 3;
      const bottomLeft = (bottom * width + left) * 3;
      const bottomRight = (bottom * width + right) * 3;
      for (let d = 0; d < 3; d += 1) {
        const upper = data[topLeft + d]! + (data[topRight + d]! - data[topLeft + d]!) * colFraction;
        const lower = data[bottomLeft + d]! + (data[bottomRight + d]! - data[bottomLeft + d]!) * colFraction;
        out[index] = upper + (lower - upper) * rowFraction;
        index += 1;
      }
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}

/** Interleaved HWC floats -> planar NCHW [1, 3, H, W] for the ONNX networks. @internal */
export function toPlanar(image: FloatImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p += 1) {
    out[p] = image.data[p * 3]!;
    out[plane + p] = image.data[p * 3 + 1]!;
    out[2 * plane + p] = image.data[p * 3 + 2]!;
  }
  return out;
}

/**
 * face-api's Box.clipAtImageBorders: the part of `box` inside the image, each field floored.
 * @internal
 */
export function clipAndFloor(box: Box, imageWidth: number, imageHeight: number): Box {
  const x = Math.max(box.x, 0);
  const y = Math.max(box.y, 0);
  const width = Math.min(box.x + box.width - x, imageWidth - x);
  const height = Math.min(box.y + box.height - y, imageHeight - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(width), height: Math.floor(height) };
}

/**
 * Runs `session` on one NCHW float image and returns the named output's data.
 * @internal
 */
export async function runImage(runtime: OrtRuntime, session: InferenceSession, planar: Float32Array, width: number, height: number, output: string): Promise<Float32Array> {
  const input = new runtime.Tensor('float32', planar, [1, 3, height, width]);
  let results: InferenceSession.OnnxValueMapType;
  try {
    results = await session.run({ image: input });
  } catch (error) {
    throw new FslsdError('RUNTIME_FAILURE', `The face network failed: ${(error as Error).message}.`, {
      fix: 'Use the models of @fslsd/models/faces (input "image" float32[1,3,H,W]) with a matching session.',
      cause: error,
    });
  }
  const value = results[output];
  if (!value || value.type !== 'float32') {
    throw new FslsdError('CONTRACT_MISMATCH', `The face network has no float32 output "${output}" (outputs: ${Object.keys(results).join(', ')}).`, {
      fix: 'Create the session from the matching file of @fslsd/models/faces.',
    });
  }
  return value.data as Float32Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

interface Candidate {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly score: number;
}

/** face-api's IoU on corner boxes. */
function iou(a: Candidate, b: Candidate): number {
  const width = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left));
  const height = Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const intersection = width * height;
  const area = (c: Candidate): number => (c.right - c.left) * (c.bottom - c.top);
  return intersection / (area(a) + area(b) - intersection);
}

/**
 * face-api's greedy NMS, including its tie order: candidates are sorted by ascending score
 * (stable) and taken from the end, so among equal scores the later one wins.
 */
function suppress(candidates: readonly Candidate[], threshold: number): number[] {
  let order = candidates.map((c, i) => ({ score: c.score, i })).sort((a, b) => a.score - b.score).map((c) => c.i);
  const picked: number[] = [];
  while (order.length > 0) {
    const current = order.pop()!;
    picked.push(current);
    order = order.filter((other) => iou(candidates[current]!, candidates[other]!) <= threshold);
  }
  return picked;
}

function checkOptions(options: DetectOptions): Required<Omit<DetectOptions, 'maxFaces' | 'detector' | 'region'>> & { maxFaces: number } {
  const inputSize = options.inputSize ?? DETECTOR_DEFAULTS.inputSize;
  const minScore = options.minScore ?? DETECTOR_DEFAULTS.minScore;
  const iouThreshold = options.iouThreshold ?? DETECTOR_DEFAULTS.iouThreshold;
  const maxFaces = options.maxFaces ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(inputSize) || inputSize <= 0 || inputSize % 32 !== 0) {
    throw new FslsdError('INVALID_ARGUMENT', `inputSize ${inputSize} is not a positive multiple of 32.`, { fix: 'Use 416 (default), or e.g. 320 (faster) or 608 (small faces).' });
  }
  if (!(minScore >= 0 && minScore < 1)) throw new FslsdError('INVALID_ARGUMENT', `minScore ${minScore} is outside [0, 1).`, { fix: 'Use a score threshold such as 0.5 (default).' });
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) throw new FslsdError('INVALID_ARGUMENT', `iouThreshold ${iouThreshold} is outside [0, 1].`, { fix: 'Use an overlap threshold such as 0.4 (default).' });
  if (!(maxFaces >= 1) || (Number.isFinite(maxFaces) && !Number.isInteger(maxFaces))) {
    throw new FslsdError('INVALID_ARGUMENT', `maxFaces ${maxFaces} is not a positive integer.`, { fix: 'Omit maxFaces to keep every face, or give a whole number >= 1.' });
  }
  return { inputSize, minScore, iouThreshold, maxFaces };
}

/**
 * The whole pixels of `region` inside the photo (the whole photo without one); undefined when it
 * lies outside the photo. @throws FslsdError `INVALID_ARGUMENT` for a region that is not a finite
 * rectangle.
 */
function searchArea(region: Box | undefined, image: RgbImage): Box | undefined {
  if (!region) return { x: 0, y: 0, width: image.width, height: image.height };
  const { x, y, width, height } = region;
  if (![x, y, width, height].every(Number.isFinite) || !(width > 0 && height > 0)) {
    throw new FslsdError('INVALID_ARGUMENT', `region ${JSON.stringify(region)} is not a rectangle with a positive width and height.`, { fix: 'Give { x, y, width, height } in photo pixels, or leave region out to search the whole photo.' });
  }
  const left = Math.max(0, Math.floor(x));
  const top = Math.max(0, Math.floor(y));
  const right = Math.min(image.width, Math.ceil(x + width));
  const bottom = Math.min(image.height, Math.ceil(y + height));
  return right > left && bottom > top ? { x: left, y: top, width: right - left, height: bottom - top } : undefined;
}

/**
 * Finds faces in `image` with the converted tiny face detector.
 * @param runtime The ONNX Runtime module (onnxruntime-node or onnxruntime-web).
 * @param session A session of `face-detector.onnx`.
 * @param image The photo, RGB or RGBA, any size.
 * @param options Input size, score and overlap thresholds, face limit.
 * @returns Faces sorted by score (best first), boxes in image pixels clipped to the image.
 * @throws FslsdError `INVALID_IMAGE`, `INVALID_ARGUMENT`, `RUNTIME_FAILURE`, `CONTRACT_MISMATCH`.
 */
export async function detectFaces(runtime: OrtRuntime, session: InferenceSession, image: RgbImage, options: DetectOptions = {}): Promise<DetectedFace[]> {
  checkImage(image);
  const { inputSize, minScore, iouThreshold, maxFaces } = checkOptions(options);
  const area = searchArea(options.region, image);
  if (!area) return [];
  const { width, height } = area;

  // Network input: pad to a square at the bottom/right, resize to inputSize (face-api's
  // toBatchTensor(inputSize, false)).
  const square = resizeBilinear(padToSquare(cropImage(image, area.x, area.y, width, height), false), inputSize, inputSize);
  const grid = await runImage(runtime, session, toPlanar(square), inputSize, inputSize, 'grid');
  const cells = inputSize / 32;
  const anchorsInGrid = grid.length / (cells * cells * BOX_FIELDS);
  if (anchorsInGrid !== ANCHORS.length) {
    throw new FslsdError('CONTRACT_MISMATCH', `The detector returned ${grid.length} values; expected ${ANCHORS.length * BOX_FIELDS * cells * cells} (25 x ${cells} x ${cells}).`, {
      fix: 'Create the session from face-detector.onnx of @fslsd/models/faces.',
    });
  }

  // Boxes are relative to the image: the padded square's grid scaled by inputSize / resized side
  // (face-api's correction factors, with its rounded resized dimensions).
  const scale = inputSize / Math.max(width, height);
  const correctionX = inputSize / Math.round(width * scale);
  const correctionY = inputSize / Math.round(height * scale);
  const plane = cells * cells;
  const at = (anchor: number, field: number, row: number, col: number): number => grid[(anchor * BOX_FIELDS + field) * plane + row * cells + col]!;
  const candidates: Candidate[] = [];
  for (let row = 0; row < cells; row += 1) {
    for (let col = 0; col < cells; col += 1) {
      for (let anchor = 0; anchor < ANCHORS.length; anchor += 1) {
        const score = sigmoid(at(anchor, 4, row, col));
        if (minScore && !(score > minScore)) continue;
        const centreX = ((col + sigmoid(at(anchor, 0, row, col))) / cells) * correctionX;
        const centreY = ((row + sigmoid(at(anchor, 1, row, col))) / cells) * correctionY;
        const boxWidth = ((Math.exp(at(anchor, 2, row, col)) * ANCHORS[anchor]![0]) / cells) * correctionX;
        const boxHeight = ((Math.exp(at(anchor, 3, row, col)) * ANCHORS[anchor]![1]) / cells) * correctionY;
        const left = centreX - boxWidth / 2;
        const top = centreY - boxHeight / 2;
        candidates.push({ left, top, right: left + boxWidth, bottom: top + boxHeight, score });
      }
    }
  }

  const faces: DetectedFace[] = [];
  for (const index of suppress(candidates, iouThreshold)) {
    const c = candidates[index]!;
    // A face reaching past an edge of the region that is not the photo's is cut: dropped.
    if ((c.left < 0 && area.x > 0) || (c.top < 0 && area.y > 0) || (c.right > 1 && area.x + width < image.width) || (c.bottom > 1 && area.y + height < image.height)) continue;
    const left = Math.max(0, c.left * width);
    const top = Math.max(0, c.top * height);
    const right = Math.min(width, c.right * width);
    const bottom = Math.min(height, c.bottom * height);
    if (right <= left || bottom <= top) continue;
    faces.push({ box: { x: area.x + left, y: area.y + top, width: right - left, height: bottom - top }, score: c.score });
    if (faces.length >= maxFaces) break;
  }
  return faces;
}
