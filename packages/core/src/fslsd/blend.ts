/**
 * The feature-blend graph, as the official decoder computes it:
 *   for each scale i (8^2 .. 1024^2): m_i = resize(m_{i-1}, size_i), with m_{-1} the 1024^2 mask;
 *   blend_i = F_s[i] * m_i + F_t[i] * (1 - m_i).
 * The resize is torchvision 0.11's tensor Resize: bilinear, align_corners=False, no antialias,
 * which is ONNX Resize(mode=linear, coordinate_transformation_mode=half_pixel) at opset 17.
 * Because each mask is resized from the previous one, the first step takes 1024 -> 8 and every
 * later mask is a smooth upsampling of that 8x8 mask.
 */
import { type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto, floatTensor, int64Tensor, makeModel, node, valueInfo } from '../graph/onnx.js';

/** Spatial sizes of the 8 feature scales of a 1024^2 generator. */
export const FEATURE_SIZES = Object.freeze([8, 16, 32, 64, 128, 256, 512, 1024]);

export interface BlendGraphOptions {
  /** Channels of each scale's feature map (generator and target encoder agree). */
  readonly channels: readonly number[];
  /** Size of the incoming mask (1024). */
  readonly maskSize?: number;
  /** Also output `mask_i`, the mask pyramid (for tests and debugging). */
  readonly exposeMasks?: boolean;
}

/** Inputs `mask`, `source_feature_i`, `target_feature_i`; outputs `blend_i` (and `mask_i`). */
export function blendGraph(options: BlendGraphOptions): ModelProto {
  const maskSize = options.maskSize ?? 1024;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [floatTensor('one', [], Float32Array.of(1))];
  const inputs: ValueInfoProto[] = [valueInfo('mask', 'float32', [1, 1, maskSize, maskSize])];
  const outputs: ValueInfoProto[] = [];
  const maskOutputs: ValueInfoProto[] = [];
  let previous = 'mask';
  FEATURE_SIZES.forEach((size, i) => {
    const channels = options.channels[i]!;
    inputs.push(valueInfo(`source_feature_${i}`, 'float32', [1, channels, size, size]));
    inputs.push(valueInfo(`target_feature_${i}`, 'float32', [1, channels, size, size]));
    initializers.push(int64Tensor(`size_${i}`, [4], [1, 1, size, size]));
    const mask = `mask_${i}`;
    nodes.push(node('Resize', [previous, '', '', `size_${i}`], [mask], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }));
    nodes.push(node('Sub', ['one', mask], [`inverse_${i}`]));
    nodes.push(node('Mul', [`source_feature_${i}`, mask], [`source_part_${i}`]));
    nodes.push(node('Mul', [`target_feature_${i}`, `inverse_${i}`], [`target_part_${i}`]));
    nodes.push(node('Add', [`source_part_${i}`, `target_part_${i}`], [`blend_${i}`]));
    outputs.push(valueInfo(`blend_${i}`, 'float32', [1, channels, size, size]));
    maskOutputs.push(valueInfo(mask, 'float32', [1, 1, size, size]));
    previous = mask;
  });
  return makeModel(
    { name: 'blend', node: nodes, initializer: initializers, input: inputs, output: options.exposeMasks ? [...outputs, ...maskOutputs] : outputs },
    'fslsd feature blend: mask pyramid chained from 1024 -> 8 -> 16 ... and F_s*m + F_t*(1-m) per scale',
  );
}
