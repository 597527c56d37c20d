/** A swap as the API shows it, built from its record, its BullMQ job and its result in Redis. */
import { METHODS, type Method } from '@fslsd/core';
import { type ErrorInfo, ServiceError, parseFailure } from '../errors.js';
import type { SwapJobResult, SwapKind, SwapProgress } from '../queue/contract.js';
import { redisKeys } from '../queue/names.js';
import { getResultInfo } from '../queue/storage.js';
import type { ServiceContext } from './context.js';

/** The URL collection of each kind: `/v1/swaps/…` for photos, `/v1/videos/…` for videos. */
export const COLLECTIONS: Readonly<Record<SwapKind, string>> = { photo: 'swaps', video: 'videos' };

/** Where a swap is in its life. */
export type SwapStatus = 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** The body of `GET /v1/swaps/:id` and `GET /v1/videos/:id` (and of their POSTs). */
export interface SwapView {
  /** The swap's id (a UUID). */
  readonly id: string;
  /** `photo` or `video`. */
  readonly kind: SwapKind;
  /** Where it is in its life. */
  readonly status: SwapStatus;
  /** `fslsd` or `megafs`. */
  readonly method: Method;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Attempts started so far (a retry after a worker died counts). */
  readonly attempts: number;
  /** ISO 8601: when a worker (last) started it; the queue wait is `startedAt - createdAt`. */
  readonly startedAt?: string;
  /** ISO 8601: when it completed or failed. */
  readonly finishedAt?: string;
  /** While active: the stage the worker is in. */
  readonly progress?: SwapProgress;
  /** When completed: the PNG's description and where to get it. */
  readonly result?: SwapJobResult & { readonly url: string };
  /** When failed: why, as a typed error. */
  readonly error?: ErrorInfo;
}

/** Who owns swap `id`, kept for as long as its data. */
export interface SwapRecord {
  readonly tenant: string;
  readonly kind: SwapKind;
  readonly method: Method;
  readonly createdAt: number;
  readonly cancelledAt?: number;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const notFound = (id: string, kind: SwapKind) => new ServiceError('NOT_FOUND', 404, `There is no ${kind === 'video' ? 'video swap' : 'swap'} ${id.slice(0, 64)} for this API key.`, `Use an id returned by POST /v1/${COLLECTIONS[kind]} with the same key; swaps are kept for a limited time.`);

/**
 * The record of swap `id` when `tenant` owns it.
 * @throws ServiceError `NOT_FOUND` (404) when it does not exist, is of another kind or belongs
 * to another tenant: these are indistinguishable on purpose.
 */
export async function ownedRecord(context: ServiceContext, id: string, tenant: string, kind: SwapKind): Promise<SwapRecord> {
  if (!ID.test(id)) throw notFound(id, kind);
  const fields = await context.redis.hgetall(redisKeys.record(id));
  const method = fields.method as Method | undefined;
  // A video's id under /v1/swaps (or the reverse) is not found either.
  if (fields.tenant !== tenant || (fields.kind ?? 'photo') !== kind || !method || !(METHODS as readonly string[]).includes(method)) throw notFound(id, kind);
  return { tenant, kind, method, createdAt: Number(fields.createdAt), ...(fields.cancelledAt ? { cancelledAt: Number(fields.cancelledAt) } : {}) };
}

/** The view of swap `id`. */
export async function viewOf(context: ServiceContext, id: string, record: SwapRecord): Promise<SwapView> {
  const base = { id, kind: record.kind, method: record.method, createdAt: new Date(record.createdAt).toISOString() };
  const info = await getResultInfo(context.redis, id);
  const job = await context.queues.get(record.method)?.getJob(id);
  const attempts = job?.attemptsStarted ?? job?.attemptsMade ?? 0;
  const times = {
    ...(job?.processedOn ? { startedAt: new Date(job.processedOn).toISOString() } : {}),
    ...(job?.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : info ? { finishedAt: new Date(info.writtenAt).toISOString() } : {}),
  };
  const completed = (found: SwapJobResult): SwapView => ({ ...base, status: 'completed', attempts, ...times, result: { ...found, url: `/v1/${COLLECTIONS[record.kind]}/${id}/result` } });
  if (info) return completed(info);
  if (record.cancelledAt !== undefined) return { ...base, status: 'cancelled', attempts, ...times };
  const state = job ? await job.getState() : undefined;
  if (!job || state === 'completed') {
    // The result may have been written after it was read above: read it again before calling
    // the swap expired (a completed job whose result is gone, or no job at all).
    const late = await getResultInfo(context.redis, id);
    return late ? completed(late) : { ...base, status: 'expired', attempts, ...times };
  }
  if (state === 'failed') return { ...base, status: 'failed', attempts, ...times, error: parseFailure(job.failedReason) };
  if (state === 'active') {
    const progress = typeof job.progress === 'object' && job.progress !== null && 'stage' in job.progress ? (job.progress as unknown as SwapProgress) : undefined;
    return { ...base, status: 'active', attempts, ...times, ...(progress ? { progress } : {}) };
  }
  return { ...base, status: 'waiting', attempts, ...times };
}
