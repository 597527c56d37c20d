/**
 * Stage: latent + target crop + mask -> swapped image y_f and side output y_s, as ONE graph:
 *
 *   wplus --------> generator --> side_output
 *                       | F_s (8 scales)
 *   target_image -> target-encoder --F_t--> blend(mask pyramid) --> decoder --> clamp --> image
 *   mask ------------------------------------^
 *
 * onnxruntime-node copies every output of a session back to CPU memory, so running these
 * networks as separate sessions would ship ~260 MB of feature maps through JavaScript per
 * swap at full width. Composed, only the two images come out.
 * Contract: in `wplus` float32[1,18,512], `target_image` float32[1,3,1024,1024] in [-1,1],
 * `mask` float32[1,1,1024,1024] in [0,1]; out `image` (clamped to [-1,1]), `side_output`.
 */
import type { StageSession } from '../../executor.js';
import { FEATURE_SIZES, blendGraph } from '../blend.js';
import { composeModels } from '../../graph/compose.js';
import { type ModelProto, valueInfo } from '../../graph/onnx.js';
import { clampGraph } from '../../graph/preludes.js';
import type { ImageTensor } from '../../image/tensor.js';
import type { WPlus } from '../../latent/wplus.js';

export const SYNTHESIZE = 'synthesize';

const each = <T>(make: (i: number) => [string, T]): Record<string, T> => Object.fromEntries(FEATURE_SIZES.map((_, i) => make(i)));

export interface SynthesisModels {
  readonly generator: ModelProto;
  readonly targetEncoder: ModelProto;
  readonly decoder: ModelProto;
  /** Feature channels per scale (from the contract check). */
  readonly channels: readonly number[];
}

export function synthesisGraph(models: SynthesisModels): ModelProto {
  return composeModels(
    [
      {
        name: 'generator',
        model: models.generator,
        inputs: { wplus: 'wplus' },
        outputs: { side_output: 'side_output', ...each((i) => [`feature_${i}`, `source_feature_${i}`]) },
      },
      { name: 'target', model: models.targetEncoder, inputs: { image: 'target_image' }, outputs: each((i) => [`feature_${i}`, `target_feature_${i}`]) },
      {
        name: 'blend',
        model: blendGraph({ channels: models.channels }),
        inputs: { mask: 'mask', ...each((i) => [`source_feature_${i}`, `source_feature_${i}`]), ...each((i) => [`target_feature_${i}`, `target_feature_${i}`]) },
        outputs: each((i) => [`blend_${i}`, `blend_${i}`]),
      },
      { name: 'decoder', model: models.decoder, inputs: each((i) => [`blend_${i}`, `blend_${i}`]), outputs: { image: 'raw_image' } },
      { name: 'clamp', model: clampGraph(), inputs: { raw: 'raw_image' }, outputs: { clamped: 'image' } },
    ],
    {
      inputs: [valueInfo('wplus', 'float32', [1, 18, 512]), valueInfo('target_image', 'float32', [1, 3, 1024, 1024]), valueInfo('mask', 'float32', [1, 1, 1024, 1024])],
      outputs: [valueInfo('image', 'float32', [1, 3, 1024, 1024]), valueInfo('side_output', 'float32', [1, 3, 1024, 1024])],
      docString: 'fslsd synthesize: generator + target encoder + mask-pyramid blend + decoder + clamp',
    },
  );
}

export interface SynthesisResult {
  readonly image: ImageTensor;
  readonly sideOutput: ImageTensor;
}

export async function synthesize(session: StageSession, latent: WPlus, targetImage: ImageTensor, mask: Float32Array): Promise<SynthesisResult> {
  const size = targetImage.width;
  const out = await session.run(
    {
      wplus: { type: 'float32', data: latent.data, dims: latent.dims },
      target_image: { type: 'float32', data: targetImage.data, dims: [1, 3, size, size] },
      mask: { type: 'float32', data: mask, dims: [1, 1, size, size] },
    },
    ['image', 'side_output'],
  );
  const asImage = (data: Float32Array): ImageTensor => ({ width: size, height: size, channels: 3, data });
  return { image: asImage(out.image!.data), sideOutput: asImage(out.side_output!.data) };
}
