/** `GET /v1/swaps/:id/result`: the PNG, labelled in its XMP as a synthetic face swap. */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import { ServiceError } from '../errors.js';
import { getResult } from '../queue/storage.js';
import type { ServiceContext } from './context.js';
import { ownedRecord, viewOf } from './swap-view.js';

export function registerGetResult(app: FastifyInstance, context: ServiceContext): void {
  app.get<{ Params: { id: string } }>('/v1/swaps/:id/result', async (request, reply) => {
    const tenant = authenticate(request, context.keys);
    const { id } = request.params;
    const record = await ownedRecord(context, id, tenant);
    const png = await getResult(context.redis, id);
    if (png) {
      return reply
        .header('content-type', 'image/png')
        .header('content-disposition', `inline; filename="fslsd-swap-${id}.png"`)
        .header('cache-control', 'private, max-age=0')
        .send(png);
    }
    const view = await viewOf(context, id, record);
    if (view.status === 'completed' || view.status === 'expired') {
      throw new ServiceError('RESULT_EXPIRED', 410, `The result of swap ${id} is no longer kept.`, 'Submit the swap again; results are kept for the service\'s TTL.');
    }
    throw new ServiceError('RESULT_NOT_READY', 409, `Swap ${id} is ${view.status}; it has no result${view.status === 'failed' || view.status === 'cancelled' ? '' : ' yet'}.`, view.status === 'failed' || view.status === 'cancelled' ? 'GET /v1/swaps/:id says why; submit it again.' : 'Poll GET /v1/swaps/:id (or follow /events) until status is completed.');
  });
}
