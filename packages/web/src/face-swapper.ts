/**
 * The face swapper in the browser: the same object as in @fslsd/node (createFaceSwapper, then
 * encodeSource / swap / swapVideo / dispose), with the networks and the face front end in a Web
 * Worker that this package ships. The page decodes inputs and keeps signals and callbacks; the
 * worker runs onnxruntime-web.
 *
 *   page: input -> pixels ──transfer──> worker: detect, align, networks, paste back
 *   page: result (+ toBlob)  <──transfer── worker
 *
 * A worker that dies (an uncaught error, a message that cannot be read, terminated, or closed:
 * a Web Lock it holds is released) rejects every pending call with `WORKER_CRASHED`; an aborted call
 * rejects at once with `ABORTED` and stops the worker's stages at their next check.
 */
import {
  AbortError, type EncodeSourceOptions, type FaceFinding, type FaceSwapOptions, type FaceSwapResult, FslsdError, METHODS, type Method, type Precision,
  type ProgressEvent, type RgbImage, SourceFace, type SourceFaceJSON, WPlus,
} from '@fslsd/core';
import { OPTION_KEYS, TINY_MODELS_WARNING, checkOptions } from '@fslsd/core/pipeline';
import { type WebImageInput, decodeInput, pageBase, toImageData, toLabelledBlob } from './images.js';
import type { Backend, WebPrecision } from './swapper.js';
import { type WebVideoOptions, type WebVideoResult, swapVideoFile } from './video.js';
import { type Outgoing, type Pixels, type Reply, type WireOptions, errorFromWire, toPixels } from './wire.js';
import { STORED } from './storage.js';
import { type CheckpointRole, type ImportProgress, type Manifest } from '@fslsd/models';

