import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ContractError, FslsdError, type ModelEntry, type ModelSet, type ProgressEvent } from '../src/index.js';
import { createLatentEncoder, createSwapper } from '../src/pipeline.js';
import { MODEL_CONTRACTS, MODEL_IDS, type ModelId, type ModelProto, checkDeclaredContract, checkModelContract, decodeModel, encodeModel } from '../src/graph.js';
import { TINY_DIR, caught, runtime } from './helpers.js';

const manifest = JSON.parse(readFileSync(`${TINY_DIR}manifest.json`, 'utf8')) as { set: string; models: ModelEntry[] };
const fileOf = (id: ModelId): string => `${TINY_DIR}${manifest.models.find((m) => m.id === id)!.file}`;
/** A fresh, unshared decode of a tiny model (tests mutate it). */
const load = (id: ModelId): ModelProto => decodeModel(readFileSync(fileOf(id)));
const dimsOf = (value: NonNullable<NonNullable<ModelProto['graph']>['input']>[number]) => value.type!.tensorType!.shape!.dim!;
const TINY_CHANNELS = [32, 32, 32, 32, 16, 8, 4, 2];

function contractError(work: () => unknown): ContractError {
  const error = caught(work);
  expect(error).toBeInstanceOf(ContractError);
  expect(error).toBeInstanceOf(FslsdError);
  expect((error as ContractError).code).toBe('CONTRACT_MISMATCH');
  expect((error as ContractError).name).toBe('ContractError');
  return error as ContractError;
}

/** A generator whose `wplus` input is declared [1,18,256], encoded and decoded again. */
function narrowGenerator(): ModelProto {
  const model = load('generator');
  dimsOf(model.graph!.input![0]!)[2]!.dimValue = 256;
  return decodeModel(encodeModel(model));
}

describe('checkModelContract on the tiny set', () => {
  it('accepts the generator and binds its feature channels', () => {
    const bindings = new Map<string, number>();
    checkModelContract(MODEL_CONTRACTS.generator, load('generator'), bindings);
    expect(TINY_CHANNELS.map((_, i) => bindings.get(`c${i}`))).toEqual(TINY_CHANNELS);
  });

  it('accepts all six models with one set of bindings', () => {
    const bindings = new Map<string, number>();
    for (const id of MODEL_IDS) checkModelContract(MODEL_CONTRACTS[id], load(id), bindings);
    expect(Object.fromEntries(bindings)).toEqual(Object.fromEntries(TINY_CHANNELS.map((c, i) => [`c${i}`, c])));
  });

  it('rejects a generator whose wplus is [1,18,256]', () => {
    const model = narrowGenerator();
    expect(dimsOf(model.graph!.input![0]!).map((d) => Number(d.dimValue))).toEqual([1, 18, 256]);
    const error = contractError(() => checkModelContract(MODEL_CONTRACTS.generator, model));
    expect(error.model).toBe('generator');
    expect(error.tensor).toBe('wplus');
    expect(error.expected).toBe('float32[1,18,512]');
    expect(error.actual).toBe('float32[1,18,256]');
    expect(error.message).toContain('Model "generator": tensor "wplus" must be float32[1,18,512], but the model has float32[1,18,256].');
    expect(error.fix).toContain('fslsd_reference.export');
  });

  it('rejects a wrong dtype and a symbolic batch dimension', () => {
    const half = load('generator');
    half.graph!.input![0]!.type!.tensorType!.elemType = 10;
    expect(contractError(() => checkModelContract(MODEL_CONTRACTS.generator, half)).actual).toBe('float16[1,18,512]');
    const dynamic = load('latent-editor');
    dimsOf(dynamic.graph!.input![0]!)[0] = { dimParam: 'batch' };
    const error = contractError(() => checkModelContract(MODEL_CONTRACTS['latent-editor'], dynamic));
    expect([error.model, error.tensor, error.expected, error.actual]).toEqual(['latent-editor', 'wplus', 'float32[1,18,512]', 'float32[batch,18,512]']);
  });

  it('rejects a renamed output, naming the missing tensor and the outputs present', () => {
    const model = load('generator');
    const output = model.graph!.output!.find((v) => v.name === 'feature_3')!;
    output.name = 'feat_3';
    const error = contractError(() => checkModelContract(MODEL_CONTRACTS.generator, model));
    expect(error.model).toBe('generator');
    expect(error.tensor).toBe('feature_3');
    expect(error.expected).toBe('an output float32[1,c3,64,64]');
    expect(error.actual).toContain('no output "feature_3"');
    expect(error.actual).toContain('feature_2, feat_3, feature_4');
  });

  it('rejects an extra input', () => {
    const model = load('latent-editor');
    model.graph!.input!.push({ ...model.graph!.input![0]!, name: 'strength' });
    const error = contractError(() => checkModelContract(MODEL_CONTRACTS['latent-editor'], model));
    expect([error.tensor, error.expected, error.actual]).toEqual(['strength', 'no further inputs', 'extra inputs strength']);
  });

  it('ties channel symbols across models: a decoder with other blend_0 channels fails after the generator (c0)', () => {
    const bindings = new Map<string, number>();
    checkModelContract(MODEL_CONTRACTS.generator, load('generator'), bindings);
    checkModelContract(MODEL_CONTRACTS.decoder, load('decoder'), new Map(bindings)); // the real decoder agrees
    const decoder = load('decoder');
    const blend0 = decoder.graph!.input!.find((v) => v.name === 'blend_0')!;
    dimsOf(blend0)[1]!.dimValue = 16;
    const error = contractError(() => checkModelContract(MODEL_CONTRACTS.decoder, decoder, bindings));
    expect(error.model).toBe('decoder');
    expect(error.tensor).toBe('blend_0');
    expect(error.expected).toBe('float32[1,32,8,8] (c0 = 32 in an earlier model)');
    expect(error.actual).toBe('float32[1,16,8,8]');
    expect(error.fix).toContain('load all six from one manifest');
    // Checked alone, the same decoder is consistent with itself.
    expect(() => checkModelContract(MODEL_CONTRACTS.decoder, decoder)).not.toThrow();
  });
});

