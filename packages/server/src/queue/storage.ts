/**
 * Inputs and results in Redis, as binary strings with a TTL. The result is written once: one
 * atomic script sets the PNG with NX and, only when that succeeded, its description. A retried
 * job (a stalled worker, a duplicate delivery) finds the first result and keeps it.
 */
import type { Method } from '@fslsd/core';
import type { Redis } from 'ioredis';
import { redisKeys } from './names.js';
import type { SwapJobResult } from './contract.js';

/** Stores both inputs of swap `id` for `ttlSeconds`. */
export async function putInputs(redis: Redis, id: string, source: Uint8Array, target: Uint8Array, ttlSeconds: number): Promise<void> {
  await redis
    .multi()
    .set(redisKeys.input(id, 'source'), Buffer.from(source.buffer, source.byteOffset, source.byteLength), 'EX', ttlSeconds)
    .set(redisKeys.input(id, 'target'), Buffer.from(target.buffer, target.byteOffset, target.byteLength), 'EX', ttlSeconds)
    .exec();
}

/** An input of swap `id`, or null when it expired or was deleted. */
export function getInput(redis: Redis, id: string, which: 'source' | 'target'): Promise<Buffer | null> {
  return redis.getBuffer(redisKeys.input(id, which));
}

/** Deletes both inputs (after a cancellation, or once the result is written). */
export async function deleteInputs(redis: Redis, id: string): Promise<void> {
  await redis.del(redisKeys.input(id, 'source'), redisKeys.input(id, 'target'));
}

// A cancelled swap gets no result; a result, once there, is never replaced. Cancel (below) and
// this script exclude each other: whichever runs first decides.
const WRITE_ONCE = `
if redis.call('HEXISTS', KEYS[3], 'cancelledAt') == 1 then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  redis.call('ZREM', KEYS[4], ARGV[4])
  return 1
end
return 0`;

/** What {@link writeResultOnce} did. */
export type WriteOutcome =
  | { readonly outcome: 'written' | 'exists'; readonly info: SwapJobResult }
  | { readonly outcome: 'cancelled' };

/**
 * Writes the result of swap `id` of `tenant` unless one exists or the swap was cancelled.
 * @returns `written` and `info` when this call wrote it; `exists` and the info of the result
 * that was already there; or `cancelled`.
 */
export async function writeResultOnce(redis: Redis, id: string, tenant: string, png: Uint8Array, info: SwapJobResult, ttlSeconds: number): Promise<WriteOutcome> {
  const written = await redis.eval(WRITE_ONCE, 4, redisKeys.result(id), redisKeys.resultInfo(id), redisKeys.record(id), redisKeys.open(tenant), Buffer.from(png.buffer, png.byteOffset, png.byteLength), JSON.stringify(info), String(ttlSeconds), id);
  if (written === -1) return { outcome: 'cancelled' };
  if (written === 1) return { outcome: 'written', info };
  const existing = await getResultInfo(redis, id);
  return { outcome: 'exists', info: existing ?? info };
}

const CANCEL = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('HEXISTS', KEYS[2], 'cancelledAt') == 0 then redis.call('HSET', KEYS[2], 'cancelledAt', ARGV[1]) end
redis.call('ZREM', KEYS[3], ARGV[2])
return 1`;

/**
 * Marks swap `id` cancelled unless its result is already written (then it stays completed).
 * @returns true when the swap is (now) cancelled.
 */
export async function markCancelled(redis: Redis, id: string, tenant: string): Promise<boolean> {
  return (await redis.eval(CANCEL, 3, redisKeys.result(id), redisKeys.record(id), redisKeys.open(tenant), String(Date.now()), id)) === 1;
}

/** Whether swap `id` was cancelled. */
export async function isCancelled(redis: Redis, id: string): Promise<boolean> {
  return (await redis.hexists(redisKeys.record(id), 'cancelledAt')) === 1;
}

const CLAIM = `
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Counts swap `id` against `tenant`'s quota of unfinished swaps; false when the quota is full. */
export async function claimQuota(redis: Redis, tenant: string, id: string, quota: number, ttlSeconds: number): Promise<boolean> {
  return (await redis.eval(CLAIM, 1, redisKeys.open(tenant), String(quota), id, String(ttlSeconds), String(Date.now()))) === 1;
}

/** Stops counting swap `id` against its tenant's quota (it failed for good, or was never queued). */
export async function releaseQuota(redis: Redis, tenant: string, id: string): Promise<void> {
  await redis.zrem(redisKeys.open(tenant), id);
}

/** Upper bounds of the swap-duration histogram buckets, in seconds. */
export const DURATION_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800] as const;

/** Adds one swap's `seconds` in `phase` (queue wait, run, or total) to the fleet's histogram. */
export async function recordDuration(redis: Redis, method: Method, phase: DurationPhase, seconds: number): Promise<void> {
  const key = redisKeys.durations(method);
  const multi = redis.multi();
  for (const bound of DURATION_BUCKETS) if (seconds <= bound) multi.hincrby(key, `${phase}:${bound}`, 1);
  multi.hincrby(key, `${phase}:count`, 1).hincrbyfloat(key, `${phase}:sum`, seconds);
  await multi.exec();
}

/** Counts a swap that failed for good, by method and error code. */
export async function recordFailure(redis: Redis, method: Method, code: string): Promise<void> {
  await redis.hincrby(redisKeys.failures, `${method}:${code}`, 1);
}

/** The phases of a swap's duration the histogram counts. */
export type DurationPhase = 'wait' | 'run' | 'total';

/** The description of swap `id`'s result, or null when there is none (yet, or any more). */
export async function getResultInfo(redis: Redis, id: string): Promise<SwapJobResult | null> {
  const text = await redis.get(redisKeys.resultInfo(id));
  return text === null ? null : (JSON.parse(text) as SwapJobResult);
}

/** The PNG of swap `id`, or null. */
export function getResult(redis: Redis, id: string): Promise<Buffer | null> {
  return redis.getBuffer(redisKeys.result(id));
}
