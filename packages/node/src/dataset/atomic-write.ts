/**
 * Every dataset file is written under a temporary name in its own folder and renamed into
 * place, so a reader (the trainer, a resumed run) never sees a half-written file: rename within
 * one folder is atomic on POSIX file systems.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { FslsdError } from '@fslsd/core';

/** Marks temporary files; a run removes the ones an earlier, killed run left. */
const PARTIAL = '.partial';

function temporaryName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}${PARTIAL}`);
}

async function atomically(file: string, write: (temporary: string) => Promise<unknown>): Promise<void> {
  const temporary = temporaryName(file);
  try {
    await write(temporary);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new FslsdError('IO', `Cannot write ${file}: ${(error as Error).message}.`, { fix: 'Check that the dataset folder is writable and its disk is not full.', cause: error });
  }
}

/** Writes bytes or text to `file` atomically. */
export function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  return atomically(file, (temporary) => writeFile(temporary, data));
}

/** Writes a JSON value (newline-terminated; indented by `indent` spaces, or on one line with 0) atomically. */
export function writeJsonAtomic(file: string, value: unknown, indent = 2): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, indent || undefined)}\n`);
}

/**
 * Writes 8-bit pixels as a PNG atomically: 3 channels give an RGB PNG, 1 a greyscale one. No
 * metadata is added: these are the photos' own pixels, aligned, not synthetic images.
 */
export function writePngAtomic(file: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<void> {
  // sharp would widen one raw channel to sRGB; 'b-w' keeps it a one-channel greyscale PNG.
  const image = sharp(pixels, { raw: { width, height, channels } });
  return atomically(file, (temporary) => (channels === 1 ? image.toColourspace('b-w') : image).png().toFile(temporary));
}

/** Removes the temporary files a killed run left in `folder` (not recursive). */
export async function removePartials(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.startsWith('.') && name.endsWith(PARTIAL)).map((name) => rm(path.join(folder, name), { force: true })));
}
