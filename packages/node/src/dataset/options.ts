/**
 * The options of prepareDataset(), checked at the boundary before anything is read or loaded:
 * a typo or a value out of range is an error naming the option and the fix, never a silently
 * ignored setting.
 */
import { availableParallelism } from 'node:os';
import { FslsdError, type ModelSet, type ProgressEvent } from '@fslsd/core';
import { checkOptions } from '@fslsd/core/pipeline';
import { DETECTOR_DEFAULTS } from '@fslsd/core/face';
import { DEVICES, type Device } from '../runtime.js';
import { AUGMENTATIONS, type Augmentation, type SkipCode, type Variant } from './layout.js';
import type { FaceSettings } from './photo-entries.js';

/** Options of {@link prepareDataset}. */
export interface PrepareDatasetOptions {
  /** The photos folder: every .jpg, .jpeg, .png and .webp file under it, at any depth, any case. */
  readonly photos: string;
  /** The dataset folder: created when missing; an earlier dataset made with the same models is resumed. */
  readonly out: string;
  /** `'tiny'` (default: the shipped untrained set, for tests), a folder with manifest.json, an http(s) address, or a ModelSet. */
  readonly models?: 'tiny' | string | ModelSet;
  /**
   * The face front end's models: `models` a folder with the detector/landmarks manifest (default
   * the shipped one), `landmarker` a 106-point landmarker (default: the set's landmarker-106 if it
   * has one, else the 68 points mapped), `parser` a face parser for the mask (default: landmarks).
   */
  readonly faces?: { readonly models?: string; readonly landmarker?: string | Uint8Array; readonly parser?: string | Uint8Array };
  /** Extra entries per photo: `flip` adds the photo mirrored left-right. Default: none. */
  readonly augment?: readonly Augmentation[];
  /** Detector confidence a face must pass, in [0, 1). Default 0.5, as `fslsd swap`. */
  readonly minScore?: number;
  /** Photos whose largest face's detector box is shorter than this (pixels) on a side are skipped. Default 64. */
  readonly minFace?: number;
  /** Detector input side, a multiple of 32 from 128 to 2048. Default 416. */
  readonly detectorSize?: number;
  /** Photos in flight at once, sharing the sessions. Default min(4, cores). */
  readonly jobs?: number;
  /** `auto` (default), `cpu` or `cuda`. */
  readonly device?: Device;
  /** Intra-op threads per session (default: all cores). */
  readonly threads?: number;
  /** Compute again the photo variants an earlier run skipped (after changing minScore, say). Default false. */
  readonly retrySkipped?: boolean;
  /** Where downloaded model sets are kept. Default $FSLSD_CACHE, else ~/.cache/fslsd/models. */
  readonly cacheDirectory?: string;
  /** Never touch the network: a URL model set must already be in the cache. */
  readonly offline?: boolean;
  /** Stops the run between stages; what is finished stays, and a later run resumes from it. */
  readonly signal?: AbortSignal;
  /** Each photo and entry as it finishes, model loading, warnings. */
  readonly onProgress?: (event: DatasetProgressEvent) => void;
}

/** What {@link prepareDataset} reports while it runs. */
export type DatasetProgressEvent =
  /** The plan: photos found, entries (photos x variants), and how many of them are left to compute. */
  | { readonly kind: 'plan'; readonly photos: number; readonly entries: number; readonly pending: number }
  /** Loading the networks (only when something is left to compute). */
  | { readonly kind: 'loading'; readonly event: ProgressEvent }
  /** One photo variant computed and written in this run: a face, or a skip with its reason. */
  | {
      readonly kind: 'entry';
      readonly id: string;
      readonly photo: string;
      readonly variant: Variant;
      readonly outcome: 'face' | 'skipped';
      readonly code?: SkipCode;
      readonly reason?: string;
    }
  /** One photo finished: `done` of the `total` photos this run computes. */
  | { readonly kind: 'photo'; readonly photo: string; readonly done: number; readonly total: number }
  /** Said once: `TINY_MODELS` (the W+ codes come from untrained weights), `DEVICE_FALLBACK`. */
  | { readonly kind: 'warning'; readonly code: 'TINY_MODELS' | 'DEVICE_FALLBACK'; readonly message: string };

const KEYS = ['photos', 'out', 'models', 'faces', 'augment', 'minScore', 'minFace', 'detectorSize', 'jobs', 'device', 'threads', 'retrySkipped', 'cacheDirectory', 'offline', 'signal', 'onProgress'];

/** The checked options with their defaults. */
export interface CheckedOptions {
  readonly augment: readonly Augmentation[];
  readonly settings: FaceSettings;
  readonly jobs: number;
  readonly device: Device;
}

const invalid = (message: string, fix: string): FslsdError => new FslsdError('INVALID_ARGUMENT', `prepareDataset(): ${message}`, { fix });

/**
 * @throws FslsdError `INVALID_ARGUMENT` naming the option.
 */
export function checkDatasetOptions(options: PrepareDatasetOptions): CheckedOptions {
  if (options === undefined || options === null || typeof options !== 'object') throw invalid('needs an options object.', 'Pass { photos, out, … }.');
  // Core's check knows minScore, detectorSize, signal and onProgress; the rest is checked here.
  checkOptions(options, KEYS, 'prepareDataset()');
  for (const key of ['photos', 'out'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') throw invalid(`${key} must be a folder path, got ${JSON.stringify(options[key])}.`, `Pass ${key}: "path/to/folder".`);
  }
  const augment = options.augment ?? [];
  if (!Array.isArray(augment) || augment.some((kind) => !(AUGMENTATIONS as readonly string[]).includes(kind))) {
    throw invalid(`augment must be a list of ${AUGMENTATIONS.join(', ')}, got ${JSON.stringify(options.augment)}.`, `Pass augment: ['flip'], or leave it out.`);
  }
  const minScore = options.minScore ?? DETECTOR_DEFAULTS.minScore;
  if (minScore >= 1) throw invalid(`minScore must be below 1, got ${minScore}.`, 'Use 0.5 (default); a detector score never reaches 1.');
  const minFace = options.minFace ?? 64;
  if (!(typeof minFace === 'number' && Number.isFinite(minFace) && minFace >= 0)) throw invalid(`minFace must be a number of pixels >= 0, got ${JSON.stringify(options.minFace)}.`, 'Use 64 (default), or 0 to keep every face.');
  const jobs = options.jobs ?? Math.min(4, availableParallelism());
  if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) throw invalid(`jobs must be a whole number from 1 to 64, got ${JSON.stringify(options.jobs)}.`, 'Use min(4, cores) (default).');
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) throw invalid(`threads must be a positive whole number, got ${JSON.stringify(options.threads)}.`, 'Leave it out to use every core.');
  const device = options.device ?? 'auto';
  if (!DEVICES.includes(device)) throw invalid(`unknown device ${JSON.stringify(device)}.`, `Use one of ${DEVICES.join(', ')}.`);
  for (const key of ['retrySkipped', 'offline'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') throw invalid(`${key} must be true or false.`, `Pass ${key}: true or leave it out.`);
  }
  return { augment: [...new Set(augment)], settings: { minScore, minFace, detectorSize: options.detectorSize ?? DETECTOR_DEFAULTS.inputSize }, jobs, device };
}
