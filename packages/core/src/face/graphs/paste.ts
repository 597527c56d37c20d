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
import { affineNodes, bytesToNchwNodes, photoSizeNodes, gridNodes, nchwToBytesNodes, normaliseNodes, roundNodes, samplingInitializers } from './sampling.js';

export function pasteGraph(size: number): ModelProto {
  const nodes = [
    ...photoSizeNodes(),
    node('Range', ['zero', 'width', 'one'], ['columns']),
    node('Range', ['zero', 'height', 'one'], ['rows']),
    node('Unsqueeze', ['columns', 'axis_first'], ['x_row']),
    node('Unsqueeze', ['rows', 'axis_last'], ['y_column']),
    // Crop coordinates of every patch pixel centre, normalised over the size^2 crop.
    ...affineNodes('x_row', 'y_column', ['u', 'v']),
    ...normaliseNodes('u', 'size', 'grid_u'),
    ...normaliseNodes('v', 'size', 'grid_v'),
    ...gridNodes('grid_u', 'grid_v', 'grid'),
    node('Reshape', ['alpha', 'alpha_shape'], ['alpha_nchw']),
    node('GridSample', ['alpha_nchw', 'grid'], ['weight'], { mode: 'bilinear', padding_mode: 'zeros', align_corners: 0 }),
    ...bytesToNchwNodes('face', 'face_nchw'),
    node('GridSample', ['face_nchw', 'grid'], ['face_sampled'], { mode: 'bilinear', padding_mode: 'border', align_corners: 0 }),
    ...bytesToNchwNodes('photo', 'photo_nchw'),
    // photo (1 - a) + face a, rounded as paste-back.ts rounds: floor(v + 0.5), clamped.
    node('Sub', ['one', 'weight'], ['keep_weight']),
    node('Mul', ['photo_nchw', 'keep_weight'], ['kept']),
    node('Mul', ['face_sampled', 'weight'], ['added']),
    node('Add', ['kept', 'added'], ['blended']),
    ...roundNodes('blended', 'clipped'),
    // Where the alpha is zero the photo's bytes pass through untouched.
    node('Greater', ['weight', 'zero'], ['covered']),
    node('Where', ['covered', 'clipped', 'photo_nchw'], ['result_float']),
    ...nchwToBytesNodes('result_float', 'pasted'),
  ];
  return makeModel(
    {
      name: 'paste',
      node: nodes,
      initializer: [...samplingInitializers(), int64Tensor('alpha_shape', [4], [1, 1, size, size]), floatTensor('size', [], Float32Array.of(size))],
      input: [valueInfo('photo', 'uint8', ['height', 'width', 3]), valueInfo('face', 'uint8', [size, size, 3]), valueInfo('alpha', 'float32', [size, size]), valueInfo('map', 'float32', [6])],
      output: [valueInfo('pasted', 'uint8', ['height', 'width', 3])],
    },
    `fslsd paste-back: a ${size}x${size} crop blended into the photo through the inverse alignment`,
  );
}
