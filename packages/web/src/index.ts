/**
 * @fslsd/web: face swapping in the browser, on onnxruntime-web (WebGPU first, WASM fallback),
 * with models fetched, verified and cached, and a Web Worker binding.
 */
export {
  FslsdError, ContractError, AbortError, SourceFace, METHODS, SOURCE_FACE_FORMAT, LATENT_SPLITS, createLatentSplit, WPlus, CROP_SIZE, LANDMARK_POINTS, MISSING_POINT,
  fivePointLandmarks, tensorToImage, SYNTHETIC_LABEL, DIGITAL_SOURCE_TYPE,
} from '@fslsd/core';
export type {
  FslsdErrorCode, Method, SourceFaceJSON, ProgressEvent, StageName, Precision, RgbImage, ImageTensor, MaskImage, Landmarks, Point, LatentSplit, LatentSplitName,
  FoundFace, Box, ModelSet, VideoFrameResult,
} from '@fslsd/core';
export { createSwapper, chooseBackend, choosePrecision } from './swapper.js';
export type { Backend, WebPrecision, WebSwapper, WebSwapperOptions } from './swapper.js';
export { exposeSwapper, connectSwapper } from './worker.js';
export type { RemoteFace, RemoteFoundFace, RemotePhotoResult, PhotoChoice, RemoteSwapper, RemoteSwapResult, WorkerSwapperOptions } from './worker.js';
export { createFaceAnalyzer } from './faces.js';
export type { WebFaceAnalyzer, WebFaceAnalyzerOptions } from './faces.js';
export { toRgbImage, toPhoto, toImageData, toPngBlob, PIXEL_LIMIT } from './images.js';
export type { ImageInput } from './images.js';
export { withXmpChunk } from './png.js';
export { cacheStorageModelCache } from './cache.js';
export { swapVideo, videoSupport } from './video.js';
export type { VideoSupport, WebVideoOptions, WebVideoResult } from './video.js';
export { writeWebm } from './webm.js';
export type { WebmFrame, WebmOptions } from './webm.js';
