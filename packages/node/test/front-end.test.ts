/**
 * The face front end on real photos: detection and landmarks (values checked by eye on overlays),
 * alignment round trip, paste-back seam, rotated EXIF, several faces, the CLI, and the same
 * front end on onnxruntime-web's wasm backend.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OrtRuntime, type RgbImage } from '@fslsd/core';
import { type FaceAnalyzer, applyAffine, createFaceAnalyzer as createCoreFaceAnalyzer, pasteBack } from '@fslsd/core/face';
import { packageDirectory } from '@fslsd/models/node';
import { createFaceAnalyzer, createSwapper, encodeSourcePhoto, readFaceModels, readImage, swapPhoto, type NodeSwapper } from './sdk.js';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const astronautFile = path.join(photos, 'astronaut.png');
const hopperFile = path.join(photos, 'hopper.jpg');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-front-'));

let analyzer: FaceAnalyzer;
let swapper: NodeSwapper;
let astronaut: RgbImage;
let hopper: RgbImage;
let group: RgbImage;
const groupFile = path.join(work, 'group.png');

beforeAll(async () => {
  analyzer = await createFaceAnalyzer({ device: 'cpu', threads: 2 });
  swapper = await createSwapper({ device: 'cpu', threads: 2 });
  astronaut = await readImage(astronautFile);
  hopper = await readImage(hopperFile);
  // A two-person picture: the astronaut on the left, Hopper on the right, on a grey canvas.
  await sharp({ create: { width: 1024, height: 600, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .composite([{ input: astronautFile, left: 0, top: 44 }, { input: hopperFile, left: 512, top: 0 }])
    .png()
    .toFile(groupFile);
  group = await readImage(groupFile);
}, 120_000);

afterAll(async () => {
  await analyzer?.dispose();
  await swapper?.dispose();
  rmSync(work, { recursive: true, force: true });
});

function near(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]!), `component ${i}: ${value} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance));
}

/** Photo pixels that differ between two images of the same size. */
function changedPixels(a: RgbImage, b: RgbImage): number[] {
  const out: number[] = [];
  for (let p = 0; p < a.width * a.height; p += 1) {
    if (a.data[p * 3] !== b.data[p * 3] || a.data[p * 3 + 1] !== b.data[p * 3 + 1] || a.data[p * 3 + 2] !== b.data[p * 3 + 2]) out.push(p);
  }
  return out;
}

describe('detection and landmarks on real photos', () => {
  it('finds the astronaut: one face, box and landmarks where the overlay shows them', async () => {
    const faces = await analyzer.detect(astronaut, { detector: 'fast' });
    expect(faces).toHaveLength(1);
    const [face] = faces;
    expect(face!.score).toBeGreaterThan(0.9);
    // Values read off an overlay of the box and points on the photo (eye corner, mouth corner, chin).
    near([face!.box.x, face!.box.y, face!.box.width, face!.box.height], [163.3, 75.7, 116.0, 111.0], 3);
    near(face!.landmarks68[36]!, [195.5, 100.4], 3);
    near(face!.landmarks68[48]!, [202.1, 141.6], 3);
    expect(face!.landmarks68[8]![1]).toBeGreaterThan(165); // chin below the mouth
    // The accurate path (the default) finds the same one face.
    const accurate = await analyzer.detect(astronaut);
    expect(accurate).toHaveLength(1);
    const centre = (b: { x: number; y: number; width: number; height: number }) => [b.x + b.width / 2, b.y + b.height / 2];
    near(centre(accurate[0]!.box), centre(face!.box), 12);
  });

  it('finds Hopper', async () => {
    const faces = await analyzer.detect(hopper, { detector: 'fast' });
    expect(faces).toHaveLength(1);
    near([faces[0]!.box.x, faces[0]!.box.y, faces[0]!.box.width, faces[0]!.box.height], [141.6, 139.5, 242.7, 209.8], 3);
    near(faces[0]!.landmarks68[48]!, [233.7, 279.2], 3);
  });

  it('finds both faces of a group picture, largest first, and tells them apart by descriptor', async () => {
    const faces = await analyzer.detect(group);
    expect(faces).toHaveLength(2);
    expect(faces[0]!.box.x).toBeGreaterThan(512); // Hopper's face is larger
    expect(faces[1]!.box.x).toBeLessThan(512);
    const reference = await analyzer.describe(hopper, (await analyzer.detect(hopper))[0]!);
    const [toHopper, toAstronaut] = await Promise.all(faces.map(async (f) => {
      const d = await analyzer.describe(group, f);
      return Math.hypot(...Array.from(d, (v, i) => v - reference[i]!));
    }));
    expect(toHopper).toBeLessThan(0.3);
    expect(toAstronaut).toBeGreaterThan(0.6);
  });
});

