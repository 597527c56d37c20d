/**
 * Face detection with face-api's SSD MobileNet v1 (`face-detector-ssd.onnx` of
 * @fslsd/models/faces), computed as face-api computes it: the picture padded to a square at the
 * bottom/right and resized (tfjs bilinear) to 512, the decoded boxes and scores from the graph,
 * then face-api's SSD non-maximum suppression (scores above the threshold, best first, each
 * dropped when it overlaps a kept box by more than the IoU threshold).
 *
 * Slower than the tiny detector at its default size and better at rotated, turned and small
 * faces; `pnpm bench --only recall` measures both.
 */
import { FslsdError } from '../errors.js';
import type { RgbImage } from '../image/tensor.js';
import type { InferenceSession, OrtRuntime } from '../runtime.js';
import { type Box, type DetectedFace, checkImage, cropImage, padToSquare, resizeBilinear, toPlanar } from './detector.js';

/** The SSD's fixed input side. */
export const SSD_INPUT_SIZE = 512;

/** face-api's defaults for the SSD: minConfidence 0.5, IoU 0.5, at most 100 faces. */
export const SSD_DEFAULTS = { minScore: 0.5, iouThreshold: 0.5, maxFaces: 100 } as const;

/** Options of {@link detectFacesSsd}. */
export interface SsdDetectOptions {
  /** Faces scoring at or below this are dropped. Default 0.5. */
  readonly minScore?: number;
  /** Overlap (IoU) above which the weaker of two boxes is dropped. Default 0.5. */
  readonly iouThreshold?: number;
  /** Keep at most this many faces. Default 100. */
  readonly maxFaces?: number;
  /** Look only inside this part of the image (a tile); boxes come back in image pixels. Default: all of it. */
  readonly region?: Box;
}

/** (ymin, xmin, ymax, xmax) corners, as the graph returns them. */
function iou(boxes: Float32Array, i: number, j: number): number {
  const a = 4 * i;
  const b = 4 * j;
  const yminI = Math.min(boxes[a]!, boxes[a + 2]!);
  const xminI = Math.min(boxes[a + 1]!, boxes[a + 3]!);
  const ymaxI = Math.max(boxes[a]!, boxes[a + 2]!);
  const xmaxI = Math.max(boxes[a + 1]!, boxes[a + 3]!);
  const yminJ = Math.min(boxes[b]!, boxes[b + 2]!);
  const xminJ = Math.min(boxes[b + 1]!, boxes[b + 3]!);
  const ymaxJ = Math.max(boxes[b]!, boxes[b + 2]!);
  const xmaxJ = Math.max(boxes[b + 1]!, boxes[b + 3]!);
  const areaI = (ymaxI - yminI) * (xmaxI - xminI);
  const areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const intersection = Math.max(Math.min(ymaxI, ymaxJ) - Math.max(yminI, yminJ), 0) * Math.max(Math.min(xmaxI, xmaxJ) - Math.max(xminI, xminJ), 0);
  return intersection / (areaI + areaJ - intersection);
}

/** face-api's SSD NMS: indices of the kept boxes, best score first. */
function suppress(boxes: Float32Array, scores: Float32Array, maxFaces: number, iouThreshold: number, minScore: number): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i += 1) if (scores[i]! > minScore) candidates.push(i);
  // Array.prototype.sort is stable: equal scores keep index order, as in face-api.
  candidates.sort((p, q) => scores[q]! - scores[p]!);
  const selected: number[] = [];
  for (const candidate of candidates) {
    if (selected.length >= Math.min(maxFaces, scores.length)) break;
    if (selected.every((kept) => iou(boxes, candidate, kept) <= iouThreshold)) selected.push(candidate);
  }
  return selected;
}

/**
 * Finds faces in `image` (or in `options.region` of it) with the converted SSD.
 * @returns Faces sorted by score (best first), boxes in image pixels clipped to the region.
 * @throws FslsdError `INVALID_IMAGE`, `INVALID_ARGUMENT`, `RUNTIME_FAILURE`, `CONTRACT_MISMATCH`.
 */
