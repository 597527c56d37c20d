/**
 * The accurate detector on a group scene made from the shipped faces: small (40 px), rotated and
 * large faces on a 1280x720 background. The accurate path (the default for photos) finds all of
 * them, each box centred on its face; the fast path at its default size misses the small ones.
 */
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { samplesDirectory } from '@fslsd/models/node';
import { createFaceAnalyzer, readImage } from './sdk.js';

type Analyzer = Awaited<ReturnType<typeof createFaceAnalyzer>>;

/** Face height (px) and rotation (degrees) of each placed face, and where its centre goes. */
const PLACED = [
  { sample: 'astronaut.png', height: 40, angle: 0, centre: [200, 160] },
  { sample: 'hopper.png', height: 56, angle: 20, centre: [520, 520] },
  { sample: 'astronaut.png', height: 110, angle: -25, centre: [860, 230] },
  { sample: 'hopper.png', height: 200, angle: 8, centre: [1100, 520] },
] as const;

let analyzer: Analyzer;
let scene: Awaited<ReturnType<typeof readImage>>;

beforeAll(async () => {
  analyzer = await createFaceAnalyzer({ device: 'cpu' });
  const layers = [];
  for (const face of PLACED) {
    const crop = await readImage(path.join(samplesDirectory(), face.sample));
    const [found] = await analyzer.detect(crop, { detector: 'fast' });
    const { x, y, width, height } = found!.box;
    // A square around the face box, 1.6x its size, with an oval alpha that fades to nothing.
    const side = Math.round(Math.max(width, height) * 1.6);
    const left = Math.max(0, Math.round(x + width / 2 - side / 2));
    const top = Math.max(0, Math.round(y + height / 2 - side / 2));
    const oval = Buffer.from(`<svg width="${side}" height="${side}"><defs><radialGradient id="g"><stop offset="75%" stop-color="#fff"/><stop offset="100%" stop-color="#000"/></radialGradient></defs><rect width="${side}" height="${side}" fill="url(#g)"/></svg>`);
    const mask = await sharp(oval).greyscale().raw().toBuffer();
    const rgba = await sharp(Buffer.from(crop.data), { raw: { width: crop.width, height: crop.height, channels: crop.channels } })
      .extract({ left, top, width: Math.min(side, crop.width - left), height: Math.min(side, crop.height - top) })
      .resize(side, side).joinChannel(mask, { raw: { width: side, height: side, channels: 1 } }).png().toBuffer();
    const scaled = Math.round((side * face.height) / height);
    const turned = await sharp(await sharp(rgba).resize(scaled, scaled).png().toBuffer()).rotate(face.angle, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).png().toBuffer({ resolveWithObject: true });
    layers.push({ input: turned.data, left: Math.round(face.centre[0] - turned.info.width / 2), top: Math.round(face.centre[1] - turned.info.height / 2) });
  }
  const png = await sharp({ create: { width: 1280, height: 720, channels: 3, background: { r: 96, g: 120, b: 104 } } }).composite(layers).png().toBuffer();
  scene = await readImage(png);
}, 120_000);

/** For each placed face, the detected face centred on it (within a third of its height), if any. */
function matches(faces: Array<{ box: { x: number; y: number; width: number; height: number } }>) {
  return PLACED.map((placed) => faces.find((f) => Math.hypot(f.box.x + f.box.width / 2 - placed.centre[0], f.box.y + f.box.height / 2 - placed.centre[1]) < placed.height / 3
    && f.box.height > placed.height * 0.6 && f.box.height < placed.height * 1.8));
}

describe('accurate face detection', () => {
  it('is the default for photos and finds every face, small and rotated ones included, and nothing else', async () => {
    expect(analyzer.accurateDetector).toBe(true);
    const faces = await analyzer.detect(scene);
    const found = matches(faces);
    expect(found.map((f) => f !== undefined)).toEqual([true, true, true, true]);
    expect(faces).toHaveLength(PLACED.length);
    // Largest first, as always.
    expect(faces.map((f) => f.index)).toEqual([0, 1, 2, 3]);
    expect(faces[0]!.box.height).toBeGreaterThan(faces[3]!.box.height);
    for (const face of faces) expect(face.landmarks68).toHaveLength(68);
  }, 120_000);

  it('the fast path at 416 misses the smallest face', async () => {
    const fast = matches(await analyzer.detect(scene, { detector: 'fast' }));
    expect(fast[0]).toBeUndefined();
  }, 60_000);

  it('names the fix for an unknown detector', async () => {
    await expect(analyzer.detect(scene, { detector: 'best' as 'fast' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('searching a region of the photo (fast path)', () => {
  it('finds a face the whole photo at 416 misses, boxed in photo pixels', async () => {
    const small = PLACED[0];
    const region = { x: small.centre[0] - small.height, y: small.centre[1] - small.height, width: 2 * small.height, height: 2 * small.height };
    const faces = await analyzer.detect(scene, { region, inputSize: 160 });
    expect(faces).toHaveLength(1);
    expect(matches(faces)[0]).toBe(faces[0]);
    expect(faces[0]!.landmarks68).toHaveLength(68);
    const [x, y] = faces[0]!.landmarks68[30]!; // nose tip, in photo pixels
    expect(Math.hypot(x - small.centre[0], y - small.centre[1])).toBeLessThan(small.height / 3);
  });

  it('keeps a face whole inside the region and drops one its edge cuts', async () => {
    const large = PLACED[3];
    const around = { x: large.centre[0] - large.height, y: large.centre[1] - large.height, width: 2 * large.height, height: 2 * large.height };
    const whole = await analyzer.detect(scene, { region: around, inputSize: 160 });
    expect(whole).toHaveLength(1);
    expect(matches(whole)[3]).toBe(whole[0]);
    // The same square moved right by 0.6 face heights: its left edge, inside the photo, cuts the
    // face. The detector still finds it there (a box reaching past that edge, 0.98 without the
    // rule); a cut box would misplace the landmarks, so it is dropped.
    const cutting = { ...around, x: around.x + 0.6 * large.height };
    expect(await analyzer.detect(scene, { region: cutting, inputSize: 160 })).toEqual([]);
  });

  it('finds nothing outside the photo and rejects a region that is not a rectangle', async () => {
    expect(await analyzer.detect(scene, { region: { x: 2000, y: 0, width: 100, height: 100 } })).toEqual([]);
    await expect(analyzer.detect(scene, { region: { x: 0, y: 0, width: 0, height: 10 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(analyzer.detect(scene, { region: { x: Number.NaN, y: 0, width: 10, height: 10 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(analyzer.detect(scene, { detector: 'accurate', region: { x: 0, y: 0, width: 100, height: 100 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
