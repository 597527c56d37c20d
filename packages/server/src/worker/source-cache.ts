/**
 * Encoded source faces, cached in Redis by content: a source photo used for many targets is
 * encoded once across the whole fleet, not once per job or per worker.
 *
 *   key  fslsd:source-face:<model set id>:<sha256 of the photo's bytes>:<face index>
 *   value the SourceFace JSON (W+ code and landmarks, ~50 kB), with a TTL
 *
 * The model set's id is in the key because a W+ code means something only to the networks that
 * made it. Concurrent first uses of one photo (two workers, or two jobs of one worker) would each
 * encode it; a short lock (SET NX PX) makes all but one wait for the value instead.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AbortError, type SourceFace, sourceFaceFromJSON } from '@fslsd/core';
import type { Redis } from 'ioredis';
import { redisKeys } from '../queue/names.js';

/** Where a job's source face came from. */
export type SourceFaceOrigin = 'encoded' | 'cache';

/** Options of {@link createSourceFaceCache}. */
export interface SourceFaceCacheOptions {
  readonly redis: Redis;
  /** Seconds an encoded face is kept; 0 turns the cache off. */
  readonly ttlSeconds: number;
  /** Milliseconds another encoder of the same photo is waited for. Default 60 000. */
  readonly lockMilliseconds?: number;
}

/** Looks a source face up by content, or encodes it (once) and stores it. */
export interface SourceFaceCache {
  resolve(models: string, photo: Uint8Array, faceIndex: number, encode: () => Promise<SourceFace>, signal?: AbortSignal): Promise<{ readonly face: SourceFace; readonly origin: SourceFaceOrigin }>;
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const POLL_MILLISECONDS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createSourceFaceCache(options: SourceFaceCacheOptions): SourceFaceCache {
  const { redis, ttlSeconds } = options;
  const lockMilliseconds = options.lockMilliseconds ?? 60_000;

  /** The cached face, or undefined (absent, or unreadable: then it is dropped). */
  async function lookup(key: string): Promise<SourceFace | undefined> {
    const text = await redis.get(key);
    if (text === null) return undefined;
    try {
      return sourceFaceFromJSON(JSON.parse(text));
    } catch {
      await redis.del(key);
      return undefined;
    }
  }

  return {
    async resolve(models, photo, faceIndex, encode, signal) {
      if (ttlSeconds <= 0) return { face: await encode(), origin: 'encoded' };
      const digest = createHash('sha256').update(photo).digest('hex');
      const key = redisKeys.sourceFace(models, digest, faceIndex);
      const lock = `${key}:lock`;
      const token = randomUUID();
      for (;;) {
        const cached = await lookup(key);
        if (cached) return { face: cached, origin: 'cache' };
        if ((await redis.set(lock, token, 'PX', lockMilliseconds, 'NX')) === 'OK') {
          try {
            const face = await encode();
            await redis.set(key, JSON.stringify(face), 'EX', ttlSeconds);
            return { face, origin: 'encoded' };
          } finally {
            await redis.eval(RELEASE, 1, lock, token);
          }
        }
        // Another encoder holds the lock: wait for its value, or for the lock to go (it failed,
        // say NO_FACE, or died; the lock expires), then look again.
        while ((await redis.exists(lock)) === 1) {
          if (signal?.aborted) throw new AbortError('waiting for the source face');
          await sleep(POLL_MILLISECONDS);
        }
      }
    },
  };
}
