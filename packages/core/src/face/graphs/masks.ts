/**
 * The inner-face masks as an ONNX graph (see face-mask.ts for what they are): the 50x50
 * dilation as two MaxPools (1 x k, then k x 1, padded as OpenCV anchors an even kernel), the
 * narrower dilation the same way, and the feather as two separable box filters (AveragePool,
 * zero padding counted, i.e. dividing by the full window), zeroed outside the dilated mask.
 *
 * Contract: in `region` uint8[size, size] (1 = face); out `inner` and `paste` float32[size, size].
 * Equal to {@link regionFaceMasks}: `inner` exactly, `paste` within float rounding.
 */
import { type ModelProto, int64Tensor, makeModel, node, valueInfo } from '../../graph/onnx.js';

/** The kernel sizes regionFaceMasks derives from its options. */
export interface MaskKernels {
  /** Side of the official dilation (50 at 1024^2). */
  readonly dilation: number;
  /** Side of the pre-feather dilation. */
  readonly narrow: number;
  /** Radius of each box filter (0: no feather). */
  readonly radius: number;
}

export function masksGraph(size: number, kernels: MaskKernels): ModelProto {
  const nodes = [
    node('Cast', ['region'], ['region_float'], { to: 1 }),
    node('Reshape', ['region_float', 'image_shape'], ['region_nchw']),
    ...dilate('region_nchw', kernels.dilation, 'inner_nchw'),
    ...dilate('region_nchw', kernels.narrow, 'narrow_nchw'),
  ];
  let feathered = 'narrow_nchw';
  if (kernels.radius > 0) {
    const r = kernels.radius;
    const width = 2 * r + 1;
    for (let pass = 0; pass < 2; pass += 1) {
      nodes.push(
        node('AveragePool', [feathered], [`box${pass}_rows`], { kernel_shape: [1, width], pads: [0, r, 0, r], count_include_pad: 1 }),
        node('AveragePool', [`box${pass}_rows`], [`box${pass}`], { kernel_shape: [width, 1], pads: [r, 0, r, 0], count_include_pad: 1 }),
      );
      feathered = `box${pass}`;
    }
  }
  nodes.push(
    node('Mul', [feathered, 'inner_nchw'], ['paste_nchw']),
    node('Reshape', ['inner_nchw', 'mask_shape'], ['inner']),
    node('Reshape', ['paste_nchw', 'mask_shape'], ['paste']),
  );
  return makeModel(
    {
      name: 'masks',
      node: nodes,
      initializer: [int64Tensor('image_shape', [4], [1, 1, size, size]), int64Tensor('mask_shape', [2], [size, size])],
      input: [valueInfo('region', 'uint8', [size, size])],
      output: [valueInfo('inner', 'float32', [size, size]), valueInfo('paste', 'float32', [size, size])],
    },
    `fslsd masks: ${kernels.dilation}x${kernels.dilation} dilation, feather of two ${2 * kernels.radius + 1}-wide box filters`,
  );
}

/** MaxPool along rows then columns; output i covers input i - floor(k/2) .. i + k - 1 - floor(k/2). */
function dilate(input: string, kernel: number, output: string) {
  const before = Math.floor(kernel / 2);
  const after = kernel - 1 - before;
  return [
    node('MaxPool', [input], [`${output}_rows`], { kernel_shape: [1, kernel], pads: [0, before, 0, after] }),
    node('MaxPool', [`${output}_rows`], [output], { kernel_shape: [kernel, 1], pads: [before, 0, after, 0] }),
  ];
}
