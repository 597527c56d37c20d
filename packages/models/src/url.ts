import { FslsdError, type ModelLoadOptions, type ModelSet } from '@fslsd/core';
import { throwIfAborted } from '@fslsd/core/pipeline';
import { type AnyModelId } from '@fslsd/core/graph';
import { type Manifest, manifestEntry, parseManifest } from './manifest.js';
import { checkIntegrity, sha256Hex } from './verify.js';

/** A store for verified model bytes, keyed by sha256 (Node: a directory; browsers: Cache API). */
export interface ModelCache {
  get(sha256: string): Promise<Uint8Array | undefined>;
  /** Must be atomic: a reader never sees a partly written entry. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The bytes an interrupted download got, to resume from (optional). */
  getPartial?(sha256: string): Promise<Uint8Array | undefined>;
  /** Keeps the bytes an interrupted download got (optional; atomic like `put`). */
  putPartial?(sha256: string, bytes: Uint8Array): Promise<void>;
  /** A remembered manifest, for offline use (optional). */
  getManifest?(url: string): Promise<unknown>;
  putManifest?(url: string, json: unknown): Promise<void>;
}

export interface UrlModelSetOptions {
  /** Defaults to `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  readonly cache?: ModelCache;
  readonly signal?: AbortSignal;
  /** Never touch the network: the manifest and every model must come from `cache`. */
  readonly offline?: boolean;
}

/** Options of {@link download}. */
export interface DownloadOptions {
  readonly signal?: AbortSignal;
  readonly fetch: typeof fetch;
  readonly onBytes?: (loaded: number) => void;
  /** Bytes an earlier, interrupted download got: asked for the rest with an HTTP Range. */
  readonly resumeFrom?: Uint8Array;
  /** Called with what arrived when the transfer breaks off, so a later call can resume. */
  readonly onInterrupted?: (bytes: Uint8Array) => Promise<void>;
}

/** Streams `url` (exactly `total` bytes expected), reporting bytes as they arrive. */
export async function download(url: string, total: number, id: string, options: DownloadOptions): Promise<Uint8Array> {
  let response: Response;
  // Called as a plain function: browsers reject fetch invoked as a method of another object.
  const fetcher = options.fetch;
  const resumeAt = options.resumeFrom && options.resumeFrom.length < total ? options.resumeFrom.length : 0;
  try {
    response = await fetcher(url, { signal: options.signal, ...(resumeAt ? { headers: { range: `bytes=${resumeAt}-` } } : {}) });
  } catch (error) {
    throwIfAborted(options.signal, `downloading ${id}`);
    throw new FslsdError('IO', `Could not fetch ${url}: ${(error as Error).message}.`, { fix: 'Check the address and the network, or load the models from a directory.', cause: error });
  }
  // The kept bytes no longer fit what the server holds: start over.
  if (resumeAt && response.status === 416) return download(url, total, id, { ...options, resumeFrom: undefined });
  if (!response.ok || !response.body) {
    throw new FslsdError('IO', `Fetching ${url} answered HTTP ${response.status}.`, { fix: 'Check the address of the model set.' });
  }
  const out = new Uint8Array(total);
  let loaded = 0;
  // 206: the server sends the rest; 200: it ignored the range and sends everything again.
  if (resumeAt && response.status === 206) {
    out.set(options.resumeFrom!.subarray(0, resumeAt));
    loaded = resumeAt;
    options.onBytes?.(loaded);
  }
  const reader = response.body.getReader();
  const interrupted = async (error: unknown, message: string): Promise<never> => {
    if (loaded > 0) await options.onInterrupted?.(out.slice(0, loaded)).catch(() => undefined);
    throwIfAborted(options.signal, `downloading ${id}`);
    throw new FslsdError('IO', message, { fix: 'Check the network and try again: the download resumes where it stopped.', cause: error });
  };
  for (;;) {
    // A body stream fails with a bare AbortError/TypeError (signal fired, connection lost).
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      return interrupted(error, `Downloading ${url} failed after ${loaded} of ${total} bytes: ${(error as Error).message}.`);
    }
    const { done, value } = chunk;
    if (done) break;
    if (options.signal?.aborted) {
      await reader.cancel().catch(() => undefined);
      return interrupted(options.signal.reason, `Downloading ${url} was aborted.`);
    }
    if (loaded + value.length > total) {
      await reader.cancel();
      throw new FslsdError('MODEL_INTEGRITY', `${url} is larger than the ${total} bytes its manifest states.`, { fix: 'The server holds a different file; refusing it.' });
    }
    out.set(value, loaded);
    loaded += value.length;
    options.onBytes?.(loaded);
  }
  if (loaded < total) {
    return interrupted(undefined, `${url} sent ${loaded} of the ${total} bytes its manifest states: the connection dropped, or the server holds a different file.`);
  }
  return out;
}

/** Fetches a manifest's JSON; network and HTTP failures become one `IO` error naming `fix`. */
export async function fetchManifest(manifestUrl: string, fetcher: typeof fetch, signal: AbortSignal | undefined, fix: string): Promise<unknown> {
  try {
    const response = await fetcher(manifestUrl, { signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } catch (error) {
    throwIfAborted(signal, 'reading the model manifest');
    throw new FslsdError('IO', `Could not read the model manifest ${manifestUrl}: ${(error as Error).message}.`, { fix, cause: error });
  }
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
  if (options.offline) {
    const remembered = await options.cache?.getManifest?.(manifestUrl);
    if (remembered === undefined) {
      throw new FslsdError('IO', `Offline, and the model set ${manifestUrl} has not been downloaded before.`, { fix: 'Run once without --offline to fill the cache, or use a model folder.' });
    }
    manifest = parseManifest(remembered, manifestUrl);
  } else {
    const json = await fetchManifest(manifestUrl, fetcher, options.signal, 'Check the address; it must hold manifest.json.');
    manifest = parseManifest(json, manifestUrl);
    await options.cache?.putManifest?.(manifestUrl, json);
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
      if (options.offline) {
        throw new FslsdError('IO', `Offline, and model "${id}" of ${manifestUrl} is not in the cache.`, { fix: 'Run once without --offline to download it, or use a model folder.' });
      }
      const cache = options.cache;
      const resumeFrom = await cache?.getPartial?.(entry.sha256);
      const bytes = await download(url, entry.bytes, id, {
        signal,
        fetch: fetcher,
        onBytes: (loaded) => loadOptions.onProgress?.({ id, status: 'progress', loaded, total: entry.bytes }),
        ...(resumeFrom ? { resumeFrom } : {}),
        ...(cache?.putPartial ? { onInterrupted: (partial: Uint8Array) => cache.putPartial!(entry.sha256, partial) } : {}),
      });
      checkIntegrity(entry, bytes, await sha256Hex(bytes), url);
      await options.cache?.put(entry.sha256, bytes);
      loadOptions.onProgress?.({ id, status: 'done', loaded: bytes.length, total: entry.bytes });
      return bytes;
    },
  };
}
