/**
 * `fslsd dataset prepare` / prepareDataset(): real photos (the shipped astronaut and Hopper, one
 * of them renamed into a subfolder), a corrupt file and a faceless grey picture in, the
 * documented layout out. Each face's crop, landmarks and mask must be the face swapper front
 * end's, its W+ the swapper's encodeTarget of that crop; a re-run computes nothing; an aborted
 * run resumes; a dataset of other models is refused before any network is loaded.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RgbImage } from '@fslsd/core';
import { floatTensor, makeModel, node, valueInfo, encodeModel } from '@fslsd/core/graph';
import { packageDirectory, tinyModelsDirectory } from '@fslsd/models/node';
import {
  type DatasetManifest, type DatasetProgressEvent, type DatasetSummary, type FaceRecord, type NodeSwapper, type SkipRecord, FslsdError, WPLUS_BYTES,
  createFaceAnalyzer, createSwapper, faceId, prepareDataset, readImage,
} from './sdk.js';

const shipped = path.join(packageDirectory(), 'assets', 'photos');
const landmarkerFile = path.join(packageDirectory(), 'fixtures', 'landmarker-106-tiny.onnx');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-dataset-'));
const photos = path.join(work, 'photos');
const data = path.join(work, 'data');
/** One photo: the astronaut alone. */
const single = path.join(work, 'single');
const empty = path.join(work, 'empty');
const HOPPER = 'people/Hopper photo.JPG';
const FACE_IDS = ['astronaut.png', 'astronaut.png@flip', 'people__Hopper_photo.JPG', 'people__Hopper_photo.JPG@flip'];

let summary: DatasetSummary;
const events: DatasetProgressEvent[] = [];
let swapper: NodeSwapper;

/** Every file under `folder`, relative, with its modification time. */
function mtimes(folder: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const info = statSync(path.join(folder, name));
    if (info.isFile()) out.set(name, info.mtimeMs);
  }
  return out;
}

const faceFile = (out: string, id: string, name: string) => path.join(out, 'faces', id, name);
const record = (out: string, id: string) => JSON.parse(readFileSync(faceFile(out, id, 'face.json'), 'utf8')) as FaceRecord;
const manifestOn = (out: string) => JSON.parse(readFileSync(path.join(out, 'dataset.json'), 'utf8')) as DatasetManifest;

function readWPlus(file: string): Float32Array {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

async function raw(file: string): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const { data: pixels, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(pixels), width: info.width, height: info.height, channels: info.channels };
}

/** A mask PNG's one channel (sharp would widen it to RGB on the way out). */
async function maskOf(file: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(file).extractChannel(0).raw().toBuffer());
}

async function mirrored(image: RgbImage): Promise<RgbImage> {
  const pixels = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).flop().raw().toBuffer();
  return { ...image, data: new Uint8Array(pixels) };
}

function meanAbsDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** A stand-in face parser with the BiSeNet contract: "skin" wherever red exceeds ImageNet's red mean (core's face-parser test). */
function redParser(): Uint8Array {
  const classes = 19;
  const weight = new Float32Array(classes * 3);
  const bias = new Float32Array(classes).fill(-100);
  weight[1 * 3 + 0] = 10;
  bias[0] = 0;
  bias[1] = 0;
  return encodeModel(makeModel({
    name: 'red-parser',
    node: [node('Conv', ['image', 'w', 'b'], ['logits'], { kernel_shape: [1, 1] })],
    initializer: [floatTensor('w', [classes, 3, 1, 1], weight), floatTensor('b', [classes], bias)],
    input: [valueInfo('image', 'float32', [1, 3, 512, 512])],
    output: [valueInfo('logits', 'float32', [1, classes, 512, 512])],
  }, 'test parser'));
}

async function rejection(promise: Promise<unknown>): Promise<FslsdError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(FslsdError);
  return error as FslsdError;
}

