/**
 * MegaFS parity: the TypeScript pipeline on onnxruntime-node against the PyTorch reference of the
 * released MegaFS code (fslsd_reference/megafs.py), on the shipped tiny MegaFS set (ftm) and the
 * two sample crops: the 8-bit 256² input, both faces' codes, the target's structure map f4, the
 * transferred codes, the generated face after the min-max stretch, and the soft-eroded blend.
 * Then the whole thing through createFaceSwapper({ method: 'megafs' }) on photos.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SourceFace, composeFaceSwapper, fivePointLandmarks } from '@fslsd/core';
import { type SessionRunEvent, type SwapResult, type TargetFace, createMegaFSSwapper, reduceForMegaFS } from '@fslsd/core/pipeline';
import { modelSetFromDirectory, packageDirectory, samplesDirectory, tinyMegaFSModelsDirectory } from '@fslsd/models/node';
import { createFaceAnalyzer, nodeRuntime, readAlignedCrop, readMask, sessionOptionsFor } from '../src/pipeline.js';
import { createFaceSwapper, readImage } from './sdk.js';
import { type Encoded, type Summary, decode, maxAbsDifference, mean, strided } from './fixture.js';

interface MegaFSFixture {
  variant: string;
  inputs: { source: string; target: string; mask: string };
  sourceInput: Encoded;
  targetInput: Encoded;
  outputs: {
    sourceCodes: Encoded;
    targetCodes: Encoded;
    structure: Encoded;
    codes: Encoded;
    image: Summary;
    pixels: { min: number; max: number; mean: number };
    soft: Summary;
    blended: Summary;
    refinedBlended: Summary;
  };
}

// FSLSD_MEGAFS_PARITY_MODELS / _FIXTURES check another export (a full-width one) against its own reference outputs.
const fixtures = process.env.FSLSD_MEGAFS_PARITY_FIXTURES ?? path.join(packageDirectory(), 'fixtures');
const parityModels = process.env.FSLSD_MEGAFS_PARITY_MODELS ?? tinyMegaFSModelsDirectory();
const maskFolder = path.join(packageDirectory(), 'fixtures');
const photos = path.join(packageDirectory(), 'assets', 'photos');
/** Tolerances about 10x the error measured here (printed below), like the FSLSD parity's. */
const TOLERANCE = { codes: 1e-5, structure: 1e-5, pixels: 2e-3 } as const;
const measured: Record<string, number> = {};
const within = (name: string, error: number): number => {
  measured[name] = error;
  return error;
};

const bytesOf = (encoded: Encoded): Uint8Array => new Uint8Array(Buffer.from(encoded.data, 'base64'));
const landmarksOf = (file: string) => fivePointLandmarks(JSON.parse(readFileSync(path.join(samplesDirectory(), file.replace('.png', '.landmarks.json')), 'utf8')).points5);

