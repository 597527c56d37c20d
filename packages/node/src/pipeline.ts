/**
 * @fslsd/node/pipeline: the pieces createFaceSwapper() is built from, for tools that need one
 * stage alone: the stage-level swapper on aligned crops, the face analyzer, the runtime and
 * device choice, image and landmark files, and ffmpeg video.
 */
export { createSwapper, resolveModelSet } from './swapper.js';
export type { NodeSwapper, NodeSwapperOptions } from './swapper.js';
export { chooseDevice, nodeRuntime, sessionOptionsFor } from './runtime.js';
export { readAlignedCrop, readMask, toAlignedCrop, checkOutput } from './image-io.js';
export { sidecarLandmarks } from './landmarks-file.js';
export { createFaceAnalyzer, readFaceModels } from './faces.js';
export type { NodeFaceAnalyzer, NodeFaceAnalyzerOptions } from './faces.js';
export { probeVideo, decodeVideo, swapVideo, checkVideoOutput } from './video.js';
