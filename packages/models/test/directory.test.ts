import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FslsdError, type ModelLoadProgress } from '@fslsd/core';
import { MODEL_IDS } from '@fslsd/core/graph';
import { directoryCache, modelSetFromDirectory, tinyModelSet, tinyModelsDirectory } from '../src/node.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function rejection(promise: Promise<unknown>, code: string): Promise<FslsdError> {
  const error = await promise.then(
    () => expect.fail(`resolved, expected ${code}`),
    (e: unknown) => e as FslsdError,
  );
  expect(error).toBeInstanceOf(FslsdError);
  expect(error.code).toBe(code);
  return error;
}

describe('modelSetFromDirectory', () => {
  let root: string;
  let copies = 0;
  /** A fresh copy of the tiny set in a temporary folder. */
  const copyTiny = async (): Promise<string> => {
    const directory = path.join(root, `tiny-${(copies += 1)}`);
    await cp(tinyModelsDirectory(), directory, { recursive: true });
    return directory;
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fslsd-models-dir-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('loads and verifies all six models with progress', async () => {
    const directory = await copyTiny();
    const set = await modelSetFromDirectory(directory);
    expect(set.name).toBe('tiny');
    expect(set.directory).toBe(directory);
    expect(set.entries.map((e) => e.id)).toEqual([...MODEL_IDS]);
    for (const entry of set.entries) {
      const events: ModelLoadProgress[] = [];
      const bytes = await set.load(entry.id, { onProgress: (e) => events.push(e) });
      const file = await readFile(path.join(directory, entry.file));
      expect(Buffer.compare(Buffer.from(bytes), file)).toBe(0);
      expect(bytes.length).toBe(entry.bytes);
      expect(sha256(bytes)).toBe(entry.sha256);
      expect(events).toEqual([
        { id: entry.id, status: 'initiate', loaded: 0, total: entry.bytes },
        { id: entry.id, status: 'done', loaded: entry.bytes, total: entry.bytes },
      ]);
    }
  });

  it('also takes the manifest file itself, and tinyModelSet() reads the shipped set', async () => {
    const directory = await copyTiny();
    const set = await modelSetFromDirectory(path.join(directory, 'manifest.json'));
    expect(set.directory).toBe(directory);
    expect(sha256(await set.load('decoder'))).toBe(set.entries.find((e) => e.id === 'decoder')!.sha256);
    const shipped = await tinyModelSet();
    expect(shipped.directory).toBe(tinyModelsDirectory());
    expect((await shipped.load('target-encoder')).length).toBe(196469);
  });

  it('refuses a model with one flipped byte (MODEL_INTEGRITY naming the file and both digests)', async () => {
    const directory = await copyTiny();
    const file = path.join(directory, 'latent-editor.onnx');
    const bytes = await readFile(file);
    bytes[4_000_000]! ^= 0x01;
    await writeFile(file, bytes);
    const set = await modelSetFromDirectory(directory);
    const expected = set.entries.find((e) => e.id === 'latent-editor')!.sha256;
    const events: ModelLoadProgress[] = [];
    const error = await rejection(set.load('latent-editor', { onProgress: (e) => events.push(e) }), 'MODEL_INTEGRITY');
    expect(error.message).toContain(file);
    expect(error.message).toContain(`has sha256 ${sha256(bytes)}; the manifest says ${expected}`);
    expect(sha256(bytes)).not.toBe(expected);
    expect(events.map((e) => e.status)).toEqual(['initiate']);
    // The other models of the set are unaffected.
    expect((await set.load('decoder')).length).toBe(192712);
  });

  it('refuses a truncated model (MODEL_INTEGRITY naming both sizes)', async () => {
    const directory = await copyTiny();
    const file = path.join(directory, 'generator.onnx');
    const size = (await readFile(file)).length;
    await truncate(file, size - 1000);
    const set = await modelSetFromDirectory(directory);
    const error = await rejection(set.load('generator'), 'MODEL_INTEGRITY');
    expect(error.message).toContain(`Model "generator" from ${file} has ${size - 1000} bytes; the manifest says ${size}.`);
  });

  it('gives MODEL_NOT_FOUND for a missing folder, a folder without manifest.json and a missing model file', async () => {
    const nowhere = path.join(root, 'does-not-exist');
    expect((await rejection(modelSetFromDirectory(nowhere), 'MODEL_NOT_FOUND')).message).toContain(nowhere);
    const empty = path.join(root, 'empty');
    await mkdir(empty);
    expect((await rejection(modelSetFromDirectory(empty), 'MODEL_NOT_FOUND')).message).toContain(path.join(empty, 'manifest.json'));
    const directory = await copyTiny();
    await unlink(path.join(directory, 'psp-encoder.onnx'));
    const set = await modelSetFromDirectory(directory);
    expect((await rejection(set.load('psp-encoder'), 'MODEL_NOT_FOUND')).message).toContain('Cannot read model "psp-encoder"');
  });

  it('gives MANIFEST_INVALID for a manifest that is not JSON or not valid', async () => {
    const directory = await copyTiny();
    await writeFile(path.join(directory, 'manifest.json'), '{"format": "fslsd-models/1", ');
    expect((await rejection(modelSetFromDirectory(directory), 'MANIFEST_INVALID')).message).toContain('as JSON');
    await writeFile(path.join(directory, 'manifest.json'), JSON.stringify({ format: 'fslsd-models/1', models: [{ id: 'generator', file: '../x.onnx', bytes: 1, sha256: 'a'.repeat(64) }] }));
    expect((await rejection(modelSetFromDirectory(directory), 'MANIFEST_INVALID')).message).toContain('"../x.onnx" is not a plain file name');
  });

  it('gives ABORTED for an aborted signal', async () => {
    const set = await modelSetFromDirectory(tinyModelsDirectory());
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(set.load('latent-editor', { signal: controller.signal }), 'ABORTED');
    expect(error.name).toBe('AbortError');
    expect(error.message).toBe('Aborted during reading latent-editor.');
  });
});

describe('directoryCache', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fslsd-models-cache-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores bytes under <sha256>.onnx, creating the folder, and reads them back', async () => {
    const cacheDir = path.join(root, 'nested', 'cache');
    const cache = directoryCache(cacheDir);
    const bytes = Uint8Array.of(1, 2, 3, 250);
    const key = sha256(bytes);
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(key, bytes);
    expect([...(await readFile(path.join(cacheDir, `${key}.onnx`)))]).toEqual([1, 2, 3, 250]);
    expect([...((await cache.get(key)) ?? [])]).toEqual([1, 2, 3, 250]);
  });

  it('refuses keys that are not a sha256 (INVALID_ARGUMENT)', async () => {
    const cache = directoryCache(root);
    for (const key of ['../../etc/passwd', 'A'.repeat(64), 'a'.repeat(63), '']) {
      await expect(cache.get(key)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(cache.put(key, Uint8Array.of(1))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});
