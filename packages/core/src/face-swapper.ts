/**
 * The face swapper: one object that owns a method's networks and the face front end and swaps
 * faces on decoded images, whole photos or aligned crops. @fslsd/node and @fslsd/web build it
 * with their runtime and wrap it with their input funnel (paths, URLs, Blobs, canvases) and their
 * outputs (`save`, `toBlob`); the dataflow is the same everywhere:
 *
 *   photo -> detect -> choose faces -> align + masks -> swapper (networks) -> paste back -> image
 *   aligned crop (+ landmarks, or found on the crop) --------^                 (crop itself)
 */
import { FslsdError, throwIfAborted } from './errors.js';
import type { Affine } from './face/affine.js';
import { chooseFaces } from './face/choose.js';
import type { FaceAnalyzer, PreparedFace } from './face/front-end.js';
import type { FoundFace } from './face/found-face.js';
import { encoderLandmarks } from './face/landmark-layout.js';
import { type ImageTensor, type RgbImage, tensorToImage } from './image/tensor.js';
import type { Landmarks } from './landmarks/maps.js';
import type { LatentSplit, LatentSplitName } from './latent/split.js';
import type { WPlus } from './latent/wplus.js';
import type { MaskImage } from './mask/inner-mask.js';
import type { Method, SourceFace } from './source-face.js';
import type { ProgressEvent, StageName, Swapper } from './swapper.js';
import { type FaceTrackOptions, type FramePasteOptions, type VideoFrameResult, swapVideoFrames } from './video/video-swap.js';

/** Cancellation and progress, accepted by every call. */
export interface RequestOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** How the face in an input is found. */
export interface FaceFinding {
  /**
   * The input is an FFHQ-aligned square face crop (as the released code takes), not a photo:
   * no detection, no paste-back. Square crops of another size are resized to 1024².
   */
  readonly aligned?: boolean;
  /**
   * With `aligned`: the 106 E_le points in 256² crop pixels (`[-1, -1]` for unknown ones).
   * Without them the 68-point landmarker runs on the crop and its points are mapped.
   */
  readonly landmarks?: Landmarks;
  /** Which detected face (0 = largest). Default: the largest. */
  readonly faceIndex?: number;
  /** The face nearest to this 128-d descriptor (needs the descriptor model). */
  readonly reference?: Float32Array;
  /** Minimum detector score in [0, 1]. */
  readonly minScore?: number;
  /** Fast-path detector input side (multiple of 32, 128-2048, default 416); larger finds smaller faces. Given alone, it picks the fast path. */
  readonly detectorSize?: number;
  /**
   * 'accurate' (the SSD on the whole photo and its tiles: small, turned and rotated faces) or
   * 'fast' (the tiny detector at `detectorSize`). Default: 'accurate' for photos where the SSD is
   * loaded, 'fast' for video frames and with `detectorSize`.
   */
  readonly detector?: 'fast' | 'accurate';
}

/** Options of {@link FaceSwapper.encodeSource}. */
export interface EncodeSourceOptions extends FaceFinding, RequestOptions {}

/** How the networks compose the swap; defaults come from the swapper's options. */
export interface NetworkOptions {
  /** Structure/appearance split: `official` (default), `paper`, `megafs`, or a custom text form. */
  readonly split?: LatentSplitName | LatentSplit | string;
  /** Scale of the landmark direction n. Default 1 (the method as published). */
  readonly strength?: number;
  /** Run the latent editor. Default true (the released pipeline does). */
  readonly editor?: boolean;
  /** MegaFS: the released refine pass (re-encode the blended swap and regenerate it). Default false. */
  readonly refine?: boolean;
}

/** Options of {@link FaceSwapper.swap}. */
export interface FaceSwapOptions extends FaceFinding, NetworkOptions, RequestOptions {
  /** Swap every detected face of the target. */
  readonly all?: boolean;
  /** With `aligned`: the inner-face mask (white = swap) at any square size; default a feathered ellipse. */
  readonly mask?: MaskImage;
  /** How the source's face is found when `source` is an image rather than a SourceFace. */
  readonly source?: FaceFinding;
}

