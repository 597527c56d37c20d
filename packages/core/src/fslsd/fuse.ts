import { FslsdError } from '../errors.js';
import type { LatentSplit } from '../latent/split.js';
import { CODE_SIZE, DIRECTION_ROWS, WPlus } from '../latent/wplus.js';

/**
 * The landmark-direction edit and the structure/appearance fusion:
 * shifted = source + strength * n on `split.directionCodes`; then each code is taken from the
 * shifted source or from the target as the split says. With the `official` split this is the
 * released code's `w = [ (w_s + [n, 0])[0..10], w_t[11..17] ]`.
 *
 * @param direction n, 7 x 512 values (ignored when the split has no direction codes).
 * @param strength scale of n; 1 reproduces the method, 0 keeps the source's structure as is.
 */
export function fuseLatents(source: WPlus, target: WPlus, direction: Float32Array | undefined, split: LatentSplit, strength = 1): WPlus {
  if (!Number.isFinite(strength)) {
    throw new FslsdError('INVALID_ARGUMENT', `Direction strength must be a finite number, got ${strength}.`, { fix: 'Use 1 for the method as published.' });
  }
  const fused = new Float32Array(target.data);
  const shifted = new Float32Array(source.data);
  if (split.directionCodes.length) {
    if (!direction || direction.length !== DIRECTION_ROWS * CODE_SIZE) {
      throw new FslsdError('INVALID_ARGUMENT', `The landmark direction must have ${DIRECTION_ROWS}x${CODE_SIZE} values, got ${direction?.length ?? 'none'}.`);
    }
    split.directionCodes.forEach((code, row) => {
      for (let k = 0; k < CODE_SIZE; k += 1) {
        shifted[code * CODE_SIZE + k] = Math.fround(shifted[code * CODE_SIZE + k]! + Math.fround(strength * direction[row * CODE_SIZE + k]!));
      }
    });
  }
  for (const code of split.sourceCodes) fused.set(shifted.subarray(code * CODE_SIZE, (code + 1) * CODE_SIZE), code * CODE_SIZE);
  return WPlus.from(fused, false);
}
