/**
 * A source face is a value: encode once, save it, apply it to many targets.
 * The JSON form holds the W+ code (base64 little-endian float32) and the landmarks.
 */
import { FslsdError } from './errors.js';
import { type Landmarks, validateLandmarks } from './landmarks/maps.js';
import { CODE_COUNT, CODE_SIZE, WPlus } from './latent/wplus.js';
import type { SourceFace } from './swapper.js';

export const SOURCE_FACE_FORMAT = 'fslsd-source-face/1';

/** The JSON form of a {@link SourceFace}. */
export interface SourceFaceJSON {
  readonly format: typeof SOURCE_FACE_FORMAT;
  /** 18 x 512 float32, little-endian, base64. */
  readonly wplus: string;
  readonly landmarks: Landmarks;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function sourceFaceToJSON(face: SourceFace): SourceFaceJSON {
  const bytes = new Uint8Array(face.wplus.data.length * 4);
  const view = new DataView(bytes.buffer);
  face.wplus.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { format: SOURCE_FACE_FORMAT, wplus: toBase64(bytes), landmarks: face.landmarks };
}

/** @throws FslsdError `INVALID_ARGUMENT` / `INVALID_LATENT` / `INVALID_LANDMARKS` for a malformed value. */
export function sourceFaceFromJSON(json: unknown): SourceFace {
  const value = json as Partial<SourceFaceJSON> | null;
  if (!value || value.format !== SOURCE_FACE_FORMAT || typeof value.wplus !== 'string') {
    throw new FslsdError('INVALID_ARGUMENT', `Not a saved source face (expected format "${SOURCE_FACE_FORMAT}").`, {
      fix: 'Save faces with sourceFaceToJSON() and load the same JSON back.',
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(value.wplus);
  } catch (error) {
    throw new FslsdError('INVALID_LATENT', 'The saved W+ code is not valid base64.', { cause: error });
  }
  if (bytes.length !== CODE_COUNT * CODE_SIZE * 4) {
    throw new FslsdError('INVALID_LATENT', `The saved W+ code has ${bytes.length} bytes, expected ${CODE_COUNT * CODE_SIZE * 4}.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = Float32Array.from({ length: CODE_COUNT * CODE_SIZE }, (_, i) => view.getFloat32(i * 4, true));
  validateLandmarks(value.landmarks as Landmarks, 'saved source');
  return { kind: 'source', wplus: WPlus.from(data, false), landmarks: value.landmarks as Landmarks };
}
