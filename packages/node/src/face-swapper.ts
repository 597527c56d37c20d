/**
 * createFaceSwapper() for Node: one object that owns the networks of a method and the face
 * front end, on onnxruntime-node (CPU or CUDA, probed once), with images in from paths, URLs,
 * bytes or decoded pixels, and results that save themselves (atomic, labelled, ICC kept).
 *
 *   const swapper = await createFaceSwapper({ models: 'tiny' });
 *   const result = await swapper.swap('alice.jpg', 'group.jpg');
 *   await result.save('swapped.jpg');
 */
import { fileURLToPath } from 'node:url';
import { type EncodeSourceOptions, type FaceSwapOptions, type FaceSwapResult, type FaceSwapper as CoreFaceSwapper, FslsdError, METHODS, type Method, type ModelSet, type Precision, type ProgressEvent, type RgbImage, type SourceFace, composeFaceSwapper } from '@fslsd/core';
import { TINY_MODELS_WARNING, checkOptions, createMegaFSSwapper, createSwapper as createStageSwapper } from '@fslsd/core/pipeline';
import { defaultCacheDirectory } from './cache.js';
import { createFaceAnalyzer } from './faces.js';
import { type EncodedImage, type WriteOptions, readMask, readPhoto, toAlignedCrop, writeImage } from './image-io.js';
import { type Device, type DeviceChoice, chooseDevice, nodeRuntime, sessionOptionsFor } from './runtime.js';
import { resolveModelSet } from './swapper.js';
import { type SwapVideoOptions, type SwapVideoResult, swapVideo } from './video.js';

/**
 * An image as the face swapper takes it: a file path, a `file:`/`http(s):` URL (string or URL),
 * encoded bytes (Buffer, Uint8Array, ArrayBuffer: PNG, JPEG, WebP…), or decoded 8-bit pixels.
 */
export type ImageInput = string | URL | Uint8Array | ArrayBuffer | RgbImage;

/** The face front end's models; default the set shipped in @fslsd/models. */
export interface FaceModelsOptions {
  /** Folder with the face models' manifest.json. */
  readonly models?: string;
  /** A 106-point landmarker (H3R from the exporter): an ONNX path or its bytes. */
  readonly landmarker?: string | Uint8Array;
  /** A face parser (BiSeNet contract) for the inner-face mask: a path or bytes. */
  readonly parser?: string | Uint8Array;
}

