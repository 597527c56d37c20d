import { describe, expect, it } from 'vitest';
import { applyAffine, composeAffine, invertAffine, rescaleAffine } from '../src/face/affine.js';
import { alignFace, alignmentPointsFrom68, ffhqQuad, quadToPhoto } from '../src/face/alignment.js';
import { dilateSquare, fillConvexPolygon, landmarkFaceMasks } from '../src/face/face-mask.js';
import { IBUG_TO_JD106, encoderLandmarks } from '../src/face/landmark-layout.js';
import { pasteBack } from '../src/face/paste-back.js';
import { reflectIndex, shrinkImage, warpAffine } from '../src/face/warp.js';
import { chooseFaces } from '../src/face/choose.js';
import type { FoundFace } from '../src/face/found-face.js';
import type { Point } from '../src/landmarks/maps.js';
import { FslsdError, type RgbImage } from '../src/index.js';

/** A smooth test picture: gradients plus a low-frequency wave, so bilinear resampling is nearly exact. */
function smoothImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const o = (y * width + x) * 3;
      data[o] = Math.round(40 + (150 * x) / width);
      data[o + 1] = Math.round(40 + (150 * y) / height);
      data[o + 2] = Math.round(128 + 60 * Math.sin(x / 37) * Math.cos(y / 29));
    }
  }
  return { width, height, channels: 3, data };
}

/** A face-like set of 68 points: a jaw arc, brows, eyes, nose and lips around (cx, cy). */
function synthetic68(cx: number, cy: number, s: number): Point[] {
  const points: Point[] = [];
  for (let i = 0; i <= 16; i += 1) {
    const t = Math.PI * (i / 16);
    points.push([cx - s * Math.cos(t), cy + 0.2 * s + s * 0.9 * Math.sin(t)]);
  }
  for (let i = 0; i < 5; i += 1) points.push([cx - 0.75 * s + i * 0.13 * s, cy - 0.45 * s - 0.05 * s * Math.sin((Math.PI * i) / 4)]);
  for (let i = 0; i < 5; i += 1) points.push([cx + 0.23 * s + i * 0.13 * s, cy - 0.45 * s - 0.05 * s * Math.sin((Math.PI * i) / 4)]);
  for (let i = 0; i < 4; i += 1) points.push([cx, cy - 0.3 * s + i * 0.1 * s]);
  for (let i = 0; i < 5; i += 1) points.push([cx - 0.2 * s + i * 0.1 * s, cy + 0.15 * s]);
  const eye = (ex: number): Point[] => [0, 1, 2, 3, 4, 5].map((k): Point => [ex + 0.15 * s * Math.cos((Math.PI * k) / 3 + Math.PI), cy - 0.3 * s + 0.05 * s * Math.sin((Math.PI * k) / 3)]);
  points.push(...eye(cx - 0.4 * s), ...eye(cx + 0.4 * s));
  for (let i = 0; i < 12; i += 1) {
    const t = (2 * Math.PI * i) / 12;
    points.push([cx - 0.35 * s * Math.cos(t), cy + 0.45 * s - 0.12 * s * Math.sin(t)]);
  }
  for (let i = 0; i < 8; i += 1) {
    const t = (2 * Math.PI * i) / 8;
    points.push([cx - 0.25 * s * Math.cos(t), cy + 0.45 * s - 0.05 * s * Math.sin(t)]);
  }
  return points;
}

describe('affine maps', () => {
  it('inverts and composes exactly', () => {
    const map = { a: 1.5, b: -0.4, c: 12, d: 0.3, e: 2, f: -7 };
    const identity = composeAffine(invertAffine(map), map);
    for (const [key, value] of Object.entries({ a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 })) expect(identity[key as 'a']).toBeCloseTo(value, 12);
    expect(() => invertAffine({ a: 1, b: 2, c: 0, d: 2, e: 4, f: 0 })).toThrow(FslsdError);
  });
  it('maps pixel centres between resolutions', () => {
    const down = rescaleAffine(1024, 256);
    expect(applyAffine(down, 1.5, 1.5)).toEqual([0, 0]);
    expect(applyAffine(down, 1021.5, 1021.5)).toEqual([255, 255]);
  });
});

