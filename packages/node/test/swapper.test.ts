/**
 * The library API on the tiny set: progress events, cancellation, reuse of a source face.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProgressEvent, sourceFaceFromJSON, sourceFaceToJSON } from '@fslsd/core';
import { samplesDirectory } from '@fslsd/models/node';
import { type NodeSwapper, createSwapper, readAlignedCrop, readLandmarks } from './sdk.js';

const face = async (name: string) => {
  const file = path.join(samplesDirectory(), name);
  return { image: await readAlignedCrop(file), landmarks: await readLandmarks(file.replace('.png', '.landmarks.json')) };
};

describe('Swapper on the tiny set', () => {
  let swapper: NodeSwapper;
  const events: ProgressEvent[] = [];

  beforeAll(async () => {
    swapper = await createSwapper({ device: 'cpu', onProgress: (e) => events.push(e) });
  }, 60_000);
  afterAll(() => swapper.dispose());

  it('reports model loading and sessions while it loads', () => {
    const loaded = events.filter((e) => e.kind === 'model' && e.status === 'done').map((e) => (e as { id: string }).id);
    expect(loaded).toEqual(['psp-encoder', 'landmark-encoder', 'latent-editor', 'generator', 'target-encoder', 'decoder']);
    const sessions = events.filter((e) => e.kind === 'session').map((e) => (e as { name: string }).name);
    expect(sessions).toEqual(['encode-latent', 'landmark-direction', 'edit-latent', 'synthesize']);
    expect(swapper.device.device).toBe('cpu');
  });

  it('runs the stages in dataflow order and times each', async () => {
    const stages: string[] = [];
    const source = await swapper.encodeSource(await face('astronaut.png'));
    const result = await swapper.swap(source, await face('hopper.png'), {
      onProgress: (e) => e.kind === 'stage' && e.status === 'start' && stages.push(e.stage),
    });
    expect(stages).toEqual(['encode-latent', 'landmark-direction', 'fuse-latents', 'edit-latent', 'synthesize']);
    expect(Object.keys(result.timings).sort()).toEqual([...stages].sort());
    expect(result.image.data.every((v) => v >= -1 && v <= 1)).toBe(true);
  });

  it('skips E_le for a split without direction codes and the editor when asked', async () => {
    const stages: string[] = [];
    const source = await swapper.encodeSource(await face('astronaut.png'));
    const result = await swapper.swap(source, await face('hopper.png'), {
      split: 'megafs',
      editor: false,
      onProgress: (e) => e.kind === 'stage' && e.status === 'start' && stages.push(e.stage),
    });
    expect(stages).toEqual(['encode-latent', 'fuse-latents', 'synthesize']);
    expect(result.direction).toBeUndefined();
    expect(result.latent).toBe(result.fused);
    // megafs: codes 0..3 are the target's, 4..17 the source's, untouched.
    const target = await swapper.encodeTarget(await face('hopper.png'));
    expect(Array.from(result.latent.code(2))).toEqual(Array.from(target.wplus.code(2)));
    expect(Array.from(result.latent.code(9))).toEqual(Array.from(source.wplus.code(9)));
  });

  it('stops with ABORTED when the signal fires, and keeps working afterwards', async () => {
    const source = await swapper.encodeSource(await face('astronaut.png'));
    const target = await swapper.encodeTarget(await face('hopper.png'));
    const controller = new AbortController();
    const pending = swapper.swap(source, target, {
      signal: controller.signal,
      onProgress: (e) => e.kind === 'stage' && e.stage === 'landmark-direction' && e.status === 'done' && controller.abort(),
    });
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', name: 'AbortError' });
    const already = new AbortController();
    already.abort();
    await expect(swapper.swap(source, target, { signal: already.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const again = await swapper.swap(source, target);
    expect(again.image.width).toBe(1024);
  });

  it('gives the same swap from a saved and reloaded source face', async () => {
    const source = await swapper.encodeSource(await face('astronaut.png'));
    const target = await swapper.encodeTarget(await face('hopper.png'));
    const reloaded = sourceFaceFromJSON(JSON.parse(JSON.stringify(sourceFaceToJSON(source))));
    const [a, b] = await Promise.all([swapper.swap(source, target), swapper.swap(reloaded, target)]);
    expect(Buffer.from(b.image.data.buffer).equals(Buffer.from(a.image.data.buffer))).toBe(true);
  });

  it('rejects bad inputs with typed errors', async () => {
    const good = await face('astronaut.png');
    await expect(swapper.encodeSource({ ...good, image: { ...good.image, width: 512 } })).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    await expect(swapper.encodeSource({ ...good, landmarks: good.landmarks.slice(1) })).rejects.toMatchObject({ code: 'INVALID_LANDMARKS' });
    const source = await swapper.encodeSource(good);
    await expect(swapper.swap(source, await face('hopper.png'), { strength: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(swapper.swap(source, await face('hopper.png'), { split: 'nonsense' })).rejects.toMatchObject({ code: 'INVALID_SPLIT' });
    await expect(
      swapper.encodeTarget({ ...(await face('hopper.png')), mask: { width: 10, height: 10, data: new Uint8Array(100) } }),
    ).rejects.toMatchObject({ code: 'INVALID_MASK' });
  });
});

describe('Weights read from the model files', () => {
  it('gives the bit-identical swap with weights inline (externalWeights: false)', async () => {
    const source = await face('astronaut.png');
    const target = await face('hopper.png');
    const results = [];
    for (const externalWeights of [true, false]) {
      const swapper = await createSwapper({ device: 'cpu', externalWeights });
      results.push(await swapper.swap(await swapper.encodeSource(source), target));
      await swapper.dispose();
    }
    expect(Buffer.from(results[0]!.image.data.buffer).equals(Buffer.from(results[1]!.image.data.buffer))).toBe(true);
    expect(Buffer.from(results[0]!.sideOutput.data.buffer).equals(Buffer.from(results[1]!.sideOutput.data.buffer))).toBe(true);
  }, 120_000);
});

describe('session options', () => {
  it('basic optimisation, no memory pattern, intra-op threads that do not spin, the threads asked for', async () => {
    const { sessionOptionsFor } = await import('../src/pipeline.js');
    const options = sessionOptionsFor({ device: 'cpu', executionProviders: ['cpu'] }, 3);
    expect(options).toEqual({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'basic',
      enableMemPattern: false,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      intraOpNumThreads: 3,
    });
  });
});
