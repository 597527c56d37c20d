/** `GET /v1/swaps/:id` and `GET /v1/videos/:id`: status, progress, the result's description or the typed error. */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import { SWAP_KINDS } from '../queue/contract.js';
import type { ServiceContext } from './context.js';
import { COLLECTIONS, ownedRecord, viewOf } from './swap-view.js';

export function registerGetSwap(app: FastifyInstance, context: ServiceContext): void {
  for (const kind of SWAP_KINDS) {
    app.get<{ Params: { id: string } }>(`/v1/${COLLECTIONS[kind]}/:id`, async (request) => {
      const tenant = authenticate(request, context.keys);
      const record = await ownedRecord(context, request.params.id, tenant, kind);
      return viewOf(context, request.params.id, record);
    });
  }
}
