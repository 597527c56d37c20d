/**
 * FSLSD on aligned crops: `createSwapper()` loads the six networks, checks their contracts,
 * builds the stage graphs (stages/, one file each) and opens one session per stage on the
 * injected runtime. The object it returns is the shared {@link Swapper} (../swapper.ts).
 *
 *   encodeSource(crop, landmarks)  -> SourceFace   (W+_s; reusable, serialisable)
 *   encodeTarget(crop, landmarks)  -> TargetFace   (W+_t, crop tensor, mask)
 *   swap(source, target)           -> stages: landmark-direction, fuse-latents, edit-latent, synthesize
 */
import { MODEL_IDS } from '../contracts/contract.js';
import { FslsdError } from '../errors.js';
import type { StageSession } from '../executor.js';
import { CROP_SIZE, checkCrop, imageToTensor } from '../image/tensor.js';
import { LANDMARK_POINTS, landmarkPixels, validateLandmarks } from '../landmarks/maps.js';
import { resolveLatentSplit } from '../latent/split.js';
import { WPlus } from '../latent/wplus.js';
import { defaultInnerMask, maskToTensor } from '../mask/inner-mask.js';
import { loadCheckedModels, openStageSessions, stageRunner } from '../model-loading.js';
import type { ModelSet } from '../model-set.js';
import { type SourceFace, createSourceFace, modelSetId } from '../source-face.js';
import type { CallOptions, FaceInput, StageName, Swapper, SwapperOptions, TargetFace, TargetInput } from '../swapper.js';
import { FEATURE_SIZES } from './blend.js';
import { MODEL_CONTRACTS } from './contracts.js';
import { fuseLatents } from './fuse.js';
import { EDIT_LATENT, editLatent } from './stages/edit-latent.js';
import { ENCODE_LATENT, encodeLatent, encodeLatentGraph } from './stages/encode-latent.js';
import { FUSE_LATENTS } from './stages/fuse-latents.js';
import { LANDMARK_DIRECTION, landmarkDirection, landmarkDirectionGraph } from './stages/landmark-direction.js';
import { SYNTHESIZE, synthesisGraph, synthesize } from './stages/synthesize.js';

/**
 * A set holding the psp-encoder and none of the five other networks is an encoder-only set (pSp's
 * checkpoint imported without FSLSD's): named as such, with the way to a full set, rather than
 * as the first network missing.
 * @throws FslsdError `MODEL_NOT_FOUND`
 */
function refuseEncoderOnly(models: ModelSet): void {
  const held = new Set<string>(models.entries.map((entry) => entry.id));
  if (!held.has('psp-encoder') || MODEL_IDS.some((id) => id !== 'psp-encoder' && held.has(id))) return;
  throw new FslsdError('MODEL_NOT_FOUND', `The model set "${models.name}" holds only the psp-encoder (an encoder-only set, imported from pSp's checkpoint alone): it gives W+ codes (createLatentEncoder, fslsd dataset prepare) but cannot swap, which needs all of ${MODEL_IDS.join(', ')}.`, {
    fix: "For swapping, import a full set with FSLSD's checkpoint as well: fslsd models import --fslsd CELEBA-HQ-1024.pt --psp psp_ffhq_encode.pt --out DIR (importCheckpoints({ fslsd, psp, out })).",
  });
}

/** Loads and checks the six networks, then opens the four stage sessions (model-loading.ts). */
async function openSessions(options: SwapperOptions): Promise<StageSession[]> {
  refuseEncoderOnly(options.models);
  const { models, bindings, weightsFolder } = await loadCheckedModels(options, MODEL_IDS, MODEL_CONTRACTS, 'fslsd_reference.export');
  // The contract check bound each scale's channel symbol; the blend graph needs the sizes.
  const channels = FEATURE_SIZES.map((_, i) => bindings.get(`c${i}`)!);
  return openStageSessions(options, weightsFolder, [
    [ENCODE_LATENT, () => encodeLatentGraph(models['psp-encoder'])],
    [LANDMARK_DIRECTION, () => landmarkDirectionGraph(models['landmark-encoder'])],
    [EDIT_LATENT, () => models['latent-editor']],
    [SYNTHESIZE, () => synthesisGraph({ generator: models.generator, targetEncoder: models['target-encoder'], decoder: models.decoder, channels })],
  ]);
}

/**
 * A source face must come from encodeSource() or SourceFace.fromJSON(), and from this set.
 * @throws FslsdError `INVALID_ARGUMENT`, `INCOMPATIBLE_SOURCE`
 */
function checkSourceFace(source: SourceFace, models: string): void {
  if (source?.kind !== 'source' || !(source.wplus instanceof WPlus)) {
    throw new FslsdError('INVALID_ARGUMENT', 'swap() needs a SourceFace as its first argument.', { fix: 'Get one from swapper.encodeSource() or SourceFace.fromJSON().' });
  }
  if (source.method !== 'fslsd' || source.models !== models) {
    throw new FslsdError('INCOMPATIBLE_SOURCE', `This source face was encoded by method "${source.method}" with model set "${source.models}"; this swapper runs "fslsd" with "${models}". A W+ code means nothing to other networks.`, {
      fix: 'Encode the source photo again with this swapper (encodeSource), or load the model set that encoded it.',
    });
  }
}

/**
 * A hand-built TargetFace is checked like one from encodeTarget(): a bad one would otherwise
 * reach onnxruntime and fail there with a message about tensor sizes.
 * @throws FslsdError `INVALID_ARGUMENT`, `INVALID_IMAGE`, `INVALID_MASK`, `INVALID_LANDMARKS`
 */
