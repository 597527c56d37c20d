/**
 * The face-parser contract: how a user's BiSeNet (face-parsing.PyTorch, `79999_iter.pth`, as the
 * official FSLSD code uses) exported to ONNX plugs in to give the inner-face mask m_t.
 *
 * Contract: one input [1,3,512,512] float32, RGB normalised with ImageNet's mean and std; first
 * output [1,19,512,512] class logits in the CelebAMask-HQ order below. fslsd wraps the parser in a
 * graph that does the normalisation, the per-pixel argmax, keeps the official inner-face classes
 * and resizes the region to the crop (bilinear, half-pixel, as cv2.resize): only a 1024^2 mask
 * leaves the runtime, never the logits. Dilation and feathering are the same as for the landmark
 * mask (face-mask.ts).
 */
import { ContractError } from '../errors.js';
import { type ModelProto, type NodeProto, describeValue, floatTensor, makeModel, node, valueInfo } from '../graph/onnx.js';
import { composeModels } from '../graph/compose.js';

/** Side of the parser's input. */
export const PARSER_SIZE = 512;

/** The 19 classes of face-parsing.PyTorch (CelebAMask-HQ), in output-channel order. */
export const PARSER_CLASSES = Object.freeze([
  'background', 'skin', 'left-brow', 'right-brow', 'left-eye', 'right-eye', 'eyeglasses', 'left-ear', 'right-ear', 'earring',
  'nose', 'mouth', 'upper-lip', 'lower-lip', 'neck', 'necklace', 'cloth', 'hair', 'hat',
] as const);

/** The classes the official code keeps for m_t: skin, nose, eyeglasses, eyes, brows, mouth, lips. */
export const INNER_FACE_CLASSES = Object.freeze(['skin', 'left-brow', 'right-brow', 'left-eye', 'right-eye', 'eyeglasses', 'nose', 'mouth', 'upper-lip', 'lower-lip'] as const);

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/**
 * Checks a parser against the contract.
 * @throws ContractError naming the tensor, the expected and the actual shape.
 */
export function checkParserContract(model: ModelProto): { input: string; output: string } {
  const graph = model.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  const outputs = graph.output ?? [];
  const fix = 'Export BiSeNet (face-parsing.PyTorch) with a [1,3,512,512] input and its [1,19,512,512] logits as the first output.';
  if (inputs.length !== 1) throw new ContractError('face-parser', 'inputs', 'exactly one image input', `${inputs.length} inputs`, fix);
  const input = describeValue(inputs[0]!);
  const want = (dims: (number | string)[], expected: number[]): boolean => dims.length === expected.length && dims.every((d, i) => d === expected[i] || (typeof d === 'string' && i === 0));
  if (input.dtype !== 'float32' || !want(input.dims, [1, 3, PARSER_SIZE, PARSER_SIZE])) {
    throw new ContractError('face-parser', inputs[0]!.name ?? 'input', `float32[1,3,${PARSER_SIZE},${PARSER_SIZE}]`, `${input.dtype}[${input.dims.join(',')}]`, fix);
  }
  if (!outputs.length) throw new ContractError('face-parser', 'outputs', 'class logits', 'no outputs', fix);
  const output = describeValue(outputs[0]!);
  if (output.dtype !== 'float32' || !want(output.dims, [1, PARSER_CLASSES.length, PARSER_SIZE, PARSER_SIZE])) {
    throw new ContractError('face-parser', outputs[0]!.name ?? 'output', `float32[1,${PARSER_CLASSES.length},${PARSER_SIZE},${PARSER_SIZE}] (the ${PARSER_CLASSES.length} CelebAMask-HQ classes)`, `${output.dtype}[${output.dims.join(',')}]`, fix);
  }
  return { input: inputs[0]!.name ?? '', output: outputs[0]!.name ?? '' };
}

/**
 * The parser wrapped for fslsd: input `pixels` [1,3,512,512] RGB in 0..255 (the aligned crop
 * downscaled), output `region` [1,1,size,size]: the inner-face classes as 1, others 0, resized.
 */
export function parserRegionGraph(parser: ModelProto, size = 1024): ModelProto {
  const { input, output } = checkParserContract(parser);
  const scale = new Float32Array(3);
  const shift = new Float32Array(3);
  // (x / 255 - mean) / std = x * (1 / (255 std)) - mean / std
  for (let c = 0; c < 3; c += 1) {
    scale[c] = 1 / (255 * IMAGENET_STD[c]!);
    shift[c] = -IMAGENET_MEAN[c]! / IMAGENET_STD[c]!;
  }
  const keep = new Float32Array(PARSER_CLASSES.length);
  PARSER_CLASSES.forEach((name, i) => {
    keep[i] = (INNER_FACE_CLASSES as readonly string[]).includes(name) ? 1 : 0;
  });
  const prelude = makeModel({
    name: 'parser-prelude',
    node: [node('Mul', ['pixels', 'scale'], ['scaled']), node('Add', ['scaled', 'shift'], ['normalised'])],
    initializer: [floatTensor('scale', [1, 3, 1, 1], scale), floatTensor('shift', [1, 3, 1, 1], shift)],
    input: [valueInfo('pixels', 'float32', [1, 3, PARSER_SIZE, PARSER_SIZE])],
    output: [valueInfo('normalised', 'float32', [1, 3, PARSER_SIZE, PARSER_SIZE])],
  }, 'ImageNet normalisation');
  const postludeNodes: NodeProto[] = [
    node('ArgMax', ['logits'], ['label'], { axis: 1, keepdims: 1 }),
    node('Gather', ['keep', 'label'], ['kept']),
    node('Resize', ['kept', '', 'resize_scales'], ['region'], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }),
  ];
  const postlude = makeModel({
    name: 'parser-postlude',
    node: postludeNodes,
    initializer: [
      floatTensor('keep', [PARSER_CLASSES.length], keep),
      floatTensor('resize_scales', [4], Float32Array.of(1, 1, size / PARSER_SIZE, size / PARSER_SIZE)),
    ],
    input: [valueInfo('logits', 'float32', [1, PARSER_CLASSES.length, PARSER_SIZE, PARSER_SIZE])],
    output: [valueInfo('region', 'float32', [1, 1, size, size])],
  }, 'argmax, inner-face classes, resize');
  return composeModels([
    { name: 'prelude', model: prelude, inputs: { pixels: 'pixels' }, outputs: { normalised: 'normalised' } },
    { name: 'parser', model: parser, inputs: { [input]: 'normalised' }, outputs: { [output]: 'logits' } },
    { name: 'postlude', model: postlude, inputs: { logits: 'logits' }, outputs: { region: 'region' } },
  ], {
    inputs: [valueInfo('pixels', 'float32', [1, 3, PARSER_SIZE, PARSER_SIZE])],
    outputs: [valueInfo('region', 'float32', [1, 1, size, size])],
    docString: 'fslsd face parser: ImageNet normalisation -> parser -> inner-face classes -> resize',
  });
}
