/**
 * The BullMQ processor: one swap job -> the labelled PNG in Redis, written once.
 *
 *   inputs (Redis) -> source face (Redis cache by content hash, or encodeSource once)
 *   -> FaceSwapper.swap (progress -> job.updateProgress) -> PNG + XMP label
 *   -> SET NX result (a retry of a job whose result exists returns that result, computes nothing;
 *      a cancelled swap writes nothing)
 *
 * Cancelling: DELETE marks the swap cancelled and publishes its id; the worker running it aborts
 * the swap through the job's AbortSignal (BullMQ's cancelJob), and a cancelled swap fails at
 * once with CANCELLED wherever it is picked up.
 *
 * Errors: a bad input (no face, an undecodable image, a bad option) fails the job at once
 * (UnrecoverableError); anything else is retried by BullMQ. The reason is stored as the typed
 * JSON the API shows.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { type FslsdErrorCode, FslsdError, type ProgressEvent, type SourceFace } from '@fslsd/core';
import { type FaceSwapper, type SwapOptions, probeVideo } from '@fslsd/node';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { type ErrorInfo, ServiceError } from '../errors.js';
import { sniffVideo } from '../http/image-check.js';
import { JOB_VERSION, type SwapJobData, type SwapJobResult, type SwapProgress, type SwapRequestOptions } from '../queue/contract.js';
import { deleteInputs, getInput, getResultInfo, isCancelled, writeResultOnce } from '../queue/storage.js';
import { encodeLabelledPng } from './encode-result.js';
import type { SourceFaceCache } from './source-cache.js';

/** SDK errors that another attempt cannot fix: the job fails at once. */
const INPUT_ERRORS: ReadonlySet<FslsdErrorCode> = new Set(['INVALID_ARGUMENT', 'INVALID_IMAGE', 'INVALID_LANDMARKS', 'INVALID_MASK', 'NO_FACE', 'INVALID_SPLIT', 'INCOMPATIBLE_SOURCE']);

/** A failure as the JSON the API parses back (swap-view.ts parseFailure). */
function failure(info: ErrorInfo, retry: boolean): Error {
  const text = JSON.stringify(info);
  return retry ? new Error(text) : new UnrecoverableError(text);
}

/** An FslsdError's message without the fix its constructor appended. */
function messageOf(error: FslsdError): string {
  return error.fix && error.message.endsWith(error.fix) ? error.message.slice(0, -error.fix.length).trim() : error.message;
}

/** The request's options as FaceSwapper.swap takes them with an encoded source face. */
export function toSwapOptions(options: SwapRequestOptions): SwapOptions & { readonly smoothing?: number } {
  const { sourceFaceIndex: _sourceFaceIndex, ...rest } = options;
  return rest;
}

const cancelled = (id: string) => failure({ code: 'CANCELLED', message: `Swap ${id} was cancelled.`, fix: 'Nothing to do; submit it again to swap.' }, false);

/** What the processor needs. */
export interface ProcessorDependencies {
  /** Loaded once per worker process; shared by its concurrent jobs. */
  readonly swapper: FaceSwapper;
  readonly redis: Redis;
  /** Encoded source faces by content hash, shared by the fleet. */
  readonly sourceCache: SourceFaceCache;
  /** Recorded in each result it writes; default `host:pid`. */
  readonly workerName?: string;
}

/** What a swap job made, before it is described and stored. */
interface Swapped {
  readonly bytes: Uint8Array;
  readonly contentType: SwapJobResult['contentType'];
  readonly width: number;
  readonly height: number;
  readonly faces: number;
  readonly frames?: number;
}

/** A photo: the swap, as a PNG labelled synthetic. */
async function swapPhotoJob(swapper: FaceSwapper, face: SourceFace, target: Uint8Array, data: SwapJobData, onProgress: (event: ProgressEvent) => void, signal?: AbortSignal): Promise<Swapped> {
  const swapped = await swapper.swap(face, target, { ...toSwapOptions(data.options), onProgress, ...(signal ? { signal } : {}) });
  const png = await encodeLabelledPng(swapped.image);
  return { bytes: png, contentType: 'image/png', width: swapped.image.width, height: swapped.image.height, faces: swapped.faces.length };
}

/** Fewest milliseconds between two frame-progress reports (each is a Redis write and an event). */
const FRAME_REPORT_MS = 250;

/**
 * A video: the target is written to a private temporary folder (ffmpeg reads files), probed
 * against the job's limits before any frame is swapped, swapped frame by frame by the SDK (an
 * MP4 with the target's audio, labelled synthetic in its XMP), read back, and the folder removed.
 */
