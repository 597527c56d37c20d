/**
 * `GET /v1/swaps/:id/events` (and `/v1/videos/:id/events`): server-sent events. Every change of the swap (active, progress,
 * completed, failed) is sent as `event: swap` with the same JSON as `GET /v1/swaps/:id`; the
 * stream ends after a final status (completed, failed, cancelled, expired).
 */
import type { Method } from '@fslsd/core';
import { type ConnectionOptions, QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { ServiceContext } from './context.js';
import { SWAP_KINDS, type SwapKind } from '../queue/contract.js';
import { COLLECTIONS, ownedRecord, viewOf } from './swap-view.js';

const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);
const EVENTS = ['active', 'progress', 'completed', 'failed', 'removed', 'stalled', 'waiting'] as const;

/** One QueueEvents listener per method, shared by every open stream. */
export type QueueEventsOf = (method: Method) => QueueEvents;

export function registerEvents(app: FastifyInstance, context: ServiceContext, eventsOf: QueueEventsOf): void {
  // Streams last until their swap ends, which may be long after a SIGTERM: closing the server
  // ends them first (an EventSource client reconnects, through the load balancer, to a server
  // that is still up), or shutdown would wait for every watched swap.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });
  for (const kind of SWAP_KINDS) registerEventsOf(kind, app, context, eventsOf, open);
}

function registerEventsOf(kind: SwapKind, app: FastifyInstance, context: ServiceContext, eventsOf: QueueEventsOf, open: Set<() => void>): void {
  app.get<{ Params: { id: string } }>(`/v1/${COLLECTIONS[kind]}/:id/events`, async (request, reply) => {
    const tenant = authenticate(request, context.keys);
    const { id } = request.params;
    const record = await ownedRecord(context, id, tenant, kind);
    const events = eventsOf(record.method);
    await events.waitUntilReady();
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let closed = false;
    let sending = Promise.resolve();
    const close = () => {
      if (closed) return;
      closed = true;
      open.delete(close);
      clearInterval(heartbeat);
      for (const name of EVENTS) events.off(name, onEvent);
      out.end();
    };
    // Views are sent in order; each reads the swap's state afresh.
    const send = () => {
      sending = sending.then(async () => {
        if (closed) return;
        const view = await viewOf(context, id, await ownedRecord(context, id, tenant, kind));
        if (closed) return;
        out.write(`event: swap\ndata: ${JSON.stringify(view)}\n\n`);
        if (FINAL.has(view.status)) close();
      }).catch(() => close());
    };
    const onEvent = (event: { jobId: string }) => {
      if (event.jobId === id) send();
    };
    for (const name of EVENTS) events.on(name, onEvent);
    const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
    request.raw.once('close', close);
    open.add(close);
    send();
  });
}

/** A lazily created QueueEvents per method, and how to close them all. */
export function queueEventsPool(connection: () => ConnectionOptions, queueNameOf: (method: Method) => string): { readonly eventsOf: QueueEventsOf; close(): Promise<void> } {
  const pool = new Map<Method, QueueEvents>();
  return {
    eventsOf(method) {
      let events = pool.get(method);
      if (!events) {
        events = new QueueEvents(queueNameOf(method), { connection: connection() });
        events.on('error', () => undefined);
        events.setMaxListeners(0);
        pool.set(method, events);
      }
      return events;
    },
    async close() {
      await Promise.all([...pool.values()].map((events) => events.close()));
    },
  };
}
