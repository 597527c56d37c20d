/**
 * @fslsd/core/video: a source face onto a stream of frames, with temporal filters and a face
 * tracker, and the jitter metrics that measure them.
 */
export { OneEuroFilter, MovingAverage, temporalFilters, checkStrength } from './video/temporal.js';
export type { TemporalFilters } from './video/temporal.js';
export { secondDifferenceJitter, quadJitter } from './video/jitter.js';
export { FaceTracker, SEARCH_INPUT, SEARCH_SIDE, swapVideoFrames } from './video/video-swap.js';
export type { FaceTrackOptions, FramePasteOptions, VideoFrameResult, VideoSwapOptions } from './video/video-swap.js';
