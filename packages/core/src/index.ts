/**
 * @fslsd/core: the face-swap pipeline, independent of any runtime (no fs, no DOM). This root
 * entry is what a user of @fslsd/node or @fslsd/web meets: the face swapper, its values (source
 * faces, images, latents, splits), typed errors and labels. The building blocks live behind
 * subpaths, for runtime packages and tools:
 *
 *   @fslsd/core/pipeline  the stage-level swapper on aligned crops, its executor and stages
 *   @fslsd/core/face      the face front end: detection, landmarks, alignment, masks, paste-back
 *   @fslsd/core/video     temporal filters, face tracking, frame streams
 *   @fslsd/core/graph     ONNX graph builders, model contracts, float16, external weights
 *
 * Two methods, one front end. FSLSD (src/fslsd/, each arrow a file under fslsd/stages/):
 *   source crop -> encode-latent -> W+_s ---------------------------\
 *   target crop -> encode-latent -> W+_t --------------------------- fuse-latents -> edit-latent -> latent
 *   landmarks (source, target) -> landmark-direction -> n ----------/
 *   latent + target crop + mask -> synthesize (G + E_t + blend + decoder, one graph) -> image, sideOutput
 * MegaFS (src/megafs/): crops -> encode (codes, f4) -> transfer -> generate (G from f4 + soft-eroded blend).
 * Both implement swapper.ts's Swapper; face/, video/ and face-swapper.ts use either.
 */
export { FslsdError, ContractError, AbortError, CheckpointError } from './errors.js';
export type { FslsdErrorCode } from './errors.js';
export { composeFaceSwapper } from './face-swapper.js';
export type {
  FaceSwapper, FaceSwapResult, SwappedFaceResult, EncodeSourceOptions, FaceSwapOptions, FaceFinding, NetworkOptions, RequestOptions, FrameSwapOptions,
} from './face-swapper.js';
export { METHODS, SourceFace, SOURCE_FACE_FORMAT, createSourceFace, modelSetId, sourceFaceFromJSON, sourceFaceToJSON } from './source-face.js';
export type { Method, SourceFaceJSON } from './source-face.js';
export type { ProgressEvent, StageName, Precision } from './swapper.js';
export type { OrtRuntime, RuntimeTensorType } from './runtime.js';
export { WPlus, CODE_COUNT, CODE_SIZE, DIRECTION_ROWS } from './latent/wplus.js';
export { LATENT_SPLITS, createLatentSplit, resolveLatentSplit } from './latent/split.js';
export type { LatentSplit, LatentSplitName, CodeSelection, CustomSplitOptions } from './latent/split.js';
export { LANDMARK_POINTS, MISSING_POINT, FIVE_POINT_INDICES, fivePointLandmarks, validateLandmarks } from './landmarks/maps.js';
export type { Point, Landmarks } from './landmarks/maps.js';
export { CROP_SIZE, imageToTensor, tensorToImage } from './image/tensor.js';
export { resizeLikePil } from './image/pil-resize.js';
export type { RgbImage, ImageTensor } from './image/tensor.js';
export type { MaskImage } from './mask/inner-mask.js';
export type { ModelEntry, ModelSet, ModelLoadOptions, ModelLoadProgress, LocalModelFile } from './model-set.js';
export type { FoundFace } from './face/found-face.js';
export type { Box } from './face/detector.js';
export type { Affine } from './face/affine.js';
export type { VideoFrameResult } from './video/video-swap.js';
export { syntheticMediaXmp, SYNTHETIC_LABEL, DIGITAL_SOURCE_TYPE } from './labels/synthetic-media.js';
