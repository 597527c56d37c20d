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
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { type FslsdErrorCode, FslsdError, type ProgressEvent } from '@fslsd/core';
import type { FaceSwapper, SwapOptions } from '@fslsd/node';
import { type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ErrorInfo } from '../errors.js';
import { JOB_VERSION, type SwapJobData, type SwapJobResult, type SwapProgress, type SwapRequestOptions } from '../queue/contract.js';
import { deleteInputs, getInput, getResultInfo, isCancelled, recordDuration, writeResultOnce } from '../queue/storage.js';
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
export function toSwapOptions(options: SwapRequestOptions): SwapOptions {
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
    let swapped;
    let sourceFace: SwapJobResult['sourceFace'];
    try {
      const faceIndex = data.options.sourceFaceIndex ?? 0;
      const encodeSource = () => swapper.encodeSource(source, { faceIndex, onProgress, ...(signal ? { signal } : {}) });
      const resolved = await sourceCache.resolve(swapper.models, source, faceIndex, encodeSource, signal);
      sourceFace = resolved.origin;
      swapped = await swapper.swap(resolved.face, target, { ...toSwapOptions(data.options), onProgress, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted && (await isCancelled(redis, id))) throw cancelled(id);
      if (error instanceof FslsdError) {
        throw failure({ code: error.code, message: messageOf(error), fix: error.fix ?? 'Check the inputs.' }, !INPUT_ERRORS.has(error.code));
      }
      throw error;
    }
    const milliseconds = Math.round(performance.now() - started);
    await report({ stage: 'writing-result', stagesDone });
    const png = await encodeLabelledPng(swapped.image);
    const info: SwapJobResult = {
      contentType: 'image/png',
      width: swapped.image.width,
      height: swapped.image.height,
      bytes: png.byteLength,
      sha256: createHash('sha256').update(png).digest('hex'),
      faces: swapped.faces.length,
      method: swapped.method,
      models: swapped.models,
      writtenBy: workerName,
      writtenAt: Date.now(),
      milliseconds,
      sourceFace,
    };
    const written = await writeResultOnce(redis, id, data.tenant, png, info, data.ttlSeconds);
    await deleteInputs(redis, id);
    if (written.outcome === 'cancelled') throw cancelled(id);
    if (written.outcome === 'written') {
      const now = Date.now();
      const waited = Math.max(0, (job.processedOn ?? now) - job.timestamp) / 1000;
      await Promise.all([
        recordDuration(redis, data.method, 'wait', waited),
        recordDuration(redis, data.method, 'run', milliseconds / 1000),
        recordDuration(redis, data.method, 'total', Math.max(0, now - job.timestamp) / 1000),
      ]).catch(() => undefined);
    }
    return written.info;
  };
}
