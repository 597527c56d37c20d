/**
 * Inputs and results in Redis, as binary strings with a TTL. The result is written once: one
 * atomic script sets the PNG with NX and, only when that succeeded, its description. A retried
 * job (a stalled worker, a duplicate delivery) finds the first result and keeps it.
 */
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

const WRITE_ONCE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

/**
 * Writes the result of swap `id` unless one exists.
 * @returns `written: true` and `info` when this call wrote it; otherwise `written: false` and
 * the info of the result that was already there.
 */
export async function writeResultOnce(redis: Redis, id: string, png: Uint8Array, info: SwapJobResult, ttlSeconds: number): Promise<{ readonly written: boolean; readonly info: SwapJobResult }> {
  const written = await redis.eval(WRITE_ONCE, 2, redisKeys.result(id), redisKeys.resultInfo(id), Buffer.from(png.buffer, png.byteOffset, png.byteLength), JSON.stringify(info), String(ttlSeconds));
  if (written === 1) return { written: true, info };
  const existing = await getResultInfo(redis, id);
  return { written: false, info: existing ?? info };
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