describe('MegaFS parity with the PyTorch reference (tiny MegaFS set, CPU)', () => {
  let fixture: MegaFSFixture;
  let source: SourceFace;
  let target: TargetFace;
  let result: SwapResult;
  let refined: SwapResult;
  let inputs: Uint8Array[];
  let crossing: string[];
  const runs: SessionRunEvent[] = [];

  beforeAll(async () => {
    fixture = JSON.parse(readFileSync(path.join(fixtures, 'megafs-parity.json'), 'utf8')) as MegaFSFixture;
    const swapper = await createMegaFSSwapper({
      runtime: nodeRuntime,
      models: await modelSetFromDirectory(parityModels),
      sessionOptions: sessionOptionsFor({ device: 'cpu', executionProviders: ['cpu'] }),
      onSessionRun: (event) => runs.push(event),
    });
    const [sourceImage, targetImage, mask] = await Promise.all([
      readAlignedCrop(path.join(samplesDirectory(), fixture.inputs.source)),
      readAlignedCrop(path.join(samplesDirectory(), fixture.inputs.target)),
      readMask(path.join(maskFolder, fixture.inputs.mask)),
    ]);
    inputs = [reduceForMegaFS(sourceImage), reduceForMegaFS(targetImage)];
    source = await swapper.encodeSource({ image: sourceImage, landmarks: landmarksOf(fixture.inputs.source) });
    target = await swapper.encodeTarget({ image: targetImage, landmarks: landmarksOf(fixture.inputs.target), mask });
    runs.length = 0;
    result = await swapper.swap(source, target);
    crossing = runs.flatMap((run) => run.outputs.map((t) => `${run.session}:${t.name}:${t.dims.join('x')}`));
    refined = await swapper.swap(source, target, { refine: true });
    await expect(swapper.swap(source, target, { refine: 'yes' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await swapper.dispose();
  }, 300_000);

  afterAll(() => {
    console.log(`MegaFS parity max abs errors (tolerances ${JSON.stringify(TOLERANCE)}): ${Object.entries(measured).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
    // `pnpm bench --only megafs` runs this file against a full-width export and reads the figures back.
    if (process.env.FSLSD_PARITY_REPORT) writeFileSync(process.env.FSLSD_PARITY_REPORT, `${JSON.stringify({ tolerance: TOLERANCE, measured }, null, 2)}\n`);
  });

  it('reduces the crops to 256² exactly as OpenCV does in the released code (0 differing bytes)', () => {
    const [sourceBytes, targetBytes] = [bytesOf(fixture.sourceInput), bytesOf(fixture.targetInput)];
    expect(inputs[0]!.filter((v, i) => v !== sourceBytes[i]).length).toBe(0);
    expect(inputs[1]!.filter((v, i) => v !== targetBytes[i]).length).toBe(0);
    expect(inputs[0]!.length).toBe(256 * 256 * 3);
  });

  it('encodes both faces to the reference codes and the target to its structure map', () => {
    expect(source.method).toBe('megafs');
    expect(within('source codes', maxAbsDifference(source.wplus.data, decode(fixture.outputs.sourceCodes)))).toBeLessThanOrEqual(TOLERANCE.codes);
    expect(within('target codes', maxAbsDifference(target.wplus.data, decode(fixture.outputs.targetCodes)))).toBeLessThanOrEqual(TOLERANCE.codes);
    expect(target.structure!.length).toBe(fixture.outputs.structure.shape.reduce((a, b) => a * b, 1));
    expect(within('structure', maxAbsDifference(target.structure!, decode(fixture.outputs.structure)))).toBeLessThanOrEqual(TOLERANCE.structure);
  });

  it('tells the two faces apart by far more than the tolerance (tiny set property)', () => {
    // So a swapped or mangled input would fail the checks above.
    expect(maxAbsDifference(decode(fixture.outputs.sourceCodes), decode(fixture.outputs.targetCodes))).toBeGreaterThan(100 * TOLERANCE.codes);
  });

  it('transfers the codes: 0-3 the target\'s, 4-17 the reference ftm output', () => {
    expect(within('transferred codes', maxAbsDifference(result.latent.data, decode(fixture.outputs.codes)))).toBeLessThanOrEqual(TOLERANCE.codes);
    expect(maxAbsDifference(result.latent.data.subarray(0, 4 * 512), target.wplus.data.subarray(0, 4 * 512))).toBe(0);
  });

  it('generates the face from the target structure and stretches it by its own minimum and maximum', () => {
    const { offset, stride } = fixture.outputs.image.sample;
    const raw = decode(fixture.outputs.image.sample);
    const { min, max } = fixture.outputs.pixels;
    // The side output is the generated face in [-1, 1]: pixels / 127.5 - 1.
    const expected = raw.map((v) => ((v - min) / (max - min)) * 255);
    const ours = strided(result.sideOutput.data, 1024, offset, stride).map((v) => (v + 1) * 127.5);
    expect(within('pixels', maxAbsDifference(ours, expected))).toBeLessThanOrEqual(TOLERANCE.pixels);
    expect(Math.abs(mean(result.sideOutput.data.map((v) => (v + 1) * 127.5)) - fixture.outputs.pixels.mean)).toBeLessThan(1e-3);
  });

  /** Our 8-bit image against the reference's float blend, truncated as the released code saves it. */
  const levelsOff = (image: SwapResult['image'], summary: Summary) => {
    const { offset, stride } = summary.sample;
    const reference = decode(summary.sample);
    const ours = strided(image.data, 1024, offset, stride).map((v) => Math.round((v + 1) * 127.5));
    let differing = 0;
    let worst = 0;
    reference.forEach((value, i) => {
      const difference = Math.abs(ours[i]! - Math.trunc(value));
      worst = Math.max(worst, difference);
      if (difference) differing += 1;
    });
    return { worst, differing, share: differing / reference.length };
  };

  it('blends it into the target through the soft-eroded mask and truncates to 8 bits, as the released code', () => {
    const { worst, differing, share } = levelsOff(result.image, fixture.outputs.blended);
    // Truncation turns a difference of 1e-4 at an integer boundary into one level.
    expect(worst).toBeLessThanOrEqual(1);
    expect(share).toBeLessThan(0.002);
    measured['blend levels differing'] = differing;
    // Outside the soft mask the target is untouched; the mask reaches 1 in the middle of the face.
    const soft = fixture.outputs.soft.stats;
    expect([soft.min, soft.max]).toEqual([0, 1]);
  });

  it('refines as the released code: re-encodes the blended swap, regenerates it and blends again', () => {
    const { worst, differing, share } = levelsOff(refined.image, fixture.outputs.refinedBlended);
    expect(worst).toBeLessThanOrEqual(1);
    expect(share).toBeLessThan(0.002);
    measured['refined levels differing'] = differing;
    // The refined face is another image: a pipeline that skipped the pass would fail above.
    expect(levelsOff(result.image, fixture.outputs.refinedBlended).share).toBeGreaterThan(0.1);
    expect(Object.keys(refined.timings)).toEqual(expect.arrayContaining(['megafs-encode', 'megafs-generate']));
  });

  it('keeps feature maps in the runtime: only codes, f4 and the 1024² images cross into JavaScript', () => {
    expect(crossing).toEqual([
      'megafs-transfer:codes:1x18x512',
      'megafs-generate:blended:1x3x1024x1024',
      'megafs-generate:pixels:1x3x1024x1024',
      'megafs-generate:soft:1x1x1024x1024',
    ]);
  });
});

describe('MegaFS on video frames', () => {
  it('swaps the tracked face of every frame through the shared video path', async () => {
    const swapper = composeFaceSwapper(
      await createMegaFSSwapper({ runtime: nodeRuntime, models: await modelSetFromDirectory(tinyMegaFSModelsDirectory()), sessionOptions: sessionOptionsFor({ device: 'cpu', executionProviders: ['cpu'] }) }),
      await createFaceAnalyzer({ device: { device: 'cpu', executionProviders: ['cpu'] } }),
    );
    try {
      const photo = await readImage(path.join(photos, 'astronaut.png'));
      const source = await swapper.encodeSource(await readImage(path.join(photos, 'hopper.jpg')));
      // Three 448² frames panning across the photo.
      const frames = [0, 16, 32].map((shift) => {
        const data = new Uint8Array(448 * 448 * 3);
        for (let y = 0; y < 448; y += 1) for (let x = 0; x < 448; x += 1) for (let c = 0; c < 3; c += 1) data[(y * 448 + x) * 3 + c] = photo.data[((y + shift / 2) * 512 + x + shift) * photo.channels + c]!;
        return { width: 448, height: 448, channels: 3 as const, data };
      });
      async function* stream() {
        yield* frames;
      }
      const out = [];
      for await (const frame of swapper.swapFrames(source, stream(), { fps: 10 })) out.push(frame);
      expect(out.map((f) => [f.index, f.swapped, f.image.width])).toEqual([[0, true, 448], [1, true, 448], [2, true, 448]]);
      for (const [i, frame] of out.entries()) {
        let changed = 0;
        for (let k = 0; k < frame.image.data.length; k += 1) if (frame.image.data[k] !== frames[i]!.data[k]) changed += 1;
        expect(changed).toBeGreaterThan(3000);
        expect(changed).toBeLessThan(frame.image.data.length / 4);
      }
    } finally {
      await swapper.dispose();
    }
  }, 300_000);
});

describe('createFaceSwapper({ method: "megafs" })', () => {
  it('swaps photos with the tiny MegaFS set, labelled; refuses FSLSD options and sources from the other method', async () => {
    const warnings: string[] = [];
    const swapper = await createFaceSwapper({ method: 'megafs', models: 'tiny', device: 'cpu', onProgress: (e) => e.kind === 'warning' && warnings.push(e.code) });
    const fslsd = await createFaceSwapper({ models: 'tiny', device: 'cpu', onProgress: () => {} });
    try {
      expect([swapper.method, fslsd.method]).toEqual(['megafs', 'fslsd']);
      expect(warnings).toEqual(['TINY_MODELS']);
      const astronaut = await readImage(path.join(photos, 'astronaut.png'));
      const source = await swapper.encodeSource(path.join(photos, 'hopper.jpg'));
      expect(source.method).toBe('megafs');
      const result = await swapper.swap(source, astronaut);
      expect([result.method, result.image.width, result.image.height, result.faces.length]).toEqual(['megafs', 512, 512, 1]);
      expect(Object.keys(result.timings)).toEqual(expect.arrayContaining(['megafs-transfer', 'megafs-generate']));
      // Only the face region changed.
      const box = result.faces[0]!.face!.box;
      let outside = 0;
      let inside = 0;
      for (let y = 0; y < 512; y += 1) {
        for (let x = 0; x < 512; x += 1) {
          const changed = [0, 1, 2].some((c) => result.image.data[(y * 512 + x) * result.image.channels + c] !== astronaut.data[(y * 512 + x) * astronaut.channels + c]);
          const near = x >= box.x - box.width * 0.5 && x <= box.x + box.width * 1.5 && y >= box.y - box.height * 0.5 && y <= box.y + box.height * 1.5;
          if (changed && !near) outside += 1;
          if (changed && near) inside += 1;
        }
      }
      expect(outside).toBe(0);
      expect(inside).toBeGreaterThan(2000);
      await expect(swapper.swap(source, astronaut, { split: 'paper' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('MegaFS has no split') });
      await expect(fslsd.swap(await fslsd.encodeSource(astronaut), astronaut, { refine: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('refine is a MegaFS option') });
      const fslsdSource = await fslsd.encodeSource(path.join(photos, 'hopper.jpg'));
      await expect(swapper.swap(fslsdSource, astronaut)).rejects.toMatchObject({ code: 'INCOMPATIBLE_SOURCE' });
      await expect(fslsd.swap(source, astronaut)).rejects.toMatchObject({ code: 'INCOMPATIBLE_SOURCE' });
    } finally {
      await Promise.all([swapper.dispose(), fslsd.dispose()]);
    }
  }, 300_000);

  it('refuses a method that contradicts the model set', async () => {
    await expect(createFaceSwapper({ method: 'fslsd', models: tinyMegaFSModelsDirectory(), device: 'cpu', onProgress: () => {} }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('holds MegaFS networks') });
  });
});
