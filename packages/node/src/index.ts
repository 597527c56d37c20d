/**
 * @fslsd/node: face swapping in Node.js on onnxruntime-node (CPU, CUDA), sharp for images,
 * ffmpeg for video, and the `fslsd` command.
 *
 *   import { createFaceSwapper } from '@fslsd/node';
 *   const swapper = await createFaceSwapper({ models: 'tiny' });
 *   const result = await swapper.swap('alice.jpg', 'group.jpg');
 *   await result.save('swapped.jpg');
 *
 * The stage-level pieces (aligned-crop swapper, face analyzer, runtime) are in `@fslsd/node/pipeline`.
 */
export { createFaceSwapper } from './face-swapper.js';
export type { FaceSwapper, FaceSwapperOptions, FaceModelsOptions, ImageInput, SwapOptions, SwapResult, VideoOptions } from './face-swapper.js';
export {
  FslsdError, ContractError, AbortError, CheckpointError, SourceFace, METHODS, SOURCE_FACE_FORMAT, LATENT_SPLITS, createLatentSplit, WPlus, CROP_SIZE, LANDMARK_POINTS, MISSING_POINT,
  fivePointLandmarks, SYNTHETIC_LABEL, DIGITAL_SOURCE_TYPE,
} from '@fslsd/core';
export type {
  FslsdErrorCode, Method, SourceFaceJSON, ProgressEvent, StageName, Precision, RgbImage, MaskImage, Landmarks, Point, LatentSplit, LatentSplitName, FoundFace, Box,
  FaceSwapResult, SwappedFaceResult, EncodeSourceOptions, FaceFinding, NetworkOptions, RequestOptions, ModelSet, VideoFrameResult,
} from '@fslsd/core';
export { DEVICES } from './runtime.js';
export type { Device, DeviceChoice } from './runtime.js';
export { readImage, readPhoto, writeImage, PIXEL_LIMIT } from './image-io.js';
export type { Photo, WriteOptions, EncodedImage } from './image-io.js';
export { readLandmarks } from './landmarks-file.js';
export { importCheckpoints } from '@fslsd/models/node';
export type { ImportCheckpointsOptions } from '@fslsd/models/node';
export type { ImportProgress } from '@fslsd/models';
export { probeVideo } from './video.js';
export type { SwapVideoOptions, SwapVideoResult, VideoInfo } from './video.js';
// Training data: photos -> aligned crops, landmarks, masks and W+ by this front end (docs/dataset.md).
export { prepareDataset } from './dataset/prepare-dataset.js';
export type { DatasetSummary } from './dataset/prepare-dataset.js';
export type { PrepareDatasetOptions, DatasetProgressEvent } from './dataset/options.js';
export { AUGMENTATIONS, DATASET_FORMAT, DATASET_VERSION, WPLUS_BYTES, faceId } from './dataset/layout.js';
export type { Augmentation, DatasetManifest, FaceRecord, LandmarkSource, MaskSource, SkipCode, SkipRecord, Variant } from './dataset/layout.js';
