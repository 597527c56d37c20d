/**
 * The HTTP API: a Fastify app with multipart uploads, API-key auth on /v1, and one error shape.
 * Fastify because it is the maintained Node framework with a first-party multipart plugin that
 * enforces byte limits while streaming (busboy), `inject()` for tests, and pino logs.
 */
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import { METHODS, type Method } from '@fslsd/core';
import { Queue } from 'bullmq';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { KeyRing } from '../auth/keys.js';
import { ServiceError, type ServiceErrorCode } from '../errors.js';
import { bullConnection, createRedis, unavailableFor } from '../queue/connection.js';
import type { SwapJobData, SwapJobResult } from '../queue/contract.js';
import { queueName } from '../queue/names.js';
import { registerCancelSwap } from './cancel-swap.js';
import { DEFAULT_LIMITS, type ServiceContext, type ServiceLimits, type SwapQueue } from './context.js';
import { registerCreateSwap } from './create-swap.js';
import { queueEventsPool, registerEvents } from './events.js';
import { registerGetResult } from './get-result.js';
import { registerGetSwap } from './get-swap.js';
import { registerHealth } from './health.js';
import { registerMetrics } from './metrics.js';
import { hashKey } from '../auth/keys.js';
import { presentedKey } from '../auth/authenticate.js';
import { OPENAPI_DOCUMENT } from './openapi.js';

/** Options of {@link createService}. */
export interface ServiceOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  readonly redis: string;
  /** The API keys (see `loadKeys`). */
  readonly keys: KeyRing;
  /** Upload, pixel, video, TTL, rate and quota limits; each defaults as {@link ServiceLimits} says. */
  readonly limits?: ServiceLimits;
  /** Log requests as JSON lines (pino) on stdout. Default false. */
  readonly logger?: boolean;
}

/** A running HTTP API. */
export interface Service {
  /** The Fastify app (`app.inject()` for in-process requests). */
  readonly app: FastifyInstance;
  /** Listens on `port` (0: a free one) and `host` (default 127.0.0.1); returns the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting requests, finishes those in flight and closes Redis. */
  close(): Promise<void>;
}

const STATUS_CODES: Readonly<Record<number, ServiceErrorCode>> = { 401: 'UNAUTHORIZED', 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 406: 'UNSUPPORTED_MEDIA_TYPE' };

/** Any error as the typed body it is answered with; unknown ones say nothing of their insides. */
function toServiceError(error: FastifyError, maxUploadBytes: number): ServiceError {
  if (error instanceof ServiceError) return error;
  const status = error.statusCode;
  if (status === 413) {
    return new ServiceError('PAYLOAD_TOO_LARGE', 413, `The upload is over this service's limit (${(maxUploadBytes / 1024 / 1024).toFixed(1)} MiB per file, two files, a few short fields).`, 'Send smaller images (downscale or recompress them).');
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new ServiceError(STATUS_CODES[status] ?? 'INVALID_REQUEST', status === 406 ? 415 : status, `The request is malformed: ${error.message.slice(0, 200)}.`, 'Send multipart/form-data with files source and target, as /openapi.json describes.');
  }
  if (/MaxRetriesPerRequest|ECONNREFUSED|Connection is closed/i.test(`${error.name} ${error.message}`)) {
    return new ServiceError('REDIS_UNAVAILABLE', 503, 'Redis does not answer.', 'Try again shortly; the operator checks redis-server and /readyz.');
  }
  return new ServiceError('INTERNAL', 500, 'The service failed on this request.', 'Try again; if it keeps failing, the operator finds the reason in the server log.');
}

/**
 * Creates the HTTP API on a Redis. It queues jobs for `fslsd-server worker` processes and serves
 * their results; it runs no network itself.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const redis = createRedis(options.redis, 'http');
  const queues = new Map<Method, SwapQueue>(METHODS.map((method) => [method, new Queue<SwapJobData, SwapJobResult>(queueName(method), { connection: bullConnection(options.redis) })]));
  const context: ServiceContext = { redis, queues, keys: options.keys, limits };
  const app = Fastify({ logger: options.logger ?? false });
  // BullMQ reconnects by itself; without a listener each failed attempt would print a stack.
  for (const queue of queues.values()) queue.on('error', (error) => app.log.warn({ err: error }, 'queue connection'));

  await app.register(multipart, {
    limits: { fileSize: limits.maxUploadBytes, files: 2, fields: 10, fieldSize: 1024, parts: 12, headerPairs: 100 },
  });
  // Per API key, in Redis (so every server behind a load balancer counts together), checked on
  // arrival before the body is read. Requests without a valid key count per address.
  await app.register(rateLimit, {
    redis,
    nameSpace: 'fslsd:rate:',
    max: limits.requestsPerMinute,
    timeWindow: 60_000,
    skipOnError: true,
    allowList: (request) => !request.url.startsWith('/v1/'),
    keyGenerator: (request) => {
      const key = presentedKey(request);
      return key !== undefined && options.keys.tenantOf(key) !== undefined ? `key:${hashKey(key)}` : `address:${request.ip}`;
    },
    errorResponseBuilder: (_request, limit) => new ServiceError('RATE_LIMITED', 429, `This API key made more than ${limit.max} requests in a minute, its rate limit.`, `Wait ${Math.ceil(limit.ttl / 1000)} s (the Retry-After header) and send it again.`),
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = toServiceError(error, limits.maxUploadBytes);
    if (answer.code === 'INTERNAL' || answer.code === 'REDIS_UNAVAILABLE') request.log.error({ err: error }, 'request failed');
    return reply.code(answer.status).send(answer.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ServiceError('NOT_FOUND', 404, `There is no ${request.method} ${request.url.split('?')[0]!.slice(0, 100)}.`, 'See /openapi.json for the API.');
    return reply.code(404).send(error.toBody());
  });
  app.get('/openapi.json', async () => OPENAPI_DOCUMENT);
  registerHealth(app, context);
  registerMetrics(app, context);
  registerCreateSwap(app, context);
  registerGetSwap(app, context);
  registerGetResult(app, context);
  registerCancelSwap(app, context);
  const events = queueEventsPool(() => bullConnection(options.redis), queueName);
  registerEvents(app, context, events.eventsOf);

  return {
    app,
    async listen(port, host = '127.0.0.1') {
      return app.listen({ port, host });
    },
    async close() {
      await app.close();
      // Closing BullMQ's clients waits for Redis; without it for 10 s, give up on a clean close.
      const watch = unavailableFor(redis, 10_000);
      await Promise.race([Promise.all([events.close(), ...[...queues.values()].map((queue) => queue.close())]), watch.gone]);
      watch.cancel();
      redis.disconnect();
    },
  };
}
