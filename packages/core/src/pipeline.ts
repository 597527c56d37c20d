/**
 * @fslsd/core/pipeline: the stage-level swapper on aligned 1024² crops (what the face swapper
 * drives), the executor that runs stage graphs on an injected ONNX Runtime, and the stages.
 */
export { createSwapper } from './fslsd/swapper.js';
// The encode-latent stage alone (only the psp-encoder loaded), for tools that need W+ and nothing else.
export { createLatentEncoder } from './fslsd/latent-encoder.js';
export type { LatentEncoder, LatentEncoderOptions } from './fslsd/latent-encoder.js';
export type {
  Swapper, SwapperOptions, SwapOptions, SwapResult, CallOptions, FaceInput, TargetInput, TargetFace, ProgressEvent, StageName, Precision,
} from './swapper.js';
export { Executor, StageSession } from './executor.js';
export type { SessionRunEvent, TensorSummary, Feed } from './executor.js';
export { fuseLatents } from './fslsd/fuse.js';
export { LANDMARK_MAP_SIZE, landmarkPixelIndex, landmarkPixels } from './landmarks/maps.js';
export { checkCrop } from './image/tensor.js';
export { defaultInnerMask, maskToTensor } from './mask/inner-mask.js';
export { checkOptions, OPTION_KEYS, TINY_MODELS_WARNING } from './face-swapper.js';
export { throwIfAborted } from './errors.js';
// MegaFS, the second method (megafs/): the same Swapper interface on its own three networks.
export { createMegaFSSwapper } from './megafs/swapper.js';
export { MEGAFS_CONTRACTS, MEGAFS_INPUT_SIZE } from './megafs/contracts.js';
export { megafsInput, reduceForMegaFS } from './megafs/input.js';
export { erosionKernel, megafsComposeGraph } from './megafs/soft-erosion.js';
