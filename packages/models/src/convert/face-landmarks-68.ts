/**
 * face-api's FaceLandmark68Net (the full one: four dense blocks of separable convolutions and
 * a fully connected head) as an ONNX graph.
 *
 * In:  `image` float32[1, 3, 112, 112], RGB in 0..255 (face-api's face crop, padded to a
 *      square around its centre and resized to 112).
 * Out: `landmarks` float32[1, 136]: x0, y0, x1, y1, ... relative to the 112x112 input
 *      (0..1 inside it), the raw network output before face-api removes the padding.
 */
import { type ModelProto } from '@fslsd/core/graph';
import { GraphBuilder, type Pads, type Value, samePadding, valueInfo } from './graph-builder.js';
import type { Weight } from './tfjs-weights.js';

/** Side of the square face crop the network takes. */
export const LANDMARKS_INPUT_SIZE = 112;

/** Per-channel mean face-api's feature extractors subtract before dividing by 255. */
export const FACE_MEAN_RGB = [122.782, 117.001, 104.298] as const;

/** TensorFlow 'same' padding of a square static input, in ONNX order [top, left, bottom, right]. */
export function samePads(size: number, kernel: number, stride: number): Pads {
  const [before, after] = samePadding(size, kernel, stride);
  return [before, before, after, after];
}

export function faceLandmarks68Graph(weights: ReadonlyMap<string, Weight>): ModelProto {
  const g = new GraphBuilder();
  const get = (name: string): Weight => {
    const w = weights.get(name);
    if (!w) throw new Error(`face_landmark_68 weights lack "${name}"`);
    return w;
  };

  const mean = g.constant('mean_rgb', [1, 3, 1, 1], Float32Array.from(FACE_MEAN_RGB));
  const scale = g.constant('pixel_scale', [], Float32Array.of(255));
  let x: Value = { name: 'image', shape: [1, 3, LANDMARKS_INPUT_SIZE, LANDMARKS_INPUT_SIZE] };
  x = g.same('Sub', x, [mean], 'centered');
  x = g.same('Div', x, [scale], 'normalized');

  /** face-api's depthwiseSeparableConv: depthwise 3x3 + pointwise 1x1 + bias, 'same' padding, no activation. */
  const separable = (input: Value, prefix: string, stride: number): Value => {
    const depthwise = get(`${prefix}/depthwise_filter`);
    const pointwise = get(`${prefix}/pointwise_filter`);
    const channels = depthwise.shape[2]!;
    const pads = samePads(input.shape[2] as number, 3, stride);
    const d = g.conv(input, g.depthwiseFilter(depthwise), undefined, { kernel: 3, stride, pads, channels, group: channels, name: `${prefix}.depthwise` });
    return g.conv(d, g.convFilter(pointwise), g.bias(get(`${prefix}/bias`)), { kernel: 1, stride: 1, pads: [0, 0, 0, 0], channels: pointwise.shape[3]!, name: `${prefix}.pointwise` });
  };

  /**
   * face-api's denseBlock4: a stride-2 first convolution (plain conv in block 0, separable
   * after), then three separable convolutions, each fed the ReLU of the sum of all earlier
   * outputs of the block. The sums are added in face-api's order (out1 + (out2 + (out3 + out4))).
   */
  const denseBlock = (input: Value, block: number): Value => {
    const prefix = `dense${block}`;
    let out1: Value;
    if (block === 0) {
      const filters = get(`${prefix}/conv0/filters`);
      const pads = samePads(input.shape[2] as number, 3, 2);
      out1 = g.conv(input, g.convFilter(filters), g.bias(get(`${prefix}/conv0/bias`)), { kernel: 3, stride: 2, pads, channels: filters.shape[3]!, name: `${prefix}.conv0` });
    } else {
      out1 = separable(input, `${prefix}/conv0`, 2);
    }
    out1 = g.same('Relu', out1, [], `${prefix}.out1`);
    const out2 = separable(out1, `${prefix}/conv1`, 1);
    const in3 = g.same('Relu', g.same('Add', out1, [out2.name], `${prefix}.sum12`), [], `${prefix}.in3`);
    const out3 = separable(in3, `${prefix}/conv2`, 1);
    const sum23 = g.same('Add', out2, [out3.name], `${prefix}.sum23`);
    const in4 = g.same('Relu', g.same('Add', out1, [sum23.name], `${prefix}.sum123`), [], `${prefix}.in4`);
    const out4 = separable(in4, `${prefix}/conv3`, 1);
    const sum34 = g.same('Add', out3, [out4.name], `${prefix}.sum34`);
    const sum234 = g.same('Add', out2, [sum34.name], `${prefix}.sum234`);
    return g.same('Relu', g.same('Add', out1, [sum234.name], `${prefix}.sum1234`), [], `${prefix}.out`);
  };

  for (let block = 0; block < 4; block += 1) x = denseBlock(x, block);
  // 7x7 average pool with stride 2 and no padding: 7x7 -> 1x1 (face-api's bottleneck).
  x = g.pool('AveragePool', x, { kernel: 7, stride: 2, name: 'bottleneck' });
  const flat = g.op('Flatten', [x.name], 'features', { axis: 1 });

  // Fully connected head: features [1, 256] x weights [256, 136] + bias.
  const fcWeights = get('fc/weights');
  const product = g.op('MatMul', [flat, g.weight(fcWeights, [0, 1], [...fcWeights.shape])], 'fc.product');
  const fcBias = get('fc/bias');
  const logits = g.op('Add', [product, g.weight(fcBias, [0], [...fcBias.shape])], 'fc');
  g.output({ name: logits, shape: [1, fcWeights.shape[1]!] }, 'landmarks');

  return g.model(
    [valueInfo('image', 'float32', [1, 3, LANDMARKS_INPUT_SIZE, LANDMARKS_INPUT_SIZE])],
    [valueInfo('landmarks', 'float32', [1, 136])],
    'face_landmarks_68',
    'face-api FaceLandmark68Net (MIT, @vladmandic/face-api 1.7.15) converted by @fslsd/models: image [1,3,112,112] RGB 0..255 -> landmarks [1,136] (x,y pairs relative to the 112x112 input, iBUG 300-W order).',
  );
}
