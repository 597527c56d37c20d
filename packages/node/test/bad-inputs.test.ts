/**
 * What users feed a face swapper: broken and unusual images, faces that are not there or barely
 * there, damaged or foreign models, nonsense options, unwritable outputs. Every case must end in
 * a typed FslsdError with a stable code and a fix (or succeed, where the input is unusual but
 * valid), the process keeps running, and no partial output is left. The table printed at the end
 * is the one in the closing note of the hardening issue.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FslsdError, type RgbImage, resolveLatentSplit } from '@fslsd/core';
import { temporalFilters } from '@fslsd/core/video';
import { faceModelsDirectory, packageDirectory, tinyModelsDirectory } from '@fslsd/models/node';
import {
  type NodeFaceAnalyzer, type NodeSwapper, chooseDevice, createFaceAnalyzer, createSwapper, encodeSourcePhoto, probeVideo, swapPhoto, readImage, readPhoto, writeImage,
} from './sdk.js';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-bad-'));
const outcomes: string[] = [];

let swapper: NodeSwapper;
let analyzer: NodeFaceAnalyzer;
let source: Awaited<ReturnType<typeof encodeSourcePhoto>>['source'];

beforeAll(async () => {
  swapper = await createSwapper({ device: 'cpu' });
  analyzer = await createFaceAnalyzer({ device: 'cpu' });
  source = (await encodeSourcePhoto(swapper, analyzer, await readImage(path.join(photos, 'hopper.jpg')))).source;
}, 120_000);

afterAll(async () => {
  await swapper?.dispose();
  await analyzer?.dispose();
  console.log(`bad-input cases (${outcomes.length}):\n| case | outcome |\n|---|---|\n${outcomes.join('\n')}`);
  rmSync(work, { recursive: true, force: true });
});

/** Runs `work`, expects an FslsdError with `code` and a fix, and records the outcome. */
async function rejects(name: string, code: string, work: () => unknown): Promise<FslsdError> {
  let caught: unknown;
  try {
    await work();
  } catch (error) {
    caught = error;
  }
  expect(caught, `${name}: no error`).toBeInstanceOf(FslsdError);
  const error = caught as FslsdError;
  expect(error.code, `${name}: ${error.message}`).toBe(code);
  // Every refusal names its fix: a sentence people can act on, not just a code.
  expect(error.fix, `${name}: no fix in "${error.message}"`).toMatch(/[A-Za-z].{9,}/);
  outcomes.push(`| ${name} | \`${error.code}\`: ${error.message.replace(/\|/g, '/').slice(0, 110)} |`);
  return error;
}

function accepted(name: string, what: string): void {
  outcomes.push(`| ${name} | accepted: ${what} |`);
}

