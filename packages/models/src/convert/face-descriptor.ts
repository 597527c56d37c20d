/**
 * face-api's FaceRecognitionNet (a ResNet-34-like network from dlib's face recognition model,
 * ported to TensorFlow.js) as an ONNX graph.
 *
 * In:  `image` float32[1, 3, 150, 150], RGB in 0..255 (face-api's aligned face crop, padded
 *      to a square around its centre and resized to 150).
 * Out: `descriptor` float32[1, 128], the face descriptor (compare with Euclidean distance).
 */
import { type ModelProto } from '@fslsd/core/graph';
import { GraphBuilder, type Value, valueInfo } from './graph-builder.js';
import { FACE_MEAN_RGB, samePads } from './face-landmarks-68.js';
import type { Weight } from './tfjs-weights.js';

/** Side of the square face crop the network takes. */
export const DESCRIPTOR_INPUT_SIZE = 150;

/** The residual stages in face-api's order; `down` ones halve the resolution. */
const STAGES: ReadonlyArray<{ readonly name: string; readonly down: boolean }> = [
  { name: 'conv32_1', down: false }, { name: 'conv32_2', down: false }, { name: 'conv32_3', down: false },
  { name: 'conv64_down', down: true }, { name: 'conv64_1', down: false }, { name: 'conv64_2', down: false }, { name: 'conv64_3', down: false },
  { name: 'conv128_down', down: true }, { name: 'conv128_1', down: false }, { name: 'conv128_2', down: false },
  { name: 'conv256_down', down: true }, { name: 'conv256_1', down: false }, { name: 'conv256_2', down: false },
  { name: 'conv256_down_out', down: true },
];

export function faceDescriptorGraph(weights: ReadonlyMap<string, Weight>): ModelProto {
  const g = new GraphBuilder();
  const get = (name: string): Weight => {
    const w = weights.get(name);
    if (!w) throw new Error(`face_recognition weights lack "${name}"`);
    return w;
  };

  const mean = g.constant('mean_rgb', [1, 3, 1, 1], Float32Array.from(FACE_MEAN_RGB));
  const scale = g.constant('pixel_scale', [], Float32Array.of(255));
  let x: Value = { name: 'image', shape: [1, 3, DESCRIPTOR_INPUT_SIZE, DESCRIPTOR_INPUT_SIZE] };
  x = g.same('Sub', x, [mean], 'centered');
  x = g.same('Div', x, [scale], 'normalized');

  /**
   * face-api's convLayer: conv + bias, then a learned per-channel scale and shift (the folded
   * batch norm of dlib's model, kept as separate Mul/Add to reproduce tfjs's rounding), then
   * an optional ReLU. 'same' padding unless `valid`.
   */
  const convLayer = (input: Value, prefix: string, stride: number, relu: boolean, valid: boolean): Value => {
    const filters = get(`${prefix}/conv/filters`);
    const kernel = filters.shape[0]!;
    const pads = valid ? ([0, 0, 0, 0] as const) : samePads(input.shape[2] as number, kernel, stride);
    let out = g.conv(input, g.convFilter(filters), g.bias(get(`${prefix}/conv/bias`)), { kernel, stride, pads, channels: filters.shape[3]!, name: `${prefix}.conv` });
    out = g.same('Mul', out, [g.channelVector(get(`${prefix}/scale/weights`))], `${prefix}.scaled`);
    out = g.same('Add', out, [g.channelVector(get(`${prefix}/scale/biases`))], `${prefix}.shifted`);
    return relu ? g.same('Relu', out, [], `${prefix}.relu`) : out;
  };

  const residual = (input: Value, prefix: string): Value => {
    const a = convLayer(input, `${prefix}/conv1`, 1, true, false);
    const b = convLayer(a, `${prefix}/conv2`, 1, false, false);
    return g.same('Relu', g.same('Add', b, [input.name], `${prefix}.sum`), [], `${prefix}.out`);
  };

  /**
   * face-api's residualDown: a stride-2 'valid' 3x3 conv path, and a shortcut that is a 2x2
   * average pool of the input, zero-padded in channels when the width doubles. Where the conv
   * path comes out one pixel smaller than the pooled shortcut (odd sizes), face-api appends a
   * zero row and a zero column to the conv path; Pad does the same.
   */
  const residualDown = (input: Value, prefix: string): Value => {
    const a = convLayer(input, `${prefix}/conv1`, 2, true, true);
    let b = convLayer(a, `${prefix}/conv2`, 1, false, false);
    let pooled = g.pool('AveragePool', input, { kernel: 2, stride: 2, name: `${prefix}.pool` });
    const [, channelsOut, heightOut, widthOut] = b.shape as number[];
    const [, channelsIn, heightIn, widthIn] = pooled.shape as number[];
    if (heightOut !== heightIn || widthOut !== widthIn) {
      if (heightIn! - heightOut! !== 1 || widthIn! - widthOut! !== 1) throw new Error(`${prefix}: unexpected shapes ${b.shape} vs ${pooled.shape}`);
      const pads = g.int64(`${prefix}.spatial_pads`, [0, 0, 0, 0, 0, 0, 1, 1]);
      b = { name: g.op('Pad', [b.name, pads], `${prefix}.conv_padded`), shape: [1, channelsOut!, heightIn!, widthIn!] };
    }
    if (channelsOut !== channelsIn) {
      const pads = g.int64(`${prefix}.channel_pads`, [0, 0, 0, 0, 0, channelsOut! - channelsIn!, 0, 0]);
      pooled = { name: g.op('Pad', [pooled.name, pads], `${prefix}.shortcut`), shape: [1, channelsOut!, heightIn!, widthIn!] };
    }
    // tfjs adds pooled + conv path (in that order; addition is commutative in IEEE arithmetic).
    return g.same('Relu', g.same('Add', pooled, [b.name], `${prefix}.sum`), [], `${prefix}.out`);
  };

  // 7x7 stride-2 'valid' conv (150 -> 72), then a 3x3 stride-2 'valid' max pool (72 -> 35).
  x = convLayer(x, 'conv32_down', 2, true, true);
  x = g.pool('MaxPool', x, { kernel: 3, stride: 2, name: 'conv32_down.pool' });
  for (const stage of STAGES) x = stage.down ? residualDown(x, stage.name) : residual(x, stage.name);

  // Global average over the remaining 2x2, then the 256 -> 128 projection (no bias).
  const pooled = g.op('ReduceMean', [x.name], 'global_average', { axes: [2, 3], keepdims: 0 });
  const fc = get('fc');
  const descriptor = g.op('MatMul', [pooled, g.weight(fc, [0, 1], [...fc.shape])], 'fc');
  g.output({ name: descriptor, shape: [1, fc.shape[1]!] }, 'descriptor');

  return g.model(
    [valueInfo('image', 'float32', [1, 3, DESCRIPTOR_INPUT_SIZE, DESCRIPTOR_INPUT_SIZE])],
    [valueInfo('descriptor', 'float32', [1, 128])],
    'face_descriptor',
    'face-api FaceRecognitionNet (MIT, @vladmandic/face-api 1.7.15) converted by @fslsd/models: image [1,3,150,150] RGB 0..255 -> descriptor [1,128] (Euclidean distance < 0.6: same person, face-api convention).',
  );
}
