/**
 * Writing one entry: a face's four files (face.json last, so its presence means the other three
 * are whole) or a skip record. Each file goes through a temporary name (atomic-write.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { type RgbImage, type WPlus } from '@fslsd/core';
import { writeFileAtomic, writeJsonAtomic, writePngAtomic } from './atomic-write.js';
import { DATASET_CROP_SIZE, type FaceRecord, type SkipRecord, WPLUS_BYTES, faceFiles, skipFile } from './layout.js';

/** W+ as the trainer reads it: 9,216 float32 little-endian, whatever this machine's byte order. */
export function wplusBytes(wplus: WPlus): Uint8Array {
  const bytes = new Uint8Array(WPLUS_BYTES);
  const view = new DataView(bytes.buffer);
  wplus.data.forEach((value, i) => view.setFloat32(4 * i, value, true));
  return bytes;
}

/** The inner-face mask (floats in [0, 1]) as 8-bit grey, 255 = face. */
export function maskBytes(mask: Float32Array): Uint8Array {
  const bytes = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i += 1) bytes[i] = Math.round(Math.min(1, Math.max(0, mask[i]!)) * 255);
  return bytes;
}

/** The crop's RGB bytes (an RGBA crop loses its alpha: the dataset's crops are RGB). */
function rgbBytes(crop: RgbImage): Uint8Array {
  if (crop.channels === 3) return crop.data instanceof Uint8Array ? crop.data : new Uint8Array(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength);
  const out = new Uint8Array(crop.width * crop.height * 3);
  for (let p = 0; p < crop.width * crop.height; p += 1) out.set(crop.data.subarray(4 * p, 4 * p + 3), 3 * p);
  return out;
}

/** What one face contributes to the dataset. */
export interface FaceData {
  readonly record: FaceRecord;
  readonly crop: RgbImage;
  readonly mask: Float32Array;
  readonly wplus: WPlus;
}

/** Writes faces/<id>/ (crop, mask and W+ at once, then face.json) and drops an older skip of the same id. */
export async function writeFaceEntry(out: string, face: FaceData): Promise<void> {
  const files = faceFiles(out, face.record.id);
  // A folder left by a killed run may hold stale files and temporaries: start it afresh.
  await rm(files.folder, { recursive: true, force: true });
  await mkdir(files.folder, { recursive: true });
  const size = DATASET_CROP_SIZE;
  await Promise.all([
    writePngAtomic(files.crop, rgbBytes(face.crop), size, size, 3),
    writePngAtomic(files.mask, maskBytes(face.mask), size, size, 1),
    writeFileAtomic(files.wplus, wplusBytes(face.wplus)),
  ]);
  await writeJsonAtomic(files.record, face.record, 0);
  await rm(skipFile(out, face.record.id), { force: true });
}

/** Writes skipped/<id>.json and drops an older face folder of the same id. */
export async function writeSkipEntry(out: string, record: SkipRecord): Promise<void> {
  await rm(faceFiles(out, record.id).folder, { recursive: true, force: true });
  await writeJsonAtomic(skipFile(out, record.id), record, 0);
}
