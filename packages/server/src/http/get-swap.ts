/** `GET /v1/swaps/:id`: status, progress, the result's description or the typed error. */
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { ServiceContext } from './context.js';
import { ownedRecord, viewOf } from './swap-view.js';

export function registerGetSwap(app: FastifyInstance, context: ServiceContext): void {
  app.get<{ Params: { id: string } }>('/v1/swaps/:id', async (request) => {
    const tenant = authenticate(request, context.keys);
    const record = await ownedRecord(context, request.params.id, tenant);
    return viewOf(context, request.params.id, record);
  });
}
