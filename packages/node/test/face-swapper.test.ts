/**
 * createFaceSwapper(): the one object a user meets. Every accepted input form gives the same
 * swap, results save themselves labelled and atomically, a source face is a value tied to its
 * model set, and bad arguments are typed errors that name the fix, raised before any work.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaceSwapper, FslsdError, type ProgressEvent, type SourceFace, createFaceSwapper, readImage, readLandmarks } from './sdk.js';
import { WPlus, modelSetId } from '@fslsd/core';
import { packageDirectory, samplesDirectory, tinyModelSet } from '@fslsd/models/node';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const hopper = path.join(photos, 'hopper.jpg');
const astronaut = path.join(photos, 'astronaut.png');
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-face-swapper-'));
let swapper: FaceSwapper;
let source: SourceFace;
const events: ProgressEvent[] = [];

beforeAll(async () => {
  swapper = await createFaceSwapper({ models: 'tiny', device: 'cpu', threads: 2, onProgress: (event) => events.push(event) });
  source = await swapper.encodeSource(hopper);
}, 300_000);

afterAll(async () => {
  await swapper?.dispose();
  rmSync(work, { recursive: true, force: true });
});

async function codeOf(work: () => unknown): Promise<string> {
  try {
    await work();
  } catch (error) {
    expect(error).toBeInstanceOf(FslsdError);
    expect((error as FslsdError).fix, (error as Error).message).toMatch(/[A-Za-z].{9,}/);
    return (error as FslsdError).code;
  }
  return 'no error';
}

describe('createFaceSwapper', () => {
  it('warns once, as an event, that the tiny set is untrained, and names the set by id', () => {
    const warnings = events.filter((e) => e.kind === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'TINY_MODELS' });
    expect((warnings[0] as { message: string }).message).toMatch(/untrained/);
    expect(swapper.method).toBe('fslsd');
    expect(swapper.models).toMatch(/:[0-9a-f]{12}$/);
    expect(swapper.device.device).toBe('cpu');
  });

  it('needs models, and refuses unknown methods and options by name', async () => {
    expect(await codeOf(() => createFaceSwapper({} as never))).toBe('INVALID_ARGUMENT');
    await expect(createFaceSwapper({} as never)).rejects.toThrow(/needs models.*'tiny'/);
    await expect(createFaceSwapper({ models: 'tiny', method: 'simswap' as never })).rejects.toThrow(/Unknown method "simswap".*fslsd, megafs/);
    await expect(createFaceSwapper({ models: 'tiny', modles: 'x' } as never)).rejects.toThrow(/has no option "modles"/);
  });

  it('takes a path, a file: URL, a Buffer, an ArrayBuffer and decoded pixels alike', async () => {
    const bytes = readFileSync(astronaut);
    const inputs = [astronaut, pathToFileURL(astronaut), bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), await readImage(astronaut)];
    const images = [];
    for (const input of inputs) images.push((await swapper.swap(source, input)).image);
    for (const image of images) {
      expect([image.width, image.height, image.channels]).toEqual([512, 512, 3]);
      expect(Buffer.from(image.data).equals(Buffer.from(images[0]!.data))).toBe(true);
    }
  });

  it('accepts the source as an image too, and reports faces, masks, the crop and timings', async () => {
    const result = await swapper.swap(hopper, astronaut);
    const again = await swapper.swap(source, astronaut);
    expect(Buffer.from(result.image.data).equals(Buffer.from(again.image.data))).toBe(true);
    expect(result.detected.length).toBeGreaterThanOrEqual(1);
    const [face] = result.faces;
    expect(face!.face!.index).toBe(0);
    expect([face!.crop.width, face!.crop.height, face!.sideOutput.width]).toEqual([1024, 1024, 1024]);
    expect(face!.masks!.inner).toHaveLength(1024 * 1024);
    expect(face!.landmarks).toHaveLength(106);
    expect(result.timings.total).toBeGreaterThan(result.timings.synthesize!);
    expect([result.method, result.models]).toEqual(['fslsd', swapper.models]);
  });

  it('swaps aligned crops, with landmarks or with the 68 points found on the crop', async () => {
    const crop = path.join(samplesDirectory(), 'astronaut.png');
    // The shipped sidecar holds five hand-placed points (eyes, nose tip, mouth corners); the
    // points found on the crop land near them.
    const landmarks = await readLandmarks(path.join(samplesDirectory(), 'astronaut.landmarks.json'));
    const given = await swapper.swap(source, crop, { aligned: true, landmarks });
    const found = await swapper.swap(source, crop, { aligned: true });
    expect([given.image.width, given.image.height, given.detected.length, given.faces[0]!.face]).toEqual([1024, 1024, 0, undefined]);
    expect(given.faces[0]!.landmarks).toEqual(landmarks);
    const known = landmarks.map((p, i) => [p, i] as const).filter(([p]) => p[0] !== -1);
    expect(known).toHaveLength(5);
    const apart = Math.max(...known.map(([p, i]) => Math.hypot(found.faces[0]!.landmarks[i]![0] - p[0], found.faces[0]!.landmarks[i]![1] - p[1])));
    console.log(`aligned crop: found points within ${apart.toFixed(2)} px (256² crop) of the hand-placed five`);
    expect(apart).toBeLessThan(8);
    // Other landmarks move the direction n, so the image changes.
    const moved = landmarks.map(([x, y]) => [x + 6, y] as const);
    const shifted = await swapper.swap(source, crop, { aligned: true, landmarks: moved });
    expect(Buffer.from(shifted.image.data).equals(Buffer.from(given.image.data))).toBe(false);
  });

  it('saves atomically, labelled as synthetic, and checks the folder first', async () => {
    const result = await swapper.swap(source, astronaut);
    const file = await result.save(path.join(work, 'out.jpg'));
    expect(readdirSync(work)).toEqual(['out.jpg']); // no temporary file left
    const exif = spawnSync('exiftool', ['-s', '-s', '-s', '-XMP-iptcExt:DigitalSourceType', file], { encoding: 'utf8' });
    if (exif.status === 0) expect(exif.stdout).toContain('trainedAlgorithmicMedia');
    else expect(readFileSync(file).includes('trainedAlgorithmicMedia')).toBe(true);
    await expect(result.save(path.join(work, 'missing', 'out.png'))).rejects.toThrow(new RegExp(`the folder ${path.join(work, 'missing').replace(/[/\\]/g, '.')} does not exist`));
    expect(await codeOf(() => result.save(path.join(work, 'out.jpg'), { overwrite: false }))).toBe('IO');
  });

  it('keeps a source face as one value: JSON round trip, and refused by another model set', async () => {
    const saved = JSON.parse(JSON.stringify(source));
    expect(saved).toMatchObject({ format: 'fslsd-source-face/2', method: 'fslsd', models: swapper.models });
    const back = (await import('./sdk.js')).SourceFace.fromJSON(saved);
    const a = await swapper.swap(back, astronaut);
    const b = await swapper.swap(source, astronaut);
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).toBe(true);
    const other = { ...saved, models: 'official:0123456789ab' };
    const foreign = (await import('./sdk.js')).SourceFace.fromJSON(other);
    expect(await codeOf(() => swapper.swap(foreign, astronaut))).toBe('INCOMPATIBLE_SOURCE');
    await expect(swapper.swap(foreign, astronaut)).rejects.toThrow(/official:0123456789ab.*Encode the source photo again/);
    expect(swapper.models).toBe(modelSetId(await tinyModelSet()));
  });

  it('refuses bad arguments with typed errors before any work', async () => {
    expect(await codeOf(() => swapper.swap(source, 42 as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => swapper.swap(source, path.join(work, 'nothing.png')))).toBe('IO');
    expect(await codeOf(() => swapper.swap(source, astronaut, { faceIndex: -1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => swapper.swap(source, astronaut, { faceIndx: 1 } as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => swapper.swap(source, astronaut, { all: true, faceIndex: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => swapper.swap(source, astronaut, { landmarks: [] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(() => swapper.swap(source, { width: 10, height: 10, channels: 3, data: new Uint8Array(5) }))).toBe('INVALID_IMAGE');
    expect(await codeOf(() => swapper.swap({ kind: 'source' } as never, astronaut))).toBe('INVALID_ARGUMENT');
  });
});

describe('the stage swapper checks hand-built target faces', () => {
  it('names the mask size instead of failing inside onnxruntime', async () => {
    const { createSwapper } = await import('./sdk.js');
    const stage = await createSwapper({ device: 'cpu', threads: 2 });
    try {
      const sample = async (name: string) => ({ image: await readImage(path.join(samplesDirectory(), `${name}.png`)), landmarks: await readLandmarks(path.join(samplesDirectory(), `${name}.landmarks.json`)) });
      const face = await stage.encodeSource(await sample('hopper'));
      const target = await stage.encodeTarget(await sample('astronaut'));
      await expect(stage.swap(face, { ...target, mask: new Float32Array(512 * 512) })).rejects.toMatchObject({ code: 'INVALID_MASK', message: expect.stringMatching(/1024x1024 = 1048576 values.*it has 262144/) });
      await expect(stage.swap(face, { ...target, wplus: new Float32Array(9216) as unknown as WPlus })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      const image = { ...target.image, data: new Float32Array(10) };
      await expect(stage.swap(face, { ...target, image })).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    } finally {
      await stage.dispose();
    }
  });
});
