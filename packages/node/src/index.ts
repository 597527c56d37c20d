/**
 * @fslsd/node: FSLSD face swapping in Node.js: onnxruntime-node (CPU, CUDA), sharp for images,
 * and the `fslsd` command.
 */
export * from '@fslsd/core';
export { createSwapper, resolveModelSet } from './swapper.js';
export type { NodeSwapper, NodeSwapperOptions } from './swapper.js';
export { chooseDevice, nodeRuntime, sessionOptionsFor, DEVICES } from './runtime.js';
export type { Device, DeviceChoice } from './runtime.js';
export { readImage, readPhoto, readAlignedCrop, readMask, writeImage, PIXEL_LIMIT } from './image-io.js';
export type { Photo, WriteOptions } from './image-io.js';
export { readLandmarks, sidecarLandmarks } from './landmarks-file.js';
export { createFaceAnalyzer, readFaceModels } from './faces.js';
export type { NodeFaceAnalyzer, NodeFaceAnalyzerOptions } from './faces.js';
export { probeVideo, decodeVideo, swapVideo } from './video.js';
export type { VideoInfo, SwapVideoOptions, SwapVideoResult } from './video.js';
