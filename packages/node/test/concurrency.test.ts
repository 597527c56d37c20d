/**
 * One swapper, many callers: 8 swaps in flight at once give exactly the sequential results, and
 * an aborted swap stops with ABORTED and leaves the swapper working.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SourceFace } from '@fslsd/core';
import { type SwapResult, type TargetFace } from '@fslsd/core/pipeline';
import { packageDirectory } from '@fslsd/models/node';
import { type NodeFaceAnalyzer, type NodeSwapper, createFaceAnalyzer, createSwapper, encodeSourcePhoto, readImage } from './sdk.js';

const photos = path.join(packageDirectory(), 'assets', 'photos');
let swapper: NodeSwapper;
let analyzer: NodeFaceAnalyzer;
let sources: SourceFace[];
let target: TargetFace;

beforeAll(async () => {
  swapper = await createSwapper({ device: 'cpu' });
  analyzer = await createFaceAnalyzer({ device: 'cpu' });
  const astronaut = await readImage(path.join(photos, 'astronaut.png'));
  const hopper = await readImage(path.join(photos, 'hopper.jpg'));
  sources = [(await encodeSourcePhoto(swapper, analyzer, hopper)).source, (await encodeSourcePhoto(swapper, analyzer, astronaut)).source];
  const [face] = await analyzer.detect(astronaut);
  const prepared = await analyzer.prepare(astronaut, face!);
  target = await swapper.encodeTarget({ image: prepared.crop, landmarks: prepared.landmarks, mask: { width: 1024, height: 1024, data: prepared.masks.inner } });
}, 120_000);

afterAll(async () => {
  await swapper?.dispose();
  await analyzer?.dispose();
});

describe('one swapper, concurrent callers', () => {
  it('8 concurrent swaps equal the sequential ones, bit for bit', async () => {
    const jobs = Array.from({ length: 8 }, (_, i) => ({ source: sources[i % 2]!, strength: 0.5 + (i % 4) * 0.25 }));
    const sequential: SwapResult[] = [];
    for (const job of jobs) sequential.push(await swapper.swap(job.source, target, { strength: job.strength }));
    const concurrent = await Promise.all(jobs.map((job) => swapper.swap(job.source, target, { strength: job.strength })));
    concurrent.forEach((result, i) => {
      expect(Buffer.from(result.image.data.buffer).equals(Buffer.from(sequential[i]!.image.data.buffer)), `swap ${i}`).toBe(true);
      expect(Buffer.from(result.latent.data.buffer).equals(Buffer.from(sequential[i]!.latent.data.buffer))).toBe(true);
    });
    // The jobs really differ: different sources and strengths give different images.
    expect(Buffer.from(sequential[0]!.image.data.buffer).equals(Buffer.from(sequential[1]!.image.data.buffer))).toBe(false);
  }, 120_000);

  it('an aborted swap rejects with ABORTED, and the swapper keeps working', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const aborted = swapper.swap(sources[0]!, target, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user cancelled')), 20);
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    const waited = performance.now() - started;
    console.log(`abort: rejected ${waited.toFixed(0)} ms after the call (abort sent at 20 ms)`);
    const after = await swapper.swap(sources[0]!, target);
    const reference = await swapper.swap(sources[0]!, target);
    expect(Buffer.from(after.image.data.buffer).equals(Buffer.from(reference.image.data.buffer))).toBe(true);
  }, 120_000);
});