describe('FFHQ quad', () => {
  it('follows the dataset script on a hand-computed face', () => {
    // eye-to-eye (20, 0), eye-to-mouth (0, 20): x = (40, 0), scaled to max(40, 36) = 40; c = (50, 52).
    const quad = ffhqQuad({ eyeLeft: [40, 50], eyeRight: [60, 50], mouthLeft: [42, 70], mouthRight: [58, 70] });
    expect(quad).toEqual([[10, 12], [10, 92], [90, 92], [90, 12]]);
    const map = quadToPhoto(quad, 80);
    // Crop pixel 0's outer edge (-0.5) lands on the quad corner: its centre is half a pixel inside.
    expect(applyAffine(map, 0, 0)).toEqual([10.5, 12.5]);
    expect(applyAffine(map, -0.5, 79.5)).toEqual([10, 92]);
  });
  it('takes eye centres and mouth corners from 68 points', () => {
    const points = synthetic68(200, 200, 100);
    const align = alignmentPointsFrom68(points);
    expect(align.mouthLeft).toEqual(points[48]);
    expect(align.eyeLeft[0]).toBeCloseTo(160, 6);
    expect(() => alignmentPointsFrom68(points.slice(1))).toThrow(/68 finite points/);
  });
  it('rotates with the face: a tilted face gives a tilted quad of the same size', () => {
    const upright = ffhqQuad({ eyeLeft: [40, 50], eyeRight: [60, 50], mouthLeft: [42, 70], mouthRight: [58, 70] });
    const angle = Math.PI / 6;
    const turn = ([x, y]: Point): Point => [50 + (x - 50) * Math.cos(angle) - (y - 50) * Math.sin(angle), 50 + (x - 50) * Math.sin(angle) + (y - 50) * Math.cos(angle)];
    const tilted = ffhqQuad({ eyeLeft: turn([40, 50]), eyeRight: turn([60, 50]), mouthLeft: turn([42, 70]), mouthRight: turn([58, 70]) });
    tilted.forEach((corner, i) => {
      expect(corner[0]).toBeCloseTo(turn(upright[i]!)[0], 9);
      expect(corner[1]).toBeCloseTo(turn(upright[i]!)[1], 9);
    });
  });
});

describe('resampling', () => {
  it('reflects like numpy', () => {
    expect([-3, -2, -1, 0, 4, 5, 6, 7].map((i) => reflectIndex(i, 5))).toEqual([3, 2, 1, 0, 4, 3, 2, 1]);
  });
  it('is exact under the identity map and averages blocks when shrinking', () => {
    const image = smoothImage(64, 48);
    const same = warpAffine(image, { a: 1, b: 0, c: 0, d: 0, e: 1, f: 0 }, 64, 48);
    expect(Buffer.from(same.data).equals(Buffer.from(image.data))).toBe(true);
    const small = shrinkImage(image, 4);
    expect([small.width, small.height]).toEqual([16, 12]);
    let sum = 0;
    for (let y = 0; y < 4; y += 1) for (let x = 0; x < 4; x += 1) sum += image.data[(y * 64 + x) * 3]!;
    expect(small.data[0]).toBe(Math.floor(sum / 16 + 0.5));
  });
  it('round-trips photo -> aligned crop -> photo within a few levels', () => {
    const photo = smoothImage(640, 480);
    const points = synthetic68(330, 250, 90);
    const aligned = alignFace(photo, alignmentPointsFrom68(points), 512);
    const alpha = new Float32Array(512 * 512).fill(0);
    for (let y = 64; y < 448; y += 1) alpha.fill(1, y * 512 + 64, y * 512 + 448);
    const back = pasteBack({ photo: { ...photo, data: new Uint8Array(photo.data.length) }, face: aligned.crop, alpha, toPhoto: aligned.toPhoto });
    let worst = 0;
    let total = 0;
    let count = 0;
    for (let y = 0; y < 480; y += 1) {
      for (let x = 0; x < 640; x += 1) {
        const [u, v] = applyAffine(aligned.toCrop, x, y);
        if (u < 70 || v < 70 || u > 441 || v > 441) continue;
        for (let c = 0; c < 3; c += 1) {
          const diff = Math.abs(back.data[(y * 640 + x) * 3 + c]! - photo.data[(y * 640 + x) * 3 + c]!);
          worst = Math.max(worst, diff);
          total += diff;
          count += 1;
        }
      }
    }
    expect(count).toBeGreaterThan(10000);
    expect(total / count).toBeLessThan(0.6);
    expect(worst).toBeLessThanOrEqual(3);
  });
});

