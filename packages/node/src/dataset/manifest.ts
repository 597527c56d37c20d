/**
 * dataset.json: reading the one a folder already holds (to resume it, or to refuse mixing W+
 * codes, landmarks or masks of different origins in one dataset), and writing it atomically,
 * at the start of a run, every few seconds during it and at its end.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { FslsdError } from '@fslsd/core';
import { writeJsonAtomic } from './atomic-write.js';
import { DATASET_FORMAT, DATASET_VERSION, type DatasetManifest, manifestFile } from './layout.js';

/** What decides whether two runs may share a dataset folder. */
export type DatasetIdentity = Pick<DatasetManifest, 'models' | 'landmarkSource' | 'maskSource'>;

const NEW_OUT = 'use a new --out or the same models';

/**
 * The manifest already in `out`, or undefined for a folder that does not exist yet or is empty.
 * @throws FslsdError `IO` when `out` is a file, or a non-empty folder that is not an fslsd dataset.
 */
export async function readExistingManifest(out: string): Promise<DatasetManifest | undefined> {
  const info = await stat(out).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isDirectory()) throw new FslsdError('IO', `${out} is a file; the dataset is written into a folder.`, { fix: 'Pass --out a folder that does not exist yet (it is created) or an earlier dataset to resume.' });
  const file = manifestFile(out);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    const names = await readdir(out);
    if (!names.length) return undefined;
    throw new FslsdError('IO', `${out} holds files but no dataset.json: it is not an fslsd dataset.`, { fix: 'Pass --out a new or empty folder, or the folder of an earlier dataset to resume it.' });
  }
  let json: Partial<DatasetManifest>;
  try {
    json = JSON.parse(text) as Partial<DatasetManifest>;
  } catch (error) {
    throw new FslsdError('IO', `${file} is not JSON: ${(error as Error).message}.`, { fix: 'Pass --out a new folder; fslsd writes dataset.json atomically, so this file was written by something else.', cause: error });
  }
  if (json?.format !== DATASET_FORMAT || json.version !== DATASET_VERSION) {
    throw new FslsdError('IO', `${file} is not an fslsd dataset manifest of version ${DATASET_VERSION} (format ${JSON.stringify(json?.format)}, version ${JSON.stringify(json?.version)}).`, {
      fix: 'Pass --out a new folder, or resume it with the fslsd version that made it.',
    });
  }
  return json as DatasetManifest;
}

/**
 * A dataset is one kind of data: its W+ codes come from one pSp encoder, its landmarks and masks
 * from one source. A run with other models would silently mix them.
 * @throws FslsdError `INVALID_ARGUMENT` naming what differs.
 */
export function checkSameIdentity(existing: DatasetManifest, wanted: DatasetIdentity, out: string): void {
  const differences: string[] = [];
  if (existing.models?.pspEncoderSha256 !== wanted.models.pspEncoderSha256) {
    differences.push(`its W+ codes come from a psp-encoder with sha256 ${String(existing.models?.pspEncoderSha256).slice(0, 12)}… (set "${existing.models?.name}"), this run's from ${wanted.models.pspEncoderSha256.slice(0, 12)}… (set "${wanted.models.name}")`);
  }
  if (existing.landmarkSource !== wanted.landmarkSource) differences.push(`its landmarks are ${existing.landmarkSource}, this run's would be ${wanted.landmarkSource}`);
  if (existing.maskSource !== wanted.maskSource) differences.push(`its masks come from ${existing.maskSource}, this run's would come from ${wanted.maskSource}`);
  if (differences.length) {
    throw new FslsdError('INVALID_ARGUMENT', `The dataset in ${out} was made with other models: ${differences.join('; ')}.`, {
      fix: `Mixing them would give the trainer inconsistent data: ${NEW_OUT} (--models, --landmarker and --parser as in the first run).`,
    });
  }
}

/** Writes dataset.json from a snapshot, at most once per `interval` ms unless asked to, one write at a time. */
export interface ManifestWriter {
  /** Writes when `interval` ms have passed since the last write. */
  maybeWrite(): Promise<void>;
  /** Writes now (after any write in progress); resolves to what was written. */
  write(): Promise<DatasetManifest>;
}

export function createManifestWriter(out: string, snapshot: () => DatasetManifest, interval = 2000): ManifestWriter {
  let last = 0;
  // Writes are chained: two renames racing could leave an older snapshot in place.
  let chain: Promise<unknown> = Promise.resolve();
  const write = (): Promise<DatasetManifest> => {
    last = Date.now();
    const written = chain.then(async () => {
      const manifest = snapshot();
      await writeJsonAtomic(manifestFile(out), manifest);
      return manifest;
    });
    chain = written;
    return written;
  };
  return {
    maybeWrite: async () => {
      if (Date.now() - last >= interval) await write();
    },
    write,
  };
}