export async function detectFacesSsd(runtime: OrtRuntime, session: InferenceSession, image: RgbImage, options: SsdDetectOptions = {}): Promise<DetectedFace[]> {
  checkImage(image);
  const minScore = options.minScore ?? SSD_DEFAULTS.minScore;
  const iouThreshold = options.iouThreshold ?? SSD_DEFAULTS.iouThreshold;
  const maxFaces = options.maxFaces ?? SSD_DEFAULTS.maxFaces;
  if (!(minScore >= 0 && minScore < 1)) throw new FslsdError('INVALID_ARGUMENT', `minScore ${minScore} is outside [0, 1).`, { fix: 'Use a score threshold such as 0.5 (default).' });
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) throw new FslsdError('INVALID_ARGUMENT', `iouThreshold ${iouThreshold} is outside [0, 1].`, { fix: 'Use an overlap threshold such as 0.5 (default).' });
  if (!(Number.isInteger(maxFaces) && maxFaces >= 1)) throw new FslsdError('INVALID_ARGUMENT', `maxFaces ${maxFaces} is not a positive integer.`, { fix: 'Give a whole number >= 1, or leave it out (100).' });
  const region = options.region ?? { x: 0, y: 0, width: image.width, height: image.height };
  const x0 = Math.max(0, Math.floor(region.x));
  const y0 = Math.max(0, Math.floor(region.y));
  const width = Math.min(image.width, Math.ceil(region.x + region.width)) - x0;
  const height = Math.min(image.height, Math.ceil(region.y + region.height)) - y0;
  if (!(width > 0 && height > 0)) throw new FslsdError('INVALID_ARGUMENT', `The detection region ${JSON.stringify(region)} lies outside the ${image.width}x${image.height} image.`, { fix: 'Pass a region inside the image, or none.' });

  const square = resizeBilinear(padToSquare(cropImage(image, x0, y0, width, height), false), SSD_INPUT_SIZE, SSD_INPUT_SIZE);
  const input = new runtime.Tensor('float32', toPlanar(square), [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]);
  let results: InferenceSession.OnnxValueMapType;
  try {
    results = await session.run({ image: input });
  } catch (error) {
    throw new FslsdError('RUNTIME_FAILURE', `The SSD face detector failed: ${(error as Error).message}.`, { fix: 'Create the session from face-detector-ssd.onnx of @fslsd/models/faces.', cause: error });
  }
  const boxes = results.boxes?.data as Float32Array | undefined;
  const scores = results.scores?.data as Float32Array | undefined;
  if (!boxes || !scores || boxes.length !== 4 * scores.length) {
    throw new FslsdError('CONTRACT_MISMATCH', `The SSD detector returned ${Object.keys(results).join(', ')}; expected boxes [1,N,4] and scores [1,N].`, { fix: 'Create the session from face-detector-ssd.onnx of @fslsd/models/faces.' });
  }
  // face-api's locateFaces: corners clamped to the padded square, scaled by padded / resized side.
  const scale = SSD_INPUT_SIZE / Math.max(width, height);
  const padX = SSD_INPUT_SIZE / Math.round(width * scale);
  const padY = SSD_INPUT_SIZE / Math.round(height * scale);
  const faces: DetectedFace[] = [];
  for (const index of suppress(boxes, scores, maxFaces, iouThreshold, minScore)) {
    const top = Math.max(0, boxes[4 * index]!) * padY * height;
    const left = Math.max(0, boxes[4 * index + 1]!) * padX * width;
    const bottom = Math.min(height, Math.min(1, boxes[4 * index + 2]!) * padY * height);
    const right = Math.min(width, Math.min(1, boxes[4 * index + 3]!) * padX * width);
    if (right <= left || bottom <= top) continue;
    faces.push({ box: { x: x0 + left, y: y0 + top, width: right - left, height: bottom - top }, score: scores[index]! });
  }
  return faces;
}