describe('inner-face masks', () => {
  it('dilates with the 50x50 kernel as OpenCV anchors it', () => {
    const mask = new Uint8Array(200 * 200);
    mask[100 * 200 + 100] = 1;
    const out = dilateSquare(mask, 200, 50);
    let minX = 999;
    let maxX = -1;
    let minY = 999;
    let maxY = -1;
    let ones = 0;
    out.forEach((v, i) => {
      if (!v) return;
      ones += 1;
      minX = Math.min(minX, i % 200);
      maxX = Math.max(maxX, i % 200);
      minY = Math.min(minY, Math.floor(i / 200));
      maxY = Math.max(maxY, Math.floor(i / 200));
    });
    expect([ones, minX, maxX, minY, maxY]).toEqual([2500, 76, 125, 76, 125]);
  });
  it('fills a polygon at pixel centres', () => {
    const square = fillConvexPolygon([[2, 2], [5, 2], [5, 5], [2, 5]], 8);
    expect(square.reduce((s, v) => s + v, 0)).toBe(16);
    expect(square[2 * 8 + 2]).toBe(1);
    expect(square[1 * 8 + 2]).toBe(0);
  });
  it('covers the face, not the background, and the paste alpha stays inside the dilated mask', () => {
    const points = synthetic68(512, 520, 260);
    const { inner, paste } = landmarkFaceMasks(points);
    expect(inner[520 * 1024 + 512]).toBe(1); // face centre
    expect(inner[10 * 1024 + 10]).toBe(0); // corner
    expect(paste[520 * 1024 + 512]).toBeCloseTo(1, 5);
    let outside = 0;
    let partial = 0;
    for (let i = 0; i < inner.length; i += 1) {
      if (inner[i] !== 0 && inner[i] !== 1) throw new Error(`inner mask value ${inner[i]}`);
      if (inner[i] === 0 && paste[i] !== 0) outside += 1;
      if (paste[i]! > 0 && paste[i]! < 1) partial += 1;
    }
    expect(outside).toBe(0);
    expect(partial).toBeGreaterThan(10000); // a real feather, not a hard edge
    // The dilation widens the region by 25 pixels left of the leftmost jaw point.
    const [left, row] = [points[0]![0], Math.round(points[0]![1])];
    const firstInner = inner.subarray(row * 1024, (row + 1) * 1024).indexOf(1);
    expect(Math.abs(firstInner - (Math.ceil(left) - 25))).toBeLessThanOrEqual(1);
  });
});

describe('paste-back', () => {
  it('leaves every pixel where the alpha is zero bit-identical', () => {
    const photo = smoothImage(300, 200);
    const face: RgbImage = { width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3).fill(250) };
    const alpha = new Float32Array(64 * 64);
    for (let y = 20; y < 44; y += 1) alpha.fill(0.5, y * 64 + 20, y * 64 + 44);
    const toPhoto = { a: 1.2, b: 0.3, c: 100, d: -0.3, e: 1.2, f: 60 };
    const out = pasteBack({ photo, face, alpha, toPhoto });
    const toCrop = invertAffine(toPhoto);
    let changed = 0;
    for (let y = 0; y < 200; y += 1) {
      for (let x = 0; x < 300; x += 1) {
        const [u, v] = applyAffine(toCrop, x, y);
        const o = (y * 300 + x) * 3;
        const differs = out.data[o] !== photo.data[o] || out.data[o + 1] !== photo.data[o + 1] || out.data[o + 2] !== photo.data[o + 2];
        if (differs) changed += 1;
        if (u < 18.5 || u > 44.5 || v < 18.5 || v > 44.5) expect(differs).toBe(false);
      }
    }
    expect(changed).toBeGreaterThan(500);
    expect([out.width, out.height, out.channels]).toEqual([300, 200, 3]);
  });

  /** Paste-back pixel by pixel, as first written: the alpha and crop sampled through applyAffine. */
  function referencePaste(photo: RgbImage, face: RgbImage, alpha: Float32Array, toPhoto: ReturnType<typeof invertAffine>): Uint8Array {
    const size = face.width;
    const out = new Uint8Array(photo.data);
    const toCrop = invertAffine(toPhoto);
    const at = (xx: number, yy: number): number => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : alpha[yy * size + xx]!);
    for (let y = 0; y < photo.height; y += 1) {
      for (let x = 0; x < photo.width; x += 1) {
        const [u, v] = applyAffine(toCrop, x, y);
        if (u <= -1 || v <= -1 || u >= size || v >= size) continue;
        const x0 = Math.floor(u);
        const y0 = Math.floor(v);
        const a = (at(x0, y0) * (1 - (u - x0)) + at(x0 + 1, y0) * (u - x0)) * (1 - (v - y0)) + (at(x0, y0 + 1) * (1 - (u - x0)) + at(x0 + 1, y0 + 1) * (u - x0)) * (v - y0);
        if (!(a > 0)) continue;
        const ux = Math.min(size - 1, Math.max(0, u));
        const vy = Math.min(size - 1, Math.max(0, v));
        const u0 = Math.min(size - 2, Math.floor(ux));
        const v0 = Math.min(size - 2, Math.floor(vy));
        const fx = ux - u0;
        const fy = vy - v0;
        const p = (v0 * size + u0) * 3;
        const o = (y * photo.width + x) * photo.channels;
        for (let c = 0; c < 3; c += 1) {
          const f = (face.data[p + c]! * (1 - fx) + face.data[p + 3 + c]! * fx) * (1 - fy) + (face.data[p + size * 3 + c]! * (1 - fx) + face.data[p + size * 3 + 3 + c]! * fx) * fy;
          out[o + c] = Math.min(255, Math.max(0, Math.floor(out[o + c]! * (1 - a) + f * a + 0.5)));
        }
      }
    }
    return out;
  }

  it('equals the pixel-by-pixel formula to the byte, alpha reaching the crop edges included', () => {
    const photo = smoothImage(300, 200);
    const face = smoothImage(64, 64);
    // Alpha non-zero up to the crop's border, so the edge sampling is exercised too.
    const alpha = Float32Array.from({ length: 64 * 64 }, (_, i) => ((i % 64) * 7 + Math.floor(i / 64) * 3) % 11 / 10);
    for (const toPhoto of [{ a: 1.2, b: 0.3, c: 100, d: -0.3, e: 1.2, f: 60 }, { a: 2.7, b: -1.1, c: 40, d: 1.1, e: 2.7, f: -20 }]) {
      const out = pasteBack({ photo, face, alpha, toPhoto });
      const expected = referencePaste(photo, face, alpha, toPhoto);
      let differing = 0;
      for (let i = 0; i < expected.length; i += 1) if (out.data[i] !== expected[i]) differing += 1;
      expect(differing).toBe(0);
    }
  });

  it('pastes into the photo itself with inPlace, and otherwise never changes it', () => {
    const photo = smoothImage(300, 200);
    const before = Uint8Array.from(photo.data);
    const face: RgbImage = { width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3).fill(250) };
    const alpha = new Float32Array(64 * 64).fill(0.5);
    const toPhoto = { a: 1.2, b: 0.3, c: 100, d: -0.3, e: 1.2, f: 60 };
    const copied = pasteBack({ photo, face, alpha, toPhoto });
    expect(Buffer.from(photo.data).equals(Buffer.from(before))).toBe(true);
    const inPlace = pasteBack({ photo, face, alpha, toPhoto, inPlace: true });
    expect(inPlace).toBe(photo);
    expect(Buffer.from(photo.data).equals(Buffer.from(copied.data))).toBe(true);
    expect(Buffer.from(photo.data).equals(Buffer.from(before))).toBe(false);
  });
});

