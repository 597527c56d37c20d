/**
 * `importCheckpoints()` for Node: checkpoint files in, a model set folder out, atomically.
 * The set is written into a hidden sibling folder and renamed into place only when every file
 * and the manifest are complete, so an interrupted or failed import leaves no set behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, readdir, rename, rm, rmdir, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FslsdError } from '@fslsd/core';
import { type Manifest } from '../manifest.js';
import { type ArchitectureSource, CHECKPOINT_ROLES, type CheckpointRole, parseArchitecture } from './architecture.js';

export { MEGAFS_VARIANTS };
import { type ImportProgress, MEGAFS_VARIANTS, architectureSetsFor, importModelSet, megafsVariantOf } from './import.js';
import { type ByteReader } from './torch-file.js';
import { packageDirectory } from '../node.js';

/** Options of {@link importCheckpoints}: checkpoint paths by flag, and where to write. */
export interface ImportCheckpointsOptions {
  /** FSLSD's CELEBA-HQ-1024.pt (with {@link ImportCheckpointsOptions.psp}). */
  readonly fslsd?: string;
  /** pSp's psp_ffhq_encode.pt; alone (no {@link ImportCheckpointsOptions.fslsd}), the encoder-only set: its psp-encoder, manifest `purpose: "latent-encoder"`. */
  readonly psp?: string;
  /** MegaFS's {ftm,injection,lcr}_final.pth (with {@link ImportCheckpointsOptions.stylegan2}). */
  readonly megafs?: string;
  /** rosinality's stylegan2-ffhq-config-f.pt. */
  readonly stylegan2?: string;
  /** H3R's LaPa hrnet18 model.pth: adds landmarker-106 to the set. */
  readonly h3r?: string;
  /** The MegaFS transfer module; default: the one whose keys the checkpoint holds. */
  readonly megafsVariant?: (typeof MEGAFS_VARIANTS)[number];
  /** The folder to create. It must not exist, or be empty. */
  readonly out: string;
  /** Folder of architecture folders (default: the full-size ones shipped in this package). */
  readonly architectures?: string;
  /** Recorded as the manifest's `set`. */
  readonly setName?: string;
  readonly onProgress?: (event: ImportProgress) => void;
  readonly signal?: AbortSignal;
}

