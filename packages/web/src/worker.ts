/**
 * Running the swapper in a Web Worker so the page never freezes.
 *
 *   // swap-worker.ts (your app)            // main thread
 *   import { exposeSwapper } from '@fslsd/web';   const swapper = await connectSwapper(new Worker(
 *   exposeSwapper(self);                          new URL('./swap-worker.ts', import.meta.url), { type: 'module' }),
 *                                                 { models: '/models/tiny/' });
 *
 * Images are decoded on the calling side and their pixels transferred, results come back as
 * transferred Float32Arrays; source faces cross as their JSON form.
 */
import { type Box, FslsdError, type FslsdErrorCode, type FoundFace, type ImageTensor, type Landmarks, type Point, type Precision, type ProgressEvent, type RgbImage, type SourceFaceJSON, type StageName, type VideoFrameResult, WPlus, composeFaceSwapper, sourceFaceFromJSON, sourceFaceToJSON } from '@fslsd/core';
import { type SwapOptions } from '@fslsd/core/pipeline';
import { swapVideoFrames } from '@fslsd/core/video';
import { type WebFaceAnalyzer, createFaceAnalyzer } from './faces.js';
import { type ImageInput, toPhoto, toRgbImage } from './images.js';
import { type WebSwapper, type WebSwapperOptions, createSwapper } from './swapper.js';

/** The options a worker can receive (no functions, no signals). */
export type WorkerSwapperOptions = Omit<WebSwapperOptions, 'onProgress' | 'onSessionRun' | 'signal' | 'models'> & {
  readonly models: string;
  /** Base URL of the face models (a static copy of `@fslsd/models/faces/`): enables the photo calls. */
  readonly faces?: string;
};

/** A found face as it crosses the worker boundary. */
export interface RemoteFoundFace {
  readonly index: number;
  readonly box: Box;
  readonly score: number;
  readonly landmarks68: readonly Point[];
}

/** What a photo swap returns across the worker boundary. */
export interface RemotePhotoResult {
  /** The target photo with the chosen faces swapped (8-bit RGBA, the photo's size). */
  readonly image: RgbImage;
  /** y_s of the first swapped face. */
  readonly sideOutput: ImageTensor;
  /** y_f (the swapped aligned crop) of the first swapped face, before paste-back. */
  readonly crop: ImageTensor;
  readonly swapped: readonly RemoteFoundFace[];
  readonly detected: readonly RemoteFoundFace[];
  readonly timings: Readonly<Partial<Record<StageName, number>>>;
}

type Request =
  | { id: number; type: 'init'; options: WorkerSwapperOptions }
  | { id: number; type: 'encodeSource'; image: RgbPayload; landmarks: Landmarks }
  | { id: number; type: 'swap'; source: SourceFaceJSON; image: RgbPayload; landmarks: Landmarks; mask?: { width: number; height: number; data: Uint8Array }; options: Pick<SwapOptions, 'split' | 'strength' | 'editor'> }
  | { id: number; type: 'encodeSourcePhoto'; image: RgbPayload; faceIndex?: number }
  | { id: number; type: 'swapPhoto'; source: SourceFaceJSON; image: RgbPayload; choice: PhotoChoice; options: Pick<SwapOptions, 'split' | 'strength' | 'editor'> }
  | { id: number; type: 'videoStart'; source: SourceFaceJSON; fps: number; smoothing: number; faceIndex?: number }
  | { id: number; type: 'videoFrame'; image: RgbPayload }
  | { id: number; type: 'videoEnd' }
  | { id: number; type: 'dispose' };