describe('landmarks for E_le', () => {
  it('maps 68 points into the 106-point layout at 256^2', () => {
    const points = synthetic68(512, 512, 250);
    const out = encoderLandmarks(points, 'ibug-68');
    expect(out).toHaveLength(106);
    expect(new Set(IBUG_TO_JD106).size).toBe(68);
    expect(out.filter((p) => p[0] === -1 && p[1] === -1)).toHaveLength(36);
    // Mouth corners (iBUG 48, 54) land in JD slots 84 and 90, scaled 1024 -> 256 at pixel centres.
    expect(out[84]).toEqual([(points[48]![0] + 0.5) / 4 - 0.5, (points[48]![1] + 0.5) / 4 - 0.5]);
    expect(out[90]).toEqual([(points[54]![0] + 0.5) / 4 - 0.5, (points[54]![1] + 0.5) / 4 - 0.5]);
    expect(out[0]).toEqual([(points[0]![0] + 0.5) / 4 - 0.5, (points[0]![1] + 0.5) / 4 - 0.5]);
  });
  it('refuses a landmarker whose point count does not match its layout', () => {
    expect(() => encoderLandmarks(synthetic68(0, 0, 1).slice(0, 67), 'ibug-68')).toThrow(/declares layout ibug-68 \(68 points\) but returned 67/);
    expect(() => encoderLandmarks(synthetic68(0, 0, 1), 'jd-106')).toThrow(/CONTRACT|106 points/);
  });
});

describe('choosing faces', () => {
  const face = (index: number, tag: number): FoundFace => ({ index, box: { x: 0, y: 0, width: 10, height: 10 }, score: 1, landmarks68: [[tag, tag]] });
  const faces = [face(0, 0), face(1, 1), face(2, 2)];
  const describe1 = async (f: FoundFace): Promise<Float32Array> => Float32Array.of(f.landmarks68[0]![0], 0);
  it('takes the largest by default, an index, all, or the nearest to a reference', async () => {
    expect((await chooseFaces(faces, {}, describe1)).map((f) => f.index)).toEqual([0]);
    expect((await chooseFaces(faces, { faceIndex: 2 }, describe1)).map((f) => f.index)).toEqual([2]);
    expect((await chooseFaces(faces, { all: true }, describe1)).map((f) => f.index)).toEqual([0, 1, 2]);
    expect((await chooseFaces(faces, { reference: Float32Array.of(1.2, 0) }, describe1)).map((f) => f.index)).toEqual([1]);
  });
  it('says what is wrong when there is no such face', async () => {
    await expect(chooseFaces([], {}, describe1)).rejects.toMatchObject({ code: 'NO_FACE' });
    await expect(chooseFaces(faces, { faceIndex: 3 }, describe1)).rejects.toThrow(/numbered 0 \(largest\) to 2/);
  });
});