/** Options of {@link createFaceSwapper} in the browser. */
export interface WebFaceSwapperOptions {
  /**
   * `fslsd` or `megafs` (the paper's baseline). Default: the model set's method; with
   * `models: 'tiny'`, `megafs` picks the tiny MegaFS set.
   */
  readonly method?: Method;
  /**
   * The networks: `'tiny'` (the shipped untrained set, served at `models/tiny/` beside the page,
   * or `models/tiny-megafs/` with method `megafs`: `npx fslsd-web-assets public` puts both there;
   * a `TINY_MODELS` warning says it paints no real face), the base URL of a model set (its
   * manifest.json and files), relative to the page or absolute, or `stored:NAME` for a set made
   * by {@link importCheckpoints} (read from this origin's storage, no network).
   */
  readonly models: 'tiny' | string | URL;
  /** Base URL of the face models (a static copy of `@fslsd/models/faces/`). Default `models/faces/` beside the page. */
  readonly faces?: string | URL;
  /** `auto` (default: WebGPU on a hardware adapter, else WASM, and why), `webgpu` or `wasm`. */
  readonly device?: Backend;
  /** `auto` (default: float16 on WebGPU with `shader-f16`, else float32), `float32` or `float16`. */
  readonly precision?: WebPrecision;
  /** Default split for swaps: `official` (default), `paper`, `megafs`, or a custom text form. */
  readonly split?: string;
  /** Default direction strength for swaps. Default 1. */
  readonly strength?: number;
  /** Run the latent editor. Default true. */
  readonly editor?: boolean;
  /** Keep verified models for the next visit: in OPFS (any size), else the Cache API where an entry fits; a failed write is a `CACHE_WRITE_FAILED` warning (default true). */
  readonly cache?: boolean;
  /** Load the 128-d face descriptor (needed for `reference` and `describe()`). Default true. */
  readonly descriptor?: boolean;
  /** Where onnxruntime-web finds its .wasm files, when the bundler does not place them. */
  readonly wasmPaths?: string;
  /**
   * A worker of your own that called `exposeSwapper(self)` (from `@fslsd/web/pipeline`). Default: the worker this package
   * ships, started with `new Worker(new URL(…, import.meta.url))` (bundlers follow that form).
   */
  readonly worker?: Worker;
  readonly signal?: AbortSignal;
  /** Loading progress, stage progress and warnings (`kind: 'warning'`). */
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Options of {@link WebFaceSwapper.swap}: the face swapper's, and how to find the source face when it is an image. */
export type WebSwapOptions = FaceSwapOptions;

/** A swap result in the browser: the data, and the labelled file. */
export interface WebSwapResult extends FaceSwapResult {
  /** The image as PNG (default) or JPEG, labelled in its XMP metadata as a synthetic face swap. */
  toBlob(type?: 'image/png' | 'image/jpeg', quality?: number): Promise<Blob>;
  /** The image for a canvas (`context.putImageData(result.toImageData(), 0, 0)`). */
  toImageData(): ImageData;
}

/** Options of {@link WebFaceSwapper.swapVideo}. */
export interface WebSwapVideoOptions extends WebVideoOptions {
  /** How the source's face is found when `source` is an image. */
  readonly source?: FaceFinding;
}

/** A face swapper in the browser. */
export interface WebFaceSwapper {
  readonly method: Method;
  /** Id of the model set (name and fingerprint); source faces record it. */
  readonly models: string;
  /** The backend the worker's sessions run on. */
  readonly device: 'webgpu' | 'wasm';
  /** Why `auto` did not use WebGPU, when it did not. */
  readonly fallbackReason?: string;
  /** The arithmetic the sessions run in. */
  readonly precision: Precision;
  /** Why `auto` precision stayed float32 on WebGPU, when it did. */
  readonly precisionReason?: string;
  /** Finds the source face (largest by default, or `{ aligned: true }`) and encodes it once. */
  encodeSource(input: WebImageInput, options?: EncodeSourceOptions): Promise<SourceFace>;
  /** The 128-d descriptor of a face (largest by default): pass it as `reference` to swap that person. */
  describe(input: WebImageInput, options?: Pick<FaceFinding, 'faceIndex' | 'minScore' | 'detectorSize'> & Pick<EncodeSourceOptions, 'signal' | 'onProgress'>): Promise<Float32Array>;
  /** Swaps the source (a SourceFace, or an image to encode first) onto the target's chosen faces. */
  swap(source: SourceFace | WebImageInput, target: WebImageInput, options?: WebSwapOptions): Promise<WebSwapResult>;
  /**
   * Swaps the source onto the tracked face of every frame of a video (a File or Blob: MP4, MOV,
   * WebM, MKV), decoded and encoded with WebCodecs through Mediabunny, into a labelled MP4
   * (H.264) or, where the browser cannot encode H.264, WebM (VP9/VP8), with the input's frame
   * count, timestamps and audio. The frame rate is read from the file.
   */
  swapVideo(source: SourceFace | WebImageInput, video: Blob, options?: WebSwapVideoOptions): Promise<WebVideoResult>;
  /** Ends the worker. Safe to call twice; later calls fail. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SWAPPER_KEYS = ['method', 'models', 'faces', 'device', 'precision', 'split', 'strength', 'editor', 'cache', 'descriptor', 'wasmPaths', 'worker', 'signal', 'onProgress'];

interface Call {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: (event: ProgressEvent) => void;
}

interface CallOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
  readonly transfer?: Transferable[];
}

/** A relative address against the page (or the worker's own location). */
function resolveUrl(value: string | URL, what: string): string {
  try {
    const url = new URL(value, pageBase());
    // A base URL: models/tiny and models/tiny/ mean the same folder.
    return url.href.endsWith('/') ? url.href : `${url.href}/`;
  } catch (error) {
    throw new FslsdError('INVALID_ARGUMENT', `${what} "${String(value)}" is not a URL.`, { fix: 'Pass an address, absolute or relative to the page, such as "models/tiny/".', cause: error });
  }
}

/** The worker this package ships; the literal `new Worker(new URL(…))` form is what bundlers look for. */
function shippedWorker(): Worker {
  try {
    return new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module', name: 'fslsd-swap' });
  } catch (error) {
    throw new FslsdError('DEVICE_UNAVAILABLE', `Cannot start the swap worker: ${(error as Error).message}.`, {
      fix: 'Use the ES module build through a bundler that follows new Worker(new URL(…, import.meta.url)) (Vite, webpack 5, Rollup), or pass { worker } that runs exposeSwapper(self) from @fslsd/web/pipeline.',
      cause: error,
    });
  }
}

/** The page's end of the worker: calls with ids, progress, aborts, and the crash watch. */
function connect(worker: Worker) {
  const pending = new Map<number, Call>();
  let next = 0;
  let ended: FslsdError | undefined;
  let disposed = false;
  const lifeline = new AbortController();
  const terminate = worker.terminate.bind(worker);

  const crash = (why: string) => {
    if (ended || disposed) return;
    ended = new FslsdError('WORKER_CRASHED', `The swap worker stopped (${why}); the calls it was running are lost.`, {
      fix: 'Create a new swapper with createFaceSwapper(). If it happens again, try device: "wasm", close other tabs, or use a smaller model set (the browser may have run out of memory).',
    });
    for (const call of pending.values()) call.reject(ended);
    pending.clear();
    lifeline.abort();
    terminate();
  };
  // Whoever holds the Worker and terminates it (your own, passed as { worker }): pending calls
  // reject at once. A worker that ends otherwise is noticed through the Web Lock it held, which
  // a busy worker releases only when the browser stops it (up to about 2 s in Chromium).
  worker.terminate = () => crash('it was terminated');

  /** Watches a Web Lock the worker holds: granted to the page only when the worker has ended. */
  const watch = (name: string) => {
    navigator.locks
      .request(name, { signal: lifeline.signal }, () => crash('it ended: closed, or stopped by the browser'))
      .catch(() => undefined);
  };

  worker.addEventListener('message', (event: MessageEvent) => {
    const reply = event.data as Reply;
    if (reply.type === 'held') {
      watch(reply.lifeline);
      return;
    }
    const call = pending.get(reply.id);
    if (!call) return; // aborted earlier: its late answer is dropped
    if (reply.type === 'progress') {
      call.onProgress?.(reply.event);
      return;
    }
    pending.delete(reply.id);
    if (reply.type === 'ok') call.resolve(reply.value);
    else call.reject(errorFromWire(reply.error));
  });
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    crash(event.message ? `uncaught error: ${event.message}` : 'it failed to load or threw');
  });
  worker.addEventListener('messageerror', () => crash('a message from it could not be deserialised'));

