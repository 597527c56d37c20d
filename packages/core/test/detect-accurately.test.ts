import { describe, expect, it } from 'vitest';
import { detectAccurately, mergeDetections, photoTiles } from '../src/face/detect-accurately.js';
import type { InferenceSession } from '../src/runtime.js';
import { runtime } from './helpers.js';

const face = (x: number, y: number, size: number, score: number) => ({ box: { x, y, width: size, height: size }, score });

describe('accurate detection: tiles and merging', () => {
  it('needs no tiles for a photo that fits the SSD input', () => {
    expect(photoTiles(512, 512)).toEqual([]);
    expect(photoTiles(548, 342).length).toBeGreaterThan(0);
  });

  it('covers a 1920x1080 photo with 512-pixel tiles overlapping by 128, the last ones flush with the edges', () => {
    const tiles = photoTiles(1920, 1080);
    const xs = [...new Set(tiles.map((t) => t.x))];
    const ys = [...new Set(tiles.map((t) => t.y))];
    expect(xs).toEqual([0, 384, 768, 1152, 1408]);
    expect(ys).toEqual([0, 384, 568]);
    expect(tiles).toHaveLength(15);
    expect(tiles.every((t) => t.width === 512 && t.height === 512)).toBe(true);
  });

  it('keeps a short side whole: 548x342 gives two tiles 512x342', () => {
    expect(photoTiles(548, 342)).toEqual([{ x: 0, y: 0, width: 512, height: 342 }, { x: 36, y: 0, width: 512, height: 342 }]);
  });

  it('merges the same face seen twice and a part inside a face, keeps neighbours, best score first', () => {
    const merged = mergeDetections([
      [face(100, 100, 80, 0.9), face(300, 100, 60, 0.7)],
      [face(104, 102, 78, 0.95), face(110, 110, 40, 0.6)],
      [face(170, 100, 60, 0.8)],
    ]);
    // (104,102) and (100,100) are one face (IoU 0.9): the better score stays. (110,110,40) lies
    // wholly inside it (a part of the face): dropped. (170,100) shares IoU 0.08 with it, 19 % of
    // its own area: a neighbour, kept.
    expect(merged.map((f) => [f.box.x, f.score])).toEqual([[104, 0.95], [170, 0.8], [300, 0.7]]);
  });
});

describe('accurate detection: a face cut by a tile edge', () => {
  // A stand-in SSD that sees one face at the right edge of whatever it is given, and a tiny
  // detector that sees nothing (every objectness logit 0: score 0.5, not above the threshold).
  const ssd = { run: async () => ({ boxes: { data: Float32Array.of(0.3, 0.92, 0.5, 1) }, scores: { data: Float32Array.of(0.9) } }) } as unknown as InferenceSession;
  const tiny = {
    run: async (feeds: Record<string, { dims: readonly number[] }>) => {
      const cells = feeds.image!.dims[2]! / 32;
      return { grid: { type: 'float32', data: new Float32Array(25 * cells * cells) } };
    },
  } as unknown as InferenceSession;

  it('drops the boxes cut by inner tile edges and keeps those at the photo edge', async () => {
    const photo = { width: 1000, height: 400, channels: 3 as const, data: new Uint8Array(1000 * 400 * 3) };
    // Tiles start at x 0, 384 and 488. The first two see the face at their inner right edge (cut,
    // dropped); the last one's right edge is the photo's, as is the whole-photo pass's box.
    const faces = await detectAccurately(runtime, { ssd, tiny }, photo);
    expect(faces.map((f) => [Math.round(f.box.x), Math.round(f.box.x + f.box.width)])).toEqual([[920, 1000], [959, 1000]]);
  });
});
