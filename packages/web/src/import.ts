/**
 * Importing PyTorch checkpoints in the browser, inside the worker: the dropped `File`s are read
 * a slice at a time (never whole), each model file streams into OPFS with its sha256 computed on
 * the way (hash-wasm: WebCrypto has no incremental digest, and a pure-JS digest ran at a third of
 * its speed), and the manifest is written last.
 */
import { FslsdError, type ProgressEvent } from '@fslsd/core';
import {
  type ArchitectureSource, CHECKPOINT_ROLES, type CheckpointRole, type ImportProgress, type Manifest, architectureSetsFor, importModelSet, megafsVariantOf, parseArchitecture,
} from '@fslsd/models';
import { createSHA256 } from 'hash-wasm';
import { createStoredSet } from './storage.js';

/** What the page sends: the files by role, the set's name, where the architecture graphs are. */
export interface ImportRequest {
  readonly files: Readonly<Partial<Record<CheckpointRole, File>>>;
  readonly name: string;
  /** Base URL of the architecture folders (`models/architectures/` beside the page by default). */
  readonly architectures: string;
  readonly megafsVariant?: string;
}

/**
 * Graphs are written as thousands of small pieces (protobuf headers, biases); each OPFS write
 * costs milliseconds whatever its size (measured: 7,884 writes of a tiny-width set took 28 s,
 * gathered into 8 MiB writes 0.4 s), so pieces are staged into writes of this size.
 */
const STAGING_BYTES = 8 << 20;

const fileReader = (file: File) => ({
  size: file.size,
  read: async (offset: number, length: number) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
});

const megabytes = (bytes: number): string => `${Math.ceil(bytes / 1e6).toLocaleString('en')} MB`;

/** The typed error for a set that does not fit in the origin's storage. */
function storageFull(bytes: number, free?: number): FslsdError {
  return new FslsdError('IO', `The imported set takes ${megabytes(bytes)}; this browser lets the page store ${free === undefined ? 'less than that' : `${megabytes(free)} more`}.`, {
    fix: 'Free disk space, delete stored sets you no longer use (deleteStoredModelSet), and import outside private browsing, whose storage is small.',
  });
}

const isQuotaError = (error: unknown): boolean => error instanceof DOMException && error.name === 'QuotaExceededError';

async function fetchBytes(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    throw new FslsdError('IO', `Could not fetch ${url}: ${(error as Error).message}.`, { fix: 'Serve the architecture graphs beside the page (npx fslsd-web-assets public), or pass architectures.', cause: error });
  }
  if (!response.ok) throw new FslsdError('MODEL_NOT_FOUND', `${url} answered HTTP ${response.status}.`, { fix: 'Serve the architecture graphs beside the page (npx fslsd-web-assets public), or pass architectures.' });
  return new Uint8Array(await response.arrayBuffer());
}

async function architectureFrom(base: string, set: string, signal?: AbortSignal): Promise<ArchitectureSource> {
  const root = new URL(`${set}/`, base).href;
  const json = JSON.parse(new TextDecoder().decode(await fetchBytes(new URL('architecture.json', root).href, signal))) as unknown;
  return { description: parseArchitecture(json, `${root}architecture.json`), graph: (file) => fetchBytes(new URL(file, root).href, signal) };
}

/** Runs one import in the worker; progress goes out as `import` events. */
export async function importIntoStorage(request: ImportRequest, options: { signal?: AbortSignal; onProgress?: (event: ProgressEvent | ({ kind: 'import' } & ImportProgress)) => void }): Promise<Manifest> {
  const roles = CHECKPOINT_ROLES.filter((role) => request.files[role] !== undefined);
  const sets = architectureSetsFor(roles, request.megafsVariant);
  const megafs = request.files.megafs;
  if (megafs && !request.megafsVariant) {
    const variant = await megafsVariantOf({ name: megafs.name, reader: fileReader(megafs) }, async (v) => (await architectureFrom(request.architectures, `megafs-${v}`, options.signal)).description);
    sets[sets.findIndex((set) => set.startsWith('megafs-'))] = `megafs-${variant}`;
  }
  const architectures = await Promise.all(sets.map((set) => architectureFrom(request.architectures, set, options.signal)));
  const writer = await createStoredSet(request.name);
  let setBytes = 0;
  try {
    const manifest = await importModelSet({
      architectures,
      checkpoints: Object.fromEntries(roles.map((role) => [role, { name: request.files[role]!.name, reader: fileReader(request.files[role]!) }])),
      setName: request.name,
      importer: '@fslsd/web',
      signal: options.signal,
      onProgress: (event) => options.onProgress?.({ kind: 'import', ...event }),
      beforeWrite: async ({ bytes }) => {
        setBytes = bytes;
        const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
        if (estimate?.quota === undefined) return;
        const free = estimate.quota - (estimate.usage ?? 0);
        if (free < bytes) throw storageFull(bytes, free);
      },
      open: async (file) => {
        const out = await writer.open(file);
        const hash = await createSHA256();
        hash.init();
        const staging = new Uint8Array(STAGING_BYTES);
        let staged = 0;
        const put = async (bytes: Uint8Array) => {
          hash.update(bytes);
          await out.write(bytes);
        };
        const flush = async () => {
          if (staged) await put(staging.subarray(0, staged));
          staged = 0;
        };
        return {
          async write(chunk) {
            if (staged + chunk.length > STAGING_BYTES) await flush();
            if (chunk.length >= STAGING_BYTES) return put(chunk);
            staging.set(chunk, staged);
            staged += chunk.length;
          },
          async close() {
            await flush();
            await out.close();
            return hash.digest('hex');
          },
        };
      },
    });
    await writer.commit(manifest);
    return manifest;
  } catch (error) {
    await writer.abort();
    throw isQuotaError(error) ? storageFull(setBytes) : error;
  }
}
