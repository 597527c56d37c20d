/**
 * Input graphs that run in front of the encoders, inside the same session:
 * - downscale: the 1024^2 crop to the encoders' 256^2 input;
 * - landmark maps: 212 pixel indices to 212 one-hot 256^2 maps.
 */
import { LANDMARK_MAP_SIZE, LANDMARK_POINTS } from '../landmarks/maps.js';
import { type ModelProto, floatTensor, int64Tensor, makeModel, node, valueInfo } from './onnx.js';

/** The 8 taps of PIL's bilinear (triangle) filter for a 4x reduction, centred between pixels. */
export function triangleTaps(factor = 4): Float32Array {
  return Float32Array.from({ length: 2 * factor }, (_, j) => 1 - Math.abs(j - factor + 0.5) / factor);
}

/**
 * 1024^2 -> 256^2 as PIL's bilinear resize computes it, in float: a stride-4 8x8 triangle
 * filter whose weights are renormalised where the window leaves the image. Implemented as a
 * depthwise Conv (zero padding) times the inverse of the in-image weight sum.
 * Input `image` [1,3,1024,1024], output `small` [1,3,256,256].
 */
export function downscaleGraph(inputSize = 1024, factor = 4): ModelProto {
  const taps = triangleTaps(factor);
  const k = taps.length;
  const pad = factor / 2;
  const kernel = new Float32Array(3 * k * k);
  for (let c = 0; c < 3; c += 1) for (let r = 0; r < k; r += 1) for (let q = 0; q < k; q += 1) kernel[c * k * k + r * k + q] = Math.fround(taps[r]! * taps[q]!);
  const outputSize = inputSize / factor;
  // Sum of the in-image weights along one axis, for each output position.
  const axisCoverage = Float32Array.from({ length: outputSize }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < k; j += 1) {
      const source = i * factor - pad + j;
      if (source >= 0 && source < inputSize) sum += taps[j]!;
    }
    return sum;
  });
  const inverseCoverage = new Float32Array(outputSize * outputSize);
  for (let y = 0; y < outputSize; y += 1) for (let x = 0; x < outputSize; x += 1) inverseCoverage[y * outputSize + x] = Math.fround(1 / Math.fround(axisCoverage[y]! * axisCoverage[x]!));
  return makeModel(
    {
      name: 'downscale',
      node: [
        node('Conv', ['image', 'triangle'], ['filtered'], { group: 3, kernel_shape: [k, k], strides: [factor, factor], pads: [pad, pad, pad, pad] }),
        node('Mul', ['filtered', 'inverse_coverage'], ['small']),
      ],
      initializer: [floatTensor('triangle', [3, 1, k, k], kernel), floatTensor('inverse_coverage', [1, 1, outputSize, outputSize], inverseCoverage)],
      input: [valueInfo('image', 'float32', [1, 3, inputSize, inputSize])],
      output: [valueInfo('small', 'float32', [1, 3, outputSize, outputSize])],
    },
    'fslsd downscale: PIL-style bilinear 4x reduction in float',
  );
}

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
