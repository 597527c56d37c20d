/**
 * The photos of a dataset: every .jpg/.jpeg/.png/.webp file under the photos folder (any case,
 * any depth), as paths relative to it with '/' separators, sorted by code unit so that every
 * run and every machine sees them in the same order.
 */
import { type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FslsdError } from '@fslsd/core';

const PHOTO_EXTENSION = /\.(jpe?g|png|webp)$/i;

/** Whether `inner` is `outer` or lies inside it. */
export function isWithin(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Lists the photos under `folder`. `exclude` (the dataset folder, when it lies inside the
 * photos folder) is not entered, so a dataset's own crops never become photos of the next run.
 * @throws FslsdError `IO` when `folder` is missing or not a folder.
 */
export async function listPhotos(folder: string, exclude?: string): Promise<string[]> {
  const root = path.resolve(folder);
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new FslsdError('IO', `The photos folder ${root} does not exist.`, { fix: 'Pass --in a folder of .jpg, .png or .webp photos.' });
  if (!info.isDirectory()) throw new FslsdError('IO', `${root} is a file, not a folder of photos.`, { fix: 'Pass --in the folder that holds the photos (they are found at any depth).' });
  const skip = exclude ? path.resolve(exclude) : undefined;
  const found: string[] = [];
  // Breadth-first by hand rather than readdir({ recursive }): it must not enter the dataset
  // folder, and symbolic links to folders are not followed (no loops).
  const pending = [root];
  while (pending.length) {
    const current = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      throw new FslsdError('IO', `Cannot list ${current}: ${(error as Error).message}.`, { fix: 'Check the permissions of the photos folder.', cause: error });
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (!skip || !isWithin(full, skip)) pending.push(full);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && PHOTO_EXTENSION.test(entry.name)) {
        found.push(path.relative(root, full).split(path.sep).join('/'));
      }
    }
  }
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