/** Options of {@link createFaceSwapper}. */
export interface FaceSwapperOptions {
  /**
   * `fslsd` or `megafs` (the paper's baseline, MegaFS, CVPR 2021). Default: the method of the
   * model set; with `models: 'tiny'`, `megafs` picks the tiny MegaFS set.
   */
  readonly method?: Method;
  /**
   * The networks: `'tiny'` (the shipped untrained set: it runs, but paints no real face; a
   * `TINY_MODELS` warning says so once), a folder with manifest.json, an http(s) address serving
   * one (downloaded with progress, verified, cached), or a ModelSet.
   */
  readonly models: 'tiny' | string | URL | ModelSet;
  /** The face front end's models (default: the shipped detector, landmarks and descriptor). */
  readonly faces?: FaceModelsOptions;
  /** `auto` (default: CUDA when it works, else the CPU, said once), `cpu` or `cuda`. */
  readonly device?: Device;
  /** `float32` (default, the reference) or `float16`. */
  readonly precision?: Precision;
  /** Default split for swaps: `official` (default), `paper`, `megafs`, or a custom text form. */
  readonly split?: string;
  /** Default direction strength for swaps. Default 1. */
  readonly strength?: number;
  /** Run the latent editor. Default true. */
  readonly editor?: boolean;
  /** Intra-op threads per session (default: all cores). */
  readonly threads?: number;
  /** Where downloaded models are kept. Default $FSLSD_CACHE, else ~/.cache/fslsd/models. */
  readonly cacheDirectory?: string;
  /** Never touch the network: a URL model set must already be in the cache. */
  readonly offline?: boolean;
  readonly signal?: AbortSignal;
  /** Loading progress, stage progress and warnings (`kind: 'warning'`). */
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Options of {@link FaceSwapper.swap} in Node. */
export interface SwapOptions extends Omit<FaceSwapOptions, 'mask'> {
  /** With `aligned`: the inner-face mask, as an image (path, bytes) or decoded pixels. */
  readonly mask?: FaceSwapOptions['mask'] | EncodedImage;
}

/** A swap result in Node: the data, and `save()`. */
export interface SwapResult extends FaceSwapResult {
  /**
   * Writes `image` (format from the extension: .png, .jpg, .webp) atomically, labelled as a
   * synthetic face swap, in the target's colour profile. Returns the absolute path.
   */
  save(file: string, options?: Omit<WriteOptions, 'icc'>): Promise<string>;
}

/** Options of {@link FaceSwapper.swapVideo}. */
export interface VideoOptions extends SwapVideoOptions {
  /** How the source's face is found when `source` is an image. */
  readonly source?: EncodeSourceOptions;
}

/** A face swapper in Node. */
export interface FaceSwapper {
  readonly method: Method;
  /** Id of the model set (name and fingerprint); source faces record it. */
  readonly models: string;
  /** The device the sessions run on, and why `auto` fell back when it did. */
  readonly device: DeviceChoice;
  /** Finds the source face (largest by default, or `{ aligned: true }`) and encodes it once. */
  encodeSource(input: ImageInput, options?: EncodeSourceOptions): Promise<SourceFace>;
  /** The 128-d descriptor of the face (largest by default) in an image: pass it as `reference` to swap that person. */
  describe(input: ImageInput, options?: Parameters<CoreFaceSwapper['describe']>[1]): Promise<Float32Array>;
  /** Swaps the source (a SourceFace, or an image to encode first) onto the target's chosen faces. */
  swap(source: SourceFace | ImageInput, target: ImageInput, options?: SwapOptions): Promise<SwapResult>;
  /** Swaps the source onto the tracked face of every frame of a video file (ffmpeg), labelled. */
  swapVideo(source: SourceFace | ImageInput, input: string, output: string, options?: VideoOptions): Promise<SwapVideoResult>;
  /** Releases every session. Safe to call twice; later calls fail. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SWAPPER_KEYS = ['method', 'models', 'faces', 'device', 'precision', 'split', 'strength', 'editor', 'threads', 'cacheDirectory', 'offline', 'signal', 'onProgress'];


/** A decoded photo and the colour profile it came with. */
interface Decoded {
  readonly image: RgbImage;
  readonly icc?: Uint8Array;
}

function isRgbImage(input: unknown): input is RgbImage {
  return typeof input === 'object' && input !== null && 'width' in input && 'height' in input && 'data' in input;
}

/**
 * The input funnel: every accepted form of an image becomes 8-bit pixels (and its ICC profile).
 * @throws FslsdError `INVALID_ARGUMENT` for what is no image, `IO` / `INVALID_IMAGE` from decoding.
 */
async function decode(input: ImageInput, which: string, signal: AbortSignal | undefined): Promise<Decoded> {
  if (typeof input === 'string' && /^(https?|file):/i.test(input)) return decode(new URL(input), which, signal);
  if (input instanceof URL) {
    if (input.protocol === 'file:') return readPhoto(fileURLToPath(input));
    if (input.protocol !== 'http:' && input.protocol !== 'https:') {
      throw new FslsdError('INVALID_ARGUMENT', `The ${which} image's URL has protocol ${input.protocol}; fslsd reads file:, http: and https:.`, { fix: 'Pass a path, a file: or http(s): URL, or the bytes.' });
    }
    const response = await fetch(input, { signal }).catch((error: unknown) => {
      throw new FslsdError('IO', `Cannot fetch the ${which} image ${input.href}: ${(error as Error).message}.`, { fix: 'Check the address and the network, or pass a local file.', cause: error });
    });
    if (!response.ok) throw new FslsdError('IO', `Fetching the ${which} image ${input.href} answered HTTP ${response.status}.`, { fix: 'Check the address.' });
    return readPhoto(new Uint8Array(await response.arrayBuffer()));
  }
  if (typeof input === 'string') return readPhoto(input);
  if (input instanceof ArrayBuffer) return readPhoto(new Uint8Array(input));
  if (input instanceof Uint8Array) return readPhoto(input);
  if (isRgbImage(input)) {
    const { width, height, channels, data } = input;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && (channels === 3 || channels === 4) && data?.length === width * height * channels)) {
      throw new FslsdError('INVALID_IMAGE', `The ${which} image is malformed (width ${width}, height ${height}, channels ${channels}, ${data?.length ?? 0} bytes).`, {
        fix: 'Pass { width, height, channels: 3 | 4, data } with width*height*channels bytes, or a path.',
      });
    }
    return { image: input };
  }
  throw new FslsdError('INVALID_ARGUMENT', `The ${which} image must be a path, URL, Buffer/Uint8Array/ArrayBuffer or decoded { width, height, channels, data }, got ${input === null ? 'null' : typeof input}.`, {
    fix: 'Pass a file path such as "photo.jpg", or the bytes of a PNG/JPEG/WebP file.',
  });
}

