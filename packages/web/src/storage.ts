/**
 * Model storage in the browser that holds any size.
 *
 * - The model cache (verified downloads, keyed by sha256) lives in the Origin Private File System
 *   first: Chromium's Cache API refuses single entries above about 250-300 MB (pSp is 1,069 MB),
 *   OPFS takes whatever the quota allows. The Cache API is the fallback where OPFS is missing, and
 *   a write that fails is a warning, never a failed load: the models are in memory already.
 * - Imported sets (`importCheckpoints`) live in OPFS under `fslsd-sets/<name>/`, written one
 *   tensor at a time from the worker; `manifest.json` is written last, so a folder without it is
 *   an interrupted import and is never loaded.
 */
import { FslsdError, type ModelSet } from '@fslsd/core';
import { type Manifest, type ModelCache, checkIntegrity, manifestEntry, parseManifest, sha256Hex } from '@fslsd/models';

/** `models: 'stored:NAME'` names an imported set. */
export const STORED = 'stored:';
const CACHE_FOLDER = 'fslsd-models';
const SETS_FOLDER = 'fslsd-sets';
/** Chromium stores 250 MB in one Cache API entry and throws at 300 MB: stay under. */
const CACHE_API_LIMIT = 200 * 1024 * 1024;
/** A set name is one plain folder name. */
const SET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The OPFS root, or undefined where the browser has none (or refuses it, as private windows may). */
export async function storageRoot(): Promise<FileSystemDirectoryHandle | undefined> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.getDirectory) return undefined;
  return storage.getDirectory().catch(() => undefined);
}

async function folder(parent: FileSystemDirectoryHandle, name: string, create = false): Promise<FileSystemDirectoryHandle | undefined> {
  return parent.getDirectoryHandle(name, { create }).catch(() => undefined);
}

async function readFile(parent: FileSystemDirectoryHandle, name: string): Promise<Uint8Array | undefined> {
  try {
    const file = await (await parent.getFileHandle(name)).getFile();
    return new Uint8Array(await file.arrayBuffer());
  } catch {
    return undefined;
  }
}

/** Writes a whole file; the browser swaps it into place on close, so readers never see half of it. */
async function writeFile(parent: FileSystemDirectoryHandle, name: string, bytes: Uint8Array | string): Promise<void> {
  const writable = await (await parent.getFileHandle(name, { create: true })).createWritable();
  try {
    await writable.write(bytes as FileSystemWriteChunkType);
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => undefined);
    throw error;
  }
}

/** Where the model cache may write, for tests and for pages that want one store only. */
export interface BrowserModelCacheOptions {
  /** Use OPFS (default true where the browser has it). */
  readonly opfs?: boolean;
  /** The Cache API to fall back on (default `globalThis.caches`; false: none). */
  readonly cacheStorage?: CacheStorage | false;
  /** Called when a verified model could not be stored; loading goes on. */
  readonly onWarning?: (message: string) => void;
}

/**
 * The browser's model cache: OPFS for any size, the Cache API where OPFS is missing and an entry
 * fits. `put` never throws: a failed write calls `onWarning`.
 */
export function browserModelCache(options: BrowserModelCacheOptions = {}): ModelCache {
  const cacheStorage = options.cacheStorage === false ? undefined : (options.cacheStorage ?? (globalThis as { caches?: CacheStorage }).caches);
  const key = (sha256: string) => `https://fslsd.invalid/models/${sha256}`;
  const opfs = async () => (options.opfs === false ? undefined : folder((await storageRoot())!, CACHE_FOLDER, true).catch(() => undefined));
  return {
    async get(sha256) {
      const directory = await opfs();
      const stored = directory && (await readFile(directory, sha256));
      if (stored) return stored;
      if (!cacheStorage) return undefined;
      try {
        const response = await (await cacheStorage.open(CACHE_FOLDER)).match(key(sha256));
        return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
      } catch {
        return undefined;
      }
    },
    async put(sha256, bytes) {
      const problems: string[] = [];
      const directory = await opfs();
      if (directory) {
        try {
          await writeFile(directory, sha256, bytes);
          return;
        } catch (error) {
          problems.push(`OPFS: ${(error as Error).message}`);
        }
      } else if (options.opfs !== false) problems.push('OPFS is not available');
      if (cacheStorage && bytes.length <= CACHE_API_LIMIT) {
        try {
          await (await cacheStorage.open(CACHE_FOLDER)).put(key(sha256), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
          return;
        } catch (error) {
          problems.push(`Cache API: ${(error as Error).message}`);
        }
      } else if (cacheStorage) problems.push(`Cache API: ${(bytes.length / 1e6).toFixed(0)} MB is above its ${CACHE_API_LIMIT / 2 ** 20} MB entry limit`);
      options.onWarning?.(`A verified model (${(bytes.length / 1e6).toFixed(1)} MB) could not be stored for the next visit (${problems.join('; ')}); it will be downloaded again.`);
    },
  };
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !SET_NAME.test(name)) {
    throw new FslsdError('INVALID_ARGUMENT', `"${String(name)}" is not a set name.`, { fix: 'Use letters, digits, ".", "_" or "-" (up to 64), starting with a letter or digit.' });
  }
}

