/**
 * The manifest of the converted face models (`faces/manifest.json`). A sibling of the FSLSD
 * model manifest (`fslsd-models/1`): same file/bytes/sha256/inputs/outputs fields and the same
 * safety rules, but its own format tag and model ids, because these networks are not part of
 * the swap pipeline's contract and come from another source (converted, MIT).
 */
import { FslsdError } from '@fslsd/core';

export const FACE_MANIFEST_FORMAT = 'fslsd-face-models/1';

/**
 * The converted networks, by id. Readers load the ids they need and treat a missing one as
 * absent (the SSD detector is an alternative to `face-detector`, optional for them).
 */
export const FACE_MODEL_IDS = ['face-detector', 'face-landmarks-68', 'face-descriptor', 'face-detector-ssd'] as const;
export type FaceModelId = (typeof FACE_MODEL_IDS)[number];

/** One tensor of a model's interface. */
export interface FaceTensorSpec {
  readonly name: string;
  readonly dtype: 'float32';
  readonly shape: readonly (number | string)[];
  readonly range?: readonly [number, number];
}

/** One converted network. */
export interface FaceModelEntry {
  readonly id: FaceModelId;
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly description: string;
  /** The TensorFlow.js files it was converted from, inside `provenance.package`. */
  readonly sourceFiles: readonly string[];
  readonly inputs: readonly FaceTensorSpec[];
  readonly outputs: readonly FaceTensorSpec[];
}

/** The parsed `faces/manifest.json`. */
export interface FaceManifest {
  readonly format: typeof FACE_MANIFEST_FORMAT;
  readonly set: string;
  readonly opset: number;
  readonly licence: { readonly spdx: string; readonly note: string };
  readonly provenance: {
    readonly kind: 'converted';
    readonly package: string;
    readonly version: string;
    readonly directory: string;
    readonly command: string;
  };
  readonly models: readonly FaceModelEntry[];
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Validates a face-model manifest. File names must be plain names, so the manifest can never
 * point a loader outside its folder.
 * @throws FslsdError `MANIFEST_INVALID` naming the field.
 */
export function parseFaceManifest(json: unknown, origin: string): FaceManifest {
  const fail = (what: string): never => {
    throw new FslsdError('MANIFEST_INVALID', `The face model manifest ${origin} is invalid: ${what}.`, {
      fix: 'Regenerate it with `pnpm --filter @fslsd/models convert:faces`, or restore the original file.',
    });
  };
  const value = json as Partial<FaceManifest> | null;
  if (!value || typeof value !== 'object') fail('it is not a JSON object');
  if (value!.format !== FACE_MANIFEST_FORMAT) fail(`format is ${JSON.stringify(value!.format)}, expected "${FACE_MANIFEST_FORMAT}"`);
  if (!Array.isArray(value!.models)) fail('"models" is not a list');
  const seen = new Set<string>();
  for (const [i, entry] of value!.models!.entries()) {
    const where = `models[${i}]`;
    if (!entry || typeof entry !== 'object') fail(`${where} is not an object`);
    if (!FACE_MODEL_IDS.includes(entry.id)) fail(`${where}.id "${String(entry.id)}" is not one of ${FACE_MODEL_IDS.join(', ')}`);
    if (seen.has(entry.id)) fail(`model "${entry.id}" is listed twice`);
    seen.add(entry.id);
    if (typeof entry.file !== 'string' || !SAFE_FILE.test(entry.file) || entry.file.includes('..')) fail(`${where}.file ${JSON.stringify(entry.file)} is not a plain file name`);
    if (!Number.isSafeInteger(entry.bytes) || entry.bytes <= 0) fail(`${where}.bytes must be a positive integer`);
    if (typeof entry.sha256 !== 'string' || !SHA256.test(entry.sha256)) fail(`${where}.sha256 must be 64 lower-case hex digits`);
  }
  if (!value!.licence || typeof value!.licence.spdx !== 'string') fail('"licence.spdx" is missing');
  return value as FaceManifest;
}
