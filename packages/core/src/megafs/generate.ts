/**
 * Stage: target structure + swapped codes + target crop + face mask -> the composed face, as ONE
 * graph (generator, then soft-erosion.ts):
 *
 *   structure (f4) --> StyleGAN2 (4x4 constant replaced) --raw--> min-max --> pixels
 *   codes ------------------^                                                  | x soft
 *   mask --> soft erosion --> soft ---------------------------------------------+--> blended
 *   target (0..255) ------------------------------------------------ x (1 - soft) ---^
 *
 * Contract: in `structure` float32[1,s,4,4], `codes` float32[1,18,512], `target` float32[1,3,1024,1024]
 * in [0,255], `mask` float32[1,1,1024,1024] in [0,1]; out `blended` and `pixels` in [0,255], `soft`.
 */
import type { StageSession } from '../executor.js';
import { composeModels } from '../graph/compose.js';
import { type ModelProto, valueInfo } from '../graph/onnx.js';
import { CROP_SIZE } from '../image/tensor.js';
import type { WPlus } from '../latent/wplus.js';
import { megafsComposeGraph } from './soft-erosion.js';

export const MEGAFS_GENERATE = 'megafs-generate';

export function megafsGenerateGraph(generator: ModelProto, structureChannels: number): ModelProto {
  const side = [1, 3, CROP_SIZE, CROP_SIZE];
  return composeModels(
    [
      { name: 'generator', model: generator, inputs: { structure: 'structure', codes: 'codes' }, outputs: { image: 'raw' } },
      { name: 'compose', model: megafsComposeGraph(), inputs: { raw: 'raw', target: 'target', mask: 'mask' }, outputs: { blended: 'blended', pixels: 'pixels', soft: 'soft' } },
    ],
    {
      inputs: [valueInfo('structure', 'float32', [1, structureChannels, 4, 4]), valueInfo('codes', 'float32', [1, 18, 512]), valueInfo('target', 'float32', side), valueInfo('mask', 'float32', [1, 1, CROP_SIZE, CROP_SIZE])],
      outputs: [valueInfo('blended', 'float32', side), valueInfo('pixels', 'float32', side), valueInfo('soft', 'float32', [1, 1, CROP_SIZE, CROP_SIZE])],
      docString: 'MegaFS generate: StyleGAN2 from the target structure + min-max + soft-eroded blend into the target',
    },
  );
}

export interface MegaFSGenerated {
  /** The composed face in [0, 255] (float, before the 8-bit truncation). */
  readonly blended: Float32Array;
  /** The generated face alone, min-max stretched to [0, 255]. */
  readonly pixels: Float32Array;
  /** The soft-eroded mask that blended them. */
  readonly soft: Float32Array;
}

export async function generateMegaFS(session: StageSession, structure: Float32Array, codes: WPlus, target: Float32Array, mask: Float32Array): Promise<MegaFSGenerated> {
  const side = [1, 3, CROP_SIZE, CROP_SIZE];
  const out = await session.run(
    {
      structure: { type: 'float32', data: structure, dims: [1, structure.length / 16, 4, 4] },
      codes: { type: 'float32', data: codes.data, dims: [1, 18, 512] },
      target: { type: 'float32', data: target, dims: side },
      mask: { type: 'float32', data: mask, dims: [1, 1, CROP_SIZE, CROP_SIZE] },
    },
    ['blended', 'pixels', 'soft'],
  );
  return { blended: out.blended!.data, pixels: out.pixels!.data, soft: out.soft!.data };
}
