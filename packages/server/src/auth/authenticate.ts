/** The tenant of a request, from `Authorization: Bearer KEY` (or `X-API-Key: KEY`). */
import type { FastifyRequest } from 'fastify';
import { ServiceError } from '../errors.js';
import type { KeyRing } from './keys.js';

/** The key a request presents, if any (not checked). */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
  const apiKey = request.headers['x-api-key'];
  return bearer || (typeof apiKey === 'string' ? apiKey.trim() : undefined) || undefined;
}

/**
 * @returns the tenant that owns the request's key.
 * @throws ServiceError `UNAUTHORIZED` (401) for a missing or unknown key; the message never says which.
 */
export function authenticate(request: FastifyRequest, keys: KeyRing): string {
  const key = presentedKey(request);
  const tenant = key ? keys.tenantOf(key) : undefined;
  if (!tenant) {
    throw new ServiceError('UNAUTHORIZED', 401, key ? 'The API key is not valid.' : 'The request has no API key.', 'Send "Authorization: Bearer <key>" with a key from the operator (fslsd api-key TENANT makes one).');
  }
  return tenant;
}
