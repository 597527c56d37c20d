/**
 * The node groups the align and paste-back graphs share: an affine map read from a `map` input,
 * applied over a grid of pixel centres; GridSample's normalised coordinates; the grid tensor;
 * image bytes to float NCHW; and the initializers they name.
 */
import { type NodeProto, type TensorProto, floatTensor, int64Tensor, node } from '../../graph/onnx.js';

/** Initializers the node groups below read: map indices, axes, the scalars 0, 0.5, 1, 2, 255. */
export function samplingInitializers(): TensorProto[] {
  const scalar = (name: string, value: number) => floatTensor(name, [], Float32Array.of(value));
  return [
    ...[0, 1, 2, 3, 4, 5].map((i) => int64Tensor(`index_${i}`, [], [i])),
    int64Tensor('axis_last', [1], [-1]),
    int64Tensor('axis_first', [1], [0]),
    scalar('zero', 0),
    scalar('half', 0.5),
    scalar('one', 1),
    scalar('two', 2),
    scalar('byte_max', 255),
  ];
}

/**
 * (x, y) -> (a x + b y + c, d x + e y + f), the coefficients gathered from the float32[6] input
 * `map`; `row` is [1, W] (x along columns), `column` [H, 1] (y along rows), outputs [H, W].
 */
export function affineNodes(row: string, column: string, outputs: readonly [string, string]): NodeProto[] {
  const [u, v] = outputs;
  return [
    ...['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => node('Gather', ['map', `index_${i}`], [name])),
    node('Mul', ['a', row], ['ax']),
    node('Mul', ['b', column], ['by']),
    node('Add', ['ax', 'by'], ['ax_by']),
    node('Add', ['ax_by', 'c'], [u]),
    node('Mul', ['d', row], ['dx']),
    node('Mul', ['e', column], ['ey']),
    node('Add', ['dx', 'ey'], ['dx_ey']),
    node('Add', ['dx_ey', 'f'], [v]),
  ];
}

/** GridSample's normalised coordinate (align_corners = 0) of pixel centre p along an extent n: (2 p + 1) / n - 1. */
export function normaliseNodes(input: string, extent: string, output: string): NodeProto[] {
  return [
    node('Mul', [input, 'two'], [`${output}_double`]),
    node('Add', [`${output}_double`, 'one'], [`${output}_edge`]),
    node('Div', [`${output}_edge`, extent], [`${output}_unit`]),
    node('Sub', [`${output}_unit`, 'one'], [output]),
  ];
}

/** Normalised x and y [H, W] -> the grid [1, H, W, 2]. */
export function gridNodes(x: string, y: string, output: string): NodeProto[] {
  return [
    node('Unsqueeze', [x, 'axis_last'], [`${x}_1`]),
    node('Unsqueeze', [y, 'axis_last'], [`${y}_1`]),
    node('Concat', [`${x}_1`, `${y}_1`], [`${output}_xy`], { axis: -1 }),
    node('Unsqueeze', [`${output}_xy`, 'axis_first'], [output]),
  ];
}

/** uint8 [H, W, 3] -> float32 [1, 3, H, W]. */
export function bytesToNchwNodes(input: string, output: string): NodeProto[] {
  return [
    node('Cast', [input], [`${input}_float`], { to: 1 }),
    node('Transpose', [`${input}_float`], [`${input}_chw`], { perm: [2, 0, 1] }),
    node('Unsqueeze', [`${input}_chw`, 'axis_first'], [output]),
  ];
}

/** Rounded as the TypeScript rounds pixels: floor(v + 0.5), clamped to 0..255 (still float). */
export function roundNodes(input: string, output: string): NodeProto[] {
  return [
    node('Add', [input, 'half'], [`${output}_shifted`]),
    node('Floor', [`${output}_shifted`], [`${output}_floor`]),
    node('Clip', [`${output}_floor`, 'zero', 'byte_max'], [output]),
  ];
}

/** float32 [1, 3, H, W] holding whole values 0..255 -> uint8 [H, W, 3]. */
export function nchwToBytesNodes(input: string, output: string): NodeProto[] {
  return [
    node('Cast', [input], [`${output}_nchw`], { to: 2 }),
    node('Squeeze', [`${output}_nchw`, 'axis_first'], [`${output}_chw`]),
    node('Transpose', [`${output}_chw`], [output], { perm: [1, 2, 0] }),
  ];
}

/** The `photo` input's height and width (uint8 [H, W, 3]) as float scalars `height`, `width`. */
export function photoSizeNodes(): NodeProto[] {
  return [
    node('Shape', ['photo'], ['photo_shape']),
    node('Gather', ['photo_shape', 'index_0'], ['height_int']),
    node('Gather', ['photo_shape', 'index_1'], ['width_int']),
    node('Cast', ['height_int'], ['height'], { to: 1 }),
    node('Cast', ['width_int'], ['width'], { to: 1 }),
  ];
}
