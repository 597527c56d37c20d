import { FslsdError } from '../errors.js';

/** Number of style codes in W+ for a 1024^2 StyleGAN2 generator. */
export const CODE_COUNT = 18;
/** Size of one style code. */
export const CODE_SIZE = 512;
/** Rows of the landmark direction n: it offsets codes of the structure part. */
export const DIRECTION_ROWS = 7;

/**
 * A W+ latent code: 18 style codes of 512 floats, row-major (code-major).
 * Immutable by convention: operations return new values.
 */
export class WPlus {
  /** The 18 x 512 values, code after code. */
  readonly data: Float32Array;

  private constructor(data: Float32Array) {
    this.data = data;
  }

  /**
   * Wraps 9,216 float32 values (18 codes x 512). Copies unless `copy` is false.
   * @throws FslsdError `INVALID_LATENT` when the length is wrong or a value is not finite.
   */
  static from(values: Float32Array | ArrayLike<number>, copy = true): WPlus {
    if (values.length !== CODE_COUNT * CODE_SIZE) {
      throw new FslsdError('INVALID_LATENT', `A W+ code needs ${CODE_COUNT}x${CODE_SIZE} = ${CODE_COUNT * CODE_SIZE} values, got ${values.length}.`, {
        fix: 'Pass the [1, 18, 512] output of the pSp encoder (or a saved SourceFace).',
      });
    }
    const data = values instanceof Float32Array && !copy ? values : Float32Array.from(values);
    for (let i = 0; i < data.length; i += 1) {
      if (!Number.isFinite(data[i])) {
        throw new FslsdError('INVALID_LATENT', `W+ value ${i} (code ${Math.floor(i / CODE_SIZE)}) is not finite.`, {
          fix: 'Check the encoder output; a NaN usually means a corrupt model or input.',
        });
      }
    }
    return new WPlus(data);
  }

  /** A view of code `index` (0..17). */
  code(index: number): Float32Array {
    if (!Number.isInteger(index) || index < 0 || index >= CODE_COUNT) {
      throw new FslsdError('INVALID_ARGUMENT', `W+ code index must be an integer in 0..${CODE_COUNT - 1}, got ${index}.`);
    }
    return this.data.subarray(index * CODE_SIZE, (index + 1) * CODE_SIZE);
  }

  /** Tensor dimensions of this value as the networks take it. */
  get dims(): readonly [1, 18, 512] {
    return [1, CODE_COUNT, CODE_SIZE];
  }
}
