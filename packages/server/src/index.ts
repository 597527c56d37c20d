/**
 * @fslsd/server: the fslsd swap service. An HTTP API that queues swaps in Redis
 * ({@link createService}, `fslsd-server serve`) and BullMQ workers that run them on a FaceSwapper
 * loaded once ({@link startWorker}, `fslsd-server worker`). Many workers on many machines share
 * one Redis; every result is a PNG labelled as a synthetic face swap in its XMP metadata.
 */
export { createService } from './http/app.js';
export type { Service, ServiceOptions } from './http/app.js';
export type { ServiceLimits } from './http/context.js';
export { COLLECTIONS } from './http/swap-view.js';
export type { SwapView, SwapStatus } from './http/swap-view.js';
export { OPENAPI_DOCUMENT } from './http/openapi.js';
export type { OpenApiDocument } from './http/openapi.js';
export { RASTER_FORMATS, VIDEO_FORMATS, sniffRaster, sniffVideo } from './http/image-check.js';
export type { RasterFormat, VideoFormat } from './http/image-check.js';
export { startWorker } from './worker/worker.js';
export type { SwapWorker, SwapWorkerOptions, SwapWorkerEvent } from './worker/worker.js';
export { createKey, hashKey, loadKeys, parseKeys } from './auth/keys.js';
export type { KeyRing } from './auth/keys.js';
export { JOB_VERSION, SWAP_KINDS } from './queue/contract.js';
export type { SwapJobData, SwapJobResult, SwapKind, SwapProgress, SwapRequestOptions } from './queue/contract.js';
export { queueName } from './queue/names.js';
export { ServiceError } from './errors.js';
export type { ErrorBody, ErrorCode, ErrorInfo, ServiceErrorCode } from './errors.js';
