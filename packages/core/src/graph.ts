/**
 * @fslsd/core/graph: ONNX graphs built and checked in TypeScript: the model contracts, the stage
 * graphs composed from the networks, the blend graph, float16 rewriting, external weights, and
 * the protobuf helpers the face-model converter in @fslsd/models uses.
 */
export { MODEL_CONTRACTS } from './fslsd/contracts.js';
export { MODEL_IDS, OPTIONAL_MODEL_IDS, MEGAFS_MODEL_IDS, checkDeclaredContract, checkModelContract, formatTensor } from './contracts/contract.js';
export type { ModelId, OptionalModelId, MegaFSModelId, AnyModelId, ModelContract, TensorContract, Dim } from './contracts/contract.js';
export { externalizeWeights, inlineWeightBytes, EXTERNAL_MIN_BYTES } from './graph/external-weights.js';
export { toFloat16, float16Bits, FLOAT32_OPS } from './graph/float16.js';
export { FEATURE_SIZES, blendGraph } from './fslsd/blend.js';
export type { BlendGraphOptions } from './fslsd/blend.js';
export { composeModels } from './graph/compose.js';
export type { GraphPart, ComposeOptions } from './graph/compose.js';
export { landmarkMapsGraph, clampGraph, NO_PIXEL } from './graph/preludes.js';
export { decodeModel, encodeModel, describeValue, OPSET, node, valueInfo, floatTensor, makeModel, onnx as onnxProto } from './graph/onnx.js';
export type { ModelProto, AttributeValue, NodeProto, TensorProto, ValueInfoProto } from './graph/onnx.js';
export { encodeLatentGraph } from './fslsd/stages/encode-latent.js';
export { landmarkDirectionGraph } from './fslsd/stages/landmark-direction.js';
export { synthesisGraph } from './fslsd/stages/synthesize.js';
export type { SynthesisModels } from './fslsd/stages/synthesize.js';
