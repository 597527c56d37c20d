import { FslsdError, type AnyModelId, type ModelLoadOptions, type ModelSet, throwIfAborted } from '@fslsd/core';
import { type Manifest, manifestEntry, parseManifest } from './manifest.js';
import { checkIntegrity, sha256Hex } from './verify.js';

/** A store for verified model bytes, keyed by sha256 (Node: a directory; browsers: Cache API). */
export interface ModelCache {
  get(sha256: string): Promise<Uint8Array | undefined>;
  /** Must be atomic: a reader never sees a partly written entry. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
}

export interface UrlModelSetOptions {
  /** Defaults to `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  readonly cache?: ModelCache;
  readonly signal?: AbortSignal;
}

/** Streams `url` (exactly `total` bytes expected), reporting bytes as they arrive. */
export async function download(url: string, total: number, id: string, options: { readonly signal?: AbortSignal; readonly fetch: typeof fetch; readonly onBytes?: (loaded: number) => void }): Promise<Uint8Array> {
  let response: Response;
  // Called as a plain function: browsers reject fetch invoked as a method of another object.
  const fetcher = options.fetch;
  try {
    response = await fetcher(url, { signal: options.signal });
  } catch (error) {
    throwIfAborted(options.signal, `downloading ${id}`);
    throw new FslsdError('IO', `Could not fetch ${url}: ${(error as Error).message}.`, { fix: 'Check the address and the network, or load the models from a directory.', cause: error });
  }
  if (!response.ok || !response.body) {
    throw new FslsdError('IO', `Fetching ${url} answered HTTP ${response.status}.`, { fix: 'Check the address of the model set.' });
  }
  const out = new Uint8Array(total);
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    // A body stream fails with a bare AbortError/TypeError (signal fired, connection lost).
    const { done, value } = await reader.read().catch((error: unknown) => {
      throwIfAborted(options.signal, `downloading ${id}`);
      throw new FslsdError('IO', `Downloading ${url} failed: ${(error as Error).message}.`, { fix: 'Check the network and try again.', cause: error });
    });
    if (done) break;
    throwIfAborted(options.signal, `downloading ${id}`);
    if (loaded + value.length > total) {
      await reader.cancel();
      throw new FslsdError('MODEL_INTEGRITY', `${url} is larger than the ${total} bytes its manifest states.`, { fix: 'The server holds a different file; refusing it.' });
    }
    out.set(value, loaded);
    loaded += value.length;
    options.onBytes?.(loaded);
  }
  return loaded === total ? out : out.subarray(0, loaded);
}

/**
 * A model set served over HTTP(S): `<base>/manifest.json` and the files it lists. Models are
 * streamed with progress, sha256-verified, and stored in `cache` (then reused offline).
 */
export async function modelSetFromUrl(base: string, options: UrlModelSetOptions = {}): Promise<ModelSet> {
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const root = base.endsWith('/') ? base : `${base}/`;
  const manifestUrl = new URL('manifest.json', root).href;
  let manifest: Manifest;
  try {
    const response = await fetcher(manifestUrl, { signal: options.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    manifest = parseManifest(await response.json(), manifestUrl);
  } catch (error) {
    if (error instanceof FslsdError) throw error;
    throwIfAborted(options.signal, 'reading the model manifest');
    throw new FslsdError('IO', `Could not read the model manifest ${manifestUrl}: ${(error as Error).message}.`, { fix: 'Check the address; it must hold manifest.json.', cause: error });
  }
  return {
    name: manifest.set,
    entries: manifest.models,
    async load(id: AnyModelId, loadOptions: ModelLoadOptions = {}) {
      const entry = manifestEntry(manifest, id, manifestUrl);
      const signal = loadOptions.signal ?? options.signal;
      loadOptions.onProgress?.({ id, status: 'initiate', loaded: 0, total: entry.bytes });
      const cached = await options.cache?.get(entry.sha256);
      if (cached && cached.length === entry.bytes && (await sha256Hex(cached)) === entry.sha256) {
        loadOptions.onProgress?.({ id, status: 'done', loaded: cached.length, total: entry.bytes });
        return cached;
      }
      const url = new URL(entry.file, root).href;
      const bytes = await download(url, entry.bytes, id, { signal, fetch: fetcher, onBytes: (loaded) => loadOptions.onProgress?.({ id, status: 'progress', loaded, total: entry.bytes }) });
      checkIntegrity(entry, bytes, await sha256Hex(bytes), url);
      await options.cache?.put(entry.sha256, bytes);
      loadOptions.onProgress?.({ id, status: 'done', loaded: bytes.length, total: entry.bytes });
      return bytes;
    },
  };
}
