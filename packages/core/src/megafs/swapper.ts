/**
 * MegaFS on aligned crops: `createMegaFSSwapper()` loads the three networks, checks their
 * contracts and opens one session per stage; the object it returns is a {@link Swapper} like
 * FSLSD's, so the face front end, photos, video and both runtimes use it unchanged.
 *
 *   encodeSource(crop)  -> SourceFace (the 18 codes)          encode.ts
 *   encodeTarget(crop)  -> TargetFace (codes, f4, crop, mask)  encode.ts
 *   swap(source, target) -> transfer.ts -> generate.ts (generator + min-max + soft-eroded blend)
 */
import { MEGAFS_MODEL_IDS } from '../contracts/contract.js';
import { FslsdError } from '../errors.js';
import type { StageSession } from '../executor.js';
import { CROP_SIZE, type ImageTensor, checkCrop, imageToTensor } from '../image/tensor.js';
import { LANDMARK_POINTS, validateLandmarks } from '../landmarks/maps.js';
import { resolveLatentSplit } from '../latent/split.js';
import { WPlus } from '../latent/wplus.js';
import { defaultInnerMask, maskToTensor } from '../mask/inner-mask.js';
import { loadCheckedModels, openStageSessions, stageRunner } from '../model-loading.js';
import { type SourceFace, createSourceFace, modelSetId } from '../source-face.js';
import type { CallOptions, FaceInput, StageName, Swapper, SwapperOptions, TargetFace, TargetInput } from '../swapper.js';
import { MEGAFS_CONTRACTS } from './contracts.js';
import { MEGAFS_ENCODE, encodeMegaFS } from './encode.js';
import { MEGAFS_GENERATE, generateMegaFS, megafsGenerateGraph } from './generate.js';
import { megafsInput } from './input.js';
import { MEGAFS_TRANSFER, transferCodes } from './transfer.js';

/** Which codes come from where in MegaFS (all three transfer modules keep codes 0-3 of the target). */
const MEGAFS_SPLIT = resolveLatentSplit('megafs');

/**
 * Options FSLSD has and MegaFS does not: its transfer module decides what comes from the source.
 * @throws FslsdError `INVALID_ARGUMENT`
 */
function refuseFslsdOptions(options: { split?: unknown; strength?: unknown; editor?: unknown }, call: string): void {
  // (refine is MegaFS's own and is checked in swap().)
  const given = (['split', 'strength', 'editor'] as const).filter((key) => options[key] !== undefined);
  if (given.length) {
    throw new FslsdError('INVALID_ARGUMENT', `${call}: MegaFS has no ${given.join(', ')} (its face transfer module decides which codes come from the source).`, {
      fix: 'Leave split, strength and editor out with method "megafs"; they are FSLSD options.',
    });
  }
}

/** The target crop's bytes as planar float in [0, 255], recovered exactly from its [-1, 1] tensor. */
function targetPixels(image: ImageTensor): Float32Array {
  return image.data.map((v) => Math.round(((v + 1) / 2) * 255));
}

/** The blend as the released code saves it: planar float in [0, 255] truncated to interleaved 8-bit RGB (astype(uint8)). */
function truncateToBytes(blended: Float32Array): Uint8Array {
  const plane = CROP_SIZE * CROP_SIZE;
  const bytes = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p += 1) for (let c = 0; c < 3; c += 1) bytes[p * 3 + c] = Math.min(255, Math.max(0, Math.trunc(blended[c * plane + p]!)));
  return bytes;
}

/**
 * Loads MegaFS's networks and opens the stage sessions.
 * @throws ContractError when a model's inputs/outputs differ from its contract.
 * @throws FslsdError `INVALID_ARGUMENT`, `MODEL_NOT_FOUND`, `MODEL_INTEGRITY`, `RUNTIME_FAILURE`, `ABORTED`.
 */
