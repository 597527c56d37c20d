/**
 * Stage: source codes + target codes -> swapped codes (the face transfer module: ftm, injection
 * or lcr, whichever the set was exported with). Codes 0-3 are always the target's.
 * Contract: in `source_codes`, `target_codes` float32[1,18,512]; out `codes` float32[1,18,512].
 */
import type { StageSession } from '../executor.js';
import { WPlus } from '../latent/wplus.js';

export const MEGAFS_TRANSFER = 'megafs-transfer';

export async function transferCodes(session: StageSession, source: WPlus, target: WPlus): Promise<WPlus> {
  const dims = [1, 18, 512] as const;
  const { codes } = await session.run({ source_codes: { type: 'float32', data: source.data, dims }, target_codes: { type: 'float32', data: target.data, dims } }, ['codes']);
  return WPlus.from(codes!.data, false);
}
