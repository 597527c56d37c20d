/**
 * `DELETE /v1/swaps/:id` (and `/v1/videos/:id`): cancels a swap that has not finished. A waiting swap is removed from
 * the queue; an active one is aborted by the worker running it (its id is published on
 * {@link CANCEL_CHANNEL}). Cancelling and writing the result exclude each other in Redis
 * (storage.ts), so a swap ends either cancelled with no result, or completed.
 */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import { ServiceError } from '../errors.js';
import { CANCEL_CHANNEL } from '../queue/names.js';
import { deleteInputs, markCancelled } from '../queue/storage.js';
import type { ServiceContext } from './context.js';
import { SWAP_KINDS, type SwapKind } from '../queue/contract.js';
import { COLLECTIONS, ownedRecord, viewOf } from './swap-view.js';

export function registerCancelSwap(app: FastifyInstance, context: ServiceContext): void {
  for (const kind of SWAP_KINDS) registerCancelOf(kind, app, context);
}

function registerCancelOf(kind: SwapKind, app: FastifyInstance, context: ServiceContext): void {
  app.delete<{ Params: { id: string } }>(`/v1/${COLLECTIONS[kind]}/:id`, async (request) => {
    const tenant = authenticate(request, context.keys);
    const { id } = request.params;
    const record = await ownedRecord(context, id, tenant, kind);
    const view = await viewOf(context, id, record);
    if (view.status === 'cancelled') return view;
    if (view.status !== 'waiting' && view.status !== 'active') {
      throw new ServiceError('NOT_CANCELLABLE', 409, `Swap ${id} is ${view.status}; only a waiting or active swap can be cancelled.`, view.status === 'completed' ? 'Nothing to cancel; discard the result if you do not want it.' : 'Nothing to cancel.');
    }
    // Marked first: a worker that picks the job up from now on fails it as CANCELLED at once.
    if (!(await markCancelled(context.redis, id, tenant))) {
      throw new ServiceError('NOT_CANCELLABLE', 409, `Swap ${id} completed before it could be cancelled.`, 'Nothing to cancel; discard the result if you do not want it.');
    }
    const job = await context.queues.get(record.method)?.getJob(id);
    // Only a queued job is removed: an active one may have just failed as CANCELLED (its worker
    // saw the mark), and removing that would erase its record of it.
    const state = await job?.getState();
    if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
      try {
        await job.remove();
      } catch {
        // A worker took it meanwhile (remove() refuses a locked job): the publish below reaches it.
      }
    }
    await context.redis.publish(CANCEL_CHANNEL, id);
    await deleteInputs(context.redis, id);
    return viewOf(context, id, { ...record, cancelledAt: Date.now() });
  });
}
