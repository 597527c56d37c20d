/**
 * `/healthz`: the process answers (liveness). `/readyz`: Redis answers PING within a second
 * (readiness: a load balancer sends no requests to a server that cannot queue them).
 */
import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../errors.js';
import type { ServiceContext } from './context.js';

export function registerHealth(app: FastifyInstance, context: ServiceContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    const started = performance.now();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref());
    try {
      await Promise.race([context.redis.ping(), timeout]);
    } catch (error) {
      throw new ServiceError('REDIS_UNAVAILABLE', 503, 'Redis does not answer.', 'Check that redis-server runs and that --redis points at it.', { cause: error });
    }
    return { status: 'ready', redisMilliseconds: Math.round((performance.now() - started) * 10) / 10 };
  });
}
