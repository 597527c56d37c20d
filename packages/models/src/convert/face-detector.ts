/**
 * face-api's TinyFaceDetector (a Tiny YOLO v2 with depthwise-separable convolutions and one
 * class) as an ONNX graph.
 *
 * In:  `image` float32[1, 3, height, width], RGB in 0..255, height and width multiples of 32
 *      (face-api feeds a square `inputSize`, default 416, padded at the bottom/right).
 * Out: `grid` float32[1, 25, height/32, width/32]: per cell, 5 anchors x (tx, ty, tw, th,
 *      objectness), undecoded, channel = anchor * 5 + field, exactly the numbers face-api's
 *      network produces (transposed from its NHWC to NCHW).
 */
import { type ModelProto } from '@fslsd/core/graph';
import { GraphBuilder, type Value, valueInfo } from './graph-builder.js';
import type { Weight } from './tfjs-weights.js';

/** Per-channel mean face-api subtracts before dividing by 255 (its MEAN_RGB for this net). */
export const DETECTOR_MEAN_RGB = [117.001, 114.697, 97.404] as const;

/** Box anchors in grid cells, in the order of the grid's anchor axis (face-api's BOX_ANCHORS). */
export const DETECTOR_ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061], [4.266906, 5.178857], [9.041765, 10.66308],
];

/** Channels per anchor in the grid: tx, ty, tw, th, objectness. */
export const DETECTOR_BOX_FIELDS = 5;

export function faceDetectorGraph(weights: ReadonlyMap<string, Weight>): ModelProto {
  const g = new GraphBuilder();
  const get = (name: string): Weight => {
    const w = weights.get(name);
    if (!w) throw new Error(`tiny_face_detector weights lack "${name}"`);
    return w;
  };

  // Normalisation inside the graph: (x - mean) / 255, in that order, as face-api computes it
  // (a division, not a multiplication by 1/255, so the float32 results match bit for bit).
  const mean = g.constant('mean_rgb', [1, 3, 1, 1], Float32Array.from(DETECTOR_MEAN_RGB));
  const scale = g.constant('pixel_scale', [], Float32Array.of(255));
  let x: Value = { name: 'image', shape: [1, 3, 'height', 'width'] };
  x = g.same('Sub', x, [mean], 'centered');
  x = g.same('Div', x, [scale], 'normalized');

  // face-api's leaky(x) is relu(x - 0.1x) + 0.1x, i.e. LeakyReLU with slope 0.1.
  const leaky = (v: Value, name: string): Value => g.same('LeakyRelu', v, [], name, { alpha: { float: 0.10000000149011612 } });

  // conv0: a plain 3x3 convolution with 'valid' padding (the input shrinks by 2).
  const conv0 = get('conv0/filters');
  x = g.conv(x, g.convFilter(conv0), g.bias(get('conv0/bias')), { kernel: 3, stride: 1, pads: [0, 0, 0, 0], channels: conv0.shape[3]!, name: 'conv0' });
  x = leaky(x, 'conv0.leaky');

  // conv1..conv5: explicit 1-pixel zero padding, then a separable convolution (depthwise 3x3,
  // pointwise 1x1 + bias), then leaky ReLU. Each but the last is preceded by a 2x2 max pool.
  for (let layer = 1; layer <= 5; layer += 1) {
    // tf 'same' max pooling puts odd padding at the bottom/right: SAME_UPPER. Sizes are
    // symbolic (any multiple of 32), so the padding is left to the runtime.
    x = g.pool('MaxPool', x, { kernel: 2, stride: 2, sameUpper: true, name: `pool${layer}` });
    const depthwise = get(`conv${layer}/depthwise_filter`);
    const pointwise = get(`conv${layer}/pointwise_filter`);
    const channels = depthwise.shape[2]!;
    x = g.conv(x, g.depthwiseFilter(depthwise), undefined, { kernel: 3, stride: 1, pads: [1, 1, 1, 1], channels, group: channels, name: `conv${layer}.depthwise` });
    x = g.conv(x, g.convFilter(pointwise), g.bias(get(`conv${layer}/bias`)), { kernel: 1, stride: 1, pads: [0, 0, 0, 0], channels: pointwise.shape[3]!, name: `conv${layer}.pointwise` });
    x = leaky(x, `conv${layer}.leaky`);
  }
  // A stride-1 2x2 max pool ('same': one row and column of padding after the data).
  x = g.pool('MaxPool', x, { kernel: 2, stride: 1, sameUpper: true, name: 'pool6' });

  // This config has no conv6/conv7; conv8 is the 1x1 head: 5 anchors x 5 fields.
  const head = get('conv8/filters');
  x = g.conv(x, g.convFilter(head), g.bias(get('conv8/bias')), { kernel: 1, stride: 1, pads: [0, 0, 0, 0], channels: head.shape[3]!, name: 'conv8' });
  g.output(x, 'grid');

  const fields = DETECTOR_ANCHORS.length * DETECTOR_BOX_FIELDS;
  return g.model(
    [valueInfo('image', 'float32', [1, 3, 'height', 'width'])],
    [valueInfo('grid', 'float32', [1, fields, 'grid_height', 'grid_width'])],
    'face_detector',
    'face-api TinyFaceDetector (MIT, @vladmandic/face-api 1.7.15) converted by @fslsd/models: image [1,3,H,W] RGB 0..255, H,W multiples of 32 -> raw YOLO grid [1,25,H/32,W/32] (anchor*5 + [tx,ty,tw,th,objectness]).',
  );
}
