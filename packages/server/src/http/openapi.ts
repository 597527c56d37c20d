/** The OpenAPI 3.1 document of API v1, served at `/openapi.json`. */

const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const swapResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Swap' } } } });

/** The option fields photos and videos share. */
const OPTION_FIELDS = {
  method: { enum: ['fslsd', 'megafs'], default: 'fslsd' },
  faceIndex: { type: 'integer', minimum: 0 },
  sourceFaceIndex: { type: 'integer', minimum: 0 },
  split: { type: 'string' },
  strength: { type: 'number' },
  editor: { type: 'boolean' },
  minScore: { type: 'number', minimum: 0, maximum: 1 },
};

/** `POST /v1/swaps` or `/v1/videos`: the multipart body and the answers. */
function createOperation(summary: string, files: { readonly source: string; readonly target: string }, fields: Record<string, unknown>, refused: { readonly 413: string; readonly 415: string }) {
  return {
    summary,
    parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description: 'A retried POST with the same key and request answers the first job (200, Idempotent-Replay: true).' }],
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['source', 'target'],
            properties: { source: { type: 'string', format: 'binary', description: files.source }, target: { type: 'string', format: 'binary', description: files.target }, ...OPTION_FIELDS, ...fields },
          },
        },
      },
    },
    responses: {
      202: swapResponse('Queued'),
      200: swapResponse('An idempotent replay: the job of the first request'),
      400: errorResponse('A field is wrong or missing'),
      401: errorResponse('No valid API key'),
      413: errorResponse(refused[413]),
      415: errorResponse(refused[415]),
      422: errorResponse('A malformed image, or an Idempotency-Key reused for another request'),
      429: errorResponse('RATE_LIMITED (requests per minute of this key; Retry-After says when) or QUOTA_EXCEEDED (this tenant has its quota of swaps waiting or running)'),
    },
  };
}

/** An OpenAPI document, as JSON. */
export interface OpenApiDocument {
  /** The OpenAPI version, `3.1.0`. */
  readonly openapi: string;
  /** Title, API version, description and licence. */
  readonly info: { readonly title: string; readonly version: string; readonly [key: string]: unknown };
  /** Every route, by path. */
  readonly paths: Readonly<Record<string, unknown>>;
  /** Components, security, … */
  readonly [key: string]: unknown;
}

