import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FslsdError } from '@fslsd/core';
import { MODEL_IDS } from '@fslsd/core/graph';
import { MANIFEST_FORMAT, manifestEntry, parseManifest } from '../src/index.js';
import { tinyModelsDirectory } from '../src/node.js';

type Json = Record<string, unknown> & { models: Record<string, unknown>[] };
const tinyManifest = (): Json => JSON.parse(readFileSync(path.join(tinyModelsDirectory(), 'manifest.json'), 'utf8')) as Json;

/** The MANIFEST_INVALID error parseManifest throws for `json`. */
function invalid(json: unknown): FslsdError {
  let error: unknown;
  try {
    parseManifest(json, 'test.json');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(FslsdError);
  expect((error as FslsdError).code).toBe('MANIFEST_INVALID');
  expect((error as FslsdError).message).toContain('The model manifest test.json is invalid: ');
  return error as FslsdError;
}

describe('parseManifest', () => {
  it('accepts the shipped tiny manifest', () => {
    const manifest = parseManifest(tinyManifest(), 'tiny');
    expect(manifest.format).toBe(MANIFEST_FORMAT);
    expect(manifest.set).toBe('tiny');
    expect(manifest.models.map((m) => m.id)).toEqual([...MODEL_IDS]);
    // Every entry describes the shipped file exactly (size and digest computed here, not copied).
    for (const entry of manifest.models) {
      const bytes = readFileSync(path.join(tinyModelsDirectory(), entry.file));
      expect(entry).toMatchObject({ file: `${entry.id}.onnx`, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
  });

  it('rejects what is not a manifest object', () => {
    for (const value of [null, 3, 'fslsd-models/1']) expect(invalid(value).message).toMatch(/not a JSON object|format is/);
    expect(invalid({ ...tinyManifest(), models: {} }).message).toContain('"models" is not a list');
    expect(invalid({ ...tinyManifest(), licence: undefined }).message).toContain('"licence.spdx" is missing');
  });

  it('rejects a wrong format', () => {
    expect(invalid({ ...tinyManifest(), format: 'fslsd-models/2' }).message).toContain('format is "fslsd-models/2", expected "fslsd-models/1"');
    expect(invalid({ ...tinyManifest(), format: undefined }).message).toContain('format is undefined');
  });

  it('rejects file names that could leave the directory', () => {
    const names = ['sub/generator.onnx', '../generator.onnx', '..', 'a..b.onnx', 'sub\\generator.onnx', '..\\generator.onnx', '/etc/passwd', '.hidden.onnx', '', 'x'.repeat(129), 'gen erator.onnx'];
    for (const file of names) {
      const json = tinyManifest();
      json.models[3]!.file = file;
      expect(invalid(json).message).toContain(`models[3].file ${JSON.stringify(file)} is not a plain file name`);
    }
    const json = tinyManifest();
    json.models[0]!.file = 42;
    expect(invalid(json).message).toContain('models[0].file 42 is not a plain file name');
  });

  it('rejects a bad sha256', () => {
    const good = tinyManifest().models[1]!.sha256 as string;
    for (const sha256 of [good.toUpperCase(), good.slice(1), `${good}0`, `${good.slice(1)}g`, undefined]) {
      const json = tinyManifest();
      json.models[1]!.sha256 = sha256;
      expect(invalid(json).message).toContain('models[1].sha256 must be 64 lower-case hex digits');
    }
  });

  it('rejects bad byte counts', () => {
    for (const bytes of [0, -5, 1.5, '100', undefined]) {
      const json = tinyManifest();
      json.models[2]!.bytes = bytes;
      expect(invalid(json).message).toContain('models[2].bytes must be a positive integer');
    }
  });

  it('rejects duplicate ids', () => {
    const json = tinyManifest();
    json.models[4] = { ...json.models[4]!, id: 'generator' };
    expect(invalid(json).message).toContain('model "generator" is listed twice');
  });

  it('reads an encoder-only set\'s purpose and refuses one it does not know', () => {
    expect(parseManifest(tinyManifest(), 'tiny').purpose).toBeUndefined();
    const encoderOnly = { ...tinyManifest(), purpose: 'latent-encoder' };
    encoderOnly.models = encoderOnly.models.filter((m) => m.id === 'psp-encoder');
    expect(parseManifest(encoderOnly, 'psp-only').purpose).toBe('latent-encoder');
    expect(invalid({ ...tinyManifest(), purpose: 'upscaling' }).message).toContain('purpose is "upscaling", expected "latent-encoder" (or none)');
  });

  it('rejects unknown ids, listing the known ones', () => {
    const json = tinyManifest();
    json.models[5]!.id = 'upscaler';
    const message = invalid(json).message;
    expect(message).toContain('models[5].id "upscaler" is not one of psp-encoder, landmark-encoder, latent-editor, generator, target-encoder, decoder');
  });
});

describe('manifestEntry', () => {
  it('gives MODEL_NOT_FOUND for a model the set lacks', () => {
    const json = tinyManifest();
    json.models = json.models.filter((m) => m.id !== 'decoder');
    const manifest = parseManifest(json, 'partial');
    expect(() => manifestEntry(manifest, 'decoder', 'partial')).toThrowError(expect.objectContaining({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('has no "decoder" model') }));
  });
});
