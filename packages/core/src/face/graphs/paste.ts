/**
 * Paste-back as an ONNX graph (see paste-back.ts): over the part of the photo the crop covers,
 * the swapped crop and its alpha sampled through the inverse alignment (GridSample: the crop
 * edge-clamped, the alpha zero outside), blended and rounded; where the alpha is zero the
 * photo's own bytes pass through.
 *
 * Contract: in `photo` uint8[height, width, 3] (the covered part of the photo, RGB), `face`
 * uint8[size, size, 3], `alpha` float32[size, size], `map` float32[6] (patch pixel centre ->
 * crop pixel centre); out `pasted` uint8[height, width, 3]. Equal to {@link pasteBack} within
 * one grey level (float32 coordinates here, float64 there).
 */
import { type ModelProto, floatTensor, int64Tensor, makeModel, node, valueInfo } from '../../graph/onnx.js';

export function pasteGraph(size: number): ModelProto {
  const scalar = (name: string, value: number) => floatTensor(name, [], Float32Array.of(value));
  const nodes = [
    node('Shape', ['photo'], ['photo_shape']),
    node('Gather', ['photo_shape', 'index_0'], ['height_int']),
    node('Gather', ['photo_shape', 'index_1'], ['width_int']),
    node('Cast', ['height_int'], ['height'], { to: 1 }),
    node('Cast', ['width_int'], ['width'], { to: 1 }),
    node('Range', ['zero', 'width', 'one'], ['columns']),
    node('Range', ['zero', 'height', 'one'], ['rows']),
    node('Unsqueeze', ['columns', 'axis_first'], ['x_row']),
    node('Unsqueeze', ['rows', 'axis_last'], ['y_column']),
    ...['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => node('Gather', ['map', `index_${i}`], [name])),
    node('Mul', ['a', 'x_row'], ['ax']),
    node('Mul', ['b', 'y_column'], ['by']),
    node('Add', ['ax', 'by'], ['ax_by']),
    node('Add', ['ax_by', 'c'], ['u']),
    node('Mul', ['d', 'x_row'], ['dx']),
    node('Mul', ['e', 'y_column'], ['ey']),
    node('Add', ['dx', 'ey'], ['dx_ey']),
    node('Add', ['dx_ey', 'f'], ['v']),
    // Normalised for GridSample (align_corners = 0) over the size^2 crop: (2 p + 1) / size - 1.
    ...normalise('u', 'grid_u'),
    ...normalise('v', 'grid_v'),
    node('Unsqueeze', ['grid_u', 'axis_last'], ['grid_u1']),
    node('Unsqueeze', ['grid_v', 'axis_last'], ['grid_v1']),
    node('Concat', ['grid_u1', 'grid_v1'], ['grid_uv'], { axis: -1 }),
    node('Unsqueeze', ['grid_uv', 'axis_first'], ['grid']),
    node('Reshape', ['alpha', 'alpha_shape'], ['alpha_nchw']),
    node('GridSample', ['alpha_nchw', 'grid'], ['weight'], { mode: 'bilinear', padding_mode: 'zeros', align_corners: 0 }),
    node('Cast', ['face'], ['face_float'], { to: 1 }),
    node('Transpose', ['face_float'], ['face_chw'], { perm: [2, 0, 1] }),
    node('Unsqueeze', ['face_chw', 'axis_first'], ['face_nchw']),
    node('GridSample', ['face_nchw', 'grid'], ['face_sampled'], { mode: 'bilinear', padding_mode: 'border', align_corners: 0 }),
    node('Cast', ['photo'], ['photo_float'], { to: 1 }),
    node('Transpose', ['photo_float'], ['photo_chw'], { perm: [2, 0, 1] }),
    node('Unsqueeze', ['photo_chw', 'axis_first'], ['photo_nchw']),
    // photo (1 - a) + face a, rounded as paste-back.ts rounds: floor(v + 0.5), clamped.
    node('Sub', ['one', 'weight'], ['keep_weight']),
    node('Mul', ['photo_nchw', 'keep_weight'], ['kept']),
    node('Mul', ['face_sampled', 'weight'], ['added']),
    node('Add', ['kept', 'added'], ['blended']),
    node('Add', ['blended', 'half'], ['shifted']),
    node('Floor', ['shifted'], ['rounded']),
    node('Clip', ['rounded', 'zero', 'byte_max'], ['clipped']),
    // Where the alpha is zero the photo's bytes pass through untouched.
    node('Greater', ['weight', 'zero'], ['covered']),
    node('Where', ['covered', 'clipped', 'photo_nchw'], ['result_float']),
    node('Cast', ['result_float'], ['result_nchw'], { to: 2 }),
    node('Squeeze', ['result_nchw', 'axis_first'], ['result_chw']),
    node('Transpose', ['result_chw'], ['pasted'], { perm: [1, 2, 0] }),
  ];
  return makeModel(
    {
      name: 'paste',
      node: nodes,
      initializer: [
        ...[0, 1, 2, 3, 4, 5].map((i) => int64Tensor(`index_${i}`, [], [i])),
        int64Tensor('axis_last', [1], [-1]),
        int64Tensor('axis_first', [1], [0]),
        int64Tensor('alpha_shape', [4], [1, 1, size, size]),
        scalar('zero', 0),
        scalar('one', 1),
        scalar('two', 2),
        scalar('half', 0.5),
        scalar('byte_max', 255),
        scalar('size', size),
      ],
      input: [valueInfo('photo', 'uint8', ['height', 'width', 3]), valueInfo('face', 'uint8', [size, size, 3]), valueInfo('alpha', 'float32', [size, size]), valueInfo('map', 'float32', [6])],
      output: [valueInfo('pasted', 'uint8', ['height', 'width', 3])],
    },
    `fslsd paste-back: a ${size}x${size} crop blended into the photo through the inverse alignment`,
  );
}

function normalise(input: string, output: string) {
  return [
    node('Mul', [input, 'two'], [`${output}_double`]),
    node('Add', [`${output}_double`, 'one'], [`${output}_edge`]),
    node('Div', [`${output}_edge`, 'size'], [`${output}_unit`]),
    node('Sub', [`${output}_unit`, 'one'], [output]),
  ];
}