/**
 * A ModelSet over the tiny files (modelSetFromBytes would make core depend on @fslsd/models),
 * serving `replace[id]` instead of the file where given.
 */
function tinySet(replace: Partial<Record<ModelId, Uint8Array>> = {}): ModelSet & { loaded: ModelId[] } {
  const loaded: ModelId[] = [];
  // The tiny set lists only the six networks.
  return {
    name: 'tiny-in-test',
    entries: manifest.models,
    loaded,
    async load(anyId, options = {}) {
      const id = anyId as ModelId;
      loaded.push(id);
      const bytes = replace[id] ?? new Uint8Array(readFileSync(fileOf(id)));
      options.onProgress?.({ id, status: 'initiate', loaded: 0, total: bytes.length });
      options.onProgress?.({ id, status: 'done', loaded: bytes.length, total: bytes.length });
      return bytes;
    },
  };
}

describe('createSwapper contract checks', () => {
  it('rejects a model set serving a broken generator with its ContractError, before loading the rest', async () => {
    const models = tinySet({ generator: encodeModel(narrowGenerator()) });
    const events: ProgressEvent[] = [];
    const error = await createSwapper({ runtime, models, onProgress: (e) => events.push(e) }).then(
      () => expect.fail('createSwapper resolved'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContractError);
    const contract = error as ContractError;
    expect([contract.code, contract.model, contract.tensor, contract.expected, contract.actual]).toEqual(['CONTRACT_MISMATCH', 'generator', 'wplus', 'float32[1,18,512]', 'float32[1,18,256]']);
    expect(models.loaded).toEqual(['psp-encoder', 'landmark-encoder', 'latent-editor', 'generator']);
    expect(events.some((e) => e.kind === 'session')).toBe(false);
  });

  it('rejects a set without a decoder (MODEL_NOT_FOUND) and unreadable bytes (MODEL_INTEGRITY)', async () => {
    const missing = { ...tinySet(), entries: manifest.models.filter((m) => m.id !== 'decoder') };
    await expect(createSwapper({ runtime, models: missing })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('"decoder"') });
    const garbage = tinySet({ 'latent-editor': Uint8Array.of(0xff, 0xff, 0xff, 0xff) });
    await expect(createSwapper({ runtime, models: garbage })).rejects.toMatchObject({ code: 'MODEL_INTEGRITY', message: expect.stringContaining('"latent-editor"') });
  });

  it('names an encoder-only set (the psp-encoder alone) before loading a network, and createLatentEncoder opens it', async () => {
    const encoderOnly = { ...tinySet(), entries: manifest.models.filter((m) => m.id === 'psp-encoder') };
    const error = await createSwapper({ runtime, models: encoderOnly }).then(() => expect.fail('createSwapper resolved'), (e: unknown) => e);
    expect(error).toBeInstanceOf(FslsdError);
    expect((error as FslsdError).code).toBe('MODEL_NOT_FOUND');
    expect((error as FslsdError).message).toMatch(/^The model set "tiny-in-test" holds only the psp-encoder \(an encoder-only set, imported from pSp's checkpoint alone\)/);
    expect((error as FslsdError).fix).toContain('fslsd models import --fslsd CELEBA-HQ-1024.pt --psp psp_ffhq_encode.pt --out DIR');
    expect(encoderOnly.loaded).toEqual([]);
    // A set missing other networks too, but not only the psp-encoder's, keeps the generic message.
    const partial = { ...tinySet(), entries: manifest.models.filter((m) => m.id === 'psp-encoder' || m.id === 'generator') };
    await expect(createSwapper({ runtime, models: partial })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('has no "landmark-encoder" model') });
    const encoder = await createLatentEncoder({ runtime, models: encoderOnly });
    await encoder.dispose();
    expect(encoderOnly.loaded).toEqual(['psp-encoder']);
  }, 60_000);

  it('opens the four stage sessions when every contract holds', async () => {
    const models = tinySet();
    const events: ProgressEvent[] = [];
    const swapper = await createSwapper({ runtime, models, onProgress: (e) => events.push(e) });
    try {
      expect(models.loaded).toEqual([...MODEL_IDS]);
      expect(events.filter((e) => e.kind === 'session').map((e) => (e.kind === 'session' ? e.name : ''))).toEqual(['encode-latent', 'landmark-direction', 'edit-latent', 'synthesize']);
      expect(events.filter((e) => e.kind === 'model' && e.status === 'done')).toHaveLength(6);
      expect(swapper.models).toMatch(/^tiny-in-test:[0-9a-f]{12}$/);
      expect(swapper.split.name).toBe('official');
    } finally {
      await swapper.dispose();
    }
  }, 120_000);
});

describe('checkDeclaredContract (what a manifest states)', () => {
  const declared = (range: [number, number]) => ({ inputs: [{ name: 'image', dtype: 'float32' as const, shape: [1, 3, 256, 256], range }] });

  it('accepts the exporter manifest of the tiny set', () => {
    for (const entry of manifest.models) expect(() => checkDeclaredContract(MODEL_CONTRACTS[entry.id as ModelId], entry)).not.toThrow();
  });

  it('refuses a model declared for another value range, naming model and tensor', () => {
    const error = caught(() => checkDeclaredContract(MODEL_CONTRACTS['psp-encoder'], declared([0, 1])));
    expect(error).toBeInstanceOf(ContractError);
    expect(error).toMatchObject({ model: 'psp-encoder', tensor: 'image', expected: 'values in [-1, 1]', actual: 'values in [0, 1] (declared by the manifest)' });
  });

  it('refuses a declared shape that differs from the contract', () => {
    const error = caught(() => checkDeclaredContract(MODEL_CONTRACTS['psp-encoder'], { inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, 512, 512] }] }));
    expect(error).toMatchObject({ code: 'CONTRACT_MISMATCH', expected: 'float32[1,3,256,256]', actual: 'float32[1,3,512,512] (declared by the manifest)' });
  });
});
