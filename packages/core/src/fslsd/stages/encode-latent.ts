/**
 * Stage: aligned crop -> W+ (pSp inversion).
 * Graph: downscale 1024 -> 256 (PIL-style bilinear) -> psp-encoder (+ latent_avg inside).
 * Contract: in `image` float32[1,3,1024,1024] in [-1,1]; out `wplus` float32[1,18,512].
 */
import type { StageSession } from '../../executor.js';
import { composeModels } from '../../graph/compose.js';
import { type ModelProto, valueInfo } from '../../graph/onnx.js';
import { downscaleGraph } from '../../graph/preludes.js';
import type { ImageTensor } from '../../image/tensor.js';
import { WPlus } from '../../latent/wplus.js';

export const ENCODE_LATENT = 'encode-latent';

export function encodeLatentGraph(pspEncoder: ModelProto): ModelProto {
  return composeModels(
    [
      { name: 'downscale', model: downscaleGraph(), inputs: { image: 'image' }, outputs: { small: 'image_256' } },
      { name: 'psp', model: pspEncoder, inputs: { image: 'image_256' }, outputs: { wplus: 'wplus' } },
    ],
    {
      inputs: [valueInfo('image', 'float32', [1, 3, 1024, 1024])],
      outputs: [valueInfo('wplus', 'float32', [1, 18, 512])],
      docString: 'fslsd encode-latent: downscale + pSp encoder',
    },
  );
}

export async function encodeLatent(session: StageSession, image: ImageTensor): Promise<WPlus> {
  const { wplus } = await session.run({ image: { type: 'float32', data: image.data, dims: [1, 3, image.height, image.width] } }, ['wplus']);
  return WPlus.from(wplus!.data, false);
}