/** A Node file as a {@link ByteReader}: positional reads, nothing held. */
export async function fileByteReader(file: string): Promise<{ reader: ByteReader; close: () => Promise<void> }> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new FslsdError('IO', `Cannot open the checkpoint ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      fix: 'Check the path; the file must be readable.',
      cause: error,
    });
  }
  const { size } = await handle.stat();
  return {
    reader: {
      size,
      async read(offset, length) {
        const bytes = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        let done = 0;
        while (done < bytes.length) {
          const { bytesRead } = await handle.read(bytes, done, bytes.length - done, offset + done);
          if (!bytesRead) break;
          done += bytesRead;
        }
        return done === bytes.length ? bytes : bytes.subarray(0, done);
      },
    },
    close: () => handle.close(),
  };
}

const megabytes = (bytes: number): string => `${Math.ceil(bytes / 1e6).toLocaleString('en')} MB`;

async function architectureFrom(folder: string): Promise<ArchitectureSource> {
  const file = path.join(folder, 'architecture.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FslsdError('MODEL_NOT_FOUND', `No architecture at ${folder}.`, { fix: 'Reinstall @fslsd/models, or pass the folder written by python3 -m fslsd_reference.architecture.', cause: error });
  }
  const description = parseArchitecture(JSON.parse(text), file);
  return { description, graph: async (name) => new Uint8Array(await readFile(path.join(folder, name))) };
}

/**
 * Imports PyTorch checkpoints into a model set folder, with no Python: FSLSD (`fslsd` + `psp`)
 * or MegaFS (`megafs` + `stylegan2`), optionally with the H3R landmarker (`h3r`). The set equals
 * what `fslsd_reference.architecture --fill` writes from the same files, byte for byte.
 * `psp` without `fslsd` writes an encoder-only set: the psp-encoder alone (the same bytes as in
 * the full set), manifest `purpose: "latent-encoder"`, for W+ codes (`createLatentEncoder()`,
 * `prepareDataset()`); swappers refuse it with `MODEL_NOT_FOUND`.
 * @returns the manifest written to `<out>/manifest.json`.
 * @throws CheckpointError for a bad or mismatched checkpoint, FslsdError `INVALID_ARGUMENT`
 *   for a wrong combination of files or an `out` that holds files; nothing is left at `out`.
 */
export async function importCheckpoints(options: ImportCheckpointsOptions): Promise<Manifest> {
  const root = path.resolve(options.architectures ?? path.join(packageDirectory(), 'architectures'));
  const given = CHECKPOINT_ROLES.filter((role) => options[role] !== undefined);
  const sets = architectureSetsFor(given, options.megafsVariant);
  // Cheap preconditions first: every file exists, the output folder is free.
  for (const role of given) {
    const info = await stat(options[role]!).catch(() => undefined);
    if (!info?.isFile()) throw new FslsdError('INVALID_ARGUMENT', `The ${role} checkpoint ${options[role]} is not a file.`, { fix: `Check the path given to --${role}.` });
  }
  const out = path.resolve(options.out);
  const outInfo = await stat(out).catch(() => undefined);
  if (outInfo && !outInfo.isDirectory()) throw new FslsdError('INVALID_ARGUMENT', `${out} is a file, not a folder.`, { fix: 'Pass a new folder for --out.' });
  const existing = await readdir(out).catch(() => undefined);
  if (existing && existing.length) throw new FslsdError('INVALID_ARGUMENT', `${out} already holds files.`, { fix: 'Choose a new folder for --out, or remove that one first.' });

  if (options.megafs !== undefined && !options.megafsVariant) {
    const file = await fileByteReader(options.megafs);
    try {
      const variant = await megafsVariantOf({ name: options.megafs, reader: file.reader }, async (v) => (await architectureFrom(path.join(root, `megafs-${v}`))).description);
      sets[sets.findIndex((set) => set.startsWith('megafs-'))] = `megafs-${variant}`;
    } finally {
      await file.close();
    }
  }
  const architectures = await Promise.all(sets.map((set) => architectureFrom(path.join(root, set))));

  const readers: { role: CheckpointRole; close: () => Promise<void>; reader: ByteReader }[] = [];
  const staging = path.join(path.dirname(out), `.${path.basename(out)}.import-${randomBytes(4).toString('hex')}`);
  try {
    for (const role of given) readers.push({ role, ...(await fileByteReader(options[role]!)) });
    await mkdir(staging, { recursive: true });
    const { version } = JSON.parse(await readFile(path.join(packageDirectory(), 'package.json'), 'utf8')) as { version: string };
    const manifest = await importModelSet({
      architectures,
      checkpoints: Object.fromEntries(readers.map(({ role, reader }) => [role, { name: options[role]!, reader }])),
      setName: options.setName,
      importer: `@fslsd/models ${version}`,
      onProgress: options.onProgress,
      signal: options.signal,
      beforeWrite: async ({ bytes }) => {
        const disk = await statfs(staging).catch(() => undefined);
        const free = disk ? disk.bavail * disk.bsize : Number.POSITIVE_INFINITY;
        if (free < bytes) {
          throw new FslsdError('IO', `The set takes ${megabytes(bytes)}; the disk holding ${path.dirname(out)} has ${megabytes(free)} free.`, { fix: 'Free some space, or pass an --out folder on another disk.' });
        }
      },
      open: async (file) => {
        const handle = await open(path.join(staging, file), 'wx');
        const hash = createHash('sha256');
        return {
          async write(chunk) {
            hash.update(chunk);
            let done = 0;
            while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
          },
          async close() {
            await handle.close();
            return hash.digest('hex');
          },
        };
      },
    });
    await writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existing) await rmdir(out);
    await rename(staging, out);
    return manifest;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new FslsdError('IO', `The disk holding ${path.dirname(out)} filled up during the import; nothing was kept.`, { fix: 'Free some space, or pass an --out folder on another disk.', cause: error });
    }
    throw error;
  } finally {
    await Promise.all(readers.map(({ close }) => close()));
  }
}
