/**
 * face-api's SsdMobilenetv1 face detector (a MobileNet v1 base, an SSD prediction head with six
 * box predictors, and the box decoder) as one ONNX graph, up to but not including face-api's
 * non-maximum suppression.
 *
 * In:  `image` float32[1, 3, 512, 512], RGB in 0..255: what face-api's
 *      `NetInput.toBatchTensor(512, false)` makes of a picture (zero-padded at the bottom or
 *      right to a square, then bilinearly resized to 512), in NCHW. The size is fixed: face-api
 *      always resizes to 512 and the priors are laid out for exactly that grid.
 * Out: `boxes`  float32[1, 5118, 4]: one decoded box per prior as (ymin, xmin, ymax, xmax),
 *               y before x, in units of the network input (0..1 spans the 512-pixel square,
 *               i.e. the padded picture). They are not clipped: face-api clamps to 0..1 only
 *               after NMS (`locateFaces`), so values slightly outside 0..1 occur.
 *      `scores` float32[1, 5118]: sigmoid of the face-class logit per prior.
 *      These are `SsdMobilenetv1.forwardInput(...)`'s `boxes[0]` and `scores[0]`.
 *
 * The corner order and units come from face-api's sources: `outputLayer.ts` decodes
 * (ty, tx, th, tw) against priors (p0, p1, p2, p3) with the sizes p2 - p0 and p3 - p1, and
 * `locateFaces` reads box[0] as top, box[1] as left, box[2] as bottom, box[3] as right and
 * multiplies them by the padded input's size. The priors in the weights confirm it: neighbouring
 * cells of the 32x32 map differ by 1/32 in columns 1 and 3, so those are x.
 *
 * 5118 priors = 32²·3 (conv 11, stride 16) + 16²·6 (conv 13) + 8²·6 + 4²·6 + 2²·6 + 1²·6 (the
 * four extra stride-2 layers), the order face-api concatenates them in: predictor by predictor,
 * then row, column, anchor within each. The count is read from `Output/extra_dim`.
 */
import { type ModelProto } from '@fslsd/core/graph';
import { GraphBuilder, type Value, samePadding, valueInfo } from './graph-builder.js';
import type { Weight } from './tfjs-weights.js';

/** The fixed side of face-api's SSD input. */
export const SSD_INPUT_SIZE = 512;

/** Priors (anchor boxes) of face-api's model; checked against the weights when converting. */
export const SSD_PRIORS = 5118;

/** tfjs's batch-norm epsilon as face-api passes it (float32 0.001 written out as a double). */
const BATCH_NORM_EPSILON = 0.0010000000474974513;

/** Strides of MobileNet v1's 13 depthwise layers (face-api: 2 at layers 2, 4, 6 and 12). */
const DOWNSAMPLING_LAYERS = new Set([2, 4, 6, 12]);

/** TensorFlow's 'same' padding of a window over an NCHW value, as ONNX pads [top, left, bottom, right]. */
function padsFor(input: Value, kernel: number, stride: number): [number, number, number, number] {
  const [top, bottom] = samePadding(input.shape[2] as number, kernel, stride);
  const [left, right] = samePadding(input.shape[3] as number, kernel, stride);
  return [top, left, bottom, right];
}

