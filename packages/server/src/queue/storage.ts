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
// this script exclude each other: whichever runs first decides. The swap's durations go into the
// fleet's histograms in the same step, so they count exactly the results written.
const WRITE_ONCE = `
if redis.call('HEXISTS', KEYS[3], 'cancelledAt') == 1 then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  redis.call('ZREM', KEYS[4], ARGV[4])
  local buckets = cjson.decode(ARGV[5])
  local phases = cjson.decode(ARGV[6])
  for phase, seconds in pairs(phases) do
    for _, bound in ipairs(buckets) do
      if seconds <= bound then redis.call('HINCRBY', KEYS[5], phase .. ':' .. bound, 1) end
    end
    redis.call('HINCRBY', KEYS[5], phase .. ':count', 1)
    redis.call('HINCRBYFLOAT', KEYS[5], phase .. ':sum', seconds)
  end
  return 1
end
return 0`;

/** What {@link writeResultOnce} did. */
export type WriteOutcome =
  | { readonly outcome: 'written' | 'exists'; readonly info: SwapJobResult }
  | { readonly outcome: 'cancelled' };

/** Upper bounds of the swap-duration histogram buckets, in seconds (the text form is the label). */
export const DURATION_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800] as const;

/** The phases of a swap's duration the histogram counts: queued, running, request to result. */
export type DurationPhase = 'wait' | 'run' | 'total';

/**
 * Writes the result of swap `id` of `tenant` unless one exists or the swap was cancelled, and
 * adds its `durations` (seconds per phase) to its method's histogram when it writes.
 * @returns `written` and `info` when this call wrote it; `exists` and the info of the result
 * that was already there; or `cancelled`.
 */
export async function writeResultOnce(redis: Redis, id: string, tenant: string, bytes: Uint8Array, info: SwapJobResult, ttlSeconds: number, durations: Readonly<Record<DurationPhase, number>>): Promise<WriteOutcome> {
  const keys = [redisKeys.result(id), redisKeys.resultInfo(id), redisKeys.record(id), redisKeys.open(tenant), redisKeys.durations(info.method)];
  const written = await redis.eval(WRITE_ONCE, keys.length, ...keys, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), JSON.stringify(info), String(ttlSeconds), id, JSON.stringify(DURATION_BUCKETS), JSON.stringify(durations));
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

/** Counts a swap that failed for good, by method and error code. */
export async function recordFailure(redis: Redis, method: Method, code: string): Promise<void> {
  await redis.hincrby(redisKeys.failures, `${method}:${code}`, 1);
}



/** The description of swap `id`'s result, or null when there is none (yet, or any more). */
export async function getResultInfo(redis: Redis, id: string): Promise<SwapJobResult | null> {
  const text = await redis.get(redisKeys.resultInfo(id));
  return text === null ? null : (JSON.parse(text) as SwapJobResult);
}

/** The PNG of swap `id`, or null. */
export function getResult(redis: Redis, id: string): Promise<Buffer | null> {
  return redis.getBuffer(redisKeys.result(id));
}
