/**
 * @fslsd/core: the FSLSD face-swap pipeline, independent of any runtime.
 *
 * Dataflow of one swap (each arrow is a file under src/stages/):
 *   source crop -> encode-latent -> W+_s ---------------------------\
 *   target crop -> encode-latent -> W+_t --------------------------- fuse-latents -> edit-latent -> latent
 *   landmarks (source, target) -> landmark-direction -> n ----------/
 *   latent + target crop + mask -> synthesize (G + E_t + blend + decoder, one graph) -> image, sideOutput
 */
export * from './errors.js';
export type { OrtRuntime, RuntimeTensorType } from './runtime.js';
export { WPlus, CODE_COUNT, CODE_SIZE, DIRECTION_ROWS } from './latent/wplus.js';
export { LATENT_SPLITS, createLatentSplit, resolveLatentSplit } from './latent/split.js';
export type { LatentSplit, LatentSplitName, CodeSelection, CustomSplitOptions } from './latent/split.js';
export { fuseLatents } from './latent/fuse.js';
export {
  LANDMARK_POINTS, LANDMARK_MAP_SIZE, MISSING_POINT, FIVE_POINT_INDICES,
  landmarkPixelIndex, landmarkPixels, validateLandmarks, fivePointLandmarks,
} from './landmarks/maps.js';
export type { Point, Landmarks } from './landmarks/maps.js';
export { CROP_SIZE, checkCrop, imageToTensor, tensorToImage } from './image/tensor.js';
export type { RgbImage, ImageTensor } from './image/tensor.js';
export { defaultInnerMask, maskToTensor } from './mask/inner-mask.js';
export type { MaskImage } from './mask/inner-mask.js';
export { MODEL_CONTRACTS, MODEL_IDS, OPTIONAL_MODEL_IDS, checkDeclaredContract, checkModelContract, formatTensor } from './contracts/contract.js';
export type { ModelId, OptionalModelId, AnyModelId, ModelContract, TensorContract, Dim } from './contracts/contract.js';
export type { ModelEntry, ModelSet, ModelLoadOptions, ModelLoadProgress, LocalModelFile } from './model-set.js';
export { externalizeWeights, inlineWeightBytes, EXTERNAL_MIN_BYTES } from './graph/external-weights.js';
export { toFloat16, float16Bits, FLOAT32_OPS } from './graph/float16.js';
export { FEATURE_SIZES, blendGraph } from './graph/blend.js';
export type { BlendGraphOptions } from './graph/blend.js';
export { composeModels } from './graph/compose.js';
export type { GraphPart, ComposeOptions } from './graph/compose.js';
export { downscaleGraph, landmarkMapsGraph, clampGraph, triangleTaps, NO_PIXEL } from './graph/preludes.js';
export { decodeModel, encodeModel, describeValue, OPSET } from './graph/onnx.js';
export type { ModelProto } from './graph/onnx.js';
export { encodeLatentGraph } from './stages/encode-latent.js';
export { landmarkDirectionGraph } from './stages/landmark-direction.js';
export { synthesisGraph } from './stages/synthesize.js';
export type { SynthesisModels } from './stages/synthesize.js';
export { Executor, StageSession } from './executor.js';
export type { SessionRunEvent, TensorSummary, Feed } from './executor.js';
export { createSwapper } from './swapper.js';
export type {
  Swapper, SwapperOptions, SwapOptions, SwapResult, CallOptions, FaceInput, TargetInput, SourceFace, TargetFace, ProgressEvent, StageName, Precision,
} from './swapper.js';
export { syntheticMediaXmp, SYNTHETIC_LABEL, DIGITAL_SOURCE_TYPE } from './labels/synthetic-media.js';
export { sourceFaceToJSON, sourceFaceFromJSON, SOURCE_FACE_FORMAT } from './source-face.js';
export type { SourceFaceJSON } from './source-face.js';
export { applyAffine, invertAffine, composeAffine, affineScale, rescaleAffine } from './face/affine.js';
export type { Affine } from './face/affine.js';
export { alignFace, alignmentPointsFrom68, ffhqQuad, quadToPhoto } from './face/alignment.js';
export type { AlignedFace, AlignmentPoints, Quad } from './face/alignment.js';
export { warpAffine, shrinkImage, reflectIndex } from './face/warp.js';
export type { WarpOptions } from './face/warp.js';
export { landmarkFaceMasks, regionFaceMasks, dilateSquare, fillConvexPolygon } from './face/face-mask.js';
export type { FaceMasks, FaceMaskOptions } from './face/face-mask.js';
export { pasteBack } from './face/paste-back.js';
export type { PasteBackInput } from './face/paste-back.js';
export { encoderLandmarks, mapPoints, IBUG_TO_JD106, LAYOUT_POINTS } from './face/landmark-layout.js';
export type { LandmarkLayout } from './face/landmark-layout.js';
export { chooseFaces } from './face/choose.js';
export type { FaceChoice } from './face/choose.js';
export type { FoundFace } from './face/found-face.js';
// Face front-end: the converted face-api networks (@fslsd/models/faces), and the ONNX builders
// the converter in @fslsd/models reuses.
export { detectFaces, DETECTOR_DEFAULTS } from './face/detector.js';
export type { Box, DetectedFace, DetectOptions } from './face/detector.js';
export { detectLandmarks68, IBUG_POINTS } from './face/landmarks-68.js';
export { faceDescriptor, descriptorDistance, DESCRIPTOR_SIZE } from './face/descriptor.js';
export { node, valueInfo, floatTensor, makeModel, onnx as onnxProto } from './graph/onnx.js';
export type { AttributeValue, NodeProto, TensorProto, ValueInfoProto } from './graph/onnx.js';
export { createFaceAnalyzer, downscaleCrop, cropToPhoto, landmarkMapToPhoto } from './face/front-end.js';
export { PARSER_SIZE, PARSER_CLASSES, INNER_FACE_CLASSES, checkParserContract, parserRegionGraph } from './face/face-parser.js';
export type { FaceAnalyzer, FaceAnalyzerOptions, FaceModelFiles, PreparedFace, PrepareOptions } from './face/front-end.js';
export { encodeSourcePhoto, swapPhoto } from './face/photo-swap.js';
export type { PhotoSource, SwappedFace, PhotoSwapResult, SourcePhotoOptions, PhotoSwapOptions } from './face/photo-swap.js';
export { OneEuroFilter, MovingAverage, temporalFilters, checkStrength } from './video/temporal.js';
export type { TemporalFilters } from './video/temporal.js';
export { secondDifferenceJitter, quadJitter } from './video/jitter.js';
export { FaceTracker, swapVideoFrames } from './video/video-swap.js';
export type { FaceTrackOptions, VideoFrameResult, VideoSwapOptions } from './video/video-swap.js';
