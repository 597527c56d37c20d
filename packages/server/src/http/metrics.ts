/**
 * `GET /metrics`: Prometheus' text format (0.0.4). Queue depths and the swap histograms are the
 * fleet's, read from Redis at each scrape (workers record every swap there), so every server
 * answers the same figures and a restart loses none; request counts are this server's.
 *
 * Written by hand rather than with prom-client: prom-client keeps counters and histograms in the
 * process that observes them, and here the observations are made by the workers (no HTTP) and
 * summed in Redis; its custom collectors can set gauges but not histograms.
 */
import { METHODS, type Method } from '@fslsd/core';
import type { FastifyInstance } from 'fastify';
import { redisKeys } from '../queue/names.js';
import { DURATION_BUCKETS, type DurationPhase } from '../queue/storage.js';
import type { ServiceContext } from './context.js';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;
const PHASES: readonly DurationPhase[] = ['wait', 'run', 'total'];

/** A label value escaped as the text format requires. */
const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function registerMetrics(app: FastifyInstance, context: ServiceContext): void {
  const requests = new Map<string, number>();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method}|${route}|${reply.statusCode}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
  });

  app.get('/metrics', async (_request, reply) => {
    const lines: string[] = [];
    const help = (name: string, type: string, text: string) => lines.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`);

    help('fslsd_queue_jobs', 'gauge', 'Swap jobs in the queue of each method, by state (completed/failed: those not yet removed, kept for the TTL).');
    const counts = await Promise.all(METHODS.map(async (method) => [method, await context.queues.get(method)!.getJobCounts(...STATES)] as const));
    for (const [method, byState] of counts) for (const state of STATES) lines.push(`fslsd_queue_jobs{method="${method}",state="${state}"} ${byState[state] ?? 0}`);

    help('fslsd_queue_workers', 'gauge', 'Workers connected to the queue of each method.');
    for (const method of METHODS) lines.push(`fslsd_queue_workers{method="${method}"} ${await context.queues.get(method)!.getWorkersCount()}`);

    help('fslsd_swap_duration_seconds', 'histogram', 'Seconds of each completed swap: wait (queued until a worker started it), run (the swap in the worker), total (request to result).');
    for (const method of METHODS) {
      const fields = await context.redis.hgetall(redisKeys.durations(method as Method));
      for (const phase of PHASES) {
        const tags = `method="${method}",phase="${phase}"`;
        for (const bound of DURATION_BUCKETS) lines.push(`fslsd_swap_duration_seconds_bucket{${tags},le="${bound}"} ${Number(fields[`${phase}:${bound}`] ?? 0)}`);
        const count = Number(fields[`${phase}:count`] ?? 0);
        lines.push(`fslsd_swap_duration_seconds_bucket{${tags},le="+Inf"} ${count}`);
        lines.push(`fslsd_swap_duration_seconds_sum{${tags}} ${Number(fields[`${phase}:sum`] ?? 0)}`);
        lines.push(`fslsd_swap_duration_seconds_count{${tags}} ${count}`);
      }
    }

    help('fslsd_swaps_failed_total', 'counter', 'Swaps that failed for good (no retry left), by method and error code (CANCELLED counts cancelled active swaps).');
    const failures = await context.redis.hgetall(redisKeys.failures);
    for (const [field, value] of Object.entries(failures).sort()) {
      const [method, code] = field.split(':');
      lines.push(`fslsd_swaps_failed_total{method="${label(method ?? '')}",code="${label(code ?? '')}"} ${Number(value)}`);
    }

    help('fslsd_http_requests_total', 'counter', 'HTTP requests this server answered, by method, route and status.');
    for (const [key, value] of [...requests].sort()) {
      const [method, route, status] = key.split('|');
      lines.push(`fslsd_http_requests_total{method="${label(method!)}",route="${label(route!)}",status="${status}"} ${value}`);
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${lines.join('\n')}\n`);
  });
}
