/**
 * modelSetFromUrl against a local HTTP server on 127.0.0.1 (never anything else) serving a
 * temporary copy of the tiny set.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FslsdError, type ModelEntry, type ModelLoadProgress } from '@fslsd/core';
import { MODEL_IDS } from '@fslsd/core/graph';
import { modelSetFromUrl } from '../src/index.js';
import { directoryCache, modelSetFromUrlCached, tinyModelsDirectory } from '../src/node.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const CHUNK = 64 * 1024;
/** Size of a shipped tiny model, read from disk so re-exports never break these tests. */
const sizeOf = (file: string): number => statSync(path.join(tinyModelsDirectory(), file)).size;

interface Served {
  /** Base address of the set, `http://127.0.0.1:<port>/set/`. */
  readonly url: string;
  /** `GET /set/<file>` of every request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

const servers: Server[] = [];

/**
 * Serves the files of `directory` under /set/, in 64 KiB writes; `alter` may replace a file's
 * bytes. Plain names only; anything else is a 404.
 */
async function serve(directory: string, alter?: (file: string, bytes: Buffer) => Buffer): Promise<Served> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const match = /^\/set\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(request.url ?? '');
    const reply = async (): Promise<void> => {
      if (!match || request.method !== 'GET') {
        response.writeHead(404).end();
        return;
      }
      const file = await readFile(path.join(directory, match[1]!)).catch(() => undefined);
      if (!file) {
        response.writeHead(404).end();
        return;
      }
      const bytes: Buffer = alter ? alter(match[1]!, file) : file;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      for (let i = 0; i < bytes.length; i += CHUNK) response.write(bytes.subarray(i, i + CHUNK));
      response.end();
    };
    reply().catch(() => response.destroy());
  });
  server.keepAliveTimeout = 1000;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  expect(address).toBe('127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}/set/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rejection(promise: Promise<unknown>, code: string): Promise<FslsdError> {
  const error = await promise.then(
    () => expect.fail(`resolved, expected ${code}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FslsdError);
  expect((error as FslsdError).code).toBe(code);
  return error as FslsdError;
}

let root: string;
let served: string;
let entries: ModelEntry[];
const fileBytes = (entry: ModelEntry): Promise<Buffer> => readFile(path.join(served, entry.file));
/** Each file of `directory`, or [] when it does not exist. */
/** The cache's entries (verified models); manifests and resumable partial downloads live beside them. */
const listing = async (directory: string): Promise<string[]> => (await readdir(directory).catch(() => [] as string[])).filter((name) => name.endsWith('.onnx')).sort();

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'fslsd-models-url-'));
  served = path.join(root, 'served');
  await cp(tinyModelsDirectory(), served, { recursive: true });
  entries = (JSON.parse(await readFile(path.join(served, 'manifest.json'), 'utf8')) as { models: ModelEntry[] }).models;
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await rm(root, { recursive: true, force: true });
});

describe('modelSetFromUrl with a directory cache', () => {
  let server: Served;
  let cacheDir: string;

  beforeAll(async () => {
    server = await serve(served);
    cacheDir = path.join(root, 'cache');
  });

  it('streams each model with progress, returns the exact bytes and caches them as <sha256>.onnx', async () => {
    const set = await modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) });
    expect(set.name).toBe('tiny');
    expect(set.entries.map((e) => e.id)).toEqual([...MODEL_IDS]);
    for (const entry of set.entries) {
      const events: ModelLoadProgress[] = [];
      const bytes = await set.load(entry.id, { onProgress: (e) => events.push(e) });
      expect(Buffer.compare(Buffer.from(bytes), await fileBytes(entry))).toBe(0);
      expect(events[0]).toEqual({ id: entry.id, status: 'initiate', loaded: 0, total: entry.bytes });
      expect(events.at(-1)).toEqual({ id: entry.id, status: 'done', loaded: entry.bytes, total: entry.bytes });
      const progress = events.slice(1, -1);
      expect(progress.length).toBeGreaterThanOrEqual(Math.min(2, Math.ceil(entry.bytes / CHUNK)));
      expect(progress.every((e) => e.status === 'progress' && e.id === entry.id && e.total === entry.bytes)).toBe(true);
      for (let i = 1; i < progress.length; i += 1) expect(progress[i]!.loaded).toBeGreaterThan(progress[i - 1]!.loaded);
      expect(progress.at(-1)!.loaded).toBe(entry.bytes);
    }
    expect(server.requests).toEqual(['GET /set/manifest.json', ...entries.map((e) => `GET /set/${e.file}`)]);
    expect(await listing(cacheDir)).toEqual(entries.map((e) => `${e.sha256}.onnx`).sort());
    for (const entry of entries) expect(sha256(await readFile(path.join(cacheDir, `${entry.sha256}.onnx`)))).toBe(entry.sha256);
  });

  it('serves a second set from the cache: only the manifest is fetched', async () => {
    const before = server.requests.length;
    const set = await modelSetFromUrlCached(server.url, cacheDir);
    for (const entry of set.entries) {
      const events: ModelLoadProgress[] = [];
      const bytes = await set.load(entry.id, { onProgress: (e) => events.push(e) });
      expect(sha256(bytes)).toBe(entry.sha256);
      expect(events.map((e) => e.status)).toEqual(['initiate', 'done']);
    }
    expect(server.requests.slice(before)).toEqual(['GET /set/manifest.json']);
  });

  it('replaces a corrupted cache entry with verified bytes', async () => {
    const entry = entries.find((e) => e.id === 'decoder')!;
    const cached = path.join(cacheDir, `${entry.sha256}.onnx`);
    await writeFile(cached, Buffer.alloc(entry.bytes, 7));
    const set = await modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) });
    const before = server.requests.length;
    expect(sha256(await set.load('decoder'))).toBe(entry.sha256);
    expect(server.requests.slice(before)).toEqual([`GET /set/${entry.file}`]);
    expect(sha256(await readFile(cached))).toBe(entry.sha256);
  });

  it('reports a missing file as IO with the HTTP status', async () => {
    const missing = path.join(root, 'missing');
    await cp(served, missing, { recursive: true });
    await rm(path.join(missing, 'target-encoder.onnx'));
    const partial = await serve(missing);
    try {
      const set = await modelSetFromUrl(partial.url);
      expect((await rejection(set.load('target-encoder'), 'IO')).message).toContain('answered HTTP 404');
    } finally {
      await partial.close();
    }
  });

  it('after the server closes: no new set (IO), but the cache still returns the verified bytes', async () => {
    const set = await modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) });
    await server.close();
    const error = await rejection(modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) }), 'IO');
    expect(error.message).toContain(`Could not read the model manifest ${server.url}manifest.json`);
    const cache = directoryCache(cacheDir);
    for (const entry of entries) {
      const bytes = await cache.get(entry.sha256);
      expect(bytes).toBeDefined();
      expect(Buffer.compare(Buffer.from(bytes!), await fileBytes(entry))).toBe(0);
    }
    // A set created before the server went away still loads offline from the cache.
    expect(sha256(await set.load('generator'))).toBe(entries.find((e) => e.id === 'generator')!.sha256);
    expect(await listing(cacheDir)).toEqual(entries.map((e) => `${e.sha256}.onnx`).sort());
  });
});

describe('modelSetFromUrl refusing bad bytes', () => {
  const flipByte = (file: string, bytes: Buffer): Buffer => {
    if (file !== 'latent-editor.onnx') return bytes;
    const copy = Buffer.from(bytes);
    copy[123_456]! ^= 0x80;
    return copy;
  };

  it('refuses a modified file with MODEL_INTEGRITY and writes nothing to the cache', async () => {
    const server = await serve(served, flipByte);
    const cacheDir = path.join(root, 'cache-modified');
    try {
      const set = await modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) });
      const entry = entries.find((e) => e.id === 'latent-editor')!;
      const events: ModelLoadProgress[] = [];
      const error = await rejection(set.load('latent-editor', { onProgress: (e) => events.push(e) }), 'MODEL_INTEGRITY');
      const actual = sha256(flipByte(entry.file, await fileBytes(entry)));
      expect(error.message).toContain(`${server.url}${entry.file} has sha256 ${actual}; the manifest says ${entry.sha256}`);
      expect(events.some((e) => e.status === 'done')).toBe(false);
      expect(await listing(cacheDir)).toEqual([]);
      // An intact model of the same set still loads and is cached alone.
      await set.load('decoder');
      expect(await listing(cacheDir)).toEqual([`${entries.find((e) => e.id === 'decoder')!.sha256}.onnx`]);
    } finally {
      await server.close();
    }
  });

  it('refuses a longer (MODEL_INTEGRITY) or shorter (IO, resumable) file, naming the sizes', async () => {
    const server = await serve(served, (file, bytes) => {
      if (file === 'decoder.onnx') return Buffer.concat([bytes, Buffer.alloc(10)]);
      if (file === 'target-encoder.onnx') return bytes.subarray(0, bytes.length - 10);
      return bytes;
    });
    const cacheDir = path.join(root, 'cache-sizes');
    try {
      const set = await modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) });
      expect((await rejection(set.load('decoder'), 'MODEL_INTEGRITY')).message).toContain('is larger than the 192712 bytes its manifest states');
      expect((await rejection(set.load('target-encoder'), 'IO')).message).toContain('sent 196459 of the 196469 bytes its manifest states');
      expect(await listing(cacheDir)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('reports a connection lost mid-download as IO and caches nothing', async () => {
    const manifest = await readFile(path.join(served, 'manifest.json'));
    const server = createServer((request, response) => {
      if (request.url === '/set/manifest.json') {
        response.writeHead(200, { 'content-length': manifest.length }).end(manifest);
        return;
      }
      // Promise the whole generator, send 128 KiB, then drop the connection.
      response.writeHead(200, { 'content-length': sizeOf('generator.onnx') });
      response.write(Buffer.alloc(2 * CHUNK), () => setTimeout(() => response.destroy(), 20));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/set/`;
    const cacheDir = path.join(root, 'cache-lost');
    const set = await modelSetFromUrl(url, { cache: directoryCache(cacheDir) });
    const events: ModelLoadProgress[] = [];
    const error = await rejection(set.load('generator', { onProgress: (e) => events.push(e) }), 'IO');
    expect(error.message).toContain(`Downloading ${url}generator.onnx failed`);
    expect(events.at(-1)!.loaded).toBe(2 * CHUNK);
    expect(await listing(cacheDir)).toEqual([]);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses an invalid manifest with MANIFEST_INVALID', async () => {
    const server = await serve(served, (file, bytes) => (file === 'manifest.json' ? Buffer.from(bytes.toString('utf8').replace('"latent-editor.onnx"', '"../latent-editor.onnx"')) : bytes));
    try {
      expect((await rejection(modelSetFromUrl(server.url), 'MANIFEST_INVALID')).message).toContain('"../latent-editor.onnx" is not a plain file name');
    } finally {
      await server.close();
    }
  });
});