/** A request before its id is assigned (Omit distributed over the union). */
type Outgoing = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface RgbPayload {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** What a swap returns across the worker boundary. */
export interface RemoteSwapResult {
  readonly image: ImageTensor;
  readonly sideOutput: ImageTensor;
  readonly latent: WPlus;
  readonly split: string;
  readonly timings: Readonly<Partial<Record<StageName, number>>>;
}

type Reply =
  | { id: number; type: 'progress'; event: ProgressEvent }
  | { id: number; type: 'ok'; value: unknown }
  | { id: number; type: 'error'; code: FslsdErrorCode | 'UNKNOWN'; message: string; fix?: string };

interface Port {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Which faces of a target photo to swap (default: the largest). */
export interface PhotoChoice {
  readonly faceIndex?: number;
  readonly all?: boolean;
}

/** Frames pushed one at a time into swapVideoFrames, which pulls them as an async iterable. */
class FrameQueue implements AsyncIterable<RgbImage> {
  private frames: RgbImage[] = [];
  private waiting: ((result: IteratorResult<RgbImage>) => void) | undefined;
  private closed = false;

  push(frame: RgbImage): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: frame, done: false });
    } else {
      this.frames.push(frame);
    }
  }

  close(): void {
    this.closed = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<RgbImage> {
    return {
      next: () => {
        const frame = this.frames.shift();
        if (frame) return Promise.resolve({ value: frame, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
    };
  }
}

const remoteFace = (face: FoundFace): RemoteFoundFace => ({ index: face.index, box: face.box, score: face.score, landmarks68: face.landmarks68 });

/** Serves a swapper inside a worker: call once in the worker's module. */
export function exposeSwapper(port: Port): void {
  let swapper: WebSwapper | undefined;
  let analyzer: WebFaceAnalyzer | undefined;
  let video: { queue: FrameQueue; frames: AsyncGenerator<VideoFrameResult> } | undefined;
  const needFaces = (): WebFaceAnalyzer => {
    if (!analyzer) throw new FslsdError('INVALID_ARGUMENT', 'This worker swapper has no face models, so it cannot work on photos.', { fix: 'Pass { faces: <URL of the face models> } to connectSwapper().' });
    return analyzer;
  };
  const need = (): WebSwapper => {
    if (!swapper) throw new FslsdError('INVALID_ARGUMENT', 'The worker swapper is not initialised.', { fix: 'Use connectSwapper(), which initialises it.' });
    return swapper;
  };
  port.addEventListener('message', async (event: MessageEvent) => {
    const request = event.data as Request;
    const progress = (e: ProgressEvent) => port.postMessage({ id: request.id, type: 'progress', event: e } satisfies Reply);
    try {
      if (request.type === 'init') {
        const { faces, ...swapperOptions } = request.options;
        swapper = await createSwapper({ ...swapperOptions, onProgress: progress });
        analyzer = faces ? await createFaceAnalyzer({ models: faces, backend: swapper.backend, cache: request.options.cache, descriptor: false }) : undefined;
        port.postMessage({ id: request.id, type: 'ok', value: { backend: swapper.backend, fallbackReason: swapper.fallbackReason, precision: swapper.precision, precisionReason: swapper.precisionReason, models: swapper.models } } satisfies Reply);
      } else if (request.type === 'encodeSource') {
        const face = await need().encodeSource({ image: request.image, landmarks: request.landmarks }, { onProgress: progress });
        port.postMessage({ id: request.id, type: 'ok', value: sourceFaceToJSON(face) } satisfies Reply);
      } else if (request.type === 'swap') {
        const result = await need().swap(sourceFaceFromJSON(request.source), { image: request.image, landmarks: request.landmarks, mask: request.mask }, { ...request.options, onProgress: progress });
        const value = { image: result.image, sideOutput: result.sideOutput, latent: result.latent.data, split: result.split.name, timings: result.timings };
        port.postMessage({ id: request.id, type: 'ok', value } satisfies Reply, [result.image.data.buffer, result.sideOutput.data.buffer]);
      } else if (request.type === 'encodeSourcePhoto') {
        const photo = composeFaceSwapper(need(), needFaces());
        const faceIndex = request.faceIndex ?? 0;
        const source = await photo.encodeSource(request.image, { faceIndex, onProgress: progress });
        const face = (await needFaces().detect(request.image))[faceIndex]!;
        port.postMessage({ id: request.id, type: 'ok', value: { source: sourceFaceToJSON(source), face: remoteFace(face) } } satisfies Reply);
      } else if (request.type === 'swapPhoto') {
        const result = await composeFaceSwapper(need(), needFaces()).swap(sourceFaceFromJSON(request.source), request.image, { ...request.choice, ...request.options, onProgress: progress });
        const first = result.faces[0]!;
        const value: RemotePhotoResult = {
          image: result.image,
          sideOutput: first.networkOutput.sideOutput,
          crop: first.networkOutput.image,
          swapped: result.faces.map((f) => remoteFace(f.face!)),
          detected: result.detected.map(remoteFace),
          timings: first.timings,
        };
        port.postMessage({ id: request.id, type: 'ok', value } satisfies Reply, [result.image.data.buffer as ArrayBuffer, first.networkOutput.sideOutput.data.buffer, first.networkOutput.image.data.buffer]);
      } else if (request.type === 'videoStart') {
        await video?.frames.return(undefined);
        const queue = new FrameQueue();
        const options = { fps: request.fps, smoothing: request.smoothing, ...(request.faceIndex !== undefined ? { faceIndex: request.faceIndex } : {}) };
        video = { queue, frames: swapVideoFrames(need(), needFaces(), sourceFaceFromJSON(request.source), queue, options) };
        port.postMessage({ id: request.id, type: 'ok', value: null } satisfies Reply);
      } else if (request.type === 'videoFrame') {
        if (!video) throw new FslsdError('INVALID_ARGUMENT', 'No video swap is running.', { fix: 'Use swapVideo(), which starts one.' });
        video.queue.push(request.image);
        const next = await video.frames.next();
        if (next.done) throw new FslsdError('RUNTIME_FAILURE', 'The video swap ended early.');
        const { image, swapped, index } = next.value;
        port.postMessage({ id: request.id, type: 'ok', value: { image, swapped, index } } satisfies Reply, [image.data.buffer as ArrayBuffer]);
      } else if (request.type === 'videoEnd') {
        video?.queue.close();
        await video?.frames.return(undefined);
        video = undefined;
        port.postMessage({ id: request.id, type: 'ok', value: null } satisfies Reply);
      } else if (request.type === 'dispose') {
        await swapper?.dispose();
        await analyzer?.dispose();
        swapper = undefined;
        analyzer = undefined;
        port.postMessage({ id: request.id, type: 'ok', value: null } satisfies Reply);
      }
    } catch (error) {
      const known = error instanceof FslsdError;
      port.postMessage({ id: request.id, type: 'error', code: known ? error.code : 'UNKNOWN', message: (error as Error).message ?? String(error), fix: known ? error.fix : undefined } satisfies Reply);
    }
  });
}

/** A face for the remote swapper: any browser image plus landmarks (and, for targets, a mask). */
export interface RemoteFace {
  readonly image: ImageInput;
  readonly landmarks: Landmarks;
}

/** The worker-backed swapper seen from the page. */
export interface RemoteSwapper {
  readonly backend: 'webgpu' | 'wasm';
  readonly fallbackReason?: string;
  /** The arithmetic the worker's sessions run in (float16 on WebGPU with `shader-f16` under `auto`). */
  readonly precision: Precision;
  /** Why `auto` precision stayed float32 on WebGPU, when it did. */
  readonly precisionReason?: string;
  readonly models: string;
  encodeSource(face: RemoteFace, options?: { onProgress?: (event: ProgressEvent) => void }): Promise<SourceFaceJSON>;
  swap(source: SourceFaceJSON, target: RemoteFace, options?: Pick<SwapOptions, 'split' | 'strength' | 'editor'> & { onProgress?: (event: ProgressEvent) => void }): Promise<RemoteSwapResult>;
  /** Finds the source face in a photo (largest, or `faceIndex`) and encodes it. Needs `faces`. */
  encodeSourcePhoto(photo: ImageInput, options?: { faceIndex?: number; onProgress?: (event: ProgressEvent) => void }): Promise<{ source: SourceFaceJSON; face: RemoteFoundFace }>;
  /**
   * Starts a video swap in the worker (temporal smoothing across frames); frames then go
   * through {@link RemoteSwapper.swapVideoFrame} in order, and {@link RemoteSwapper.endVideo} ends it.
   */
  startVideo(source: SourceFaceJSON, options: { fps: number; smoothing?: number; faceIndex?: number }): Promise<void>;
  /** Swaps the next frame of the running video swap; frames without a face come back unchanged. */
  swapVideoFrame(frame: ImageInput): Promise<{ image: RgbImage; swapped: boolean; index: number }>;
  endVideo(): Promise<void>;
  /** Swaps the source onto the chosen faces of a photo and pastes them back. Needs `faces`. */
  swapPhoto(source: SourceFaceJSON, photo: ImageInput, options?: PhotoChoice & Pick<SwapOptions, 'split' | 'strength' | 'editor'> & { onProgress?: (event: ProgressEvent) => void }): Promise<RemotePhotoResult>;
  dispose(): Promise<void>;
}

/** Connects to a worker that called {@link exposeSwapper} and loads the models there. */
export async function connectSwapper(worker: Worker, options: WorkerSwapperOptions & { onProgress?: (event: ProgressEvent) => void }): Promise<RemoteSwapper> {
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (e: ProgressEvent) => void }>();
  worker.addEventListener('message', (event: MessageEvent) => {
    const reply = event.data as Reply;
    const call = pending.get(reply.id);
    if (!call) return;
    if (reply.type === 'progress') call.onProgress?.(reply.event);
    else {
      pending.delete(reply.id);
      if (reply.type === 'ok') call.resolve(reply.value);
      else call.reject(reply.code === 'UNKNOWN' ? new Error(reply.message) : Object.assign(new FslsdError(reply.code, reply.message.replace(` ${reply.fix ?? ''}`, ''), { fix: reply.fix })));
    }
  });
  const call = <T>(message: Outgoing, onProgress?: (e: ProgressEvent) => void, transfer: Transferable[] = []): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = (next += 1);
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      worker.postMessage({ ...message, id }, transfer);
    });
  const { onProgress, ...init } = options;
  const info = await call<{ backend: 'webgpu' | 'wasm'; fallbackReason?: string; precision: Precision; precisionReason?: string; models: string }>({ type: 'init', options: init }, onProgress);
  const photoPixels = async (image: ImageInput, which: string): Promise<RgbPayload> => {
    const rgb = await toPhoto(image, which);
    return { width: rgb.width, height: rgb.height, channels: rgb.channels, data: rgb.data };
  };
  const pixels = async (image: ImageInput, which: string): Promise<RgbPayload> => {
    const rgb = await toRgbImage(image, which);
    return { width: rgb.width, height: rgb.height, channels: rgb.channels, data: rgb.data };
  };
  return {
    ...info,
    async encodeSource(face, callOptions = {}) {
      const image = await pixels(face.image, 'source');
      return call<SourceFaceJSON>({ type: 'encodeSource', image, landmarks: face.landmarks }, callOptions.onProgress, [image.data.buffer as ArrayBuffer]);
    },
    async swap(source, target, callOptions = {}) {
      const image = await pixels(target.image, 'target');
      const { onProgress: report, ...swapOptions } = callOptions;
      const value = await call<{ image: ImageTensor; sideOutput: ImageTensor; latent: Float32Array; split: string; timings: Partial<Record<StageName, number>> }>(
        { type: 'swap', source, image, landmarks: target.landmarks, options: swapOptions },
        report,
        [image.data.buffer as ArrayBuffer],
      );
      return { ...value, latent: WPlus.from(value.latent, false) };
    },
    async encodeSourcePhoto(photo, callOptions = {}) {
      const image = await photoPixels(photo, 'source');
      return call<{ source: SourceFaceJSON; face: RemoteFoundFace }>({ type: 'encodeSourcePhoto', image, ...(callOptions.faceIndex !== undefined ? { faceIndex: callOptions.faceIndex } : {}) }, callOptions.onProgress, [image.data.buffer as ArrayBuffer]);
    },
    async swapPhoto(source, photo, callOptions = {}) {
      const image = await photoPixels(photo, 'target');
      const { onProgress: report, faceIndex, all, ...swapOptions } = callOptions;
      const choice: PhotoChoice = { ...(faceIndex !== undefined ? { faceIndex } : {}), ...(all ? { all } : {}) };
      return call<RemotePhotoResult>({ type: 'swapPhoto', source, image, choice, options: swapOptions }, report, [image.data.buffer as ArrayBuffer]);
    },
    async startVideo(source, videoOptions) {
      await call({ type: 'videoStart', source, fps: videoOptions.fps, smoothing: videoOptions.smoothing ?? 0.6, ...(videoOptions.faceIndex !== undefined ? { faceIndex: videoOptions.faceIndex } : {}) });
    },
    async swapVideoFrame(frame) {
      const image = await photoPixels(frame, 'video frame');
      return call<{ image: RgbImage; swapped: boolean; index: number }>({ type: 'videoFrame', image }, undefined, [image.data.buffer as ArrayBuffer]);
    },
    async endVideo() {
      await call({ type: 'videoEnd' });
    },
    async dispose() {
      await call({ type: 'dispose' });
      worker.terminate();
    },
  };
}