function file(name: string, bytes: Uint8Array | string): string {
  const target = path.join(work, name);
  writeFileSync(target, bytes);
  return target;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
/** A PNG whose header claims width x height but carries almost no data: a decompression bomb's shape. */
function bombPng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    Buffer.from(data).copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  // A few compressed rows of zeros: enough for the decoder to get past the header.
  const idat = deflateSync(Buffer.alloc(4 * (1 + 3 * width)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

function noPartials(): void {
  expect(readdirSync(work, { recursive: true }).filter((name) => String(name).includes('.partial'))).toEqual([]);
}

describe('images', () => {
  it('refuses broken images with INVALID_IMAGE or IO', async () => {
    const png = readFileSync(path.join(photos, 'astronaut.png'));
    const jpg = readFileSync(path.join(photos, 'hopper.jpg'));
    await rejects('random bytes named .png', 'INVALID_IMAGE', () => readImage(file('noise.png', Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))));
    await rejects('truncated PNG (first half)', 'INVALID_IMAGE', () => readImage(file('half.png', png.subarray(0, png.length >> 1))));
    await rejects('truncated JPEG (first third)', 'INVALID_IMAGE', () => readImage(file('third.jpg', jpg.subarray(0, Math.floor(jpg.length / 3)))));
    await rejects('zero-byte file', 'INVALID_IMAGE', () => readImage(file('empty.png', new Uint8Array(0))));
    await rejects('missing file', 'IO', () => readImage(path.join(work, 'nope.png')));
    mkdirSync(path.join(work, 'folder.png'), { recursive: true });
    await rejects('a folder instead of a file', 'INVALID_IMAGE', () => readImage(path.join(work, 'folder.png')));
    await rejects('text file named .jpg', 'INVALID_IMAGE', () => readImage(file('text.jpg', 'hello, not a picture')));
    const bomb = await rejects('decompression bomb (PNG header 30000x30000)', 'INVALID_IMAGE', () => readImage(file('bomb.png', bombPng(30000, 30000))));
    expect(bomb.message).toMatch(/pixel|limit/i);
  });

  it('accepts unusual but valid images, converted to 8-bit sRGB upright', async () => {
    const base = sharp(path.join(photos, 'astronaut.png'));
    const cases: [string, string, (s: Sharp) => Sharp][] = [
      ['16-bit PNG', 'rgb16.png', (s) => s.toColourspace('rgb16').png()],
      ['CMYK JPEG', 'cmyk.jpg', (s) => s.toColourspace('cmyk').jpeg()],
      ['grayscale PNG', 'gray.png', (s) => s.grayscale().png()],
      ['PNG with alpha', 'alpha.png', (s) => s.ensureAlpha(0.5).png()],
      ['WebP', 'photo.webp', (s) => s.webp({ quality: 90 })],
    ];
    for (const [name, fileName, convert] of cases) {
      const target = path.join(work, fileName);
      await convert(base.clone()).toFile(target);
      const image = await readImage(target);
      expect([image.width, image.height, image.channels], name).toEqual([512, 512, 3]);
      const faces = await analyzer.detect(image);
      expect(faces.length, name).toBe(1);
      accepted(name, `512x512 RGB, ${faces.length} face found`);
    }
    // Animated: two frames; the first is used.
    const frame = await base.clone().png().toBuffer();
    const animated = path.join(work, 'animated.webp');
    await sharp([frame, frame], { join: { animated: true } }).webp().toFile(animated);
    const image = await readImage(animated);
    expect([image.width, image.height]).toEqual([512, 512]);
    accepted('animated WebP (2 frames)', 'first frame used');
    const sideways = path.join(work, 'sideways.jpg');
    await base.clone().rotate(-90).withMetadata({ orientation: 6 }).jpeg().toFile(sideways);
    const upright = await readPhoto(sideways);
    expect((await analyzer.detect(upright.image)).length).toBe(1);
    accepted('EXIF orientation 6 (stored sideways)', 'turned upright, face found');
  });
});

describe('faces', () => {
  it('says when there is no usable face, and copes with many or cut ones', async () => {
    const grey: RgbImage = { width: 640, height: 480, channels: 3, data: new Uint8Array(640 * 480 * 3).fill(128) };
    await rejects('photo without a face', 'NO_FACE', () => swapPhoto(swapper, analyzer, source, grey));
    // A 24-pixel face in a 1200x900 picture: below what the detector resolves.
    const tinyFace = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#777' } })
      .composite([{ input: await sharp(path.join(photos, 'astronaut.png')).resize(64, 64).toBuffer(), left: 600, top: 400 }]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    await rejects('tiny face (about 15 px)', 'NO_FACE', () => swapPhoto(swapper, analyzer, source, { width: 1200, height: 900, channels: 3, data: new Uint8Array(tinyFace.data) }));
    // Four faces in a grid; all of them swapped with `all`.
    const tile = await sharp(path.join(photos, 'astronaut.png')).resize(300, 300).toBuffer();
    const grid = await sharp({ create: { width: 600, height: 600, channels: 3, background: '#555' } })
      .composite([0, 1, 2, 3].map((i) => ({ input: tile, left: (i % 2) * 300, top: Math.floor(i / 2) * 300 }))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const gridImage: RgbImage = { width: 600, height: 600, channels: 3, data: new Uint8Array(grid.data) };
    const many = await swapPhoto(swapper, analyzer, source, gridImage, { all: true });
    expect([many.detected.length, many.faces.length]).toEqual([4, 4]);
    accepted('four faces, --all', '4 found, 4 swapped');
    await rejects('face index beyond the faces found', 'INVALID_ARGUMENT', () => swapPhoto(swapper, analyzer, source, gridImage, { faceIndex: 4 }));
    // Six faces of about 70 px in 900x600: the fast detector at its default 416 input resolves
    // one of them, at 608 five; the accurate detector (the default for photos) all six.
    const six = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#555' } })
      .composite([0, 1, 2, 3, 4, 5].map((i) => ({ input: tile, left: (i % 3) * 300, top: Math.floor(i / 3) * 300 }))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const sixImage: RgbImage = { width: 900, height: 600, channels: 3, data: new Uint8Array(six.data) };
    const fast = await analyzer.detect(sixImage, { detector: 'fast' });
    const larger = await swapPhoto(swapper, analyzer, source, sixImage, { all: true, detectorSize: 608 });
    const accurate = await swapPhoto(swapper, analyzer, source, sixImage, { all: true });
    expect(fast.length).toBeLessThan(larger.detected.length);
    expect(larger.faces.length).toBeGreaterThanOrEqual(5);
    expect([accurate.detected.length, accurate.faces.length]).toEqual([6, 6]);
    accepted('six small faces, --all', `${fast.length} found by the fast detector at 416, ${larger.detected.length} at 608, ${accurate.detected.length} by the accurate one (all swapped)`);
    // A face cut by the left edge: the crop is mirrored past the edge, the paste stays inside.
    const cut = await sharp(path.join(photos, 'astronaut.png')).extract({ left: 190, top: 0, width: 322, height: 400 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const cutImage: RgbImage = { width: 322, height: 400, channels: 3, data: new Uint8Array(cut.data) };
    // The shipped detector finds it (measured), so the swap must go through: mirrored padding
    // past the edge, the paste kept inside the frame.
    const found = await analyzer.detect(cutImage);
    expect(found.length).toBe(1);
    const result = await swapPhoto(swapper, analyzer, source, cutImage);
    expect([result.image.width, result.image.height]).toEqual([322, 400]);
    accepted('face cut by the frame', 'found, swapped; output keeps 322x400');
  }, 120_000);
});

describe('models', () => {
  const copySet = (name: string): string => {
    const target = path.join(work, name);
    cpSync(tinyModelsDirectory(), target, { recursive: true });
    return target;
  };
  const manifestOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { models: { id: string; file: string; bytes: number; sha256: string }[] };

  it('never runs a model it cannot verify, and says which and why', async () => {
    const truncated = copySet('truncated');
    const decoder = path.join(truncated, manifestOf(truncated).models.find((m) => m.id === 'decoder')!.file);
    writeFileSync(decoder, readFileSync(decoder).subarray(0, 1000));
    await rejects('truncated model file', 'MODEL_INTEGRITY', () => createSwapper({ models: truncated, device: 'cpu' }));

    const flipped = copySet('flipped');
    const editor = path.join(flipped, manifestOf(flipped).models.find((m) => m.id === 'latent-editor')!.file);
    const bytes = readFileSync(editor);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    writeFileSync(editor, bytes);
    await rejects('one flipped byte (sha256 mismatch)', 'MODEL_INTEGRITY', () => createSwapper({ models: flipped, device: 'cpu' }));

    const foreign = copySet('foreign');
    const manifest = manifestOf(foreign);
    const entry = manifest.models.find((m) => m.id === 'decoder')!;
    const text = Buffer.from('this is not an ONNX model, but its digest is right');
    writeFileSync(path.join(foreign, entry.file), text);
    entry.bytes = text.length;
    entry.sha256 = (await import('node:crypto')).createHash('sha256').update(text).digest('hex');
    writeFileSync(path.join(foreign, 'manifest.json'), JSON.stringify(manifest));
    await rejects('not ONNX (right digest)', 'MODEL_INTEGRITY', () => createSwapper({ models: foreign, device: 'cpu' }));

    const unknown = copySet('unknown');
    const withUnknown = manifestOf(unknown);
    withUnknown.models[0]!.id = 'face-swapper-9000';
    writeFileSync(path.join(unknown, 'manifest.json'), JSON.stringify(withUnknown));
    await rejects('unknown model id', 'MANIFEST_INVALID', () => createSwapper({ models: unknown, device: 'cpu' }));

    const escaping = copySet('escaping');
    const withPath = manifestOf(escaping);
    withPath.models[0]!.file = '../../etc/passwd';
    writeFileSync(path.join(escaping, 'manifest.json'), JSON.stringify(withPath));
    await rejects('file name escaping the folder', 'MANIFEST_INVALID', () => createSwapper({ models: escaping, device: 'cpu' }));

    await rejects('folder without manifest.json', 'MODEL_NOT_FOUND', () => createSwapper({ models: work, device: 'cpu' }));

    const faces = path.join(work, 'faces');
    cpSync(faceModelsDirectory(), faces, { recursive: true });
    const detector = path.join(faces, 'face-detector.onnx');
    const detectorBytes = readFileSync(detector);
    detectorBytes[100] = detectorBytes[100]! ^ 0x01;
    writeFileSync(detector, detectorBytes);
    await rejects('face detector with a flipped bit', 'MODEL_INTEGRITY', () => createFaceAnalyzer({ models: faces, device: 'cpu' }));
  }, 120_000);
});

describe('options', () => {
  it('names the option and the fix', async () => {
    await rejects('split range past code 17', 'INVALID_SPLIT', () => resolveLatentSplit('source=0-20'));
    const [face] = await analyzer.detect(await readImage(path.join(photos, 'astronaut.png')));
    const prepared = await analyzer.prepare(await readImage(path.join(photos, 'astronaut.png')), face!);
    await rejects('strength NaN', 'INVALID_ARGUMENT', () => swapper.swap(source, { image: prepared.crop, landmarks: prepared.landmarks }, { strength: Number.NaN }));
    await rejects('unknown device', 'INVALID_ARGUMENT', () => chooseDevice('tpu'));
    await rejects('smoothing 2', 'INVALID_ARGUMENT', () => temporalFilters(2));
    const cliMinScore = spawnSync(process.execPath, [cli, 'swap', '--source', 'a.jpg', '--target', 'b.jpg', '--out', path.join(work, 'x.png'), '--min-score', '2'], { encoding: 'utf8' });
    expect([cliMinScore.status, cliMinScore.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(cliMinScore.stderr).toContain('--min-score must be between 0 and 1');
    outcomes.push('| CLI `--min-score 2` | exit 2, one line: `--min-score must be between 0 and 1` |');
    const cliDetector = spawnSync(process.execPath, [cli, 'detect', path.join(photos, 'hopper.jpg'), '--detector-size', '100'], { encoding: 'utf8' });
    expect([cliDetector.status, cliDetector.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(cliDetector.stderr).toContain('--detector-size must be a multiple of 32 from 128 to 2048');
    outcomes.push('| CLI `--detector-size 100` | exit 2, one line: `--detector-size must be a multiple of 32 from 128 to 2048` |');
  });
});

describe('files', () => {
  it('refuses bad outputs and leaves nothing half-written', async () => {
    const image: RgbImage = { width: 8, height: 8, channels: 3, data: new Uint8Array(192) };
    // (An unwritable folder is not testable as root, which ignores permissions; a missing folder
    // fails through the same path for everyone.)
    await rejects('output folder missing', 'IO', () => writeImage(path.join(work, 'no-such-folder', 'out.png'), image));
    await rejects('unknown output extension', 'INVALID_ARGUMENT', () => writeImage(path.join(work, 'out.bmp'), image));
    const existing = file('existing.png', 'x');
    await rejects('existing output without --force', 'IO', () => writeImage(existing, image, { overwrite: false }));
    expect(readFileSync(existing, 'utf8')).toBe('x');
    const cliExisting = spawnSync(process.execPath, [cli, 'swap', '--source', path.join(photos, 'hopper.jpg'), '--target', path.join(photos, 'astronaut.png'), '--out', existing, '--quiet'], { encoding: 'utf8' });
    expect([cliExisting.status, cliExisting.stderr.trim().split('\n').length]).toEqual([1, 1]);
    expect(cliExisting.stderr).toContain('--force');
    outcomes.push('| CLI existing output, no `--force` | exit 1, one line naming `--force`; file untouched |');
    await rejects('video input that is a text file', 'INVALID_IMAGE', () => probeVideo(file('notes.mp4', 'not a video at all')));
    await rejects('video input missing', 'IO', () => probeVideo(path.join(work, 'missing.mp4')));
    noPartials();
  });
});

