/** What every route handler shares: Redis, the queues, the keys and the limits. */
import type { Method } from '@fslsd/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { KeyRing } from '../auth/keys.js';
import type { SwapJobData, SwapJobResult } from '../queue/contract.js';

/** Limits of the HTTP API. */
export interface ServiceLimits {
  /** Largest accepted upload, per file, in bytes. Default 20 MiB. */
  readonly maxUploadBytes?: number;
  /** Largest accepted image, width x height from its header. Default 40 megapixels. */
  readonly maxPixels?: number;
  /** How long inputs, results, jobs and idempotency keys are kept, in seconds. Default 86400. */
  readonly ttlSeconds?: number;
  /** Requests per minute one API key may make to /v1 (counted in Redis, for every server). Default 600. */
  readonly requestsPerMinute?: number;
  /** Swaps a tenant may have unfinished (waiting or active) at once. Default 100. */
  readonly quota?: number;
  /** Largest accepted target video, in bytes. Default 200 MiB (videos are kept in Redis: size its maxmemory). */
  readonly maxVideoBytes?: number;
  /** Most frames of a target video (checked by the worker with ffprobe). Default 9000 (5 min at 30 fps). */
  readonly maxVideoFrames?: number;
}

export const DEFAULT_LIMITS: Required<ServiceLimits> = { maxUploadBytes: 20 * 1024 * 1024, maxPixels: 40_000_000, ttlSeconds: 86_400, requestsPerMinute: 600, quota: 100, maxVideoBytes: 200 * 1024 * 1024, maxVideoFrames: 9000 };

export type SwapQueue = Queue<SwapJobData, SwapJobResult>;

export interface ServiceContext {
  readonly redis: Redis;
  readonly queues: ReadonlyMap<Method, SwapQueue>;
  readonly keys: KeyRing;
  readonly limits: Required<ServiceLimits>;
}
