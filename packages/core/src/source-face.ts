/**
 * A source face is a value: encode once, save it, apply it to many targets, in this process or
 * another. It records the method and the model set that encoded it, because a W+ code means
 * something only to the networks that produced it: applying it to another set is refused.
 *
 * The JSON form holds the W+ code (base64 little-endian float32), the landmarks, the method and
 * the model set's id.
 */
import { FslsdError } from './errors.js';
import { type Landmarks, validateLandmarks } from './landmarks/maps.js';
import { CODE_COUNT, CODE_SIZE, WPlus } from './latent/wplus.js';
import type { ModelSet } from './model-set.js';

/** The face-swap methods fslsd runs. */
export const METHODS = ['fslsd', 'megafs'] as const;

/** A face-swap method: `fslsd` (Xu et al., CVPR 2022). */
export type Method = (typeof METHODS)[number];

export const SOURCE_FACE_FORMAT = 'fslsd-source-face/2';

/** An encoded source face: what it contributes to any number of swaps. */
export interface SourceFace {
  readonly kind: 'source';
  /** The method whose encoder produced it. */
  readonly method: Method;
  /** Id of the model set that encoded it ({@link modelSetId}); a swapper of another set refuses it. */
  readonly models: string;
  /** W+ code, 18 x 512. */
  readonly wplus: WPlus;
  /** 106 points in 256^2 crop pixels (`[-1, -1]` for unknown points). */
  readonly landmarks: Landmarks;
  /** The saved form; `JSON.stringify(face)` calls it. */
  toJSON(): SourceFaceJSON;
}

/** The JSON form of a {@link SourceFace}. */
export interface SourceFaceJSON {
  readonly format: typeof SOURCE_FACE_FORMAT;
  readonly method: Method;
  readonly models: string;
  /** 18 x 512 float32, little-endian, base64. */
  readonly wplus: string;
  readonly landmarks: Landmarks;
}

/**
 * A model set's id: its name and a fingerprint of its files' sha256 (two 32-bit FNV-1a hashes
 * with different seeds), so two sets with the same name but other weights differ. Plain
 * arithmetic, the same in every runtime; it catches mistakes and is no security measure.
 */
export function modelSetId(set: Pick<ModelSet, 'name' | 'entries'>): string {
  const text = [...set.entries].map((e) => `${e.id}=${e.sha256}`).sort().join(';');
  const fnv = (seed: number): string => {
    let hash = seed >>> 0;
    for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return hash.toString(16).padStart(8, '0');
  };
  return `${set.name}:${fnv(0x811c9dc5)}${fnv(0x050c5d1f).slice(0, 4)}`;
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

/** Builds the {@link SourceFace} value (the swapper's encodeSource does this). */
export function createSourceFace(parts: { readonly wplus: WPlus; readonly landmarks: Landmarks; readonly method: Method; readonly models: string }): SourceFace {
  const landmarks = parts.landmarks.map((p) => [p[0], p[1]] as const);
  const face: SourceFace = {
    kind: 'source',
    method: parts.method,
    models: parts.models,
    wplus: parts.wplus,
    landmarks,
    toJSON: () => sourceFaceToJSON(face),
  };
  return Object.freeze(face);
}

/** The saved form of a source face (the same as `face.toJSON()`). */
export function sourceFaceToJSON(face: SourceFace): SourceFaceJSON {
  const bytes = new Uint8Array(face.wplus.data.length * 4);
  const view = new DataView(bytes.buffer);
  face.wplus.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { format: SOURCE_FACE_FORMAT, method: face.method, models: face.models, wplus: toBase64(bytes), landmarks: face.landmarks };
}

/**
 * A saved source face back as a value.
 * @throws FslsdError `INVALID_ARGUMENT` / `INVALID_LATENT` / `INVALID_LANDMARKS` for a malformed value.
 */
export function sourceFaceFromJSON(json: unknown): SourceFace {
  const value = json as Partial<SourceFaceJSON> | null;
  if (value && (value as { format?: unknown }).format === 'fslsd-source-face/1') {
    throw new FslsdError('INVALID_ARGUMENT', 'This source face was saved by fslsd 0.1, which did not record the model set that encoded it.', {
      fix: 'Encode the source photo again with this version (swapper.encodeSource) and save that.',
    });
  }
  if (!value || value.format !== SOURCE_FACE_FORMAT || typeof value.wplus !== 'string') {
    throw new FslsdError('INVALID_ARGUMENT', `Not a saved source face (expected format "${SOURCE_FACE_FORMAT}").`, {
      fix: 'Save faces with JSON.stringify(face) (or face.toJSON()) and load the same JSON back with SourceFace.fromJSON().',
    });
  }
  if (!(METHODS as readonly unknown[]).includes(value.method) || typeof value.models !== 'string' || !value.models) {
    throw new FslsdError('INVALID_ARGUMENT', `The saved source face names no known method and model set (method ${JSON.stringify(value.method)}, models ${JSON.stringify(value.models)}).`, {
      fix: `A saved face records method (${METHODS.join(', ')}) and models; save it again with face.toJSON().`,
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
  return createSourceFace({ wplus: WPlus.from(data, false), landmarks: value.landmarks as Landmarks, method: value.method as Method, models: value.models });
}

/** `SourceFace.fromJSON(json)`: the value beside the {@link SourceFace} type. */
export const SourceFace = { fromJSON: sourceFaceFromJSON } as const;
