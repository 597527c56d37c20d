/**
 * Importing PyTorch checkpoints in the browser, inside the worker: the dropped `File`s are read
 * a slice at a time (never whole), each model file streams into OPFS with its sha256 computed on
 * the way (@noble/hashes: WebCrypto has no incremental digest), and the manifest is written last.
 */
import { FslsdError, type ProgressEvent } from '@fslsd/core';
import {
  type ArchitectureSource, CHECKPOINT_ROLES, type CheckpointRole, type ImportProgress, type Manifest, architectureSetsFor, importModelSet, megafsVariantOf, parseArchitecture,
} from '@fslsd/models';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';
import { createStoredSet } from './storage.js';

/** What the page sends: the files by role, the set's name, where the architecture graphs are. */
export interface ImportRequest {
  readonly files: Readonly<Partial<Record<CheckpointRole, File>>>;
  readonly name: string;
  /** Base URL of the architecture folders (`models/architectures/` beside the page by default). */
  readonly architectures: string;
  readonly megafsVariant?: string;
}

const fileReader = (file: File) => ({
  size: file.size,
  read: async (offset: number, length: number) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()),
});

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
  try {
    const manifest = await importModelSet({
      architectures,
      checkpoints: Object.fromEntries(roles.map((role) => [role, { name: request.files[role]!.name, reader: fileReader(request.files[role]!) }])),
      setName: request.name,
      importer: '@fslsd/web',
      signal: options.signal,
      onProgress: (event) => options.onProgress?.({ kind: 'import', ...event }),
      open: async (file) => {
        const out = await writer.open(file);
        const hash = sha256.create();
        return {
          async write(chunk) {
            hash.update(chunk);
            await out.write(chunk);
          },
          async close() {
            await out.close();
            return bytesToHex(hash.digest());
          },
        };
      },
    });
    await writer.commit(manifest);
    return manifest;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
