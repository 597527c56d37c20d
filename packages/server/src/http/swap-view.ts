/** A swap as the API shows it, built from its record, its BullMQ job and its result in Redis. */
import { METHODS, type Method } from '@fslsd/core';
import { type ErrorInfo, ServiceError, parseFailure } from '../errors.js';
import type { SwapJobResult, SwapProgress } from '../queue/contract.js';
import { redisKeys } from '../queue/names.js';
import { getResultInfo } from '../queue/storage.js';
import type { ServiceContext } from './context.js';

/** Where a swap is in its life. */
export type SwapStatus = 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** The body of `GET /v1/swaps/:id` (and of `POST /v1/swaps`). */
export interface SwapView {
  readonly id: string;
  readonly status: SwapStatus;
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
  readonly method: Method;
  readonly createdAt: number;
  readonly cancelledAt?: number;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const notFound = (id: string) => new ServiceError('NOT_FOUND', 404, `There is no swap ${id.slice(0, 64)} for this API key.`, 'Use an id returned by POST /v1/swaps with the same key; swaps are kept for a limited time.');

/**
 * The record of swap `id` when `tenant` owns it.
 * @throws ServiceError `NOT_FOUND` (404) when it does not exist or belongs to another tenant:
 * the two are indistinguishable on purpose.
 */
export async function ownedRecord(context: ServiceContext, id: string, tenant: string): Promise<SwapRecord> {
  if (!ID.test(id)) throw notFound(id);
  const fields = await context.redis.hgetall(redisKeys.record(id));
  const method = fields.method as Method | undefined;
  if (fields.tenant !== tenant || !method || !(METHODS as readonly string[]).includes(method)) throw notFound(id);
  return { tenant, method, createdAt: Number(fields.createdAt), ...(fields.cancelledAt ? { cancelledAt: Number(fields.cancelledAt) } : {}) };
}

/** The view of swap `id`. */
export async function viewOf(context: ServiceContext, id: string, record: SwapRecord): Promise<SwapView> {
  const base = { id, method: record.method, createdAt: new Date(record.createdAt).toISOString() };
  const info = await getResultInfo(context.redis, id);
  const job = await context.queues.get(record.method)?.getJob(id);
  const attempts = job?.attemptsStarted ?? job?.attemptsMade ?? 0;
  const times = {
    ...(job?.processedOn ? { startedAt: new Date(job.processedOn).toISOString() } : {}),
    ...(job?.finishedOn ? { finishedAt: new Date(job.finishedOn).toISOString() } : info ? { finishedAt: new Date(info.writtenAt).toISOString() } : {}),
  };
  const completed = (found: SwapJobResult): SwapView => ({ ...base, status: 'completed', attempts, ...times, result: { ...found, url: `/v1/swaps/${id}/result` } });
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
