/**
 * Stage: aligned crop -> MegaFS codes and structure.
 * Graph: the megafs-encoder network (HieRFE) as exported; the 4x reduction to 256² happens in
 * input.ts, on the 8-bit pixels, because OpenCV rounds there.
 * Contract: in `image` float32[1,3,256,256] in [-1,1]; out `codes` float32[1,18,512] (tanh),
 * `structure` float32[1,s,4,4] (f4, the generator's 4x4 input; 32 KB at full width, the only
 * feature map that crosses into JavaScript, so that one encoder session serves source and target).
 */
import type { StageSession } from '../executor.js';
import type { ImageTensor } from '../image/tensor.js';
import { WPlus } from '../latent/wplus.js';

export const MEGAFS_ENCODE = 'megafs-encode';

export interface MegaFSCodes {
  readonly codes: WPlus;
  /** f4: [s, 4, 4] values. */
  readonly structure: Float32Array;
}

export async function encodeMegaFS(session: StageSession, input: ImageTensor): Promise<MegaFSCodes> {
  const { codes, structure } = await session.run({ image: { type: 'float32', data: input.data, dims: [1, 3, input.height, input.width] } }, ['codes', 'structure']);
  return { codes: WPlus.from(codes!.data, false), structure: structure!.data };
}
