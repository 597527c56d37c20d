/**
 * Input graphs that run in front of the encoders, inside the same session:
 * - landmark maps: 212 pixel indices to 212 one-hot 256^2 maps.
 * (pSp's 256^2 input is Pillow's exact 8-bit resize, image/pil-resize.ts, made before the graph.)
 */
import { LANDMARK_MAP_SIZE, LANDMARK_POINTS } from '../landmarks/maps.js';
import { type ModelProto, floatTensor, int64Tensor, makeModel, node, valueInfo } from './onnx.js';

/** Index that OneHot maps to an all-zero map (outside [-depth, depth - 1]). */
export const NO_PIXEL = LANDMARK_MAP_SIZE * LANDMARK_MAP_SIZE;

/**
 * Input `landmark_pixels` int64 [1, 212] (flat pixel per map, {@link NO_PIXEL} for none),
 * output `landmark_maps` float32 [1, 212, 256, 256] with one 1 per valid point.
 */
export function landmarkMapsGraph(channels = 2 * LANDMARK_POINTS, size = LANDMARK_MAP_SIZE): ModelProto {
  return makeModel(
    {
      name: 'landmark-maps',
      node: [
        node('OneHot', ['landmark_pixels', 'depth', 'values'], ['flat_maps'], { axis: -1 }),
        node('Reshape', ['flat_maps', 'map_shape'], ['landmark_maps']),
      ],
      initializer: [
        int64Tensor('depth', [], [size * size]),
        floatTensor('values', [2], Float32Array.of(0, 1)),
        int64Tensor('map_shape', [4], [1, channels, size, size]),
      ],
      input: [valueInfo('landmark_pixels', 'int64', [1, channels])],
      output: [valueInfo('landmark_maps', 'float32', [1, channels, size, size])],
    },
    'fslsd landmark maps: one-hot 256x256 map per point (official single-pixel convention)',
  );
}

/** Clamp to [-1, 1]: the released pipeline clamps y_f when it saves the image. */
export function clampGraph(channels = 3, size = 1024): ModelProto {
  return makeModel(
    {
      name: 'clamp',
      node: [node('Clip', ['raw', 'low', 'high'], ['clamped'])],
      initializer: [floatTensor('low', [], Float32Array.of(-1)), floatTensor('high', [], Float32Array.of(1))],
      input: [valueInfo('raw', 'float32', [1, channels, size, size])],
      output: [valueInfo('clamped', 'float32', [1, channels, size, size])],
    },
    'fslsd clamp to [-1, 1]',
  );
}
