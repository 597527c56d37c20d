/**
 * The networks a dataset needs: the face front end exactly as createFaceSwapper() opens it (the
 * set's landmarker-106 unless one is given, the parser when given) and the model set's pSp
 * encoder alone (core's createLatentEncoder: the swapper's encode-latent stage and loading code,
 * without the five other networks). Planning reads only the set's manifest, so a dataset that
 * cannot be resumed with these models is refused before any network is loaded.
 */
import { FslsdError, type ModelSet, type ProgressEvent } from '@fslsd/core';
import { type LatentEncoder, createLatentEncoder } from '@fslsd/core/pipeline';
import { createFaceAnalyzer, type NodeFaceAnalyzer } from '../faces.js';
import { type DeviceChoice, nodeRuntime, sessionOptionsFor } from '../runtime.js';
import { resolveModelSet } from '../swapper.js';
import type { DatasetIdentity } from './manifest.js';

/** Where the models come from (the options of prepareDataset that concern them). */
export interface DatasetModelOptions {
  /** `'tiny'` (default: the shipped untrained set), a folder with manifest.json, an http(s) address, or a ModelSet. */
  readonly models?: 'tiny' | string | ModelSet;
  /** Front-end models: folder of the detector/landmarks/descriptor, a 106-point landmarker, a face parser. */
  readonly faces?: { readonly models?: string; readonly landmarker?: string | Uint8Array; readonly parser?: string | Uint8Array };
  readonly cacheDirectory?: string;
  readonly offline?: boolean;
  readonly signal?: AbortSignal;
}

/** The model set, and what the dataset will record about where its data comes from. */
export interface DatasetModelPlan {
  readonly set: ModelSet;
  readonly tiny: boolean;
  readonly identity: DatasetIdentity;
}

/**
 * Resolves the set (its manifest only) and the sources of landmarks and masks.
 * @throws FslsdError `MODEL_NOT_FOUND` for a set without a psp-encoder (a MegaFS set), and the
 * set loaders' errors.
 */
export async function planModels(options: DatasetModelOptions): Promise<DatasetModelPlan> {
  const given = options.models;
  const tiny = given === undefined || given === 'tiny';
  const url = typeof given === 'string' && /^https?:\/\//i.test(given) ? given : undefined;
  const set = await resolveModelSet({ models: tiny ? undefined : given, cacheDirectory: options.cacheDirectory, offline: options.offline, signal: options.signal });
  const psp = set.entries.find((entry) => entry.id === 'psp-encoder');
  if (!psp) {
    throw new FslsdError('MODEL_NOT_FOUND', `The model set "${set.name}" has no psp-encoder, so it cannot give the W+ codes FSLSD trains on.`, {
      fix: 'Pass --models an FSLSD set, not a MegaFS one: a full one (fslsd models import --fslsd … --psp …) or the encoder-only one pSp\'s checkpoint alone gives (fslsd models import --psp psp_ffhq_encode.pt --out DIR).',
    });
  }
  const folder = set.localFile?.('psp-encoder')?.directory;
  const hasLandmarker = options.faces?.landmarker !== undefined || set.entries.some((entry) => entry.id === 'landmarker-106');
  return {
    set,
    tiny,
    identity: {
      models: { name: set.name, ...(folder && !url ? { folder } : {}), ...(url ? { url } : {}), pspEncoderSha256: psp.sha256 },
      landmarkSource: hasLandmarker ? 'landmarker-106' : 'mapped-68',
      maskSource: options.faces?.parser !== undefined ? 'parser' : 'landmarks',
    },
  };
}

/** The opened networks. */
export interface DatasetNetworks {
  readonly analyzer: NodeFaceAnalyzer;
  readonly encoder: LatentEncoder;
  dispose(): Promise<void>;
}

/**
 * Opens the front end and the pSp encoder on `device`.
 * @throws FslsdError from loading; nothing stays open on failure.
 */
export async function openNetworks(plan: DatasetModelPlan, options: DatasetModelOptions & { readonly device: DeviceChoice; readonly threads?: number; readonly onProgress?: (event: ProgressEvent) => void }): Promise<DatasetNetworks> {
  const { set } = plan;
  const landmarker = options.faces?.landmarker ?? (set.entries.some((entry) => entry.id === 'landmarker-106') ? await set.load('landmarker-106', { signal: options.signal }) : undefined);
  const analyzer = await createFaceAnalyzer({
    ...(options.faces?.models ? { models: options.faces.models } : {}),
    ...(landmarker ? { landmarker } : {}),
    ...(options.faces?.parser !== undefined ? { parser: options.faces.parser } : {}),
    device: options.device,
    ...(options.threads ? { threads: options.threads } : {}),
  });
  let encoder: LatentEncoder;
  try {
    encoder = await createLatentEncoder({
      runtime: nodeRuntime,
      models: set,
      sessionOptions: sessionOptionsFor(options.device, options.threads),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } catch (error) {
    await analyzer.dispose();
    throw error;
  }
  // The plan promised these sources to dataset.json; the opened front end must deliver them.
  if (analyzer.landmarkSource !== plan.identity.landmarkSource || analyzer.maskSource !== plan.identity.maskSource) {
    await Promise.all([analyzer.dispose(), encoder.dispose()]);
    throw new FslsdError('RUNTIME_FAILURE', `The front end opened with landmarks ${analyzer.landmarkSource} and masks ${analyzer.maskSource}, not the planned ${plan.identity.landmarkSource} and ${plan.identity.maskSource}.`);
  }
  return { analyzer, encoder, dispose: async () => void (await Promise.all([analyzer.dispose(), encoder.dispose()])) };
}
