/**
 * Swapping on ordinary photos: the front end finds and aligns the faces, the swapper runs on the
 * aligned crops, paste-back puts each result into the photo.
 */
import { throwIfAborted } from '../errors.js';
import { tensorToImage, type RgbImage } from '../image/tensor.js';
import type { CallOptions, SourceFace, SwapOptions, SwapResult, Swapper } from '../swapper.js';
import { type FaceChoice, chooseFaces } from './choose.js';
import type { FaceAnalyzer, PrepareOptions, PreparedFace } from './front-end.js';
import type { FoundFace } from './found-face.js';
import { pasteBack } from './paste-back.js';

/** A source face taken from a photo. */
export interface PhotoSource {
  readonly source: SourceFace;
  readonly face: PreparedFace;
}

/** One swapped face of a target photo. */
export interface SwappedFace {
  readonly face: PreparedFace;
  readonly result: SwapResult;
}

/** The result of {@link swapPhoto}. */
export interface PhotoSwapResult {
  /** The target photo with the chosen faces swapped; same size and channels as the input. */
  readonly image: RgbImage;
  readonly faces: readonly SwappedFace[];
  /** Every face the detector found, chosen or not. */
  readonly detected: readonly FoundFace[];
}

/** Options of {@link encodeSourcePhoto}. */
export interface SourcePhotoOptions extends CallOptions, Omit<FaceChoice, 'all'> {
  readonly prepare?: Omit<PrepareOptions, 'signal'>;
  /** Minimum detector score. */
  readonly minScore?: number;
  /** Detector input side (multiple of 32, default 416); larger finds smaller faces, slower. */
  readonly detectorSize?: number;
}

/** Options of {@link swapPhoto}. */
export interface PhotoSwapOptions extends SwapOptions, FaceChoice {
  readonly prepare?: Omit<PrepareOptions, 'signal'>;
  readonly minScore?: number;
  /** Detector input side (multiple of 32, default 416); larger finds smaller faces, slower. */
  readonly detectorSize?: number;
}

function detectOptions(options: { readonly signal?: AbortSignal; readonly minScore?: number; readonly detectorSize?: number }) {
  return {
    signal: options.signal,
    ...(options.minScore !== undefined ? { minScore: options.minScore } : {}),
    ...(options.detectorSize !== undefined ? { inputSize: options.detectorSize } : {}),
  };
}

/** Finds the source face in a photo (largest by default), aligns it and encodes it once. */
export async function encodeSourcePhoto(swapper: Swapper, analyzer: FaceAnalyzer, photo: RgbImage, options: SourcePhotoOptions = {}): Promise<PhotoSource> {
  const faces = await analyzer.detect(photo, detectOptions(options));
  const [chosen] = await chooseFaces(faces, options, (face) => analyzer.describe(photo, face), 'source');
  const face = await analyzer.prepare(photo, chosen!, { ...options.prepare, signal: options.signal });
  const source = await swapper.encodeSource({ image: face.crop, landmarks: face.landmarks }, { signal: options.signal, onProgress: options.onProgress });
  return { source, face };
}

/**
 * Swaps `source` onto the chosen faces of `photo` (the largest by default; `all`, `faceIndex` or
 * a `reference` descriptor choose others) and pastes each result back.
 */
export async function swapPhoto(swapper: Swapper, analyzer: FaceAnalyzer, source: SourceFace, photo: RgbImage, options: PhotoSwapOptions = {}): Promise<PhotoSwapResult> {
  const detected = await analyzer.detect(photo, detectOptions(options));
  const chosen = await chooseFaces(detected, options, (face) => analyzer.describe(photo, face), 'target');
  let image = photo;
  const faces: SwappedFace[] = [];
  for (const found of chosen) {
    throwIfAborted(options.signal, 'photo swap');
    // Each face is aligned from the original photo, so an earlier paste never shifts a later face.
    const face = await analyzer.prepare(photo, found, { ...options.prepare, signal: options.signal });
    const result = await swapper.swap(source, { image: face.crop, landmarks: face.landmarks, mask: { width: face.masks.size, height: face.masks.size, data: face.masks.inner } }, options);
    image = pasteBack({ photo: image, face: tensorToImage(result.image), alpha: face.masks.paste, toPhoto: face.toPhoto });
    faces.push({ face, result });
  }
  return { image, faces, detected };
}
