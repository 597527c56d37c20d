/**
 * @fslsd/web: face swapping in the browser, on onnxruntime-web (WebGPU first, WASM fallback),
 * in a Web Worker this package ships, with models fetched, verified and stored (OPFS), and
 * PyTorch checkpoints imported in the browser (importCheckpoints).
 *
 *   const swapper = await createFaceSwapper({ models: 'tiny' });
 *   const result = await swapper.swap(await swapper.encodeSource(sourceFile), targetFile);
 *   const png = await result.toBlob();   // labelled as a synthetic face swap
 */
export {
  FslsdError, ContractError, AbortError, CheckpointError, SourceFace, METHODS, SOURCE_FACE_FORMAT, LATENT_SPLITS, createLatentSplit, WPlus, CROP_SIZE, LANDMARK_POINTS, MISSING_POINT,
  fivePointLandmarks, tensorToImage, SYNTHETIC_LABEL, DIGITAL_SOURCE_TYPE,
} from '@fslsd/core';
export type {
  FslsdErrorCode, Method, SourceFaceJSON, ProgressEvent, StageName, Precision, RgbImage, ImageTensor, MaskImage, Landmarks, Point, LatentSplit, LatentSplitName,
  FoundFace, Box, Affine, ModelSet, FaceSwapResult, SwappedFaceResult, EncodeSourceOptions, FaceSwapOptions, FaceFinding, NetworkOptions, RequestOptions,
} from '@fslsd/core';
export { createFaceSwapper, importCheckpoints } from './face-swapper.js';
export type { WebFaceSwapper, WebFaceSwapperOptions, WebImportOptions, WebSwapOptions, WebSwapResult, WebSwapVideoOptions } from './face-swapper.js';
export { storedModelSets, deleteStoredModelSet } from './storage.js';
export type { CheckpointRole, ImportProgress, Manifest } from '@fslsd/models';
export type { WebImageInput, ImageInput } from './images.js';
export { toImageData, toPngBlob, toLabelledBlob, PIXEL_LIMIT } from './images.js';
export { videoSupport } from './video.js';
export type { VideoSupport, WebVideoOptions, WebVideoResult } from './video.js';
export type { Backend, WebPrecision } from './swapper.js';