/** One swapped face of a result. */
export interface SwappedFaceResult {
  /** Where it was found in the target photo; absent for an aligned crop. */
  readonly face?: FoundFace;
  /** y_f: the swapped 1024² aligned face, 8-bit, before paste-back. */
  readonly crop: RgbImage;
  /** y_s: the generator's own rendering of the fused latent, 8-bit. */
  readonly sideOutput: RgbImage;
  /** The 106 E_le points of the target, in 256² crop pixels. */
  readonly landmarks: Landmarks;
  /** Where the E_le landmarks and the inner-face mask came from (absent for an aligned crop). */
  readonly landmarkSource?: 'mapped-68' | 'landmarker-106';
  readonly maskSource?: 'landmarks' | 'parser';
  /** Photo pixel -> crop pixel, and back: the alignment (absent for an aligned crop). */
  readonly toCrop?: Affine;
  readonly toPhoto?: Affine;
  /** Inner-face mask m_t and paste-back alpha at crop size, in [0, 1]; absent for an aligned crop. */
  readonly masks?: { readonly inner: Float32Array; readonly paste: Float32Array; readonly size: number };
  /** The W+ code the generator rendered. */
  readonly latent: WPlus;
  /** y_f and y_s as the networks return them (planar float in [-1, 1]), for parity checks and further processing. */
  readonly networkOutput: { readonly image: ImageTensor; readonly sideOutput: ImageTensor };
  /** Milliseconds per network stage for this face. */
  readonly timings: Readonly<Partial<Record<StageName, number>>>;
}

/** What {@link FaceSwapper.swap} returns. */
export interface FaceSwapResult {
  readonly method: Method;
  /** Id of the model set that swapped. */
  readonly models: string;
  /** The target with the chosen faces swapped (same size; an aligned target gives the 1024² crop). */
  readonly image: RgbImage;
  /** The swapped faces, in the order they were swapped. */
  readonly faces: readonly SwappedFaceResult[];
  /** Every face the detector found in the target, chosen or not (empty for an aligned crop). */
  readonly detected: readonly FoundFace[];
  /** Milliseconds: `total` wall time, `frontEnd` (detect, align, masks, paste) and each network stage summed over faces. */
  readonly timings: Readonly<{ total: number; frontEnd: number } & Partial<Record<StageName, number>>>;
}

/** Options of {@link FaceSwapper.swapFrames}: the tracker's (fps, smoothing, which face) and the networks'. */
export interface FrameSwapOptions extends FaceTrackOptions, FramePasteOptions, NetworkOptions {}

