/** Redis connections: a command client for the service's keys, and BullMQ's connection options. */
import { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import { ServiceError } from '../errors.js';

/** Checks a `redis://` or `rediss://` URL. @throws ServiceError `CONFIGURATION`. */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ServiceError('CONFIGURATION', 500, `--redis "${url}" is not a URL.`, 'Pass --redis redis://HOST:PORT (e.g. redis://127.0.0.1:6379).', { cause: error });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ServiceError('CONFIGURATION', 500, `--redis "${url}" has protocol ${parsed.protocol}.`, 'Pass a redis:// or rediss:// URL.');
  }
  return url;
}

/**
 * A command client for the service's own keys. `http`: a command fails after two reconnection
 * tries (the request answers 503 REDIS_UNAVAILABLE instead of hanging); `worker`: commands wait
 * for Redis to come back, as BullMQ's own connections do.
 */
export function createRedis(url: string, role: 'http' | 'worker'): Redis {
  const client = new Redis(checkRedisUrl(url), { maxRetriesPerRequest: role === 'http' ? 2 : null, enableReadyCheck: true });
  // Connection errors surface where they matter (a failed command, /readyz); ioredis would
  // otherwise print each reconnection attempt as an unhandled error event.
  client.on('error', () => undefined);
  return client;
}

/** BullMQ's connection options for `url` (BullMQ opens and closes its own clients). */
export function bullConnection(url: string): ConnectionOptions {
  return { url: checkRedisUrl(url), maxRetriesPerRequest: null };
}

/**
 * Resolves once `redis` has not been ready for `milliseconds` on end (checked twice a second);
 * `cancel()` stops watching. Closing a BullMQ worker or queue waits for Redis (to finish or hand
 * back jobs) and would wait forever for one that is gone: shutdown races this instead.
 */
export function unavailableFor(redis: Redis, milliseconds: number): { readonly gone: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((resolve) => {
    let since: number | undefined;
    timer = setInterval(() => {
      if (redis.status === 'ready') since = undefined;
      else if ((since ??= Date.now()) + milliseconds <= Date.now()) resolve();
    }, 500);
  });
  return { gone, cancel: () => clearInterval(timer) };
}
