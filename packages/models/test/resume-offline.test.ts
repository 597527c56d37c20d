/**
 * Model downloads that break off resume with an HTTP Range where they stopped; the finished file
 * is verified and cached atomically; `offline` never touches the network and says what is missing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryCache, modelSetFromUrlCached, tinyModelsDirectory } from '../src/node.js';

const tiny = tinyModelsDirectory();
const cacheRoot = mkdtempSync(path.join(tmpdir(), 'fslsd-resume-'));
const requests: { url: string; range?: string }[] = [];
let server: Server;
let base = '';
/** While true, the first request for each model file sends half of it and drops the connection. */
let breakFirstTransfer = true;
const broken = new Set<string>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const name = decodeURIComponent((request.url ?? '/').replace(/^\/tiny\//, ''));
    requests.push({ url: name, ...(request.headers.range ? { range: request.headers.range } : {}) });
    const file = path.join(tiny, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    const bytes = readFileSync(file);
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      response.writeHead(206, { 'content-length': bytes.length - start, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
      response.end(bytes.subarray(start));
      return;
    }
    if (breakFirstTransfer && name.endsWith('.onnx') && !broken.has(name)) {
      broken.add(name);
      response.writeHead(200, { 'content-length': bytes.length });
      response.write(bytes.subarray(0, bytes.length >> 1), () => setTimeout(() => response.socket?.destroy(), 20));
      return;
    }
    response.writeHead(200, { 'content-length': bytes.length });
    response.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tiny/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(cacheRoot, { recursive: true, force: true });
});

describe('downloads', () => {
  it('resume after the connection drops, with a Range request, and verify the whole file', async () => {
    const cache = path.join(cacheRoot, 'cache');
    const set = await modelSetFromUrlCached(base, cache);
    const entry = set.entries.find((e) => e.id === 'decoder')!;
    const first = await set.load('decoder').then(() => undefined, (error: unknown) => error);
    expect(first).toMatchObject({ code: 'IO' });
    expect((first as Error).message).toMatch(/failed after \d+ of \d+ bytes|stopped after/);
    // What arrived is kept beside the cache, not as a cache entry.
    expect(existsSync(path.join(cache, `${entry.sha256}.onnx`))).toBe(false);
    const partial = readFileSync(path.join(cache, `${entry.sha256}.download`));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(entry.bytes);

    const bytes = await set.load('decoder');
    const resumed = requests.filter((r) => r.url === entry.file && r.range);
    expect(resumed.map((r) => r.range)).toEqual([`bytes=${partial.length}-`]);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
    expect(readdirSync(cache).filter((name) => name.endsWith('.download') || name.includes('.partial'))).toEqual([]);
    expect(existsSync(path.join(cache, `${entry.sha256}.onnx`))).toBe(true);
  });

  it('offline: loads what is cached without a single request, and names what is missing', async () => {
    breakFirstTransfer = false;
    const cache = path.join(cacheRoot, 'offline');
    const online = await modelSetFromUrlCached(base, cache);
    await online.load('decoder');
    const before = requests.length;
    const offline = await modelSetFromUrlCached(base, cache, { offline: true });
    expect((await offline.load('decoder')).length).toBe(online.entries.find((e) => e.id === 'decoder')!.bytes);
    await expect(offline.load('generator')).rejects.toThrow(/Offline, and model "generator" .* is not in the cache/);
    expect(requests.length).toBe(before);
    const elsewhere = path.join(cacheRoot, 'empty');
    await expect(modelSetFromUrlCached(base, elsewhere, { offline: true })).rejects.toThrow(/Offline, and the model set .* has not been downloaded before/);
    expect(requests.length).toBe(before);
    // Cache keys are digests; a manifest is stored under the digest of its address.
    await expect(directoryCache(cache).get('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