describe('modelSetFromUrl aborting', () => {
  let server: Served;

  beforeAll(async () => {
    server = await serve(served);
  });

  afterAll(async () => {
    await server.close();
  });

  it('gives ABORTED for a load with an aborted signal, and caches nothing', async () => {
    const cacheDir = path.join(root, 'cache-aborted');
    const set = await modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) });
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(set.load('generator', { signal: controller.signal }), 'ABORTED');
    expect(error.message).toContain('generator');
    expect(await listing(cacheDir)).toEqual([]);
  });

  it('gives ABORTED for a set whose own signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await rejection(modelSetFromUrl(server.url, { signal: controller.signal }), 'ABORTED');
  });

  it('gives ABORTED when the signal fires mid-download, and caches nothing', async () => {
    const cacheDir = path.join(root, 'cache-mid');
    const set = await modelSetFromUrl(server.url, { cache: directoryCache(cacheDir) });
    const controller = new AbortController();
    const events: ModelLoadProgress[] = [];
    const error = await rejection(
      set.load('latent-editor', {
        signal: controller.signal,
        onProgress: (event) => {
          events.push(event);
          if (event.status === 'progress') controller.abort();
        },
      }),
      'ABORTED',
    );
    expect(error.message).toContain('latent-editor');
    expect(events.filter((e) => e.status === 'progress').length).toBeGreaterThanOrEqual(1);
    expect(events.at(-1)!.loaded).toBeLessThan(sizeOf('latent-editor.onnx'));
    expect(await listing(cacheDir)).toEqual([]);
  });
});
