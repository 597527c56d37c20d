/**
 * Node-only loaders: a model set from a directory (or its manifest.json), from an HTTP(S)
 * address with an atomic on-disk cache, and the tiny reference set shipped in this package.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FslsdError, type ModelLoadOptions, type ModelSet } from '@fslsd/core';
import { throwIfAborted } from '@fslsd/core/pipeline';
import { type AnyModelId } from '@fslsd/core/graph';
import { type Manifest, manifestEntry, parseManifest } from './manifest.js';
import { type ModelCache, type UrlModelSetOptions, modelSetFromUrl } from './url.js';
import { checkIntegrity } from './verify.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Reads and validates `<dir>/manifest.json` (or the manifest file itself). */
export async function readManifest(location: string): Promise<{ manifest: Manifest; directory: string; file: string }> {
  let file = path.resolve(location);
  const info = await stat(file).catch(() => undefined);
  if (!info) {
    throw new FslsdError('MODEL_NOT_FOUND', `No model set at ${file}.`, { fix: 'Pass a folder holding manifest.json (from fslsd_reference.export), or omit --models to use the shipped tiny set.' });
  }
  if (info.isDirectory()) file = path.join(file, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FslsdError('MODEL_NOT_FOUND', `Cannot read the model manifest ${file}: ${(error as Error).message}.`, {
      fix: 'Pass a folder holding manifest.json (from fslsd_reference.export), or omit --models to use the shipped tiny set.',
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FslsdError('MANIFEST_INVALID', `Cannot read ${file} as JSON: ${(error as Error).message}.`, {
      fix: 'The folder must hold the manifest.json written by fslsd_reference.export.',
      cause: error,
    });
  }
  return { manifest: parseManifest(json, file), directory: path.dirname(file), file };
}

/** A model set from a folder with manifest.json; every file is size- and sha256-checked on load. */
export async function modelSetFromDirectory(location: string): Promise<ModelSet & { readonly manifest: Manifest; readonly directory: string }> {
  const { manifest, directory } = await readManifest(location);
  return {
    name: manifest.set,
    entries: manifest.models,
    manifest,
    directory,
    localFile(id: AnyModelId) {
      const entry = manifest.models.find((e) => e.id === id);
      return entry ? { directory, file: entry.file } : undefined;
    },
    async load(id: AnyModelId, options: ModelLoadOptions = {}) {
      const entry = manifestEntry(manifest, id, directory);
      const file = path.join(directory, entry.file);
      options.onProgress?.({ id, status: 'initiate', loaded: 0, total: entry.bytes });
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file, { signal: options.signal });
      } catch (error) {
        throwIfAborted(options.signal, `reading ${id}`);
        throw new FslsdError('MODEL_NOT_FOUND', `Cannot read model "${id}" at ${file}: ${(error as Error).message}.`, {
          fix: 'Restore the file or re-export the set.',
          cause: error,
        });
      }
      checkIntegrity(entry, bytes, sha256(bytes), file);
      options.onProgress?.({ id, status: 'done', loaded: bytes.length, total: entry.bytes });
      return bytes;
    },
  };
}

/**
 * A {@link ModelCache} in a directory: one file per sha256, written to a temporary name and
 * renamed, so an interrupted download never leaves a file that looks complete.
 */
export function directoryCache(directory: string): ModelCache {
  const fileOf = (digest: string, suffix = '.onnx'): string => {
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new FslsdError('INVALID_ARGUMENT', `Refusing cache key ${JSON.stringify(digest)}: not a sha256.`);
    return path.join(directory, `${digest}${suffix}`);
  };
  // Manifests are kept under the sha256 of their address, so no address can name a path.
  const manifestOf = (url: string): string => path.join(directory, 'manifests', `${createHash('sha256').update(url).digest('hex')}.json`);
  const atomicWrite = async (target: string, bytes: Uint8Array | string): Promise<void> => {
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.partial`;
    try {
      await writeFile(temporary, bytes);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new FslsdError('IO', `Cannot write the model cache at ${directory}: ${(error as Error).message}.`, { fix: 'Choose a writable cache directory.', cause: error });
    }
  };
  return {
    async get(digest) {
      return readFile(fileOf(digest)).catch(() => undefined);
    },
    async put(digest, bytes) {
      await atomicWrite(fileOf(digest), bytes);
      await rm(fileOf(digest, '.download'), { force: true });
    },
    async getPartial(digest) {
      return readFile(fileOf(digest, '.download')).catch(() => undefined);
    },
    async putPartial(digest, bytes) {
      await atomicWrite(fileOf(digest, '.download'), bytes);
    },
    async getManifest(url) {
      const text = await readFile(manifestOf(url), 'utf8').catch(() => undefined);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },
    async putManifest(url, json) {
      await atomicWrite(manifestOf(url), JSON.stringify(json));
    },
  };
}

/** A model set from an HTTP(S) address, cached in `cacheDirectory`. */
export async function modelSetFromUrlCached(url: string, cacheDirectory: string, options: Omit<UrlModelSetOptions, 'cache'> = {}): Promise<ModelSet> {
  const set = await modelSetFromUrl(url, { ...options, cache: directoryCache(cacheDirectory) });
  return {
    name: set.name,
    entries: set.entries,
    load: (id, loadOptions) => set.load(id, loadOptions),
    // The cache keeps each verified file under its sha256 (directoryCache above).
    localFile(id: AnyModelId) {
      const entry = set.entries.find((e) => e.id === id);
      return entry ? { directory: cacheDirectory, file: `${entry.sha256}.onnx` } : undefined;
    },
  };
}

/** Folder of this package (works from dist/ in ESM and CJS builds). */
export function packageDirectory(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

/** The shipped tiny reference set: untrained, deterministic random weights, full architecture. */
export function tinyModelsDirectory(): string {
  return path.join(packageDirectory(), 'tiny');
}

/**
 * The shipped face front-end models (face-api's two detectors, 68-point landmarks and
 * descriptor, MIT, converted to ONNX): `face-detector.onnx`, `face-detector-ssd.onnx`,
 * `face-landmarks-68.onnx`, `face-descriptor.onnx` and their `manifest.json`.
 */
export function faceModelsDirectory(): string {
  return path.join(packageDirectory(), 'faces');
}

/** The two shipped sample crops and their 5-point landmarks. */
export function samplesDirectory(): string {
  return path.join(packageDirectory(), 'assets', 'samples');
}

/** The shipped tiny MegaFS set (ftm, untrained, width 1/16). */
export function tinyMegaFSModelsDirectory(): string {
  return path.join(packageDirectory(), 'tiny-megafs');
}

export function tinyModelSet(): Promise<ModelSet & { readonly manifest: Manifest; readonly directory: string }> {
  return modelSetFromDirectory(tinyModelsDirectory());
}

export { importCheckpoints, fileByteReader, MEGAFS_VARIANTS } from './checkpoint/node-import.js';
export type { ImportCheckpointsOptions } from './checkpoint/node-import.js';

/** The weightless full-size architecture graphs shipped in this package (`fslsd`, `megafs-ftm`...). */
export function architecturesDirectory(): string {
  return path.join(packageDirectory(), 'architectures');
}