export function faceDetectorSsdGraph(weights: ReadonlyMap<string, Weight>): ModelProto {
  const g = new GraphBuilder();
  const get = (name: string): Weight => {
    const w = weights.get(name);
    if (!w) throw new Error(`ssd_mobilenetv1 weights lack "${name}"`);
    return w;
  };
  const priors = get('Output/extra_dim');
  const priorCount = priors.shape[1]!;
  if (priors.shape.length !== 3 || priors.shape[0] !== 1 || priors.shape[2] !== 4 || priorCount !== SSD_PRIORS) {
    throw new Error(`ssd_mobilenetv1 priors have shape [${priors.shape.join(', ')}], expected [1, ${SSD_PRIORS}, 4]`);
  }

  const scalar = (name: string, value: number): string => g.constant(name, [], Float32Array.of(value));
  const zero = scalar('zero', 0);
  const six = scalar('six', 6);
  const epsilon = scalar('batch_norm_epsilon', BATCH_NORM_EPSILON);
  // relu6 is tf.clipByValue(x, 0, 6) in face-api; Clip takes its bounds as inputs since opset 11.
  const relu6 = (v: Value, name: string): Value => g.same('Clip', v, [zero, six], name);

  // face-api's normalisation, in its order: x / 127.5 first, then - 1 (a division, so the float32
  // results equal tfjs's bit for bit; multiplying by 1/127.5 would round differently).
  let x: Value = { name: 'image', shape: [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE] };
  x = g.same('Div', x, [scalar('pixel_half_range', 127.5)], 'scaled');
  x = g.same('Sub', x, [scalar('one', 1)], 'normalized');

  /**
   * face-api's pointwiseConvLayer: a convolution with TF 'same' padding, the folded batch-norm
   * offset added as a bias, relu6. Despite the name it is 3x3 for the first layer and for the
   * odd layers of the prediction head.
   */
  const convBiasRelu6 = (input: Value, prefix: string, stride: number, name: string): Value => {
    const filter = get(`${prefix}/weights`);
    const kernel = filter.shape[0]!;
    const out = g.conv(input, g.convFilter(filter), g.bias(get(`${prefix}/convolution_bn_offset`)), {
      kernel, stride, pads: padsFor(input, kernel, stride), channels: filter.shape[3]!, name,
    });
    return relu6(out, `${name}.relu6`);
  };

  /**
   * face-api's depthwiseConvLayer: 3x3 depthwise 'same' convolution, tf.batchNorm, relu6. tfjs
   * evaluates offset + (x - mean) * scale / sqrt(variance + eps) per element; the graph keeps
   * that order (subtract, multiply, divide, add) with the 8-bit statistics as stored, so the
   * only differences are float32 roundings where tfjs's JavaScript rounds once from double.
   * sqrt(variance + eps) depends on constants only; ONNX Runtime folds it at load time.
   */
  const depthwiseBatchNormRelu6 = (input: Value, prefix: string, stride: number, name: string): Value => {
    const filter = get(`${prefix}/depthwise_weights`);
    const channels = filter.shape[2]!;
    let out = g.conv(input, g.depthwiseFilter(filter), undefined, {
      kernel: 3, stride, pads: padsFor(input, 3, stride), channels, group: channels, name,
    });
    const variance = g.channelVector(get(`${prefix}/BatchNorm/moving_variance`));
    const deviation = g.op('Sqrt', [g.op('Add', [variance, epsilon], `${name}.variance_eps`)], `${name}.deviation`);
    out = g.same('Sub', out, [g.channelVector(get(`${prefix}/BatchNorm/moving_mean`))], `${name}.centered`);
    out = g.same('Mul', out, [g.channelVector(get(`${prefix}/BatchNorm/gamma`))], `${name}.scaled`);
    out = g.same('Div', out, [deviation], `${name}.normalized`);
    out = g.same('Add', out, [g.channelVector(get(`${prefix}/BatchNorm/beta`))], `${name}.shifted`);
    return relu6(out, `${name}.relu6`);
  };

  // MobileNet v1: a strided 3x3 convolution, then 13 depthwise/pointwise pairs. The output of
  // pair 11 (32x32, stride 16) feeds the first box predictor, pair 13's (16x16) the second.
  x = convBiasRelu6(x, 'MobilenetV1/Conv2d_0_pointwise', 2, 'mobilenet.conv0');
  let conv11: Value | undefined;
  for (let layer = 1; layer <= 13; layer += 1) {
    const stride = DOWNSAMPLING_LAYERS.has(layer) ? 2 : 1;
    x = depthwiseBatchNormRelu6(x, `MobilenetV1/Conv2d_${layer}_depthwise`, stride, `mobilenet.conv${layer}.depthwise`);
    x = convBiasRelu6(x, `MobilenetV1/Conv2d_${layer}_pointwise`, 1, `mobilenet.conv${layer}.pointwise`);
    if (layer === 11) conv11 = x;
  }
  const features = x;

  // The SSD extra layers: four (1x1, then 3x3 stride 2) pairs shrinking 16 -> 8 -> 4 -> 2 -> 1.
  const extra: Value[] = [];
  let y = features;
  for (let layer = 0; layer < 8; layer += 1) {
    y = convBiasRelu6(y, `Prediction/Conv2d_${layer}_pointwise`, layer % 2 === 1 ? 2 : 1, `prediction.conv${layer}`);
    if (layer % 2 === 1) extra.push(y);
  }

  /**
   * One box predictor: two 1x1 convolutions (plain, with bias, no activation), each flattened
   * the way tfjs's NHWC reshape does, i.e. row, column, anchor: NCHW -> NHWC, then
   * [1, H*W*anchors, fields].
   */
  const flatten = (v: Value, fields: number, name: string): { name: string; rows: number } => {
    const [, channels, height, width] = v.shape as [number, number, number, number];
    const rows = (height * width * channels) / fields;
    const nhwc = g.op('Transpose', [v.name], `${name}.nhwc`, { perm: [0, 2, 3, 1] });
    return { name: g.op('Reshape', [nhwc, g.int64(`${name}.shape`, [1, rows, fields])], name), rows };
  };
  const predict = (input: Value, index: number): { encodings: string; classes: string; rows: number } => {
    const head = (kind: string, fields: number, name: string): { name: string; rows: number } => {
      const prefix = `Prediction/BoxPredictor_${index}/${kind}`;
      const filter = get(`${prefix}/weights`);
      const out = g.conv(input, g.convFilter(filter), g.bias(get(`${prefix}/biases`)), { kernel: 1, stride: 1, pads: [0, 0, 0, 0], channels: filter.shape[3]!, name });
      return flatten(out, fields, `${name}.flat`);
    };
    const encodings = head('BoxEncodingPredictor', 4, `predictor${index}.box_encoding`);
    // Three class logits per anchor: background, face, and a third face-api ignores.
    const classes = head('ClassPredictor', 3, `predictor${index}.class`);
    return { encodings: encodings.name, classes: classes.name, rows: encodings.rows };
  };
  const predictions = [conv11!, features, ...extra].map((v, i) => predict(v, i));
  const rows = predictions.reduce((n, p) => n + p.rows, 0);
  if (rows !== priorCount) throw new Error(`the SSD head yields ${rows} boxes but the weights hold ${priorCount} priors`);
  const encodings = g.op('Concat', predictions.map((p) => p.encodings), 'box_encodings', { axis: 1 });
  const classes = g.op('Concat', predictions.map((p) => p.classes), 'class_logits', { axis: 1 });

  // Column k of a [1, N, 4] (or [1, N, 3]) tensor as [1, N, 1].
  const column = (tensor: string, k: number, name: string): string => g.op('Slice', [tensor, g.int64(`${name}.start`, [k]), g.int64(`${name}.end`, [k + 1]), g.int64(`${name}.axis`, [2])], name);

  // The decoder of face-api's outputLayer, operation for operation (each tfjs op rounds to
  // float32 once, as each ONNX op does): priors as corners -> sizes and centres; the encodings
  // (ty, tx, th, tw) scaled by 1/10 (centre) and 1/5 (log size) as divisions.
  const priorTensor = g.weight(priors, [0, 1, 2], [1, priorCount, 4]);
  const p = [0, 1, 2, 3].map((k) => column(priorTensor, k, `prior.${k}`));
  const e = [0, 1, 2, 3].map((k) => column(encodings, k, `encoding.${k}`));
  const two = scalar('two', 2);
  const five = scalar('five', 5);
  const ten = scalar('ten', 10);
  const sizeY = g.op('Sub', [p[2]!, p[0]!], 'prior.height');
  const sizeX = g.op('Sub', [p[3]!, p[1]!], 'prior.width');
  const centreY = g.op('Add', [p[0]!, g.op('Div', [sizeY, two], 'prior.half_height')], 'prior.centre_y');
  const centreX = g.op('Add', [p[1]!, g.op('Div', [sizeX, two], 'prior.half_width')], 'prior.centre_x');
  const halfExtent = (encoding: string, size: string, name: string): string => {
    const grown = g.op('Exp', [g.op('Div', [encoding, five], `${name}.log_scale`)], `${name}.scale_factor`);
    return g.op('Div', [g.op('Mul', [grown, size], `${name}.extent`), two], name);
  };
  const centre = (encoding: string, size: string, priorCentre: string, name: string): string => {
    const shift = g.op('Mul', [g.op('Div', [encoding, ten], `${name}.offset`), size], `${name}.shift`);
    return g.op('Add', [shift, priorCentre], name);
  };
  const halfHeight = halfExtent(e[2]!, sizeY, 'box.half_height');
  const centreBoxY = centre(e[0]!, sizeY, centreY, 'box.centre_y');
  const halfWidth = halfExtent(e[3]!, sizeX, 'box.half_width');
  const centreBoxX = centre(e[1]!, sizeX, centreX, 'box.centre_x');
  const corners = [
    g.op('Sub', [centreBoxY, halfHeight], 'box.ymin'),
    g.op('Sub', [centreBoxX, halfWidth], 'box.xmin'),
    g.op('Add', [centreBoxY, halfHeight], 'box.ymax'),
    g.op('Add', [centreBoxX, halfWidth], 'box.xmax'),
  ];
  g.output({ name: g.op('Concat', corners, 'decoded_boxes', { axis: 2 }), shape: [1, priorCount, 4] }, 'boxes');

  // face-api applies the sigmoid to class columns 1.. and keeps column 1 (face); the sigmoid is
  // elementwise, so taking the column first gives the same numbers.
  const faceLogit = g.op('Reshape', [column(classes, 1, 'face_logit'), g.int64('scores.shape', [1, priorCount])], 'face_logits');
  g.output({ name: g.op('Sigmoid', [faceLogit], 'face_probability'), shape: [1, priorCount] }, 'scores');

  return g.model(
    [valueInfo('image', 'float32', [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE])],
    [valueInfo('boxes', 'float32', [1, priorCount, 4]), valueInfo('scores', 'float32', [1, priorCount])],
    'face_detector_ssd',
    `face-api SsdMobilenetv1 (MIT, @vladmandic/face-api 1.7.15) converted by @fslsd/models: image [1,3,512,512] RGB 0..255 (padded bottom/right to a square, resized to 512) -> boxes [1,${priorCount},4] decoded (ymin, xmin, ymax, xmax) in 0..1 of the input, scores [1,${priorCount}] face probability; before non-maximum suppression.`,
  );
}