  function call<T>(message: Outgoing, what: string, options: CallOptions = {}): Promise<T> {
    if (ended) return Promise.reject(ended);
    if (disposed) return Promise.reject(new FslsdError('INVALID_ARGUMENT', `${what}: this face swapper was disposed.`, { fix: 'Create a new one with createFaceSwapper().' }));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(what, signal.reason));
    return new Promise<T>((resolve, reject) => {
      next += 1;
      const id = next;
      const onAbort = () => {
        if (!pending.delete(id)) return;
        worker.postMessage({ type: 'abort', id: (next += 1), target: id });
        reject(new AbortError(what, signal?.reason));
      };
      const settle = <V>(finish: (value: V) => void) => (value: V) => {
        signal?.removeEventListener('abort', onAbort);
        finish(value);
      };
      pending.set(id, { resolve: settle(resolve as (value: unknown) => void), reject: settle(reject), onProgress: options.onProgress });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ ...message, id }, options.transfer ?? []);
    });
  }

  return {
    call,
    async dispose() {
      if (disposed || ended) {
        disposed = true;
        return;
      }
      await call({ type: 'dispose' }, 'dispose()').catch(() => undefined);
      disposed = true;
      lifeline.abort();
      terminate();
    },
  };
}

/** Only the defined, clonable options: signals and callbacks stay on the page. */
function wireOptions(options: object): WireOptions {
  const { signal: _signal, onProgress: _onProgress, source: _source, ...rest } = options as Record<string, unknown>;
  const wire = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)) as Record<string, unknown>;
  if (typeof wire.split === 'object' && wire.split !== null) {
    throw new FslsdError('INVALID_ARGUMENT', 'In the browser, split is a preset name or its text form, not a split object.', { fix: 'Pass "official", "paper", "megafs" or "source=0-10;direction=0-6".' });
  }
  return wire as WireOptions;
}

function isSourceFace(value: unknown): value is SourceFace {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'source';
}

/**
 * Opens a face swapper in the browser: starts the shipped worker, which loads the networks and
 * the face models (fetched with progress, sha256-verified, cached) on WebGPU or WASM.
 * @throws FslsdError `INVALID_ARGUMENT` for a bad option (named, with the fix), `MODEL_NOT_FOUND`,
 * `MODEL_INTEGRITY`, `CONTRACT_MISMATCH`, `DEVICE_UNAVAILABLE`, `WORKER_CRASHED`, `ABORTED`.
 */