describe('alignment', () => {
  it('round-trips photo -> 1024^2 crop -> photo within a few grey levels', async () => {
    const [face] = await analyzer.detect(astronaut);
    const prepared = await analyzer.prepare(astronaut, face!);
    expect([prepared.crop.width, prepared.crop.height]).toEqual([1024, 1024]);
    // The quad is a square: both crop axes have the same length in the photo.
    const [q0, q1, , q3] = prepared.quad;
    expect(Math.hypot(q3[0] - q0[0], q3[1] - q0[1])).toBeCloseTo(Math.hypot(q1[0] - q0[0], q1[1] - q0[1]), 9);
    const alpha = new Float32Array(1024 * 1024);
    for (let y = 128; y < 896; y += 1) alpha.fill(1, y * 1024 + 128, y * 1024 + 896);
    const blank: RgbImage = { ...astronaut, data: new Uint8Array(astronaut.data.length) };
    const back = pasteBack({ photo: blank, face: prepared.crop, alpha, toPhoto: prepared.toPhoto });
    let total = 0;
    let count = 0;
    for (let y = 0; y < astronaut.height; y += 1) {
      for (let x = 0; x < astronaut.width; x += 1) {
        const [u, v] = applyAffine(prepared.toCrop, x, y);
        if (u < 140 || v < 140 || u > 884 || v > 884) continue;
        for (let c = 0; c < 3; c += 1) total += Math.abs(back.data[(y * astronaut.width + x) * 3 + c]! - astronaut.data[(y * astronaut.width + x) * 3 + c]!);
        count += 3;
      }
    }
    expect(count).toBeGreaterThan(3 * 5000);
    const meanError = total / count;
    console.log(`alignment round trip: mean |error| ${meanError.toFixed(3)} levels over ${count / 3} pixels`);
    expect(meanError).toBeLessThan(1.5);
  });
});

describe('swapping on photos', () => {
  it('changes only pixels inside the dilated face mask; the photo keeps its size', async () => {
    const { source } = await encodeSourcePhoto(swapper, analyzer, hopper);
    const result = await swapPhoto(swapper, analyzer, source, astronaut);
    expect([result.image.width, result.image.height, result.image.channels]).toEqual([512, 512, 3]);
    const changed = changedPixels(astronaut, result.image);
    expect(changed.length).toBeGreaterThan(3000);
    const face = result.faces[0]!;
    const inner = face.masks!.inner;
    const insideDilated = (p: number): boolean => {
      const [u, v] = applyAffine(face.toCrop!, p % 512, Math.floor(p / 512));
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      for (const [du, dv] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const uu = u0 + du;
        const vv = v0 + dv;
        if (uu >= 0 && vv >= 0 && uu < 1024 && vv < 1024 && inner[vv * 1024 + uu]) return true;
      }
      return false;
    };
    expect(changed.filter((p) => !insideDilated(p))).toEqual([]);
    // And the face itself did change: the pixel at the nose tip differs.
    const [nx, ny] = result.detected[0]!.landmarks68[30]!;
    expect(changed).toContain(Math.round(ny) * 512 + Math.round(nx));
  });

  it('swaps the chosen face of a group picture: index, all, or by reference', async () => {
    const { source } = await encodeSourcePhoto(swapper, analyzer, astronaut);
    const side = (changed: number[]) => [changed.some((p) => p % 1024 < 512), changed.some((p) => p % 1024 >= 512)];
    expect(side(changedPixels(group, (await swapPhoto(swapper, analyzer, source, group)).image))).toEqual([false, true]);
    expect(side(changedPixels(group, (await swapPhoto(swapper, analyzer, source, group, { faceIndex: 1 })).image))).toEqual([true, false]);
    const all = await swapPhoto(swapper, analyzer, source, group, { all: true });
    expect(all.faces).toHaveLength(2);
    expect(side(changedPixels(group, all.image))).toEqual([true, true]);
    const reference = await analyzer.describe(astronaut, (await analyzer.detect(astronaut))[0]!);
    expect(side(changedPixels(group, (await swapPhoto(swapper, analyzer, source, group, { reference })).image))).toEqual([true, false]);
    await expect(swapPhoto(swapper, analyzer, source, group, { faceIndex: 2 })).rejects.toThrow(/has 2 face\(s\), numbered 0 \(largest\) to 1/);
  }, 120_000);

  it('reports a photo without a face with a typed error', async () => {
    const { source } = await encodeSourcePhoto(swapper, analyzer, astronaut);
    const grey: RgbImage = { width: 300, height: 200, channels: 3, data: new Uint8Array(300 * 200 * 3).fill(128) };
    await expect(swapPhoto(swapper, analyzer, source, grey)).rejects.toMatchObject({ code: 'NO_FACE' });
  });
});

