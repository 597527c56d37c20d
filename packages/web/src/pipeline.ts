/**
 * @fslsd/web/pipeline: the building blocks under createFaceSwapper(), for apps that run the
 * networks on the calling thread or compose their own front end: the stage-level swapper on
 * aligned crops, the face analyzer, the worker side (`exposeSwapper`, for a worker of your own), backend choice, image conversion, labels, and the video swap on a channel of your own (`swapVideoFile`).
 */
export { createSwapper, chooseBackend, choosePrecision } from './swapper.js';
export type { WebSwapper, WebSwapperOptions } from './swapper.js';
export { createFaceAnalyzer } from './faces.js';
export type { WebFaceAnalyzer, WebFaceAnalyzerOptions } from './faces.js';
export { toRgbImage, toPhoto, decodeInput } from './images.js';
export { withXmpChunk } from './png.js';
export { withXmpSegment } from './jpeg.js';
export { cacheStorageModelCache } from './cache.js';
export { browserModelCache, storedModelSet } from './storage.js';
export type { BrowserModelCacheOptions } from './storage.js';
export { swapVideoFile } from './video.js';
export type { VideoChannel } from './video.js';
export { exposeSwapper } from './worker.js';
export type { WorkerPort } from './worker.js';
export { errorToWire, errorFromWire } from './wire.js';
export type { WireError } from './wire.js';
