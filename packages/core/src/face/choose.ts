/** Choosing which detected faces to swap. */
import { FslsdError } from '../errors.js';
import { descriptorDistance } from './descriptor.js';
import type { FoundFace } from './found-face.js';

/** How to choose faces in a photo. */
export interface FaceChoice {
  /** Index into the detected list (0 = largest). */
  readonly faceIndex?: number;
  /** Every face. */
  readonly all?: boolean;
  /** The face nearest to this descriptor. */
  readonly reference?: Float32Array;
}

/**
 * Picks faces from a detected list: all of them, one by index, the one nearest a reference
 * descriptor, or the largest (default).
 * @throws FslsdError `NO_FACE` when there is none, `INVALID_ARGUMENT` for an index out of range.
 */
export async function chooseFaces(faces: readonly FoundFace[], choice: FaceChoice, describe: (face: FoundFace) => Promise<Float32Array>, what = 'target'): Promise<FoundFace[]> {
  if (faces.length === 0) {
    throw new FslsdError('NO_FACE', `No face was found in the ${what} photo.`, {
      fix: 'Use a photo with a visible, roughly frontal face; lower --min-score; or pass an aligned crop with --aligned.',
    });
  }
  if (choice.all) return [...faces];
  if (choice.faceIndex !== undefined) {
    const face = faces[choice.faceIndex];
    if (!face) {
      throw new FslsdError('INVALID_ARGUMENT', `Face index ${choice.faceIndex} does not exist: the ${what} photo has ${faces.length} face(s), numbered 0 (largest) to ${faces.length - 1}.`, {
        fix: `Pick an index from 0 to ${faces.length - 1} (fslsd detect lists them).`,
      });
    }
    return [face];
  }
  if (choice.reference) {
    let best = faces[0]!;
    let bestDistance = Infinity;
    for (const face of faces) {
      const distance = descriptorDistance(choice.reference, await describe(face));
      if (distance < bestDistance) {
        bestDistance = distance;
        best = face;
      }
    }
    return [best];
  }
  return [faces[0]!];
}