async function swapVideoJob(swapper: FaceSwapper, face: SourceFace, target: Uint8Array, data: SwapJobData, onFrames: (done: number, frames: number) => void, signal?: AbortSignal): Promise<Swapped> {
  const folder = await mkdtemp(path.join(tmpdir(), 'fslsd-video-'));
  try {
    const input = path.join(folder, sniffVideo(target) === 'matroska' ? 'target.mkv' : 'target.mp4');
    const output = path.join(folder, 'swapped.mp4');
    await writeFile(input, target, { mode: 0o600 });
    const probed = await probeVideo(input);
    const limits = data.videoLimits;
    if (limits && probed.frames > limits.maxFrames) {
      throw new ServiceError('VIDEO_TOO_LONG', 413, `The target video has ${probed.frames} frames; this service takes at most ${limits.maxFrames}.`, 'Trim the video (or lower its frame rate) and send it again.');
    }
    if (limits && probed.width * probed.height > limits.maxPixels) {
      throw new ServiceError('TOO_MANY_PIXELS', 413, `The target video is ${probed.width}x${probed.height}; this service takes at most ${(limits.maxPixels / 1e6).toFixed(1)} megapixels a frame.`, 'Downscale it before uploading.');
    }
    let done = 0;
    let reported = 0;
    const result = await swapper.swapVideo(face, input, output, {
      ...toSwapOptions(data.options),
      overwrite: true,
      ...(signal ? { signal } : {}),
      onFrame: (_frame, info) => {
        done += 1;
        const now = performance.now();
        if (now - reported >= FRAME_REPORT_MS || done === info.frames) {
          reported = now;
          onFrames(done, info.frames);
        }
      },
    });
    const bytes = await readFile(output);
    return { bytes, contentType: 'video/mp4', width: result.info.width, height: result.info.height, faces: result.swappedFrames, frames: result.frames };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The processor function of a swap worker. */
export function createSwapProcessor(dependencies: ProcessorDependencies): (job: Job<SwapJobData, SwapJobResult>, token?: string, signal?: AbortSignal) => Promise<SwapJobResult> {
  const { swapper, redis, sourceCache } = dependencies;
  const workerName = dependencies.workerName ?? `${hostname()}:${process.pid}`;
  return async (job, _token, signal) => {
    const id = job.id;
    const data = job.data;
    if (!id || data?.version !== JOB_VERSION) {
      throw failure({ code: 'INVALID_REQUEST', message: `Job ${id ?? '(no id)'} has contract version ${String(data?.version)}; this worker reads ${JOB_VERSION}.`, fix: 'Run servers and workers of the same @fslsd/server version.' }, false);
    }
    // Written by an earlier attempt (this job stalled after writing): that result stands.
    const existing = await getResultInfo(redis, id);
    if (existing) return existing;
    if (await isCancelled(redis, id)) throw cancelled(id);

    const report = (progress: SwapProgress) => job.updateProgress(progress as unknown as object).catch(() => undefined);
    await report({ stage: 'reading-inputs', stagesDone: 0 });
    const [source, target] = await Promise.all([getInput(redis, id, 'source'), getInput(redis, id, 'target')]);
    if (!source || !target) {
      // Another attempt of this job may have finished meanwhile (and deleted the inputs).
      const finished = await getResultInfo(redis, id);
      if (finished) return finished;
      // Cancelled after the check above: DELETE removes the inputs with the mark.
      if (await isCancelled(redis, id)) throw cancelled(id);
      throw failure({ code: 'INPUT_EXPIRED', message: `The inputs of swap ${id} are no longer in Redis.`, fix: 'Submit the swap again; inputs are kept for the service\'s TTL.' }, false);
    }
    let stagesDone = 0;
    const onProgress = (event: ProgressEvent) => {
      if (event.kind === 'stage' && event.status === 'done') {
        stagesDone += 1;
        void report({ stage: event.stage, stagesDone });
      }
    };
    const started = performance.now();
    let swapped: Swapped;
    let sourceFace: SwapJobResult['sourceFace'];
    try {
      const faceIndex = data.options.sourceFaceIndex ?? 0;
      const encodeSource = () => swapper.encodeSource(source, { faceIndex, onProgress, ...(signal ? { signal } : {}) });
      const resolved = await sourceCache.resolve(swapper.models, source, faceIndex, encodeSource, signal);
      sourceFace = resolved.origin;
      swapped = data.kind === 'video'
        ? await swapVideoJob(swapper, resolved.face, target, data, (done, frames) => void report({ stage: 'frames', stagesDone: done, frames }), signal)
        : await swapPhotoJob(swapper, resolved.face, target, data, onProgress, signal);
    } catch (error) {
      if (signal?.aborted && (await isCancelled(redis, id))) throw cancelled(id);
      if (error instanceof FslsdError) {
        throw failure({ code: error.code, message: messageOf(error), fix: error.fix ?? 'Check the inputs.' }, !INPUT_ERRORS.has(error.code));
      }
      if (error instanceof ServiceError) throw failure({ code: error.code, message: error.message, fix: error.fix }, false);
      throw error;
    }
    const milliseconds = Math.round(performance.now() - started);
    await report({ stage: 'writing-result', stagesDone });
    const { bytes, ...described } = swapped;
    const info: SwapJobResult = {
      ...described,
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      method: swapper.method,
      models: swapper.models,
      writtenBy: workerName,
      writtenAt: Date.now(),
      milliseconds,
      sourceFace,
    };
    const now = Date.now();
    const durations = {
      wait: Math.max(0, (job.processedOn ?? now) - job.timestamp) / 1000,
      run: milliseconds / 1000,
      total: Math.max(0, now - job.timestamp) / 1000,
    };
    const written = await writeResultOnce(redis, id, data.tenant, bytes, info, data.ttlSeconds, durations);
    await deleteInputs(redis, id);
    if (written.outcome === 'cancelled') throw cancelled(id);
    return written.info;
  };
}