/** The names of the complete imported sets in this origin's storage. */
export async function storedModelSets(): Promise<string[]> {
  const root = await storageRoot();
  const sets = root && (await folder(root, SETS_FOLDER));
  if (!sets) return [];
  const names: string[] = [];
  for await (const [name, handle] of (sets as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (handle.kind === 'directory' && (await readFile(handle as FileSystemDirectoryHandle, 'manifest.json'))) names.push(name);
  }
  return names.sort();
}

/** Removes an imported set (and any half-written one of that name). */
export async function deleteStoredModelSet(name: string): Promise<void> {
  checkName(name);
  const root = await storageRoot();
  const sets = root && (await folder(root, SETS_FOLDER));
  await sets?.removeEntry(name, { recursive: true }).catch(() => undefined);
}

/**
 * An imported set as a ModelSet: files read from OPFS and sha256-checked when loaded.
 * @throws FslsdError `MODEL_NOT_FOUND` when there is no complete set of that name.
 */
export async function storedModelSet(name: string): Promise<ModelSet & { readonly manifest: Manifest }> {
  checkName(name);
  const root = await storageRoot();
  const directory = root && (await folder(root, SETS_FOLDER)) && (await folder((await folder(root, SETS_FOLDER))!, name));
  const text = directory && (await readFile(directory, 'manifest.json'));
  if (!directory || !text) {
    throw new FslsdError('MODEL_NOT_FOUND', `No imported model set "${name}" in this browser's storage.`, { fix: 'Import the checkpoints first (importCheckpoints), or check the name with storedModelSets().' });
  }
  const origin = `stored:${name}`;
  const manifest = parseManifest(JSON.parse(new TextDecoder().decode(text)), `${origin}/manifest.json`);
  return {
    name: manifest.set,
    entries: manifest.models,
    manifest,
    async load(id, options = {}) {
      const entry = manifestEntry(manifest, id, origin);
      options.onProgress?.({ id, status: 'initiate', loaded: 0, total: entry.bytes });
      const bytes = await readFile(directory, entry.file);
      if (!bytes) throw new FslsdError('MODEL_NOT_FOUND', `${origin}/${entry.file} is missing.`, { fix: 'Delete the set and import it again.' });
      checkIntegrity(entry, bytes, await sha256Hex(bytes), `${origin}/${entry.file}`);
      options.onProgress?.({ id, status: 'done', loaded: bytes.length, total: entry.bytes });
      return bytes;
    },
  };
}

/** Where an import writes: a fresh folder for the set, files streamed in, the manifest last. */
export interface StoredSetWriter {
  /** Opens one model file for streamed writes (a sync access handle in a worker, else a writable). */
  open(file: string): Promise<{ write(chunk: Uint8Array): Promise<void>; close(): Promise<void> }>;
  /** Writes manifest.json: from then on the set is complete. */
  commit(manifest: Manifest): Promise<void>;
  /** Removes everything written. */
  abort(): Promise<void>;
}

/**
 * Starts writing the imported set `name`.
 * @throws FslsdError `INVALID_ARGUMENT` when a complete set of that name exists, `IO` without OPFS.
 */
export async function createStoredSet(name: string): Promise<StoredSetWriter> {
  checkName(name);
  const root = await storageRoot();
  if (!root) throw new FslsdError('IO', 'This browser gives no Origin Private File System to store the imported set in.', { fix: 'Use a recent Chromium, Firefox or Safari outside private browsing.' });
  const sets = (await folder(root, SETS_FOLDER, true))!;
  const existing = await folder(sets, name);
  if (existing && (await readFile(existing, 'manifest.json'))) {
    throw new FslsdError('INVALID_ARGUMENT', `An imported set "${name}" already exists.`, { fix: 'Choose another name, or delete it first (deleteStoredModelSet).' });
  }
  // A folder without a manifest is an interrupted import: start it over.
  if (existing) await sets.removeEntry(name, { recursive: true });
  const directory = (await folder(sets, name, true))!;
  return {
    async open(file) {
      const handle = await directory.getFileHandle(file, { create: true });
      const sync = (handle as unknown as { createSyncAccessHandle?: () => Promise<SyncAccessHandle> }).createSyncAccessHandle;
      if (sync && typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') {
        // In a worker: synchronous positional writes, no swap file (the fastest OPFS path).
        const access = await sync.call(handle);
        let at = 0;
        return {
          async write(chunk) {
            at += access.write(chunk, { at });
          },
          async close() {
            access.flush();
            access.close();
          },
        };
      }
      const writable = await handle.createWritable();
      return { write: (chunk) => writable.write(chunk as FileSystemWriteChunkType), close: () => writable.close() };
    },
    commit: (manifest) => writeFile(directory, 'manifest.json', `${JSON.stringify(manifest, null, 2)}\n`),
    abort: () => sets.removeEntry(name, { recursive: true }).catch(() => undefined),
  };
}

interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
}