beforeAll(async () => {
  mkdirSync(path.join(photos, 'people'), { recursive: true });
  copyFileSync(path.join(shipped, 'astronaut.png'), path.join(photos, 'astronaut.png'));
  copyFileSync(path.join(shipped, 'hopper.jpg'), path.join(photos, ...HOPPER.split('/')));
  writeFileSync(path.join(photos, 'corrupt.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]));
  await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toFile(path.join(photos, 'grey.png'));
  writeFileSync(path.join(photos, 'notes.txt'), 'not a photo');
  mkdirSync(single);
  copyFileSync(path.join(shipped, 'astronaut.png'), path.join(single, 'astronaut.png'));
  mkdirSync(path.join(empty, 'nothing'), { recursive: true });
  writeFileSync(path.join(empty, 'nothing', 'readme.md'), 'no photos here');
  summary = await prepareDataset({ photos, out: data, augment: ['flip'], device: 'cpu', jobs: 2, onProgress: (event) => events.push(event) });
  swapper = await createSwapper({ device: 'cpu' });
}, 120_000);

afterAll(async () => {
  await swapper?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('prepareDataset', () => {
  it('writes a face per photo variant and a skip with its reason for the rest', () => {
    const { manifest } = summary;
    expect(manifest.counts).toEqual({ photos: 4, faces: 4, skipped: 4 });
    expect(manifest.faces).toEqual(FACE_IDS);
    expect(manifest.skipped.map((s) => [s.id, s.photo, s.variant, s.code])).toEqual([
      ['corrupt.jpg', 'corrupt.jpg', 'original', 'unreadable'],
      ['corrupt.jpg@flip', 'corrupt.jpg', 'flip', 'unreadable'],
      ['grey.png', 'grey.png', 'original', 'no-face'],
      ['grey.png@flip', 'grey.png', 'flip', 'no-face'],
    ]);
    expect(manifest.skipped[0]!.reason).toMatch(/Cannot decode .*corrupt\.jpg/);
    expect(manifest.skipped[2]!.reason).toMatch(/no face scored above 0\.5 in the 320x240 photo/);
    const psp = (JSON.parse(readFileSync(path.join(tinyModelsDirectory(), 'manifest.json'), 'utf8')) as { models: { id: string; sha256: string }[] }).models.find((m) => m.id === 'psp-encoder')!;
    expect(manifest).toMatchObject({
      format: 'fslsd-dataset', version: 1, cropSize: 1024, alignment: 'ffhq', augment: ['flip'], complete: true,
      models: { name: 'tiny', folder: tinyModelsDirectory(), pspEncoderSha256: psp.sha256 }, landmarkSource: 'mapped-68', maskSource: 'landmarks',
      settings: { minScore: 0.5, minFace: 64, detectorSize: 416 },
    });
    expect(manifestOn(data)).toEqual(manifest);
    expect([summary.computed, summary.reused]).toEqual([8, 0]);
    for (const skip of manifest.skipped) expect(JSON.parse(readFileSync(path.join(data, 'skipped', `${skip.id}.json`), 'utf8'))).toEqual(skip);
    expect([...mtimes(data).keys()].filter((name) => name.includes('.partial'))).toEqual([]);
    expect(events.filter((e) => e.kind === 'photo').map((e) => (e as { done: number }).done)).toEqual([1, 2, 3, 4]);
  });

  it('writes the documented files: 1024² RGB crop, 1024² one-channel mask, 36,864-byte W+, face.json', async () => {
    for (const id of FACE_IDS) {
      const crop = await sharp(faceFile(data, id, 'crop.png')).metadata();
      const mask = await sharp(faceFile(data, id, 'mask.png')).metadata();
      expect([crop.format, crop.width, crop.height, crop.channels, crop.hasAlpha]).toEqual(['png', 1024, 1024, 3, false]);
      expect([mask.format, mask.width, mask.height, mask.channels]).toEqual(['png', 1024, 1024, 1]);
      expect(statSync(faceFile(data, id, 'wplus.f32')).size).toBe(36_864);
      expect(WPLUS_BYTES).toBe(36_864);
      const face = record(data, id);
      expect(face).toMatchObject({ id, variant: id.endsWith('@flip') ? 'flip' : 'original', photo: id.startsWith('people') ? HOPPER : 'astronaut.png', landmarkSource: 'mapped-68', maskSource: 'landmarks' });
      expect(face.landmarks).toHaveLength(106);
      expect(face.landmarks68).toHaveLength(68);
      const [x0, y0, x1, y1] = face.box;
      expect(x1 - x0).toBeGreaterThan(64);
      expect(y1 - y0).toBeGreaterThan(64);
      expect(face.score).toBeGreaterThan(0.5);
      // The mask is a face region, neither empty nor the whole crop.
      const maskPixels = await maskOf(faceFile(data, id, 'mask.png'));
      const inside = maskPixels.filter((v) => v === 255).length / maskPixels.length;
      expect(inside).toBeGreaterThan(0.1);
      expect(inside).toBeLessThan(0.8);
    }
  });

  it("stores each face's W+ as the swapper's encodeTarget and encodeSource give it for that crop", async () => {
    let worst = 0;
    for (const id of FACE_IDS) {
      const stored = readWPlus(faceFile(data, id, 'wplus.f32'));
      const crop = await readImage(faceFile(data, id, 'crop.png'));
      const { landmarks } = record(data, id);
      const target = await swapper.encodeTarget({ image: crop, landmarks });
      const source = await swapper.encodeSource({ image: crop, landmarks });
      for (const code of [target.wplus.data, source.wplus.data]) {
        expect(code).toHaveLength(stored.length);
        for (let i = 0; i < stored.length; i += 1) worst = Math.max(worst, Math.abs(stored[i]! - code[i]!));
      }
    }
    console.log(`dataset W+ vs encodeTarget/encodeSource: max abs difference ${worst}`);
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it("stores the face swapper front end's crop, landmarks and mask, for the photo and its mirror", async () => {
    const analyzer = await createFaceAnalyzer({ device: 'cpu' });
    try {
      for (const id of FACE_IDS) {
        const face = record(data, id);
        const upright = await readImage(path.join(photos, ...face.photo.split('/')));
        const photo = face.variant === 'flip' ? await mirrored(upright) : upright;
        const [found] = await analyzer.detect(photo);
        const prepared = await analyzer.prepare(photo, found!);
        const crop = await raw(faceFile(data, id, 'crop.png'));
        expect(crop.channels).toBe(3);
        expect(Buffer.compare(Buffer.from(crop.data), Buffer.from(prepared.crop.data)), `${id}: crop`).toBe(0);
        expect(face.landmarks).toEqual(prepared.landmarks);
        expect(face.landmarks68).toEqual(prepared.cropLandmarks68);
        expect(face.box).toEqual([found!.box.x, found!.box.y, found!.box.x + found!.box.width, found!.box.y + found!.box.height]);
        const mask = await maskOf(faceFile(data, id, 'mask.png'));
        expect(Array.from(mask).every((v, i) => v === Math.round(prepared.masks.inner[i]! * 255)), `${id}: mask`).toBe(true);
      }
    } finally {
      await analyzer.dispose();
    }
  });

  it('mirrors the photo for the flip variant: its crop is close to the mirrored original crop', async () => {
    // Compared at 64² (the picture, not the last pixel): the 68 points found on the mirrored photo
    // are not exactly the mirrored points, so the two alignments differ by a pixel or two, and a
    // textured background (Hopper's flag) turns that into large per-pixel differences at 1024².
    const small = async (file: string, flop: boolean) => new Uint8Array(await (flop ? sharp(file).flop() : sharp(file)).resize(64, 64).raw().toBuffer());
    for (const id of ['astronaut.png', 'people__Hopper_photo.JPG']) {
      const flip = await small(faceFile(data, `${id}@flip`, 'crop.png'), false);
      const toMirror = meanAbsDifference(flip, await small(faceFile(data, id, 'crop.png'), true));
      const toUnmirrored = meanAbsDifference(flip, await small(faceFile(data, id, 'crop.png'), false));
      console.log(`${id}: flip crop vs mirrored crop ${toMirror.toFixed(2)}, vs unmirrored crop ${toUnmirrored.toFixed(2)} (mean abs at 64², 8-bit levels)`);
      expect(toMirror).toBeLessThan(20);
      expect(toUnmirrored).toBeGreaterThan(3 * toMirror);
      // The box is found again on the mirrored photo: x mirrored about the photo's width.
      const [a, b] = [record(data, id), record(data, `${id}@flip`)];
      // (The detector's grid is not mirror-symmetric: measured 7 px of a 116 px box on the astronaut.)
      expect(Math.abs(b.box[0] - (a.photoSize[0] - a.box[2]))).toBeLessThan(0.1 * (a.box[2] - a.box[0]));
      expect(Math.abs(b.box[2] - (a.photoSize[0] - a.box[0]))).toBeLessThan(0.1 * (a.box[2] - a.box[0]));
    }
  });

  it('does no inference on a second run and rewrites only dataset.json', async () => {
    const before = mtimes(data);
    const again: DatasetProgressEvent[] = [];
    const second = await prepareDataset({ photos, out: data, augment: ['flip'], device: 'cpu', onProgress: (event) => again.push(event) });
    expect([second.computed, second.reused]).toEqual([0, 8]);
    expect(again.filter((e) => e.kind === 'loading' || e.kind === 'entry')).toEqual([]);
    expect(second.manifest.faces).toEqual(summary.manifest.faces);
    expect(second.manifest.created).toBe(summary.manifest.created);
    const after = mtimes(data);
    const changed = [...after].filter(([name, time]) => before.get(name) !== time).map(([name]) => name);
    expect(changed).toEqual(['dataset.json']);
  });

  it('keeps what an aborted run finished and resumes from it', async () => {
    const out = path.join(work, 'aborted');
    const controller = new AbortController();
    const error = await rejection(prepareDataset({
      photos, out, augment: ['flip'], device: 'cpu', jobs: 1, signal: controller.signal,
      onProgress: (event) => event.kind === 'entry' && event.outcome === 'face' && controller.abort(new Error('enough')),
    }));
    expect(error.code).toBe('ABORTED');
    const partial = manifestOn(out);
    // jobs 1 goes in sorted order: the astronaut's first variant is the first entry; its flip is never finished.
    expect(partial.complete).toBe(false);
    expect(partial.faces).toEqual(['astronaut.png']);
    expect(partial.counts).toEqual({ photos: 4, faces: 1, skipped: 0 });
    expect([...mtimes(out).keys()].filter((name) => name.includes('.partial'))).toEqual([]);
    const resumed = await prepareDataset({ photos, out, augment: ['flip'], device: 'cpu' });
    expect([resumed.computed, resumed.reused]).toEqual([7, 1]);
    expect(resumed.manifest.complete).toBe(true);
    expect(resumed.manifest.faces).toEqual(FACE_IDS);
    for (const id of FACE_IDS) expect(readFileSync(faceFile(out, id, 'wplus.f32')).equals(readFileSync(faceFile(data, id, 'wplus.f32'))), id).toBe(true);
  });

  it('computes again a face whose face.json or data file is missing or cut short (a run killed mid-write)', async () => {
    const out = path.join(work, 'aborted');
    rmSync(faceFile(out, 'astronaut.png@flip', 'face.json'));
    writeFileSync(faceFile(out, 'people__Hopper_photo.JPG', 'wplus.f32'), readFileSync(faceFile(out, 'people__Hopper_photo.JPG', 'wplus.f32')).subarray(0, 1000));
    const before = mtimes(out);
    const again = await prepareDataset({ photos, out, augment: ['flip'], device: 'cpu' });
    expect([again.computed, again.reused]).toEqual([2, 6]);
    const changed = [...mtimes(out)].filter(([name, time]) => before.get(name) !== time).map(([name]) => name.split(path.sep).join('/')).sort();
    expect(changed).toEqual([
      'dataset.json',
      ...['astronaut.png@flip', 'people__Hopper_photo.JPG'].flatMap((id) => ['crop.png', 'face.json', 'mask.png', 'wplus.f32'].map((name) => `faces/${id}/${name}`)),
    ]);
    for (const id of FACE_IDS) expect(readFileSync(faceFile(out, id, 'wplus.f32')).equals(readFileSync(faceFile(data, id, 'wplus.f32'))), id).toBe(true);
  });

  it('refuses a dataset made with another psp-encoder or landmark source, before loading a network', async () => {
    const out = path.join(work, 'other-models');
    mkdirSync(out);
    const foreign = { ...summary.manifest, models: { ...summary.manifest.models, name: 'elsewhere', pspEncoderSha256: 'ab'.repeat(32) } };
    writeFileSync(path.join(out, 'dataset.json'), JSON.stringify(foreign));
    const seen: DatasetProgressEvent[] = [];
    const psp = await rejection(prepareDataset({ photos, out, device: 'cpu', onProgress: (event) => seen.push(event) }));
    expect(psp.code).toBe('INVALID_ARGUMENT');
    expect(psp.message).toMatch(/psp-encoder with sha256 abababababab… \(set "elsewhere"\).*use a new --out or the same models/);
    expect(seen).toEqual([]);
    expect(readdirSync(out)).toEqual(['dataset.json']);
    const before = mtimes(data);
    const landmarks = await rejection(prepareDataset({ photos, out: data, device: 'cpu', faces: { landmarker: landmarkerFile } }));
    expect(landmarks.message).toMatch(/its landmarks are mapped-68, this run's would be landmarker-106.*use a new --out/);
    expect(mtimes(data)).toEqual(before);
  });

  it('records a 106-point landmarker and a face parser when given, with their landmarks and mask', async () => {
    const out = path.join(work, 'h3r');
    const parser = redParser();
    const result = await prepareDataset({ photos: single, out, device: 'cpu', faces: { landmarker: landmarkerFile, parser } });
    expect(result.manifest).toMatchObject({ landmarkSource: 'landmarker-106', maskSource: 'parser', faces: ['astronaut.png'] });
    const face = record(out, 'astronaut.png');
    expect([face.landmarkSource, face.maskSource]).toEqual(['landmarker-106', 'parser']);
    const analyzer = await createFaceAnalyzer({ device: 'cpu', landmarker: landmarkerFile, parser });
    try {
      const photo = await readImage(path.join(single, 'astronaut.png'));
      const prepared = await analyzer.prepare(photo, (await analyzer.detect(photo))[0]!);
      expect(face.landmarks).toEqual(prepared.landmarks);
      expect(face.landmarks).not.toEqual(record(data, 'astronaut.png').landmarks);
      const mask = await maskOf(faceFile(out, 'astronaut.png', 'mask.png'));
      expect(Array.from(mask).every((v, i) => v === Math.round(prepared.masks.inner[i]! * 255))).toBe(true);
      expect(Buffer.compare(Buffer.from(mask), Buffer.from(await maskOf(faceFile(data, 'astronaut.png', 'mask.png'))))).not.toBe(0);
    } finally {
      await analyzer.dispose();
    }
  });

  it('gives ids from relative paths and refuses two photos with one id', async () => {
    expect(faceId(HOPPER, 'original')).toBe('people__Hopper_photo.JPG');
    expect(faceId('a/b c/é+x.jpeg', 'flip')).toBe('a__b_c____x.jpeg@flip');
    expect(faceId('a.jpg', 'original')).not.toBe(faceId('a.png', 'original'));
    const clash = path.join(work, 'clash');
    mkdirSync(clash);
    copyFileSync(path.join(shipped, 'astronaut.png'), path.join(clash, 'a b.png'));
    copyFileSync(path.join(shipped, 'astronaut.png'), path.join(clash, 'a_b.png'));
    const error = await rejection(prepareDataset({ photos: clash, out: path.join(work, 'clash-data'), device: 'cpu' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/"a b\.png" and "a_b\.png" would share the dataset id "a_b\.png".*Rename one/);
  });

  it('answers bad inputs with typed errors that name the fix', async () => {
    const file = path.join(photos, 'grey.png');
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => prepareDataset({ photos: path.join(work, 'missing'), out: path.join(work, 'x') }), 'IO', /does not exist\. Pass --in/],
      [() => prepareDataset({ photos: file, out: path.join(work, 'x') }), 'IO', /is a file, not a folder of photos/],
      [() => prepareDataset({ photos, out: file }), 'IO', /is a file; the dataset is written into a folder/],
      [() => prepareDataset({ photos: empty, out: path.join(work, 'x') }), 'INVALID_ARGUMENT', /No photos under/],
      [() => prepareDataset({ photos, out: path.join(photos, 'people') }), 'IO', /holds files but no dataset\.json/],
      [() => prepareDataset({ photos, out: path.join(work, 'x'), augment: ['rotate'] as unknown as ['flip'] }), 'INVALID_ARGUMENT', /augment must be a list of flip/],
      [() => prepareDataset({ photos, out: path.join(work, 'x'), jobs: 0 }), 'INVALID_ARGUMENT', /jobs must be a whole number/],
      [() => prepareDataset({ photos, out: path.join(work, 'x'), minScore: 1 }), 'INVALID_ARGUMENT', /minScore must be below 1/],
      [() => prepareDataset({ photos, out: path.join(work, 'x'), colour: true } as unknown as Parameters<typeof prepareDataset>[0]), 'INVALID_ARGUMENT', /has no option "colour"/],
    ];
    for (const [start, code, message] of cases) {
      const error = await rejection(start());
      expect(error.code, error.message).toBe(code);
      expect(error.message).toMatch(message);
      expect(error.fix).toBeTruthy();
    }
    expect(readdirSync(work)).not.toContain('x');
  });

  it('a skipped photo is computed again with retrySkipped, and a lower minFace threshold is recorded', async () => {
    const out = path.join(work, 'small');
    const first = await prepareDataset({ photos: single, out, device: 'cpu', minFace: 1000 });
    expect(first.manifest.skipped.map((s) => s.code)).toEqual(['face-too-small']);
    expect(first.manifest.skipped[0]!.reason).toMatch(/shorter side, below --min-face 1000/);
    const kept = await prepareDataset({ photos: single, out, device: 'cpu' });
    expect([kept.computed, kept.manifest.counts.faces]).toEqual([0, 0]);
    const retried = await prepareDataset({ photos: single, out, device: 'cpu', retrySkipped: true });
    expect([retried.computed, retried.manifest.counts.faces, retried.manifest.counts.skipped]).toEqual([1, 1, 0]);
    expect(readdirSync(path.join(out, 'skipped'))).toEqual([]);
  });
});

describe('fslsd dataset prepare', () => {
  function run(...args: string[]) {
    const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it('--help documents the layout, and the top-level help lists the command', () => {
    const help = run('dataset', 'prepare', '--help');
    expect(help.code).toBe(0);
    for (const line of ['DATA/dataset.json', 'DATA/faces/<id>/crop.png', 'DATA/faces/<id>/mask.png', 'float32 little-endian, 36,864 bytes', 'DATA/skipped/<id>.json', '--augment LIST', '--min-face N', '--jobs N']) expect(help.stdout).toContain(line);
    expect(run('--help').stdout).toMatch(/dataset prepare +Turn a folder of photos into a training dataset/);
  });

  it('writes a dataset and prints its folder last; bad input is one line naming the fix', () => {
    const out = path.join(work, 'cli-data');
    const ok = run('dataset', 'prepare', '--in', single, '--out', out, '--device', 'cpu', '--quiet');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n').at(-1)).toBe(out);
    expect(manifestOn(out).faces).toEqual(['astronaut.png']);
    const missing = run('dataset', 'prepare', '--in', path.join(work, 'nowhere'), '--out', path.join(work, 'y'));
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/error \[IO\]: The photos folder .*nowhere does not exist\. Pass --in/);
    const jobs = run('dataset', 'prepare', '--in', photos, '--out', path.join(work, 'y'), '--jobs', '0');
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toMatch(/--jobs must be a whole number from 1 to 64, got "0"\. Run "fslsd dataset --help"/);
    expect(run('dataset', 'prepare', '--in', photos, '--out', path.join(work, 'y'), '--augment', 'rotate').stderr).toMatch(/Unknown --augment kind "rotate"/);
  });
});