export async function createMegaFSSwapper(options: SwapperOptions): Promise<Swapper> {
  refuseFslsdOptions(options, 'createSwapper()');
  if (options.precision !== undefined && options.precision !== 'float32' && options.precision !== 'float16') {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown precision "${String(options.precision)}".`, { fix: 'Use "float32" or "float16".' });
  }
  const models = modelSetId(options.models);
  const { models: networks, bindings, weightsFolder } = await loadCheckedModels(options, MEGAFS_MODEL_IDS, MEGAFS_CONTRACTS, 'fslsd_reference.megafs_export');
  const sessions = await openStageSessions(options, weightsFolder, [
    [MEGAFS_ENCODE, () => networks['megafs-encoder']],
    [MEGAFS_TRANSFER, () => networks['megafs-transfer']],
    [MEGAFS_GENERATE, () => megafsGenerateGraph(networks['megafs-generator'], bindings.get('s')!)],
  ]);
  const [encodeSession, transferSession, generateSession] = sessions as [StageSession, StageSession, StageSession];
  let disposed = false;

  const stage = stageRunner(options, () => !disposed);

  async function encodeFace(face: FaceInput, which: string, call: CallOptions | undefined, timings: Partial<Record<StageName, number>>) {
    checkCrop(face?.image, which);
    validateLandmarks(face.landmarks, which, LANDMARK_POINTS);
    const encoded = await stage(MEGAFS_ENCODE, call, timings, () => encodeMegaFS(encodeSession, megafsInput(face.image)));
    return { ...encoded, landmarks: face.landmarks.map((p) => [p[0], p[1]] as const) };
  }

  async function encodeTarget(face: TargetInput, call?: CallOptions, timings: Partial<Record<StageName, number>> = {}): Promise<TargetFace> {
    const mask = face?.mask ? maskToTensor(face.mask) : defaultInnerMask();
    const { codes, structure, landmarks } = await encodeFace(face, 'target', call, timings);
    return { kind: 'target', wplus: codes, landmarks, image: imageToTensor(face.image), mask, structure };
  }

  function checkSource(source: SourceFace): void {
    if (source?.kind !== 'source' || !(source.wplus instanceof WPlus)) {
      throw new FslsdError('INVALID_ARGUMENT', 'swap() needs a SourceFace as its first argument.', { fix: 'Get one from swapper.encodeSource() or SourceFace.fromJSON().' });
    }
    if (source.method !== 'megafs' || source.models !== models) {
      throw new FslsdError('INCOMPATIBLE_SOURCE', `This source face was encoded by method "${source.method}" with model set "${source.models}"; this swapper runs "megafs" with "${models}". Codes mean nothing to other networks.`, {
        fix: 'Encode the source photo again with this swapper (encodeSource), or load the model set that encoded it.',
      });
    }
  }

  return {
    method: 'megafs',
    models,
    split: MEGAFS_SPLIT,
    async encodeSource(face, call) {
      const { codes, landmarks } = await encodeFace(face, 'source', call, {});
      return createSourceFace({ wplus: codes, landmarks, method: 'megafs', models });
    },
    encodeTarget: (face, call) => encodeTarget(face, call),
    async swap(source, target, call = {}) {
      checkSource(source);
      refuseFslsdOptions(call, 'swap()');
      const timings: Partial<Record<StageName, number>> = {};
      const targetFace = (target as TargetFace)?.kind === 'target' ? (target as TargetFace) : await encodeTarget(target as TargetInput, call, timings);
      const { structure } = targetFace;
      if (!(structure instanceof Float32Array) || structure.length % 16 !== 0 || !(targetFace.wplus instanceof WPlus) || targetFace.mask?.length !== CROP_SIZE * CROP_SIZE) {
        throw new FslsdError('INVALID_ARGUMENT', 'This target face has no MegaFS structure map (f4), codes or mask: it was not encoded by a MegaFS swapper.', {
          fix: 'Pass { image, landmarks, mask } and let swap() encode it, or use encodeTarget() of this swapper.',
        });
      }
      const codes = await stage(MEGAFS_TRANSFER, call, timings, () => transferCodes(transferSession, source.wplus, targetFace.wplus));
      if (call.refine !== undefined && typeof call.refine !== 'boolean') {
        throw new FslsdError('INVALID_ARGUMENT', `swap(): refine must be true or false, got ${JSON.stringify(call.refine)}.`, { fix: 'Pass refine: true for the released refine pass, or leave it out.' });
      }
      const target8 = targetPixels(targetFace.image);
      const generated = await stage(MEGAFS_GENERATE, call, timings, () => generateMegaFS(generateSession, structure, codes, target8, targetFace.mask));
      let bytes = truncateToBytes(generated.blended);
      if (call.refine) {
        // The released refine pass: the blended swap re-encoded (its own codes and f4, no
        // transfer), regenerated and blended into the target again.
        const swapped = { width: CROP_SIZE, height: CROP_SIZE, channels: 3 as const, data: bytes };
        const again = await stage(MEGAFS_ENCODE, call, timings, () => encodeMegaFS(encodeSession, megafsInput(swapped)));
        const refined = await stage(MEGAFS_GENERATE, call, timings, () => generateMegaFS(generateSession, again.structure, again.codes, target8, targetFace.mask));
        bytes = truncateToBytes(refined.blended);
      }
      const image = imageToTensor({ width: CROP_SIZE, height: CROP_SIZE, channels: 3, data: bytes });
      const sideOutput: ImageTensor = { width: CROP_SIZE, height: CROP_SIZE, channels: 3, data: generated.pixels.map((v) => v / 127.5 - 1) };
      return { image, sideOutput, latent: codes, fused: codes, direction: undefined, split: MEGAFS_SPLIT, timings };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
