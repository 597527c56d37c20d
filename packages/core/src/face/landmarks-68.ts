/**
 * 68-point face landmarks with the converted face-api FaceLandmark68Net
 * (`face-landmarks-68.onnx` of @fslsd/models/faces), computed as face-api computes them: the
 * face box clipped to the image and floored, the crop padded to a square around its centre,
 * resized to 112, and the network's output mapped back through the same padding and scale.
 */
import { FslsdError } from '../errors.js';
import type { RgbImage } from '../image/tensor.js';
import type { Point } from '../landmarks/maps.js';
import type { InferenceSession, OrtRuntime } from '../runtime.js';
import { type Box, checkImage, clipAndFloor, cropImage, padToSquare, resizeBilinear, runImage, toPlanar } from './detector.js';

/** Points of the iBUG 300-W layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67. */
export const IBUG_POINTS = 68;

/** Side of the square crop the landmark network takes. */
const INPUT_SIZE = 112;

/** @internal @throws FslsdError `INVALID_ARGUMENT` unless `box` is a finite box that overlaps the image by at least a pixel. */
export function checkBox(box: Box, image: RgbImage, what: string): Box {
  const finite = box && [box.x, box.y, box.width, box.height].every((v) => Number.isFinite(v));
  const crop = finite ? clipAndFloor(box, image.width, image.height) : undefined;
  if (!crop || crop.width <= 0 || crop.height <= 0) {
    throw new FslsdError('INVALID_ARGUMENT', `The ${what} ${JSON.stringify(box)} does not cover any pixel of the ${image.width}x${image.height} image.`, {
      fix: 'Pass a box from detectFaces (image pixels, top-left origin, positive width and height).',
    });
  }
  return crop;
}

/**
 * Finds the 68 landmarks of the face in `box`.
 * @param runtime The ONNX Runtime module (onnxruntime-node or onnxruntime-web).
 * @param session A session of `face-landmarks-68.onnx`.
 * @param image The photo, RGB or RGBA.
 * @param box The face's box in image pixels, e.g. from detectFaces.
 * @returns 68 `[x, y]` points in image pixels, iBUG 300-W order.
 * @throws FslsdError `INVALID_IMAGE`, `INVALID_ARGUMENT`, `RUNTIME_FAILURE`, `CONTRACT_MISMATCH`.
 */
export async function detectLandmarks68(runtime: OrtRuntime, session: InferenceSession, image: RgbImage, box: Box): Promise<Point[]> {
  checkImage(image);
  const crop = checkBox(box, image, 'face box');
  const face = cropImage(image, crop.x, crop.y, crop.width, crop.height);
  const input = resizeBilinear(padToSquare(face, true), INPUT_SIZE, INPUT_SIZE);
  const output = await runImage(runtime, session, toPlanar(input), INPUT_SIZE, INPUT_SIZE, 'landmarks');
  if (output.length !== IBUG_POINTS * 2) {
    throw new FslsdError('CONTRACT_MISMATCH', `The landmark network returned ${output.length} values; expected ${IBUG_POINTS * 2}.`, {
      fix: 'Create the session from face-landmarks-68.onnx of @fslsd/models/faces.',
    });
  }

  // face-api's postProcess: undo the centred padding in the 112-pixel frame (it uses half the
  // difference, unrounded), then divide by the crop's scaled size: 0..1 of the crop.
  const scale = INPUT_SIZE / Math.max(crop.width, crop.height);
  const scaledWidth = crop.width * scale;
  const scaledHeight = crop.height * scale;
  const padX = scaledWidth < scaledHeight ? Math.abs(scaledWidth - scaledHeight) / 2 : 0;
  const padY = scaledHeight < scaledWidth ? Math.abs(scaledWidth - scaledHeight) / 2 : 0;
  const points: Point[] = [];
  for (let i = 0; i < IBUG_POINTS; i += 1) {
    const relativeX = (output[2 * i]! * INPUT_SIZE - padX) / scaledWidth;
    const relativeY = (output[2 * i + 1]! * INPUT_SIZE - padY) / scaledHeight;
    // Scaled by the floored crop, shifted by the box's own corner (as face-api's shiftBy).
    points.push([relativeX * crop.width + box.x, relativeY * crop.height + box.y]);
  }
  return points;
}