/** The document of API v1 (a plain JSON value). */
export const OPENAPI_DOCUMENT: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'fslsd swap service',
    version: '1',
    description: 'Face swaps as jobs: POST the photos, poll the status, GET the PNG, labelled in its XMP metadata as a synthetic face swap. Every error is JSON {"error": {"code", "message", "fix"}}.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (fslsd api-key TENANT); X-API-Key is accepted too.' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message', 'fix'], properties: { code: { type: 'string' }, message: { type: 'string' }, fix: { type: 'string' } } } },
      },
      Swap: {
        type: 'object',
        required: ['id', 'status', 'method', 'createdAt', 'attempts'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          kind: { enum: ['photo', 'video'] },
          status: { enum: ['waiting', 'active', 'completed', 'failed', 'cancelled', 'expired'] },
          method: { enum: ['fslsd', 'megafs'] },
          createdAt: { type: 'string', format: 'date-time' },
          attempts: { type: 'integer' },
          startedAt: { type: 'string', format: 'date-time', description: 'When a worker (last) started it.' },
          finishedAt: { type: 'string', format: 'date-time' },
          progress: { type: 'object', properties: { stage: { type: 'string', description: 'a network stage; for videos, frames' }, stagesDone: { type: 'integer' }, frames: { type: 'integer', description: 'Videos: the frame count' } } },
          result: {
            type: 'object',
            properties: {
              url: { type: 'string' }, contentType: { enum: ['image/png', 'video/mp4'] }, frames: { type: 'integer', description: 'Videos: frames written' }, width: { type: 'integer' }, height: { type: 'integer' }, bytes: { type: 'integer' },
              sha256: { type: 'string' }, faces: { type: 'integer' }, method: { type: 'string' }, models: { type: 'string' }, writtenBy: { type: 'string' }, writtenAt: { type: 'integer' }, milliseconds: { type: 'number' },
              sourceFace: { enum: ['encoded', 'cache'], description: 'cache: the source face was read from the fleet-wide cache (same photo, face index and model set)' },
            },
          },
          error: { $ref: '#/components/schemas/Error/properties/error' },
        },
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    '/v1/swaps': {
      post: createOperation(
        'Queue a photo swap',
        { source: 'Photo with the face to transfer (JPEG, PNG, WebP, TIFF, GIF, HEIF/AVIF).', target: 'Photo that receives it; the result has its size.' },
        { all: { type: 'boolean' } },
        { 413: 'An upload is over the byte or pixel limit', 415: 'Not multipart, or an upload is not a raster image (SVG, PDF, …)' },
      ),
    },
    '/v1/swaps/{id}': {
      get: { summary: 'Status, progress, result or error', parameters: [idParameter], responses: { 200: swapResponse('The swap'), 401: errorResponse('No valid API key'), 404: errorResponse('No such swap for this key') } },
      delete: { summary: 'Cancel a waiting or active swap (an active one is aborted by its worker; it never gets a result)', parameters: [idParameter], responses: { 200: swapResponse('Cancelled'), 404: errorResponse('No such swap for this key'), 409: errorResponse('Already completed or failed') } },
    },
    '/v1/swaps/{id}/result': {
      get: {
        summary: 'The swapped photo (PNG, XMP-labelled as synthetic)',
        parameters: [idParameter],
        responses: { 200: { description: 'The PNG', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, 404: errorResponse('No such swap for this key'), 409: errorResponse('Not completed'), 410: errorResponse('Expired') },
      },
    },
    '/v1/swaps/{id}/events': {
      get: {
        summary: 'Server-sent events: the swap as JSON (event: swap) at every change, until a final status',
        parameters: [idParameter],
        responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 404: errorResponse('No such swap for this key') },
      },
    },
    '/v1/videos': {
      post: createOperation(
        'Queue a video swap: the source face onto one tracked face of every frame (an MP4 with the audio kept, XMP-labelled as synthetic)',
        { source: 'Photo with the face to transfer.', target: 'Video: MP4, MOV, MKV or WebM; its frame count and size are checked by the worker before any frame is swapped.' },
        { smoothing: { type: 'number', minimum: 0, maximum: 1 } },
        { 413: 'An upload is over the byte limit', 415: 'The target is not a video container the service takes, or the source not a raster image' },
      ),
    },
    '/v1/videos/{id}': {
      get: { summary: 'Status, progress (frames), result or error (VIDEO_TOO_LONG, TOO_MANY_PIXELS, …)', parameters: [idParameter], responses: { 200: swapResponse('The video swap'), 404: errorResponse('No such video swap for this key') } },
      delete: { summary: 'Cancel a waiting or active video swap', parameters: [idParameter], responses: { 200: swapResponse('Cancelled'), 404: errorResponse('No such video swap for this key'), 409: errorResponse('Already completed or failed') } },
    },
    '/v1/videos/{id}/result': {
      get: { summary: 'The swapped video (MP4, XMP-labelled as synthetic)', parameters: [idParameter], responses: { 200: { description: 'The MP4', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } }, 404: errorResponse('No such video swap for this key'), 409: errorResponse('Not completed'), 410: errorResponse('Expired') } },
    },
    '/v1/videos/{id}/events': {
      get: { summary: 'Server-sent events, as for photo swaps', parameters: [idParameter], responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 404: errorResponse('No such video swap for this key') } },
    },
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'The process answers' } } } },
    '/readyz': { get: { summary: 'Readiness: Redis answers', security: [], responses: { 200: { description: 'Ready' }, 503: errorResponse('Redis does not answer') } } },
    '/metrics': { get: { summary: 'Prometheus metrics: queue depth per method and state, swap duration histograms (wait, run, total), failures by code, requests', security: [], responses: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } } },
  },
};
