/**
 * `fslsd-server worker`: loads a FaceSwapper once and serves its method's queue with BullMQ.
 * Many workers on many machines share one queue; a worker that dies mid-job leaves a stalled
 * job that BullMQ hands to another worker, and the result is still written once.
 */
import { hostname } from 'node:os';
import { type Device, type FaceSwapper, type FaceSwapperOptions, type Method, type ProgressEvent, createFaceSwapper } from '@fslsd/node';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { parseFailure } from '../errors.js';
import { bullConnection, createRedis, unavailableFor } from '../queue/connection.js';
import type { SwapJobData, SwapJobResult } from '../queue/contract.js';
import { CANCEL_CHANNEL, queueName } from '../queue/names.js';
import { recordFailure, releaseQuota } from '../queue/storage.js';
import { createSwapProcessor } from './processor.js';
import { createSourceFaceCache } from './source-cache.js';

/** Options of {@link startWorker}. */
export interface SwapWorkerOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  readonly redis: string;
  /** Jobs this process runs at once, all on one loaded swapper. Default 1. */
  readonly concurrency?: number;
  /** The networks, as createFaceSwapper takes them. Default `'tiny'` (untrained; says so once). */
  readonly models?: FaceSwapperOptions['models'];
  /** `fslsd` or `megafs`; default the model set's. The worker serves that method's queue. */
  readonly method?: Method;
  /** `auto` (default: CUDA when it works, else the CPU), `cpu` or `cuda`. */
  readonly device?: Device;
  /** Intra-op threads per session. */
  readonly threads?: number;
  /** Milliseconds a job's lock lasts without renewal (BullMQ `lockDuration`, default 30000). */
  readonly lockDuration?: number;
  /** Milliseconds between checks for stalled jobs (BullMQ `stalledInterval`, default 30000). */
  readonly stalledInterval?: number;
  /**
   * Seconds an encoded source face stays in Redis for other jobs (and workers) with the same
   * source photo. Default 86400; 0 turns the cache off.
   */
  readonly sourceCacheTtl?: number;
  /** Loading progress and warnings (the tiny set's, a device fallback). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Each job's outcome, for logs. */
  readonly onJob?: (event: SwapWorkerEvent) => void;
  /**
   * Errors of the queue connection (Redis refusing commands, unreachable): BullMQ retries them
   * itself, often many times a second, so a log should thin them out.
   */
  readonly onError?: (error: Error) => void;
}

/** One finished or failed job, as {@link SwapWorkerOptions.onJob} reports it. */
export type SwapWorkerEvent =
  | { readonly kind: 'completed'; readonly id: string; readonly result: SwapJobResult }
  | { readonly kind: 'failed'; readonly id: string; readonly reason: string; readonly willRetry: boolean };

/** A running worker. */
export interface SwapWorker {
  /** The method of the loaded set: the queue it serves. */
  readonly method: Method;
  /** Id of the loaded model set. */
  readonly models: string;
  /** `host:pid`, recorded in every result this worker writes. */
  readonly name: string;
  /** Takes no new job, waits for the running ones to finish, then releases the networks. */
  close(): Promise<void>;
}

/** Loads the networks once and starts serving jobs. */
export async function startWorker(options: SwapWorkerOptions): Promise<SwapWorker> {
  const swapper: FaceSwapper = await createFaceSwapper({
    models: options.models ?? 'tiny',
    ...(options.method ? { method: options.method } : {}),
    ...(options.device ? { device: options.device } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const name = `${hostname()}:${process.pid}`;
  let redis: Redis | undefined;
  let subscriber: Redis | undefined;
  let worker: Worker<SwapJobData, SwapJobResult> | undefined;
  try {
    redis = createRedis(options.redis, 'worker');
    const sourceCache = createSourceFaceCache({ redis, ttlSeconds: options.sourceCacheTtl ?? 86_400 });
    worker = new Worker<SwapJobData, SwapJobResult>(queueName(swapper.method), createSwapProcessor({ swapper, redis, sourceCache, workerName: name }), {
      connection: bullConnection(options.redis),
      concurrency: options.concurrency ?? 1,
      ...(options.lockDuration ? { lockDuration: options.lockDuration } : {}),
      ...(options.stalledInterval ? { stalledInterval: options.stalledInterval } : {}),
    });
    worker.on('completed', (job, result) => options.onJob?.({ kind: 'completed', id: job.id ?? '', result }));
    const commands = redis;
    worker.on('failed', (job, error) => {
      if (!job) return;
      const willRetry = job.attemptsMade < (job.opts.attempts ?? 1) && error.name !== 'UnrecoverableError';
      if (!willRetry && job.id) {
        // Failed for good: it no longer counts against the tenant's quota; the fleet counts it.
        void releaseQuota(commands, job.data.tenant, job.id).catch(() => undefined);
        void recordFailure(commands, job.data.method, parseFailure(error.message).code).catch(() => undefined);
      }
      options.onJob?.({ kind: 'failed', id: job.id ?? '', reason: error.message, willRetry });
    });
    // Connection errors are retried by BullMQ; without a listener Node would throw them.
    worker.on('error', (error) => options.onError?.(error));
    await worker.waitUntilReady();
    // DELETE of an active swap publishes its id: the worker running it aborts it (the others
    // hold no such job: cancelJob answers false).
    subscriber = createRedis(options.redis, 'worker');
    const serving = worker;
    subscriber.on('message', (_channel: string, id: string) => {
      serving.cancelJob(id, 'cancelled');
    });
    await subscriber.subscribe(CANCEL_CHANNEL);
  } catch (error) {
    await worker?.close().catch(() => undefined);
    redis?.disconnect();
    subscriber?.disconnect();
    await swapper.dispose();
    throw error;
  }
  const running = worker;
  const connection = redis;
  const listener = subscriber;
  return {
    method: swapper.method,
    models: swapper.models,
    name,
    async close() {
      // Finishes the running swaps; with Redis gone for 10 s that cannot happen (their results
      // cannot be written), so it stops waiting: the jobs are found stalled and run again later.
      const watch = unavailableFor(connection, 10_000);
      const stopped = await Promise.race([running.close().then(() => true), watch.gone.then(() => false)]);
      watch.cancel();
      if (!stopped) void running.close(true).catch(() => undefined);
      listener.disconnect();
      connection.disconnect();
      await swapper.dispose();
    },
  };
}
