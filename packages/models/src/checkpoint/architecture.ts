/**
 * `architecture.json`: what `fslsd_reference.architecture` wrote beside the weightless graphs —
 * per checkpoint role, every tensor the checkpoint must hold, and per model, its graph file,
 * contract and the initializers computed from several keys.
 */
import { FslsdError, type ModelEntry } from '@fslsd/core';
import { type ManifestLicence } from '../manifest.js';

export const ARCHITECTURE_FORMAT = 'fslsd-architecture/1';

/** Which checkpoint file a tensor comes from. */
export type CheckpointRole = 'fslsd' | 'psp' | 'megafs' | 'stylegan2' | 'h3r';

export const CHECKPOINT_ROLES: readonly CheckpointRole[] = ['fslsd', 'psp', 'megafs', 'stylegan2', 'h3r'];

/** One dict of a checkpoint and the tensors it must hold. */
export interface CheckpointScope {
  /** Dict keys from the checkpoint's top level (`["encoder_lmk"]`; `[]` is the top level). */
  readonly path: readonly string[];
  /** Only keys starting with this are this scope's (`encoder.` in pSp's state_dict). */
  readonly prefix: string;
  /** Exact: a tensor key with the prefix that is not listed is an error. */
  readonly exact: boolean;
  readonly tensors: Readonly<Record<string, { readonly shape: readonly number[]; readonly dtype: string; readonly rows?: number }>>;
}

export interface ArchitectureCheckpoint {
  /** The command-line flag that passes this file (`--psp`). */
  readonly flag: string;
  /** The file's released name (`psp_ffhq_encode.pt`). */
  readonly file: string;
  readonly description: string;
  readonly scopes: readonly CheckpointScope[];
}

/** An initializer computed from checkpoint tensors rather than copied. */
export interface DerivedTensor {
  readonly name: string;
  readonly role: CheckpointRole;
  /** `stack`: stack the keys; `stack-transposed`: then swap the last two axes; `rows`: reshape to rows and repeat to the shape. */
  readonly transform: 'stack' | 'stack-transposed' | 'rows';
  readonly keys: readonly string[];
}

export interface ArchitectureModel extends ModelEntry {
  readonly parameters: number;
  readonly references: number;
  readonly licence?: ManifestLicence;
  readonly derived?: readonly DerivedTensor[];
}

/** A parsed `architecture.json`. */
export interface ArchitectureDescription {
  readonly format: typeof ARCHITECTURE_FORMAT;
  /** `fslsd`, `megafs-ftm`, `landmarker-106`... */
  readonly set: string;
  readonly method?: 'fslsd' | 'megafs';
  readonly variant?: string;
  readonly width: number;
  readonly opset: number;
  readonly licence: ManifestLicence;
  readonly checkpoints: Readonly<Partial<Record<CheckpointRole, ArchitectureCheckpoint>>>;
  readonly models: readonly ArchitectureModel[];
}

/** An architecture: its description and a way to read its graph files. */
export interface ArchitectureSource {
  readonly description: ArchitectureDescription;
  /** Bytes of one graph file of {@link ArchitectureDescription.models}. */
  graph(file: string): Promise<Uint8Array>;
}

/**
 * Validates `architecture.json`.
 * @throws FslsdError `MANIFEST_INVALID`
 */
export function parseArchitecture(json: unknown, origin: string): ArchitectureDescription {
  const fail = (what: string): never => {
    throw new FslsdError('MANIFEST_INVALID', `The architecture ${origin} is invalid: ${what}.`, {
      fix: 'Reinstall @fslsd/models, or regenerate it with python3 -m fslsd_reference.architecture.',
    });
  };
  const value = json as Partial<ArchitectureDescription> | null;
  if (!value || typeof value !== 'object') return fail('it is not a JSON object');
  if (value.format !== ARCHITECTURE_FORMAT) fail(`format is ${JSON.stringify(value.format)}, expected "${ARCHITECTURE_FORMAT}"`);
  if (typeof value.set !== 'string' || !Array.isArray(value.models) || !value.checkpoints || typeof value.checkpoints !== 'object') fail('set, models or checkpoints is missing');
  for (const role of Object.keys(value.checkpoints!)) {
    if (!CHECKPOINT_ROLES.includes(role as CheckpointRole)) fail(`unknown checkpoint role ${JSON.stringify(role)}`);
  }
  for (const model of value.models!) {
    if (typeof model.file !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*\.onnx$/.test(model.file)) fail(`model file ${JSON.stringify(model.file)} is not a plain .onnx name`);
  }
  return value as ArchitectureDescription;
}
