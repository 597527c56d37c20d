/**
 * The worker side of the browser face swapper: it owns the networks and the face front end
 * (onnxruntime-web sessions), so the page never freezes. @fslsd/web ships an entry that calls
 * this (`worker-entry.ts`); call it yourself only for a worker of your own (then pass it to
 * `createFaceSwapper({ worker })`).
 *
 * Every request carries an id; an `abort` request fires that request's AbortSignal here, and the
 * stages stop at their next check. Results transfer their buffers instead of copying them.
 */
import { FslsdError, type FaceSwapper, type FaceSwapResult, type RgbImage, type VideoFrameResult, SourceFace, composeFaceSwapper } from '@fslsd/core';
import { createFaceAnalyzer } from './faces.js';
import { importIntoStorage } from './import.js';
import { createSwapper } from './swapper.js';
import { type Pixels, type Reply, type Request, errorToWire } from './wire.js';

/** What the worker needs of its global scope. */
export interface WorkerPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Frames pushed one at a time into swapFrames, which pulls them as an async iterable. */
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

/** The buffers of a swap result, so they move to the page instead of being copied. */
function transfers(result: FaceSwapResult): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>([result.image.data.buffer as ArrayBuffer]);
  for (const face of result.faces) {
    for (const array of [face.crop.data, face.sideOutput.data, face.latent.data, face.networkOutput.image.data, face.networkOutput.sideOutput.data, face.masks?.inner, face.masks?.paste]) {
      if (array) buffers.add(array.buffer as ArrayBuffer);
    }
  }
  return [...buffers];
}

/** A swap result as plain data: the latents travel as their Float32Arrays. */
function plainResult(result: FaceSwapResult): unknown {
  return { ...result, faces: result.faces.map((face) => ({ ...face, latent: face.latent.data })) };
}

const image = (pixels: Pixels): RgbImage => pixels;

/** Serves a face swapper inside a worker: call once in the worker's module. */
export function exposeSwapper(port: WorkerPort): void {
  let swapper: FaceSwapper | undefined;
  let video: { queue: FrameQueue; frames: AsyncGenerator<VideoFrameResult> } | undefined;
  const running = new Map<number, AbortController>();
  const need = (): FaceSwapper => {
    if (!swapper) throw new FslsdError('INVALID_ARGUMENT', 'The swap worker is not initialised.', { fix: 'Use createFaceSwapper(), which initialises it.' });
    return swapper;
  };

  port.addEventListener('message', async (event: MessageEvent) => {
    const request = event.data as Request;
    if (request.type === 'abort') {
      running.get(request.target)?.abort(new FslsdError('ABORTED', 'Aborted by the caller.'));
      return;
    }
    const controller = new AbortController();
    running.set(request.id, controller);
    const { signal } = controller;
    const onProgress = (e: unknown) => port.postMessage({ id: request.id, type: 'progress', event: e } as Reply);
    const reply = (value: unknown, transfer: Transferable[] = []) => port.postMessage({ id: request.id, type: 'ok', value } satisfies Reply, transfer);
    try {
      switch (request.type) {
        case 'init': {
          const { init } = request;
          if (init.lifeline && typeof navigator !== 'undefined' && navigator.locks) {
            // Held until this worker ends, however it ends: the page asks for the same lock and
            // is granted it only then.
            await new Promise<void>((held) => void navigator.locks.request(init.lifeline!, () => {
              held();
              return new Promise<never>(() => {});
            }));
            port.postMessage({ id: request.id, type: 'held', lifeline: init.lifeline } satisfies Reply);
          }
          const networks = await createSwapper({ models: init.models, backend: init.device, precision: init.precision, cache: init.cache, ...init.defaults, ...(init.wasmPaths ? { wasmPaths: init.wasmPaths } : {}), signal, onProgress });
          try {
            if (init.method !== undefined && init.method !== networks.method) {
              throw new FslsdError('INVALID_ARGUMENT', `The model set at ${init.models} holds ${networks.method === 'megafs' ? 'MegaFS' : 'FSLSD'} networks, but method "${init.method}" was asked for.`, {
                fix: `Pass method: "${networks.method}" (or leave it out), or the URL of a ${init.method === 'megafs' ? 'MegaFS' : 'FSLSD'} set.`,
              });
            }
            const analyzer = await createFaceAnalyzer({ models: init.faces, backend: networks.backend, cache: init.cache, descriptor: init.descriptor, signal });
            swapper = composeFaceSwapper(networks, analyzer);
          } catch (error) {
            await networks.dispose();
            throw error;
          }
          reply({ method: swapper.method, models: swapper.models, device: networks.backend, fallbackReason: networks.fallbackReason, precision: networks.precision, precisionReason: networks.precisionReason });
          break;
        }
        case 'encodeSource': {
          const face = await need().encodeSource(image(request.image), { ...request.options, signal, onProgress });
          reply(face.toJSON());
          break;
        }
        case 'describe': {
          const descriptor = await need().describe(image(request.image), { ...request.options, signal, onProgress });
          reply(descriptor, [descriptor.buffer as ArrayBuffer]);
          break;
        }
        case 'swap': {
          const result = await need().swap(SourceFace.fromJSON(request.source), image(request.image), { ...request.options, signal, onProgress });
          reply(plainResult(result), transfers(result));
          break;
        }
        case 'videoStart': {
          await video?.frames.return(undefined);
          const queue = new FrameQueue();
          const { fps = 25, ...rest } = request.options;
          // Frames reach the worker as messages: its own copies, so the paste may write into them.
          video = { queue, frames: need().swapFrames(SourceFace.fromJSON(request.source), queue, { ...rest, fps, pasteInPlace: true }) };
          reply(null);
          break;
        }
        case 'videoFrame': {
          if (!video) throw new FslsdError('INVALID_ARGUMENT', 'No video swap is running.', { fix: 'Use swapper.swapVideo(), which starts one.' });
          video.queue.push(image(request.image));
          const next = await video.frames.next();
          if (next.done) throw new FslsdError('RUNTIME_FAILURE', 'The video swap ended early.');
          const { image: frame, swapped, index } = next.value;
          reply({ image: frame, swapped, index }, [frame.data.buffer as ArrayBuffer]);
          break;
        }
        case 'videoEnd': {
          video?.queue.close();
          await video?.frames.return(undefined);
          video = undefined;
          reply(null);
          break;
        }
        case 'import': {
          reply(await importIntoStorage(request.request, { signal, onProgress }));
          break;
        }
        case 'dispose': {
          await swapper?.dispose();
          swapper = undefined;
          reply(null);
          break;
        }
      }
    } catch (error) {
      port.postMessage({ id: request.id, type: 'error', error: errorToWire(error) } satisfies Reply);
    } finally {
      running.delete(request.id);
    }
  });
}
