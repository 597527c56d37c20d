/**
 * Stage: aligned crop -> W+ (pSp inversion).
 * Input: the 1024^2 crop resized to 256^2 exactly as the released pipeline does it (Pillow's
 * 8-bit bilinear resize, see image/pil-resize.ts), then (x / 255 - 0.5) / 0.5.
 * Graph: psp-encoder (+ latent_avg inside).
 * Contract: in `image` float32[1,3,256,256] in [-1,1]; out `wplus` float32[1,18,512].
 */
import type { StageSession } from '../../executor.js';
import { composeModels } from '../../graph/compose.js';
import { type ModelProto, valueInfo } from '../../graph/onnx.js';
import { resizeLikePil } from '../../image/pil-resize.js';
import { type RgbImage, imageToTensor } from '../../image/tensor.js';
import { WPlus } from '../../latent/wplus.js';

export const ENCODE_LATENT = 'encode-latent';

/** pSp's input side. */
export const PSP_INPUT_SIZE = 256;

export function encodeLatentGraph(pspEncoder: ModelProto): ModelProto {
  return composeModels([{ name: 'psp', model: pspEncoder, inputs: { image: 'image' }, outputs: { wplus: 'wplus' } }], {
    inputs: [valueInfo('image', 'float32', [1, 3, PSP_INPUT_SIZE, PSP_INPUT_SIZE])],
    outputs: [valueInfo('wplus', 'float32', [1, 18, 512])],
    docString: 'fslsd encode-latent: pSp encoder on the 256^2 input',
  });
}

/** pSp's input tensor for an aligned crop: Pillow's 8-bit resize to 256^2, then [-1, 1]. */
export function pspInput(crop: RgbImage): Float32Array {
  return imageToTensor(resizeLikePil(crop, PSP_INPUT_SIZE, PSP_INPUT_SIZE)).data;
}

export async function encodeLatent(session: StageSession, crop: RgbImage): Promise<WPlus> {
  const { wplus } = await session.run({ image: { type: 'float32', data: pspInput(crop), dims: [1, 3, PSP_INPUT_SIZE, PSP_INPUT_SIZE] } }, ['wplus']);
  return WPlus.from(wplus!.data, false);
}