/** A method's networks and the face front end, working on decoded images. */
export interface FaceSwapper {
  readonly method: Method;
  /** Id of the model set (name and fingerprint); source faces record it. */
  readonly models: string;
  /** Finds the source face (largest by default) and encodes it once: a value to keep, save and reuse. */
  encodeSource(image: RgbImage, options?: EncodeSourceOptions): Promise<SourceFace>;
  /** The 128-d descriptor of a face in `image` (largest by default): pass it as `reference` to pick that person elsewhere. */
  describe(image: RgbImage, options?: Omit<FaceFinding, 'aligned' | 'landmarks' | 'reference'> & RequestOptions): Promise<Float32Array>;
  /** Swaps `source` onto the chosen faces of `target` (the largest by default) and pastes them back. */
  swap(source: SourceFace, target: RgbImage, options?: FaceSwapOptions): Promise<FaceSwapResult>;
  /** Swaps `source` onto one tracked face of every frame, with temporal smoothing; frames without it pass through. */
  swapFrames(source: SourceFace, frames: AsyncIterable<RgbImage>, options: FrameSwapOptions): AsyncGenerator<VideoFrameResult>;
  /** Releases every session; later calls fail. Safe to call twice. */
  dispose(): Promise<void>;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

const FINDING_KEYS = ['aligned', 'landmarks', 'faceIndex', 'reference', 'minScore', 'detectorSize', 'detector'] as const;
const REQUEST_KEYS = ['signal', 'onProgress'] as const;
const NETWORK_KEYS = ['split', 'strength', 'editor', 'refine'] as const;
const SWAP_KEYS = [...FINDING_KEYS, ...NETWORK_KEYS, ...REQUEST_KEYS, 'all', 'mask', 'source'] as const;
const FRAME_KEYS = [...NETWORK_KEYS, 'fps', 'smoothing', 'faceIndex', 'minScore', 'detectorSize', 'detector', 'pasteInPlace', 'signal'] as const;
const ENCODE_KEYS = [...FINDING_KEYS, ...REQUEST_KEYS] as const;
const DESCRIBE_KEYS = ['faceIndex', 'minScore', 'detectorSize', 'detector', ...REQUEST_KEYS] as const;

/** The sentence of the `TINY_MODELS` warning, the same in every runtime. */
export const TINY_MODELS_WARNING =
  'fslsd is running the shipped tiny model set: the real architecture with untrained random weights. It exercises every stage but paints no real face. Pass models: a folder or URL with converted weights for real swaps.';

/** The options each call accepts, for runtime packages that check them before crossing a boundary (a worker). */
export const OPTION_KEYS: Readonly<Record<'encodeSource' | 'describe' | 'swap' | 'swapFrames', readonly string[]>> = Object.freeze({
  encodeSource: ENCODE_KEYS,
  describe: DESCRIBE_KEYS,
  swap: SWAP_KEYS,
  swapFrames: FRAME_KEYS,
});

/**
 * Checks an options object at the boundary: a typo or a wrong type is an error that names the
 * option, never a silently ignored setting.
 * @throws FslsdError `INVALID_ARGUMENT`
 */
export function checkOptions(options: unknown, allowed: readonly string[], call: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new FslsdError('INVALID_ARGUMENT', `${call} takes an options object, got ${options === null ? 'null' : typeof options}.`, { fix: `Pass { ${allowed.slice(0, 4).join(', ')}, … } or nothing.` });
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new FslsdError('INVALID_ARGUMENT', `${call} has no option "${key}".`, { fix: `Use only ${allowed.join(', ')}.` });
    }
  }
  const value = options as Record<string, unknown>;
  const whole = (key: string, low: number, high: number) => {
    const v = value[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= low && (v as number) <= high)) {
      throw new FslsdError('INVALID_ARGUMENT', `${call}: ${key} must be a whole number from ${low} to ${high}, got ${JSON.stringify(v)}.`, { fix: `Pass ${key} as an integer in that range.` });
    }
  };
  whole('faceIndex', 0, 10_000);
  whole('detectorSize', 128, 2048);
  if (value.detector !== undefined && value.detector !== 'fast' && value.detector !== 'accurate') {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: detector must be "fast" or "accurate", got ${JSON.stringify(value.detector)}.`, { fix: 'Use "accurate" (default for photos) or "fast".' });
  }
  if (value.detectorSize !== undefined && (value.detectorSize as number) % 32 !== 0) {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: detectorSize must be a multiple of 32, got ${String(value.detectorSize)}.`, { fix: 'Use 416 (default), 608 or 800 for small faces.' });
  }
  const fraction = (key: string) => {
    const v = value[key];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) {
      throw new FslsdError('INVALID_ARGUMENT', `${call}: ${key} must be a number in [0, 1], got ${JSON.stringify(v)}.`, { fix: `Pass ${key} between 0 and 1.` });
    }
  };
  fraction('minScore');
  fraction('smoothing');
  if (value.strength !== undefined && !(typeof value.strength === 'number' && Number.isFinite(value.strength))) {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: strength must be a finite number, got ${JSON.stringify(value.strength)}.`, { fix: 'Use 1 for the method as published.' });
  }
  for (const key of ['aligned', 'all', 'editor', 'refine']) {
    if (value[key] !== undefined && typeof value[key] !== 'boolean') {
      throw new FslsdError('INVALID_ARGUMENT', `${call}: ${key} must be true or false, got ${JSON.stringify(value[key])}.`, { fix: `Pass ${key}: true or leave it out.` });
    }
  }
  if (value.reference !== undefined && !(value.reference instanceof Float32Array)) {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: reference must be a Float32Array descriptor.`, { fix: 'Take it from a found face with the analyzer\'s describe().' });
  }
  if (value.signal !== undefined && !(typeof value.signal === 'object' && value.signal !== null && 'aborted' in value.signal)) {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: signal must be an AbortSignal.`, { fix: 'Pass an AbortController\'s signal, or AbortSignal.timeout(ms).' });
  }
  if (value.onProgress !== undefined && typeof value.onProgress !== 'function') {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: onProgress must be a function.`, { fix: 'Pass (event) => { … } or leave it out.' });
  }
  if (value.all === true && (value.faceIndex !== undefined || value.reference !== undefined)) {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: all cannot be combined with faceIndex or reference.`, { fix: 'Choose one way of picking faces.' });
  }
  if (value.aligned !== true && (value.landmarks !== undefined || value.mask !== undefined)) {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: landmarks and mask describe an aligned crop; pass aligned: true with them.`, { fix: 'Add aligned: true, or leave landmarks and mask out for a photo.' });
  }
}

