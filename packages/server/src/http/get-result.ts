/**
 * `GET /v1/swaps/:id/result` (the PNG) and `GET /v1/videos/:id/result` (the MP4), each labelled
 * in its XMP as a synthetic face swap.
 */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import { ServiceError } from '../errors.js';
import { SWAP_KINDS } from '../queue/contract.js';
import { getResult, getResultInfo } from '../queue/storage.js';
import type { ServiceContext } from './context.js';
import { COLLECTIONS, ownedRecord, viewOf } from './swap-view.js';

export function registerGetResult(app: FastifyInstance, context: ServiceContext): void {
  for (const kind of SWAP_KINDS) {
    const collection = COLLECTIONS[kind];
    app.get<{ Params: { id: string } }>(`/v1/${collection}/:id/result`, async (request, reply) => {
      const tenant = authenticate(request, context.keys);
      const { id } = request.params;
      const record = await ownedRecord(context, id, tenant, kind);
      const [bytes, info] = await Promise.all([getResult(context.redis, id), getResultInfo(context.redis, id)]);
      if (bytes && info) {
        const extension = info.contentType === 'video/mp4' ? 'mp4' : 'png';
        return reply
          .header('content-type', info.contentType)
          .header('content-disposition', `inline; filename="fslsd-swap-${id}.${extension}"`)
          .header('cache-control', 'private, max-age=0')
          .send(bytes);
      }
      const view = await viewOf(context, id, record);
      if (view.status === 'completed' || view.status === 'expired') {
        throw new ServiceError('RESULT_EXPIRED', 410, `The result of swap ${id} is no longer kept.`, "Submit the swap again; results are kept for the service's TTL.");
      }
      const over = view.status === 'failed' || view.status === 'cancelled';
      throw new ServiceError('RESULT_NOT_READY', 409, `Swap ${id} is ${view.status}; it has no result${over ? '' : ' yet'}.`, over ? `GET /v1/${collection}/:id says why; submit it again.` : `Poll GET /v1/${collection}/:id (or follow /events) until status is completed.`);
    });
  }
}
