/**
 * The encode-latent stage alone: aligned crop -> pSp W+, with only the psp-encoder network
 * loaded. Tools that need W+ codes and nothing else (the dataset preparation for training) use
 * it instead of the whole swapper; it opens the same stage graph (stages/encode-latent.ts) with
 * the same loading code (model-loading.ts), so its W+ is the swapper's encodeSource/encodeTarget
 * W+ for the same crop, set and session options.
 */
import { FslsdError } from '../errors.js';
import type { StageSession } from '../executor.js';
import { checkCrop, type RgbImage } from '../image/tensor.js';
import type { WPlus } from '../latent/wplus.js';
import { loadCheckedModels, openStageSessions, stageRunner } from '../model-loading.js';
import { modelSetId } from '../source-face.js';
import type { CallOptions, StageName, SwapperOptions } from '../swapper.js';
import { MODEL_CONTRACTS } from './contracts.js';
import { ENCODE_LATENT, encodeLatent, encodeLatentGraph } from './stages/encode-latent.js';

/** Options of {@link createLatentEncoder}: the swapper's, less what only the other stages use. */
export type LatentEncoderOptions = Pick<SwapperOptions, 'runtime' | 'models' | 'sessionOptions' | 'externalWeights' | 'precision' | 'signal' | 'onProgress' | 'onSessionRun'>;

/** pSp inversion of aligned crops, on one session that concurrent callers share. */
export interface LatentEncoder {
  /** The model set's id (name and fingerprint), as the swapper reports it. */
  readonly models: string;
  /**
   * The W+ code of a 1024² aligned crop (8-bit RGB or RGBA).
   * @throws FslsdError `INVALID_IMAGE` for another size, `ABORTED`, `INVALID_ARGUMENT` after dispose.
   */
  encode(crop: RgbImage, options?: CallOptions): Promise<WPlus>;
  /** Releases the session; later calls fail. Safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * Loads and checks the psp-encoder of `models` (the other networks of the set are neither read
 * nor required) and opens the encode-latent session.
 * @throws ContractError when the encoder's inputs/outputs differ from its contract.
 * @throws FslsdError `MODEL_NOT_FOUND`, `MODEL_INTEGRITY`, `RUNTIME_FAILURE`, `ABORTED`.
 */
export async function createLatentEncoder(options: LatentEncoderOptions): Promise<LatentEncoder> {
  if (options.precision !== undefined && options.precision !== 'float32' && options.precision !== 'float16') {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown precision "${String(options.precision)}".`, { fix: 'Use "float32" or "float16".' });
  }
  const ids = ['psp-encoder'] as const;
  const { models, weightsFolder } = await loadCheckedModels(options, ids, MODEL_CONTRACTS, 'fslsd_reference.export');
  const [session] = (await openStageSessions(options, weightsFolder, [[ENCODE_LATENT, () => encodeLatentGraph(models['psp-encoder'])]])) as [StageSession];
  let disposed = false;
  const stage = stageRunner(options, () => !disposed);
  return {
    models: modelSetId(options.models),
    async encode(crop, call) {
      checkCrop(crop, 'aligned');
      const timings: Partial<Record<StageName, number>> = {};
      return stage(ENCODE_LATENT, call, timings, () => encodeLatent(session, crop));
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
