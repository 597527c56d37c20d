/**
 * Alignment as an ONNX graph, for execution providers where the photo already is or where
 * sampling is cheap (CUDA, WebGPU): GridSample of the photo through the crop's affine map.
 *
 * Contract: in `photo` uint8[height, width, 3] (interleaved RGB), `map` float32[6]
 * (a, b, c, d, e, f: crop pixel centre (u, v) -> photo pixel centre (a u + b v + c, d u + e v + f));
 * out `crop` uint8[size, size, 3]. Equal to {@link warpAffine} without supersampling within one
 * grey level (the graph computes the map in float32, the TypeScript in float64).
 *
 * Outside the photo the picture is mirrored like numpy's `reflect` (about the edge pixels, not
 * repeating them), as warp.ts does: GridSample's own `reflection` mode repeats the edge, so the
 * coordinates are reflected here first (twice, which covers up to three photo widths away) and
 * GridSample only clamps.
 */
import { type ModelProto, floatTensor, makeModel, node, valueInfo } from '../../graph/onnx.js';
import { affineNodes, bytesToNchwNodes, photoSizeNodes, gridNodes, nchwToBytesNodes, normaliseNodes, roundNodes, samplingInitializers } from './sampling.js';

/** The `map` input of the align graph from an affine map. */
export function mapInput(map: { a: number; b: number; c: number; d: number; e: number; f: number }): Float32Array {
  return Float32Array.of(map.a, map.b, map.c, map.d, map.e, map.f);
}

export function alignGraph(size: number): ModelProto {
  const axis = Float32Array.from({ length: size }, (_, i) => i);
  const nodes = [
    // Photo size as floats: W - 1 and H - 1 (the reflection period) and W, H (normalisation).
    ...photoSizeNodes(),
    node('Sub', ['height', 'one'], ['last_row']),
    node('Sub', ['width', 'one'], ['last_col']),
    // Photo coordinates of every crop pixel centre, u along columns, v along rows.
    ...affineNodes('u_row', 'v_column', ['x', 'y']),
    ...reflect('x', 'last_col', 'x_in'),
    ...reflect('y', 'last_row', 'y_in'),
    ...normaliseNodes('x_in', 'width', 'grid_x'),
    ...normaliseNodes('y_in', 'height', 'grid_y'),
    ...gridNodes('grid_x', 'grid_y', 'grid'),
    ...bytesToNchwNodes('photo', 'photo_nchw'),
    node('GridSample', ['photo_nchw', 'grid'], ['sampled'], { mode: 'bilinear', padding_mode: 'border', align_corners: 0 }),
    // Rounded as warp.ts rounds.
    ...roundNodes('sampled', 'clipped'),
    ...nchwToBytesNodes('clipped', 'crop'),
  ];
  return makeModel(
    {
      name: 'align',
      node: nodes,
      initializer: [...samplingInitializers(), floatTensor('u_row', [1, size], axis), floatTensor('v_column', [size, 1], axis)],
      input: [valueInfo('photo', 'uint8', ['height', 'width', 3]), valueInfo('map', 'float32', [6])],
      output: [valueInfo('crop', 'uint8', [size, size, 3])],
    },
    `fslsd align: bilinear ${size}x${size} crop of the photo through an affine map, numpy-reflect borders`,
  );
}

/** p -> last - |last - |p||, twice: numpy's reflect about 0 and `last` for |p| up to 3 periods. */
function reflect(input: string, last: string, output: string) {
  const once = (from: string, to: string) => [
    node('Abs', [from], [`${to}_abs`]),
    node('Sub', [last, `${to}_abs`], [`${to}_gap`]),
    node('Abs', [`${to}_gap`], [`${to}_gap_abs`]),
    node('Sub', [last, `${to}_gap_abs`], [to]),
  ];
  return [...once(input, `${output}_first`), ...once(`${output}_first`, output)];
}