const detectOptions = (options: FaceFinding & RequestOptions) => ({
  signal: options.signal,
  ...(options.minScore !== undefined ? { minScore: options.minScore } : {}),
  ...(options.detectorSize !== undefined ? { inputSize: options.detectorSize } : {}),
  // An explicit detector size is a request for the fast path, unless the detector is named.
  ...(options.detector !== undefined ? { detector: options.detector } : options.detectorSize !== undefined ? { detector: 'fast' as const } : {}),
});

const stageTotals = (into: Partial<Record<StageName, number>>, add: Readonly<Partial<Record<StageName, number>>>) => {
  for (const [stage, ms] of Object.entries(add) as [StageName, number][]) into[stage] = (into[stage] ?? 0) + ms;
};

/**
 * Builds the face swapper from an opened swapper and face analyzer; it owns both and disposes
 * them. The runtime packages call this; users call their `createFaceSwapper()`.
 */
export function composeFaceSwapper(swapper: Swapper, analyzer: FaceAnalyzer): FaceSwapper {
  let disposed = false;
  const alive = (call: string) => {
    if (disposed) throw new FslsdError('INVALID_ARGUMENT', `${call}: this face swapper was disposed.`, { fix: 'Create a new one with createFaceSwapper().' });
  };

  /** E_le landmarks of an aligned crop: the caller's, or the 68-point landmarker's on the crop. */
  async function alignedLandmarks(crop: RgbImage, options: FaceFinding & RequestOptions, which: string): Promise<Landmarks> {
    if (options.landmarks) return options.landmarks;
    const found = await analyzer.detect(crop, detectOptions(options));
    const [face] = await chooseFaces(found, options, (f) => analyzer.describe(crop, f), `aligned ${which} crop`);
    return encoderLandmarks(face!.landmarks68, 'ibug-68', crop.width);
  }

  async function encodeSource(image: RgbImage, options: EncodeSourceOptions = {}): Promise<SourceFace> {
    alive('encodeSource()');
    checkOptions(options, ENCODE_KEYS, 'encodeSource()');
    throwIfAborted(options.signal, 'source encoding');
    const call = { signal: options.signal, onProgress: options.onProgress };
    if (options.aligned) return swapper.encodeSource({ image, landmarks: await alignedLandmarks(image, options, 'source') }, call);
    const faces = await analyzer.detect(image, detectOptions(options));
    const [chosen] = await chooseFaces(faces, options, (face) => analyzer.describe(image, face), 'source');
    const prepared = await analyzer.prepare(image, chosen!, { signal: options.signal });
    return swapper.encodeSource({ image: prepared.crop, landmarks: prepared.landmarks }, call);
  }

  async function swap(source: SourceFace, target: RgbImage, options: FaceSwapOptions = {}): Promise<FaceSwapResult> {
    alive('swap()');
    checkOptions(options, SWAP_KEYS, 'swap()');
    const started = now();
    const stages: Partial<Record<StageName, number>> = {};
    const network = {
      signal: options.signal,
      onProgress: options.onProgress,
      ...(options.split !== undefined ? { split: options.split } : {}),
      ...(options.strength !== undefined ? { strength: options.strength } : {}),
      ...(options.editor !== undefined ? { editor: options.editor } : {}),
      ...(options.refine !== undefined ? { refine: options.refine } : {}),
    };
    const finish = (image: RgbImage, faces: SwappedFaceResult[], detected: FoundFace[]): FaceSwapResult => {
      for (const face of faces) stageTotals(stages, face.timings);
      const inNetworks = Object.values(stages).reduce((sum, ms) => sum + ms, 0);
      const total = now() - started;
      return { method: swapper.method, models: swapper.models, image, faces, detected, timings: { total, frontEnd: Math.max(0, total - inNetworks), ...stages } };
    };
    const swapped = (result: Awaited<ReturnType<Swapper['swap']>>, landmarks: Landmarks, prepared?: PreparedFace): SwappedFaceResult => ({
      ...(prepared ? { face: prepared.face, masks: prepared.masks, toCrop: prepared.toCrop, toPhoto: prepared.toPhoto, landmarkSource: prepared.landmarkSource, maskSource: prepared.maskSource } : {}),
      crop: tensorToImage(result.image),
      sideOutput: tensorToImage(result.sideOutput),
      landmarks,
      latent: result.latent,
      networkOutput: { image: result.image, sideOutput: result.sideOutput },
      timings: result.timings,
    });

    if (options.aligned) {
      const landmarks = await alignedLandmarks(target, options, 'target');
      const result = await swapper.swap(source, { image: target, landmarks, ...(options.mask ? { mask: options.mask } : {}) }, network);
      const face = swapped(result, landmarks);
      return finish(face.crop, [face], []);
    }
    const detected = await analyzer.detect(target, detectOptions(options));
    const chosen = await chooseFaces(detected, options, (face) => analyzer.describe(target, face), 'target');
    let image = target;
    const faces: SwappedFaceResult[] = [];
    for (const found of chosen) {
      throwIfAborted(options.signal, 'photo swap');
      // Each face is aligned from the original photo, so an earlier paste never shifts a later face.
      const prepared = await analyzer.prepare(target, found, { signal: options.signal });
      const mask = { width: prepared.masks.size, height: prepared.masks.size, data: prepared.masks.inner };
      const result = await swapper.swap(source, { image: prepared.crop, landmarks: prepared.landmarks, mask }, network);
      const face = swapped(result, prepared.landmarks, prepared);
      // The first paste copies the photo; later faces paste into that copy (it is ours).
      image = await analyzer.pasteBack({ photo: image, face: face.crop, alpha: prepared.masks.paste, toPhoto: prepared.toPhoto, inPlace: image !== target });
      faces.push(face);
    }
    return finish(image, faces, detected);
  }

  return {
    method: swapper.method,
    models: swapper.models,
    encodeSource,
    async describe(image, options = {}) {
      alive('describe()');
      checkOptions(options, DESCRIBE_KEYS, 'describe()');
      const [face] = await chooseFaces(await analyzer.detect(image, detectOptions(options)), options, async () => new Float32Array(0), 'reference');
      return analyzer.describe(image, face!);
    },
    swap,
    swapFrames(source, frames, options) {
      alive('swapFrames()');
      checkOptions(options, FRAME_KEYS, 'swapFrames()');
      if (!(typeof options?.fps === 'number' && options.fps > 0 && options.fps <= 1000)) {
        throw new FslsdError('INVALID_ARGUMENT', `swapFrames(): fps must be a number in (0, 1000], got ${JSON.stringify(options?.fps)}.`, { fix: 'Pass the stream\'s frame rate, e.g. { fps: 25 }.' });
      }
      return swapVideoFrames(swapper, analyzer, source, frames, options);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all([swapper.dispose(), analyzer.dispose()]);
    },
  };
}
