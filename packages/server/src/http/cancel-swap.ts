/** `DELETE /v1/swaps/:id`: cancels a swap that no worker has started. */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import { ServiceError } from '../errors.js';
import { redisKeys } from '../queue/names.js';
import { deleteInputs } from '../queue/storage.js';
import type { ServiceContext } from './context.js';
import { ownedRecord, viewOf } from './swap-view.js';

export function registerCancelSwap(app: FastifyInstance, context: ServiceContext): void {
  app.delete<{ Params: { id: string } }>('/v1/swaps/:id', async (request) => {
    const tenant = authenticate(request, context.keys);
    const { id } = request.params;
    const record = await ownedRecord(context, id, tenant);
    const view = await viewOf(context, id, record);
    if (view.status === 'cancelled') return view;
    const notCancellable = (status: string) => new ServiceError('NOT_CANCELLABLE', 409, `Swap ${id} is ${status}; only a waiting swap can be cancelled.`, status === 'active' ? 'Wait for it to finish (GET /v1/swaps/:id), then discard the result.' : 'Nothing to cancel.');
    if (view.status !== 'waiting') throw notCancellable(view.status);
    const job = await context.queues.get(record.method)?.getJob(id);
    try {
      // remove() refuses a job a worker holds the lock of: it was picked up just now.
      await job?.remove();
    } catch {
      throw notCancellable('active');
    }
    const cancelledAt = Date.now();
    await context.redis.hset(redisKeys.record(id), 'cancelledAt', String(cancelledAt));
    await deleteInputs(context.redis, id);
    return { ...view, status: 'cancelled' as const };
  });
}
