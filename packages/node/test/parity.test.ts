/**
 * Numerical parity: the TypeScript pipeline on onnxruntime-node against the PyTorch reference,
 * on the shipped tiny set and the two sample crops.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SessionRunEvent, type SourceFace, type SwapResult, type TargetFace } from '@fslsd/core';
import { samplesDirectory } from '@fslsd/models/node';
import { createSwapper, readAlignedCrop, readMask } from '../src/index.js';
import { type ParityFixture, decode, loadFixture, maxAbsDifference, mean, parityFixturesDirectory, parityModelsDirectory, patch, strided } from './fixture.js';

const TOLERANCE = 1e-4;
/** Measured errors, printed once so the figures are visible in every test run. */
const measured: Record<string, number> = {};
const within = (name: string, error: number): number => {
  measured[name] = error;
  return error;
};

describe('parity with the PyTorch reference (tiny set, CPU)', () => {
  let fixture: ParityFixture;
  let source: SourceFace;
  let target: TargetFace;
  let result: SwapResult;
  const runs: SessionRunEvent[] = [];

  beforeAll(async () => {
    fixture = loadFixture();
    const swapper = await createSwapper({ device: 'cpu', models: parityModelsDirectory(), onSessionRun: (event) => runs.push(event) });
    const [sourceImage, targetImage, mask] = await Promise.all([
      readAlignedCrop(path.join(samplesDirectory(), fixture.inputs.source)),
      readAlignedCrop(path.join(samplesDirectory(), fixture.inputs.target)),
      readMask(path.join(parityFixturesDirectory(), fixture.inputs.mask)),
    ]);
    source = await swapper.encodeSource({ image: sourceImage, landmarks: fixture.inputs.sourceLandmarks });
    target = await swapper.encodeTarget({ image: targetImage, landmarks: fixture.inputs.targetLandmarks, mask });
    runs.length = 0;
    result = await swapper.swap(source, target, { split: 'official', strength: fixture.inputs.strength });
    await swapper.dispose();
  }, 600_000);

  afterAll(() => {
    const rows = Object.entries(measured).map(([name, error]) => `${name} ${error.toExponential(2)}`);
    console.log(`parity max abs errors (tolerance ${TOLERANCE}): ${rows.join(', ')}`);
  });

  it('encodes both faces to the reference W+ codes', () => {
    expect(within('source W+', maxAbsDifference(source.wplus.data, decode(fixture.outputs.sourceWPlus)))).toBeLessThanOrEqual(TOLERANCE);
    expect(within('target W+', maxAbsDifference(target.wplus.data, decode(fixture.outputs.targetWPlus)))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('computes the reference landmark direction n', () => {
    expect(result.direction).toHaveLength(7 * 512);
    expect(within('direction n', maxAbsDifference(result.direction!, decode(fixture.outputs.direction)))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('fuses and edits to the reference latent', () => {
    expect(within('fused', maxAbsDifference(result.fused.data, decode(fixture.outputs.fused.official)))).toBeLessThanOrEqual(TOLERANCE);
    expect(within('latent', maxAbsDifference(result.latent.data, decode(fixture.outputs.latent)))).toBeLessThanOrEqual(TOLERANCE);
  });

  for (const key of ['sideOutput', 'image'] as const) {
    it(`renders the reference ${key} (strided sample, centre patch, mean)`, () => {
      const expected = fixture.outputs[key];
      const actual = result[key];
      expect([actual.width, actual.height, actual.data.length]).toEqual([1024, 1024, 3 * 1024 * 1024]);
      const sample = strided(actual.data, 1024, expected.sample.offset, expected.sample.stride);
      expect(within(`${key} sample`, maxAbsDifference(sample, decode(expected.sample)))).toBeLessThanOrEqual(TOLERANCE);
      expect(within(`${key} patch`, maxAbsDifference(patch(actual.data, 1024, expected.patch.rows, expected.patch.cols), decode(expected.patch)))).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(mean(actual.data) - expected.stats.mean)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('keeps feature maps inside the runtime: only latents and images cross into JavaScript', () => {
    const sessions = runs.map((r) => r.session);
    expect(sessions).toEqual(['landmark-direction', 'edit-latent', 'synthesize']);
    const crossing = runs.flatMap((r) => r.outputs.map((o) => `${r.session}:${o.name}[${o.dims.join(',')}]`));
    expect(crossing).toEqual([
      'landmark-direction:direction[1,7,512]',
      'edit-latent:edited[1,18,512]',
      'synthesize:image[1,3,1024,1024]',
      'synthesize:side_output[1,3,1024,1024]',
    ]);
    const synthesisInputs = runs[2]!.inputs.map((i) => i.name);
    expect(synthesisInputs).toEqual(['wplus', 'target_image', 'mask']);
  });
});
