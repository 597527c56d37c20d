/**
 * The released MegaFS composition (inference.py, SoftErosion(17, 0.9, 7) and postprocess) as an
 * ONNX graph, so the 1024² image and mask never leave the session that generates them:
 *
 *   pixels = (raw - min(raw)) / (max(raw) - min(raw)) * 255      min-max over the whole image
 *   x = mask; 6 x: x = min(x, conv(x, cone)); x = conv(x, cone)  cone: 17x17, max(dist) - dist, sum 1
 *   soft = 1 where x >= 0.9, else x / max(x where x < 0.9)
 *   blended = pixels * soft + target * (1 - soft)                target in [0, 255]
 */
import { type ModelProto, floatTensor, makeModel, node, valueInfo } from '../graph/onnx.js';
import { CROP_SIZE } from '../image/tensor.js';

export const EROSION_KERNEL = 17;
export const EROSION_THRESHOLD = 0.9;
export const EROSION_ITERATIONS = 7;

/** The cone kernel as torch builds it in float32: max(dist) - dist, divided by its sum. */
export function erosionKernel(size = EROSION_KERNEL): Float32Array {
  const r = Math.floor(size / 2);
  const dist = new Float32Array(size * size);
  for (let y = 0; y < size; y += 1) for (let x = 0; x < size; x += 1) dist[y * size + x] = Math.fround(Math.sqrt(Math.fround((x - r) ** 2 + (y - r) ** 2)));
  const top = dist.reduce((a, b) => Math.max(a, b), 0);
  const cone = dist.map((d) => Math.fround(top - d));
  const sum = Math.fround(cone.reduce((a, b) => a + b, 0));
  return cone.map((v) => Math.fround(v / sum));
}

/** Inputs `raw` [1,3,S,S], `target` [1,3,S,S] in [0,255], `mask` [1,1,S,S] in [0,1]; outputs `blended`, `pixels`, `soft`. */
export function megafsComposeGraph(size = CROP_SIZE): ModelProto {
  const pad = Math.floor(EROSION_KERNEL / 2);
  const conv = (input: string, output: string) => node('Conv', [input, 'cone'], [output], { kernel_shape: [EROSION_KERNEL, EROSION_KERNEL], pads: [pad, pad, pad, pad] });
  const nodes = [
    node('ReduceMin', ['raw'], ['low'], { keepdims: 0 }),
    node('ReduceMax', ['raw'], ['high'], { keepdims: 0 }),
    node('Sub', ['raw', 'low'], ['shifted']),
    node('Sub', ['high', 'low'], ['span']),
    node('Div', ['shifted', 'span'], ['unit']),
    node('Mul', ['unit', 'full_scale'], ['pixels']),
  ];
  let x = 'mask';
  for (let i = 0; i < EROSION_ITERATIONS - 1; i += 1) {
    nodes.push(conv(x, `blurred_${i}`), node('Min', [x, `blurred_${i}`], [`eroded_${i}`]));
    x = `eroded_${i}`;
  }
  nodes.push(
    conv(x, 'spread'),
    node('GreaterOrEqual', ['spread', 'threshold'], ['inside']),
    node('Where', ['inside', 'zero', 'spread'], ['outside']),
    node('ReduceMax', ['outside'], ['outside_max'], { keepdims: 0 }),
    node('Div', ['spread', 'outside_max'], ['rescaled']),
    node('Where', ['inside', 'one', 'rescaled'], ['soft']),
    node('Mul', ['pixels', 'soft'], ['face_part']),
    node('Sub', ['one', 'soft'], ['keep']),
    node('Mul', ['target', 'keep'], ['target_part']),
    node('Add', ['face_part', 'target_part'], ['blended']),
  );
  return makeModel(
    {
      name: 'megafs-compose',
      node: nodes,
      initializer: [
        floatTensor('cone', [1, 1, EROSION_KERNEL, EROSION_KERNEL], erosionKernel()),
        floatTensor('full_scale', [], Float32Array.of(255)),
        floatTensor('threshold', [], Float32Array.of(EROSION_THRESHOLD)),
        floatTensor('zero', [], Float32Array.of(0)),
        floatTensor('one', [], Float32Array.of(1)),
      ],
      input: [valueInfo('raw', 'float32', [1, 3, size, size]), valueInfo('target', 'float32', [1, 3, size, size]), valueInfo('mask', 'float32', [1, 1, size, size])],
      output: [valueInfo('blended', 'float32', [1, 3, size, size]), valueInfo('pixels', 'float32', [1, 3, size, size]), valueInfo('soft', 'float32', [1, 1, size, size])],
    },
    'MegaFS composition: min-max to pixels, soft erosion of the face mask, blend into the target',
  );
}
