/**
 * @fslsd/core/face: the face front end on an injected ONNX Runtime: detection, 68 landmarks,
 * descriptors, FFHQ alignment, inner-face masks, paste-back, and the face choice.
 */
export { applyAffine, invertAffine, composeAffine, affineScale, rescaleAffine } from './face/affine.js';
export type { Affine } from './face/affine.js';
export { alignFace, alignmentPointsFrom68, ffhqQuad, quadToPhoto } from './face/alignment.js';
export type { AlignedFace, AlignmentPoints, Quad } from './face/alignment.js';
export { warpAffine, shrinkImage, reflectIndex } from './face/warp.js';
export type { WarpOptions } from './face/warp.js';
export { landmarkFaceMasks, landmarkRegion, maskKernels, regionFaceMasks, dilateSquare, fillConvexPolygon } from './face/face-mask.js';
export type { FaceMasks, FaceMaskOptions } from './face/face-mask.js';
export { pasteBack, pasteFootprint } from './face/paste-back.js';
export { createFrontEndGraphs } from './face/graphs/front-end-graphs.js';
export type { FrontEndGraphs } from './face/graphs/front-end-graphs.js';
export type { PasteBackInput } from './face/paste-back.js';
export { encoderLandmarks, mapPoints, IBUG_TO_JD106, LAYOUT_POINTS } from './face/landmark-layout.js';
export type { LandmarkLayout } from './face/landmark-layout.js';
export { chooseFaces } from './face/choose.js';
export type { FaceChoice } from './face/choose.js';
export type { FoundFace } from './face/found-face.js';
export { detectFaces, DETECTOR_DEFAULTS } from './face/detector.js';
export { detectFacesSsd, SSD_DEFAULTS, SSD_INPUT_SIZE } from './face/detector-ssd.js';
export type { SsdDetectOptions } from './face/detector-ssd.js';
export type { Box, DetectedFace, DetectOptions } from './face/detector.js';
export { detectLandmarks68, IBUG_POINTS } from './face/landmarks-68.js';
export { faceDescriptor, descriptorDistance, DESCRIPTOR_SIZE } from './face/descriptor.js';
export { createFaceAnalyzer, downscaleCrop, cropToPhoto, landmarkMapToPhoto } from './face/front-end.js';
export type { FaceAnalyzer, FaceAnalyzerOptions, FaceModelFiles, PreparedFace, PrepareOptions } from './face/front-end.js';
export { PARSER_SIZE, PARSER_CLASSES, INNER_FACE_CLASSES, checkParserContract, parserRegionGraph } from './face/face-parser.js';