function checkTargetFace(target: TargetFace): void {
  const fix = 'Get a TargetFace from swapper.encodeTarget(), or pass { image, landmarks, mask } and let swap() encode it.';
  if (!(target.wplus instanceof WPlus)) throw new FslsdError('INVALID_ARGUMENT', 'The target face has no W+ code (wplus must be a WPlus).', { fix });
  const { image, mask } = target;
  const values = 3 * CROP_SIZE * CROP_SIZE;
  if (!image || image.width !== CROP_SIZE || image.height !== CROP_SIZE || !(image.data instanceof Float32Array) || image.data.length !== values) {
    throw new FslsdError('INVALID_IMAGE', `The target face's image must be a planar float ${CROP_SIZE}x${CROP_SIZE} tensor of ${values} values; it is ${image?.width}x${image?.height} with ${image?.data?.length ?? 0} values.`, { fix });
  }
  if (!(mask instanceof Float32Array) || mask.length !== CROP_SIZE * CROP_SIZE) {
    throw new FslsdError('INVALID_MASK', `The target face's mask must be a Float32Array of ${CROP_SIZE}x${CROP_SIZE} = ${CROP_SIZE * CROP_SIZE} values in [0, 1]; it has ${(mask as { length?: number } | undefined)?.length ?? 0}.`, { fix });
  }
  validateLandmarks(target.landmarks, 'target', LANDMARK_POINTS);
}

/**
 * Loads the networks and opens the stage sessions.
 * @throws ContractError when a model's inputs/outputs differ from its contract.
 * @throws FslsdError `MODEL_NOT_FOUND` (also for an encoder-only set, one holding just the
 *   psp-encoder, before anything is loaded), `MODEL_INTEGRITY`, `RUNTIME_FAILURE`, `ABORTED`.
 */
export async function createSwapper(options: SwapperOptions): Promise<Swapper> {
  if (options.precision !== undefined && options.precision !== 'float32' && options.precision !== 'float16') {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown precision "${String(options.precision)}".`, { fix: 'Use "float32" or "float16".' });
  }
  const defaultSplit = resolveLatentSplit(options.split);
  const defaultStrength = options.strength ?? 1;
  const useEditor = options.editor ?? true;
  const models = modelSetId(options.models);
  const sessions = await openSessions(options);
  const [encodeSession, directionSession, editorSession, synthesisSession] = sessions as [StageSession, StageSession, StageSession, StageSession];
  let disposed = false;

  const stage = stageRunner(options, () => !disposed);

  async function encodeFace(face: FaceInput, which: string, call: CallOptions | undefined, timings: Partial<Record<StageName, number>>) {
    checkCrop(face?.image, which);
    validateLandmarks(face.landmarks, which, LANDMARK_POINTS);
    const image = imageToTensor(face.image);
    const wplus = await stage(ENCODE_LATENT, call, timings, () => encodeLatent(encodeSession, face.image));
    return { image, wplus, landmarks: face.landmarks.map((p) => [p[0], p[1]] as const) };
  }

  async function encodeTarget(face: TargetInput, call?: CallOptions, timings: Partial<Record<StageName, number>> = {}): Promise<TargetFace> {
    const mask = face?.mask ? maskToTensor(face.mask) : defaultInnerMask();
    const { image, wplus, landmarks } = await encodeFace(face, 'target', call, timings);
    return { kind: 'target', wplus, landmarks, image, mask };
  }

  return {
    method: 'fslsd',
    models,
    split: defaultSplit,
    async encodeSource(face, call) {
      const { wplus, landmarks } = await encodeFace(face, 'source', call, {});
      return createSourceFace({ wplus, landmarks, method: 'fslsd', models });
    },
    encodeTarget: (face, call) => encodeTarget(face, call),
    async swap(source, target, call = {}) {
      checkSourceFace(source, models);
      if ((target as TargetFace)?.kind === 'target') checkTargetFace(target as TargetFace);
      const split = call.split === undefined ? defaultSplit : resolveLatentSplit(call.split);
      if (call.refine !== undefined) {
        throw new FslsdError('INVALID_ARGUMENT', 'swap(): refine is a MegaFS option; FSLSD has no refine pass.', { fix: 'Leave refine out, or swap with method "megafs".' });
      }
      const strength = call.strength ?? defaultStrength;
      if (!Number.isFinite(strength)) throw new FslsdError('INVALID_ARGUMENT', `Direction strength must be finite, got ${strength}.`, { fix: 'Use 1 for the method as published.' });
      const timings: Partial<Record<StageName, number>> = {};
      const targetFace = (target as TargetFace)?.kind === 'target' ? (target as TargetFace) : await encodeTarget(target as TargetInput, call, timings);
      let direction: Float32Array | undefined;
      if (split.directionCodes.length) {
        const pixels = landmarkPixels(source.landmarks, targetFace.landmarks);
        direction = await stage(LANDMARK_DIRECTION, call, timings, () => landmarkDirection(directionSession, pixels));
      }
      const fused = await stage(FUSE_LATENTS, call, timings, () => fuseLatents(source.wplus, targetFace.wplus, direction, split, strength));
      const latent = (call.editor ?? useEditor) ? await stage(EDIT_LATENT, call, timings, () => editLatent(editorSession, fused)) : fused;
      const { image, sideOutput } = await stage(SYNTHESIZE, call, timings, () => synthesize(synthesisSession, latent, targetFace.image, targetFace.mask));
      return { image, sideOutput, latent, fused, direction, split, timings };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