export async function createFaceSwapper(options: WebFaceSwapperOptions): Promise<WebFaceSwapper> {
  checkOptions(options, SWAPPER_KEYS, 'createFaceSwapper()');
  if (options?.models === undefined) {
    throw new FslsdError('INVALID_ARGUMENT', 'createFaceSwapper() needs models.', { fix: 'Pass models: "tiny" (untrained, for trying the pipeline) or the URL of a converted model set.' });
  }
  const { method } = options;
  if (method !== undefined && !(METHODS as readonly string[]).includes(method)) {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown method "${String(method)}".`, { fix: `Use one of ${METHODS.join(', ')}.` });
  }
  const report = options.onProgress;
  const tiny = options.models === 'tiny';
  if (tiny) {
    if (report) report({ kind: 'warning', code: 'TINY_MODELS', message: TINY_MODELS_WARNING });
    else console.warn(TINY_MODELS_WARNING);
  }
  const stored = typeof options.models === 'string' && options.models.startsWith(STORED);
  const models = stored ? String(options.models) : resolveUrl(tiny ? (method === 'megafs' ? 'models/tiny-megafs/' : 'models/tiny/') : options.models, 'models');
  const faces = resolveUrl(options.faces ?? 'models/faces/', 'faces');
  const worker = options.worker ?? shippedWorker();
  const channel = connect(worker);
  const lifeline = typeof navigator !== 'undefined' && navigator.locks ? `fslsd-worker-${crypto.randomUUID()}` : undefined;
  const defaults = wireOptions({ split: options.split, strength: options.strength, editor: options.editor });
  let info: { method: Method; models: string; device: 'webgpu' | 'wasm'; fallbackReason?: string; precision: Precision; precisionReason?: string };
  try {
    info = await channel.call({
      type: 'init',
      init: {
        ...(method ? { method } : {}), models, faces, device: options.device ?? 'auto', precision: options.precision ?? 'auto', cache: options.cache ?? true, descriptor: options.descriptor ?? true,
        defaults, ...(options.wasmPaths ? { wasmPaths: options.wasmPaths } : {}), ...(lifeline ? { lifeline } : {}),
      },
    }, 'loading the models', { signal: options.signal, onProgress: report });
  } catch (error) {
    await channel.dispose();
    throw error;
  }
  if (info.fallbackReason && report) report({ kind: 'warning', code: 'DEVICE_FALLBACK', message: `Running on WASM: ${info.fallbackReason}.` });

  const pixels = async (input: WebImageInput, which: string, finding: { aligned?: boolean; signal?: AbortSignal }): Promise<Pixels> =>
    toPixels(await decodeInput(input, which, finding));

  async function encodeSource(input: WebImageInput, callOptions: EncodeSourceOptions = {}): Promise<SourceFace> {
    checkOptions(callOptions, OPTION_KEYS.encodeSource, 'encodeSource()');
    const image = await pixels(input, 'source', callOptions);
    const json = await channel.call<SourceFaceJSON>({ type: 'encodeSource', image, options: wireOptions(callOptions) }, 'source encoding', { ...callOptions, transfer: [image.data.buffer as ArrayBuffer] });
    return SourceFace.fromJSON(json);
  }

  const sourceOf = async (source: SourceFace | WebImageInput, finding: FaceFinding | undefined, call: { signal?: AbortSignal; onProgress?: (event: ProgressEvent) => void }) =>
    isSourceFace(source) ? source : encodeSource(source, { ...finding, ...call });

  return {
    method: info.method,
    models: info.models,
    device: info.device,
    ...(info.fallbackReason ? { fallbackReason: info.fallbackReason } : {}),
    precision: info.precision,
    ...(info.precisionReason ? { precisionReason: info.precisionReason } : {}),
    encodeSource,
    async describe(input, callOptions = {}) {
      checkOptions(callOptions, OPTION_KEYS.describe, 'describe()');
      const image = await pixels(input, 'reference', callOptions);
      return channel.call<Float32Array>({ type: 'describe', image, options: wireOptions(callOptions) }, 'describe()', { ...callOptions, transfer: [image.data.buffer as ArrayBuffer] });
    },
    async swap(source, target, callOptions = {}) {
      checkOptions(callOptions, OPTION_KEYS.swap, 'swap()');
      const face = await sourceOf(source, callOptions.source, callOptions);
      const image = await pixels(target, 'target', callOptions);
      const wire = wireOptions(callOptions);
      const mask = wire.mask ? { ...wire.mask, data: wire.mask.data.slice() } : undefined;
      const plain = await channel.call<FaceSwapResult>(
        { type: 'swap', source: face.toJSON(), image, options: { ...wire, ...(mask ? { mask } : {}) } },
        'the swap',
        { ...callOptions, transfer: [image.data.buffer as ArrayBuffer] },
      );
      const faces = plain.faces.map((f) => ({ ...f, latent: WPlus.from(f.latent as unknown as Float32Array, false) }));
      return {
        ...plain,
        faces,
        toBlob: (type?: 'image/png' | 'image/jpeg', quality?: number) => toLabelledBlob(plain.image, type, quality),
        toImageData: () => toImageData(plain.image),
      };
    },
    async swapVideo(source, video, videoOptions = {}) {
      const { source: finding, ...rest } = videoOptions;
      const face = await sourceOf(source, finding, { signal: videoOptions.signal });
      return swapVideoFile({
        start: (track) => channel.call({ type: 'videoStart', source: face.toJSON(), options: wireOptions(track) }, 'the video swap', { signal: videoOptions.signal }),
        frame: async (frame) => {
          const image = await pixels(frame, 'video frame', {});
          return channel.call<{ image: RgbImage; swapped: boolean; index: number }>({ type: 'videoFrame', image }, 'the video swap', { signal: videoOptions.signal, transfer: [image.data.buffer as ArrayBuffer] });
        },
        end: () => channel.call({ type: 'videoEnd' }, 'the video swap'),
      }, video, rest);
    },
    dispose: () => channel.dispose(),
    [Symbol.asyncDispose]: () => channel.dispose(),
  };
}

/** Options of {@link importCheckpoints}. */
export interface WebImportOptions {
  /** The set's name in storage (then `createFaceSwapper({ models: 'stored:NAME' })`). Default `imported`. */
  readonly name?: string;
  /** Base URL of the architecture graphs (a static copy of `@fslsd/models/architectures/`). Default `models/architectures/` beside the page. */
  readonly architectures?: string | URL;
  /** The MegaFS transfer module; default: the one the checkpoint's keys match. */
  readonly megafsVariant?: 'ftm' | 'injection' | 'lcr';
  /** A worker of your own that called `exposeSwapper(self)`; default: a fresh one of the shipped worker, ended afterwards. */
  readonly worker?: Worker;
  readonly signal?: AbortSignal;
  /** Bytes of model files written, per file and for the whole set. */
  readonly onProgress?: (event: ImportProgress) => void;
}

/**
 * Imports PyTorch checkpoints in the browser, with no server and no Python: the files (dropped or
 * picked, never read whole) are checked and streamed in a worker into this origin's private
 * storage (OPFS) as a model set, which later visits open with `models: 'stored:NAME'`.
 * `files`: `fslsd` + `psp`, or `megafs` + `stylegan2`, optionally `h3r`; `psp` alone stores an
 * encoder-only set (its psp-encoder, manifest `purpose: "latent-encoder"`), which swappers refuse
 * with `MODEL_NOT_FOUND`.
 * @returns the set's name and manifest.
 * @throws CheckpointError for a bad or mismatched checkpoint (nothing is stored), FslsdError
 *   `INVALID_ARGUMENT` (a wrong combination, a name in use), `IO` (no OPFS), `ABORTED`.
 */
export async function importCheckpoints(files: Readonly<Partial<Record<CheckpointRole, File>>>, options: WebImportOptions = {}): Promise<{ name: string; manifest: Manifest }> {
  checkOptions(options, ['name', 'architectures', 'megafsVariant', 'worker', 'signal', 'onProgress'], 'importCheckpoints()');
  for (const [role, file] of Object.entries(files ?? {})) {
    if (!['fslsd', 'psp', 'megafs', 'stylegan2', 'h3r'].includes(role)) throw new FslsdError('INVALID_ARGUMENT', `Unknown checkpoint role "${role}".`, { fix: 'Use fslsd, psp, megafs, stylegan2 or h3r.' });
    if (!(file instanceof Blob)) throw new FslsdError('INVALID_ARGUMENT', `files.${role} is not a File.`, { fix: 'Pass the File objects of a drop or an <input type="file">.' });
  }
  const name = options.name ?? 'imported';
  const architectures = resolveUrl(options.architectures ?? 'models/architectures/', 'architectures');
  const worker = options.worker ?? shippedWorker();
  const channel = connect(worker);
  try {
    const manifest = await channel.call<Manifest>({ type: 'import', request: { files, name, architectures, ...(options.megafsVariant ? { megafsVariant: options.megafsVariant } : {}) } }, 'importing checkpoints', {
      signal: options.signal,
      onProgress: (event) => {
        const { kind, ...progress } = event as unknown as { kind: string } & ImportProgress;
        if (kind === 'import') options.onProgress?.(progress);
      },
    });
    return { name, manifest };
  } finally {
    if (!options.worker) await channel.dispose();
  }
}