describe('the CLI on photos', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 180_000 });

  it('honours EXIF orientation: a sideways-stored JPEG comes out upright, at its displayed size', async () => {
    // Stored 90 degrees counter-clockwise with orientation 6 ("rotate 90 CW to display").
    const rotated = path.join(work, 'rotated.jpg');
    await sharp(hopperFile).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(rotated);
    const stored = await sharp(rotated).metadata();
    expect([stored.width, stored.height, stored.orientation]).toEqual([600, 512, 6]);
    const out = path.join(work, 'rotated-out.png');
    const result = run('swap', '--source', astronautFile, '--target', rotated, '--out', out, '--device', 'cpu', '--quiet');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const written = await sharp(out).metadata();
    expect([written.width, written.height]).toEqual([512, 600]);
    expect(written.orientation ?? 1).toBe(1);
    expect(written.xmp?.toString('utf8')).toContain('trainedAlgorithmicMedia');
    // The swapped region sits where the face is in the upright photo.
    const upright = await readImage(rotated);
    const swapped = await readImage(out);
    const changed = changedPixels(upright, swapped);
    const cx = changed.reduce((s, p) => s + (p % 512), 0) / changed.length;
    const cy = changed.reduce((s, p) => s + Math.floor(p / 512), 0) / changed.length;
    near([cx, cy], [141.6 + 242.7 / 2, 139.5 + 209.8 / 2], 40);
  });

  it('keeps the target\'s colour profile: a Display P3 photo comes back in P3, unchanged outside the face', async () => {
    const p3 = path.join(work, 'p3.png');
    await sharp(hopperFile).withIccProfile('p3').png().toFile(p3);
    const input = await sharp(p3).metadata();
    const out = path.join(work, 'p3-out.png');
    const result = run('swap', '--source', astronautFile, '--target', p3, '--out', out, '--device', 'cpu', '--quiet');
    expect(result.status).toBe(0);
    const output = await sharp(out).metadata();
    expect(Buffer.compare(output.icc!, input.icc!)).toBe(0);
    // Native (P3) values: the sRGB round trip moves an unchanged pixel by at most one level.
    const before = await sharp(p3).keepIccProfile().raw().toBuffer();
    const after = await sharp(out).keepIccProfile().raw().toBuffer();
    let worstOutside = 0;
    let changedInside = 0;
    for (let p = 0; p < 512 * 600; p += 1) {
      const x = p % 512;
      const y = Math.floor(p / 512);
      const inFace = x > 100 && x < 420 && y > 80 && y < 420;
      for (let c = 0; c < 3; c += 1) {
        const d = Math.abs(before[p * 3 + c]! - after[p * 3 + c]!);
        if (!inFace) worstOutside = Math.max(worstOutside, d);
        else if (d > 8) changedInside += 1;
      }
    }
    expect(worstOutside).toBeLessThanOrEqual(1);
    expect(changedInside).toBeGreaterThan(1000);
  });

  it('fslsd detect prints the faces as JSON', () => {
    const result = run('detect', groupFile, '--device', 'cpu');
    expect(result.status).toBe(0);
    const listed = JSON.parse(result.stdout) as { width: number; height: number; faces: { index: number; box: { x: number }; landmarks68: number[][] }[] };
    expect([listed.width, listed.height]).toEqual([1024, 600]);
    expect(listed.faces.map((f) => f.index)).toEqual([0, 1]);
    expect(listed.faces[0]!.box.x).toBeGreaterThan(512);
    expect(listed.faces[1]!.landmarks68).toHaveLength(68);
    expect(run('detect', '--help').stdout).toContain('Usage: fslsd detect PHOTO');
  });

  it('refuses options that make no sense together, naming the fix', () => {
    const both = run('swap', '--source', astronautFile, '--target', groupFile, '--out', path.join(work, 'x.png'), '--all', '--face-index', '1');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('Pass one of --face-index, --all and --reference');
    const mask = run('swap', '--source', astronautFile, '--target', groupFile, '--out', path.join(work, 'x.png'), '--mask', astronautFile);
    expect(mask.status).toBe(2);
    expect(mask.stderr).toContain('--mask applies to aligned crops');
  });
});

describe('the same front end on onnxruntime-web (wasm)', () => {
  it('finds the same face, points and crop as onnxruntime-node', async () => {
    const ortWeb = (await import('onnxruntime-web/wasm')) as unknown as OrtRuntime & { env: { wasm: { numThreads: number } } };
    ortWeb.env.wasm.numThreads = 1;
    const web = await createCoreFaceAnalyzer({ runtime: ortWeb, models: await readFaceModels() });
    try {
      const [webFace] = await web.detect(astronaut);
      const [nodeFace] = await analyzer.detect(astronaut);
      near([webFace!.box.x, webFace!.box.y, webFace!.box.width, webFace!.box.height], [nodeFace!.box.x, nodeFace!.box.y, nodeFace!.box.width, nodeFace!.box.height], 1e-3);
      near(webFace!.landmarks68.flat(), nodeFace!.landmarks68.flat(), 1e-3);
      const webPrepared = await web.prepare(astronaut, webFace!);
      const nodePrepared = await analyzer.prepare(astronaut, nodeFace!);
      let worst = 0;
      for (let i = 0; i < webPrepared.crop.data.length; i += 1) worst = Math.max(worst, Math.abs(webPrepared.crop.data[i]! - nodePrepared.crop.data[i]!));
      expect(worst).toBeLessThanOrEqual(1);
    } finally {
      await web.dispose();
    }
  });
});
