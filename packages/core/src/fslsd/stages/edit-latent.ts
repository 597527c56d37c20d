/**
 * Stage: fused W+ -> edited W+ (the released `bald_model`: w + 2 * Dense_i(w_i)).
 * Graph: latent-editor as exported. Contract: `wplus` float32[1,18,512] -> `edited` float32[1,18,512].
 */
import type { StageSession } from '../../executor.js';
import { WPlus } from '../../latent/wplus.js';

export const EDIT_LATENT = 'edit-latent';

export async function editLatent(session: StageSession, latent: WPlus): Promise<WPlus> {
  const { edited } = await session.run({ wplus: { type: 'float32', data: latent.data, dims: latent.dims } }, ['edited']);
  return WPlus.from(edited!.data, false);
}
