/**
 * Model manifests: which files make a model set, with size, sha256, contract, licence and
 * provenance. Written by the Python exporter (`fslsd_reference.export`), read here.
 */
import { FslsdError, type ModelEntry } from '@fslsd/core';
import { type AnyModelId, MEGAFS_MODEL_IDS, MODEL_IDS, OPTIONAL_MODEL_IDS } from '@fslsd/core/graph';

const KNOWN_IDS: readonly string[] = [...MODEL_IDS, ...OPTIONAL_MODEL_IDS, ...MEGAFS_MODEL_IDS];

export const MANIFEST_FORMAT = 'fslsd-models/1';

export interface ManifestLicence {
  /** SPDX id, or NOASSERTION. */
  readonly spdx: string;
  readonly note: string;
}

/**
 * What a model set is for, when it is not a whole method. `latent-encoder`: FSLSD's psp-encoder
 * without the five networks only FSLSD's checkpoint fills (imported from pSp's
 * `psp_ffhq_encode.pt` alone, optionally with the landmarker-106), enough for W+ codes
 * (`createLatentEncoder()`, `fslsd dataset prepare`); swappers refuse such a set.
 */
export type ManifestPurpose = 'latent-encoder';

/** Every {@link ManifestPurpose}. */
export const MANIFEST_PURPOSES: readonly ManifestPurpose[] = ['latent-encoder'];

/** The parsed `manifest.json` of a model set. */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly set: string;
  readonly opset: number;
  readonly weightStorage: 'float32' | 'float16';
  /** The method the set is for; absent in FSLSD sets written before MegaFS existed. */
  readonly method?: 'fslsd' | 'megafs';
  /** MegaFS: the transfer module the set was exported with (ftm, injection, lcr). */
  readonly variant?: string;
  /** What the set is for; absent: every network of its method, for swapping (every set but an encoder-only import). */
  readonly purpose?: ManifestPurpose;
  readonly licence: ManifestLicence;
  readonly provenance: Readonly<Record<string, unknown>>;
  readonly models: readonly ModelEntry[];
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Validates a manifest. File names must be plain names (no folders, no `..`), so a manifest
 * can never make a loader read or write outside its directory or cache.
 * @throws FslsdError `MANIFEST_INVALID` naming the field and the fix.
 */
export function parseManifest(json: unknown, origin: string): Manifest {
  const fail = (what: string): never => {
    throw new FslsdError('MANIFEST_INVALID', `The model manifest ${origin} is invalid: ${what}.`, {
      fix: 'Regenerate it with python3 -m fslsd_reference.export, or restore the original file.',
    });
  };
  const value = json as Partial<Manifest> | null;
  if (!value || typeof value !== 'object') fail('it is not a JSON object');
  if (value!.format !== MANIFEST_FORMAT) fail(`format is ${JSON.stringify(value!.format)}, expected "${MANIFEST_FORMAT}"`);
  if (!Array.isArray(value!.models)) fail('"models" is not a list');
  const seen = new Set<string>();
  for (const [i, entry] of value!.models!.entries()) {
    const where = `models[${i}]`;
    if (!entry || typeof entry !== 'object') fail(`${where} is not an object`);
    if (!KNOWN_IDS.includes(entry.id)) fail(`${where}.id "${String(entry.id)}" is not one of ${KNOWN_IDS.join(', ')}`);
    if (seen.has(entry.id)) fail(`model "${entry.id}" is listed twice`);
    seen.add(entry.id);
    if (typeof entry.file !== 'string' || !SAFE_FILE.test(entry.file) || entry.file.includes('..')) fail(`${where}.file ${JSON.stringify(entry.file)} is not a plain file name`);
    if (!Number.isSafeInteger(entry.bytes) || entry.bytes <= 0) fail(`${where}.bytes must be a positive integer`);
    if (typeof entry.sha256 !== 'string' || !SHA256.test(entry.sha256)) fail(`${where}.sha256 must be 64 lower-case hex digits`);
  }
  if (!value!.licence || typeof value!.licence.spdx !== 'string') fail('"licence.spdx" is missing');
  if (value!.method !== undefined && value!.method !== 'fslsd' && value!.method !== 'megafs') fail(`method is ${JSON.stringify(value!.method)}, expected "fslsd" or "megafs"`);
  if (value!.purpose !== undefined && !MANIFEST_PURPOSES.includes(value!.purpose)) fail(`purpose is ${JSON.stringify(value!.purpose)}, expected ${MANIFEST_PURPOSES.map((p) => `"${p}"`).join(' or ')} (or none)`);
  return value as Manifest;
}

/** The entry for `id`, or a `MODEL_NOT_FOUND` error. */
export function manifestEntry(manifest: Manifest, id: AnyModelId, origin: string): ModelEntry {
  const entry = manifest.models.find((m) => m.id === id);
  if (!entry) {
    throw new FslsdError('MODEL_NOT_FOUND', `The model set ${origin} has no "${id}" model.`, { fix: `Known models there: ${manifest.models.map((m) => m.id).join(', ')}.` });
  }
  return entry;
}