/** The face images of one call, aligned crops brought to 1024² first. */
async function decodeFace(input: ImageInput, which: string, options: { readonly aligned?: boolean; readonly signal?: AbortSignal }): Promise<Decoded> {
  const decoded = await decode(input, which, options.signal);
  if (!options.aligned) return decoded;
  return { ...decoded, image: await toAlignedCrop(decoded.image, `The ${which} crop`) };
}

/** A set's method, from the networks it lists (MegaFS sets hold megafs-*). */
function methodOfSet(set: ModelSet): Method {
  return set.entries.some((entry) => entry.id.startsWith('megafs-')) ? 'megafs' : 'fslsd';
}

function isSourceFace(value: unknown): value is SourceFace {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'source';
}

/**
 * Opens a face swapper: the method's networks and the face front end on one device.
 * @throws FslsdError `INVALID_ARGUMENT` for a bad option (named, with the fix), `MODEL_NOT_FOUND`,
 * `MODEL_INTEGRITY`, `CONTRACT_MISMATCH`, `DEVICE_UNAVAILABLE`, `ABORTED`.
 */
export async function createFaceSwapper(options: FaceSwapperOptions): Promise<FaceSwapper> {
  checkOptions(options, SWAPPER_KEYS, 'createFaceSwapper()');
  if (options === undefined || options.models === undefined) {
    throw new FslsdError('INVALID_ARGUMENT', 'createFaceSwapper() needs models.', {
      fix: "Pass models: a folder or URL of a converted set, or 'tiny' for the shipped untrained set (tests, trying the API).",
    });
  }
  if (options.method !== undefined && !(METHODS as readonly string[]).includes(options.method)) {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown method "${String(options.method)}".`, { fix: `Use one of ${METHODS.join(', ')}.` });
  }
  const report = options.onProgress;
  const warn = (code: 'TINY_MODELS' | 'DEVICE_FALLBACK', message: string) => {
    if (report) report({ kind: 'warning', code, message });
    else process.emitWarning(message, { code: `FSLSD_${code}` });
  };
  // One device choice (one CUDA probe) for the networks and the front end alike.
  const device = await chooseDevice(options.device ?? 'auto', (message) => warn('DEVICE_FALLBACK', message));
  const models = options.models instanceof URL ? options.models.href : options.models;
  const tiny = models === 'tiny';
  if (tiny) warn('TINY_MODELS', TINY_MODELS_WARNING);
  const set = await resolveModelSet({ models: tiny ? undefined : models, method: options.method, cacheDirectory: options.cacheDirectory ?? defaultCacheDirectory(), offline: options.offline, signal: options.signal });
  // The set says which method it holds; `method` may confirm it, never contradict it.
  const method: Method = methodOfSet(set);
  if (options.method !== undefined && options.method !== method) {
    throw new FslsdError('INVALID_ARGUMENT', `The model set "${set.name}" holds ${method === 'megafs' ? 'MegaFS' : 'FSLSD'} networks, but method "${options.method}" was asked for.`, {
      fix: `Pass method: "${method}" (or leave it out), or a ${options.method === 'megafs' ? 'MegaFS set (fslsd_reference.megafs_export, or models: "tiny" with method "megafs")' : 'FSLSD set'}.`,
    });
  }
  const sessionOptions = sessionOptionsFor(device, options.threads);
  const swapper = await (method === 'megafs' ? createMegaFSSwapper : createStageSwapper)({
    runtime: nodeRuntime,
    models: set,
    sessionOptions,
    ...(options.split !== undefined ? { split: options.split } : {}),
    ...(options.strength !== undefined ? { strength: options.strength } : {}),
    ...(options.editor !== undefined ? { editor: options.editor } : {}),
    ...(options.precision !== undefined ? { precision: options.precision } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(report ? { onProgress: report } : {}),
  });
  let analyzer;
  try {
    // A set exported with H3R carries its 106-point landmarker: used unless faces.landmarker says otherwise.
    const landmarker = options.faces?.landmarker ?? (set.entries.some((entry) => entry.id === 'landmarker-106') ? await set.load('landmarker-106', { signal: options.signal }) : undefined);
    analyzer = await createFaceAnalyzer({ ...options.faces, ...(landmarker ? { landmarker } : {}), device, ...(options.threads ? { threads: options.threads } : {}) });
  } catch (error) {
    await swapper.dispose();
    throw error;
  }
  const core: CoreFaceSwapper = composeFaceSwapper(swapper, analyzer);

  const withProgress = <T extends { readonly onProgress?: (event: ProgressEvent) => void }>(call: T | undefined): T => ({ ...(report ? { onProgress: report } : {}), ...call }) as T;

  async function encodeSource(input: ImageInput, call?: EncodeSourceOptions): Promise<SourceFace> {
    const { image } = await decodeFace(input, 'source', call ?? {});
    return core.encodeSource(image, withProgress(call));
  }

  async function sourceOf(source: SourceFace | ImageInput, finding: EncodeSourceOptions | undefined, signal: AbortSignal | undefined): Promise<SourceFace> {
    if (isSourceFace(source)) return source;
    return encodeSource(source, { ...finding, ...(signal ? { signal } : {}) });
  }

  return {
    method,
    models: core.models,
    device,
    encodeSource,
    async describe(input, call) {
      const { image } = await decode(input, 'reference', call?.signal);
      return core.describe(image, call);
    },
    async swap(source, target, call = {}) {
      const { mask, source: finding, ...rest } = call;
      const [sourceFace, decoded, decodedMask] = await Promise.all([
        sourceOf(source, finding, call.signal),
        decodeFace(target, 'target', call),
        typeof mask === 'string' || mask instanceof Uint8Array ? readMask(mask) : Promise.resolve(mask),
      ]);
      const result = await core.swap(sourceFace, decoded.image, withProgress({ ...rest, ...(decodedMask ? { mask: decodedMask } : {}) }));
      return {
        ...result,
        save: (file, write = {}) => writeImage(file, result.image, { ...write, ...(decoded.icc ? { icc: decoded.icc } : {}) }),
      };
    },
    async swapVideo(source, input, output, call = {}) {
      const { source: finding, ...videoOptions } = call;
      const sourceFace = await sourceOf(source, finding, call.signal);
      return swapVideo(core, sourceFace, input, output, videoOptions);
    },
    dispose: () => core.dispose(),
    [Symbol.asyncDispose]: () => core.dispose(),
  };
}
