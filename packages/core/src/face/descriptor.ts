/**
 * 128-d face descriptors with the converted face-api FaceRecognitionNet
 * (`face-descriptor.onnx` of @fslsd/models/faces), computed as face-api's
 * `withFaceDescriptor()` does: a square box from the eye and mouth centres of the 68 landmarks
 * (its "dlib alignment"), clipped and floored, padded to a square around its centre, resized
 * to 150. Two descriptors closer than 0.6 (Euclidean) are usually the same person.
 */
import { FslsdError } from '../errors.js';
import type { RgbImage } from '../image/tensor.js';
import type { Point } from '../landmarks/maps.js';
import type { InferenceSession, OrtRuntime } from '../runtime.js';
import { type Box, checkImage, cropImage, padToSquare, resizeBilinear, runImage, toPlanar } from './detector.js';
import { IBUG_POINTS, checkBox } from './landmarks-68.js';

/** Length of a face descriptor. */
export const DESCRIPTOR_SIZE = 128;

/** Side of the square crop the descriptor network takes. */
const INPUT_SIZE = 150;

const mean = (points: ReadonlyArray<Point>, from: number, to: number): [number, number] => {
  let x = 0;
  let y = 0;
  for (let i = from; i < to; i += 1) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / (to - from), y / (to - from)];
};

/**
 * face-api's `FaceLandmarks.alignDlib`: the box is floor(eye-to-mouth distance / 0.45) wide
 * and high, placed so the mean of the two eye centres and the mouth centre sits at 50% across
 * and 43% down. Deviation: face-api caps the size at (landmark crop width + x), which never
 * binds unless the face touches the left/top border; we cap at (image width + x) instead,
 * because the landmark crop is not passed in.
 * @internal
 */
export function alignedFaceBox(points: ReadonlyArray<Point>, imageWidth: number, imageHeight: number): Box {
  const leftEye = mean(points, 36, 42);
  const rightEye = mean(points, 42, 48);
  const mouth = mean(points, 48, 68);
  const distance = (p: [number, number]): number => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const size = Math.floor((distance(leftEye) + distance(rightEye)) / 2 / 0.45);
  const centreX = (leftEye[0] + rightEye[0] + mouth[0]) / 3;
  const centreY = (leftEye[1] + rightEye[1] + mouth[1]) / 3;
  const x = Math.floor(Math.max(0, centreX - 0.5 * size));
  const y = Math.floor(Math.max(0, centreY - 0.43 * size));
  return { x, y, width: Math.min(size, imageWidth + x), height: Math.min(size, imageHeight + y) };
}

/**
 * The descriptor of the face with these landmarks.
 * @param runtime The ONNX Runtime module (onnxruntime-node or onnxruntime-web).
 * @param session A session of `face-descriptor.onnx`.
 * @param image The photo, RGB or RGBA.
 * @param landmarks68 The face's 68 landmarks in image pixels (from detectLandmarks68).
 * @returns 128 floats; compare two with {@link descriptorDistance}.
 * @throws FslsdError `INVALID_LANDMARKS` for a wrong count or non-finite points, plus the errors of the network run.
 */
export async function faceDescriptor(runtime: OrtRuntime, session: InferenceSession, image: RgbImage, landmarks68: ReadonlyArray<Point>): Promise<Float32Array> {
  checkImage(image);
  if (!Array.isArray(landmarks68) || landmarks68.length !== IBUG_POINTS || !landmarks68.every((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]))) {
    throw new FslsdError('INVALID_LANDMARKS', `faceDescriptor needs ${IBUG_POINTS} finite [x, y] points; got ${Array.isArray(landmarks68) ? landmarks68.length : typeof landmarks68}.`, {
      fix: 'Pass the points detectLandmarks68 returns (image pixels, iBUG 300-W order).',
    });
  }
  const crop = checkBox(alignedFaceBox(landmarks68, image.width, image.height), image, 'aligned face box');
  const face = cropImage(image, crop.x, crop.y, crop.width, crop.height);
  const input = resizeBilinear(padToSquare(face, true), INPUT_SIZE, INPUT_SIZE);
  const output = await runImage(runtime, session, toPlanar(input), INPUT_SIZE, INPUT_SIZE, 'descriptor');
  if (output.length !== DESCRIPTOR_SIZE) {
    throw new FslsdError('CONTRACT_MISMATCH', `The descriptor network returned ${output.length} values; expected ${DESCRIPTOR_SIZE}.`, {
      fix: 'Create the session from face-descriptor.onnx of @fslsd/models/faces.',
    });
  }
  return Float32Array.from(output);
}

/**
 * Euclidean distance between two descriptors (face-api's `euclideanDistance`); below about
 * 0.6 the faces are usually the same person.
 * @throws FslsdError `INVALID_ARGUMENT` when the lengths differ.
 */
export function descriptorDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) {
    throw new FslsdError('INVALID_ARGUMENT', `Descriptors of different lengths (${a.length} and ${b.length}) cannot be compared.`, {
      fix: `Compare two ${DESCRIPTOR_SIZE}-value descriptors from faceDescriptor.`,
    });
  }
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}
