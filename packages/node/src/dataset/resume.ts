/**
 * What an earlier run already finished. A face counts only when face.json exists (it is written
 * last) and the three data files have their exact sizes; a skip counts when its record exists.
 * Anything less is computed again, so a run killed at any point resumes into a whole dataset.
 */
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { DATASET_CROP_SIZE, type SkipRecord, WPLUS_BYTES, faceFiles, skipFile } from './layout.js';

/** The state of one photo variant in the dataset folder. */
export type EntryState = { readonly state: 'face' } | { readonly state: 'skipped'; readonly record: SkipRecord } | { readonly state: 'pending' };

/** Whether a PNG has the crop size and `channels` channels (read from its header only). */
async function pngHas(file: string, channels: number): Promise<boolean> {
  try {
    const meta = await sharp(file).metadata();
    return meta.format === 'png' && meta.width === DATASET_CROP_SIZE && meta.height === DATASET_CROP_SIZE && meta.channels === channels;
  } catch {
    return false;
  }
}

/** Whether faces/<id>/ holds a complete face. */
export async function isFaceComplete(out: string, id: string): Promise<boolean> {
  const files = faceFiles(out, id);
  const [record, wplus] = await Promise.all([stat(files.record).catch(() => undefined), stat(files.wplus).catch(() => undefined)]);
  if (!record?.isFile() || wplus?.size !== WPLUS_BYTES) return false;
  const [crop, mask] = await Promise.all([pngHas(files.crop, 3), pngHas(files.mask, 1)]);
  return crop && mask;
}

/** The skip record of `id`, when an earlier run wrote one (and it parses). */
async function readSkip(out: string, id: string): Promise<SkipRecord | undefined> {
  const text = await readFile(skipFile(out, id), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as SkipRecord;
    return typeof record?.reason === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The state of `id`. With `retrySkipped` a skip is pending again (e.g. after lowering
 * --min-score); a complete face never is.
 */
export async function entryState(out: string, id: string, retrySkipped: boolean): Promise<EntryState> {
  if (await isFaceComplete(out, id)) return { state: 'face' };
  if (!retrySkipped) {
    const record = await readSkip(out, id);
    if (record) return { state: 'skipped', record };
  }
  return { state: 'pending' };
}
