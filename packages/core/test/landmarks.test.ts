import { describe, expect, it } from 'vitest';
import { FIVE_POINT_INDICES, LANDMARK_POINTS, type Landmarks, type Point, fivePointLandmarks, validateLandmarks } from '../src/index.js';
import { landmarkPixelIndex, landmarkPixels } from '../src/pipeline.js';
import { NO_PIXEL, landmarkMapsGraph } from '../src/graph.js';
import { caught, expectFslsd, loadFixture, ort, runModel } from './helpers.js';

describe('landmarkPixelIndex (official single-pixel convention)', () => {
  const cases: [Point, number][] = [
    [[10.7, 20.2], 20 * 256 + 10],
    [[-0.5, 17.25], 17 * 256 + 0], // int(-0.5) truncates toward zero
    [[255.999, 0], 255],
    [[0, 0], 0],
    [[0.999, 255.999], 255 * 256],
    [[-0.999, -0.999], 0],
    [[-1, 40], -1], // x == -1: skipped
    [[100, -1], -1], // y == -1: skipped
    [[-1, -1], -1],
    [[256, 12], -1],
    [[30, -3], -1],
    [[-3, 5], -1],
    [[12, 256], -1],
    [[-1.5, 5], -1],
  ];
  for (const [point, index] of cases) {
    it(`(${point[0]}, ${point[1]}) -> ${index}`, () => {
      // `+ 0` folds -0 (Math.trunc(-0.999)) into 0; the index ends up in an Int32Array anyway.
      expect(landmarkPixelIndex(point) + 0).toBe(index);
    });
  }
});

describe('fivePointLandmarks', () => {
  it('puts the five points at 104, 105, 46, 84, 90 and [-1, -1] elsewhere', () => {
    expect(FIVE_POINT_INDICES).toEqual({ leftEye: 104, rightEye: 105, noseTip: 46, leftMouth: 84, rightMouth: 90 });
    const points: Point[] = [[90.5, 110.25], [165, 111], [128, 150.5], [100, 190], [156.75, 191]];
    const out = fivePointLandmarks(points);
    expect(out).toHaveLength(106);
    const slots = [104, 105, 46, 84, 90];
    out.forEach((point, i) => {
      const slot = slots.indexOf(i);
      expect(point).toEqual(slot >= 0 ? points[slot] : [-1, -1]);
    });
    expect(() => validateLandmarks(out, 'five')).not.toThrow();
    // Only the five points light a map.
    const lit = [...landmarkPixels(out, out)].map((p, i) => [i, p]).filter(([, p]) => p! >= 0);
    expect(lit).toEqual([
      [46, 150 * 256 + 128], [84, 190 * 256 + 100], [90, 191 * 256 + 156], [104, 110 * 256 + 90], [105, 111 * 256 + 165],
      [152, 150 * 256 + 128], [190, 190 * 256 + 100], [196, 191 * 256 + 156], [210, 110 * 256 + 90], [211, 111 * 256 + 165],
    ]);
  });

  it('rejects anything but five points', () => {
    expect(expectFslsd(caught(() => fivePointLandmarks([[1, 2], [3, 4]])), 'INVALID_LANDMARKS').message).toContain('got 2');
  });
});

describe('validateLandmarks', () => {
  const valid = (): [number, number][] => Array.from({ length: 106 }, (_, i) => [i, i]);

  it('accepts 106 finite pairs, including [-1, -1] and points off the grid', () => {
    const points = valid();
    points[0] = [-1, -1];
    points[1] = [300, -20];
    expect(() => validateLandmarks(points, 'source')).not.toThrow();
    expect(LANDMARK_POINTS).toBe(106);
  });

  it('rejects 105 points', () => {
    const error = expectFslsd(caught(() => validateLandmarks(valid().slice(1), 'source')), 'INVALID_LANDMARKS');
    expect(error.message).toContain('The source face needs 106 landmarks, got 105');
  });

  it('rejects a non-array', () => {
    expect(expectFslsd(caught(() => validateLandmarks({ length: 106 } as unknown as Landmarks, 'target')), 'INVALID_LANDMARKS').message).toContain('got object');
  });

  it('rejects NaN and infinite coordinates, naming the landmark', () => {
    for (const bad of [[Number.NaN, 3], [4, Number.POSITIVE_INFINITY]]) {
      const points = valid();
      points[37] = bad as [number, number];
      expect(expectFslsd(caught(() => validateLandmarks(points, 'target')), 'INVALID_LANDMARKS').message).toContain('Landmark 37 of the target face');
    }
  });

  it('rejects points that are not pairs', () => {
    for (const bad of [[1, 2, 3], [1], 'ab', { 0: 1, 1: 2 }, null, ['1', '2']]) {
      const points = valid() as unknown[];
      points[5] = bad;
      expect(expectFslsd(caught(() => validateLandmarks(points as Landmarks, 'source')), 'INVALID_LANDMARKS').message).toContain('Landmark 5 of the source face');
    }
  });

  it('is applied by landmarkPixels to both faces', () => {
    const short = valid().slice(0, 100);
    expect(expectFslsd(caught(() => landmarkPixels(short, valid())), 'INVALID_LANDMARKS').message).toContain('source');
    expect(expectFslsd(caught(() => landmarkPixels(valid(), short)), 'INVALID_LANDMARKS').message).toContain('target');
  });
});

describe('landmark maps against the PyTorch reference fixture', () => {
  const fixture = loadFixture();

  it('landmarkPixels lights exactly the fixture pixels', () => {
    const pixels = landmarkPixels(fixture.inputs.sourceLandmarks, fixture.inputs.targetLandmarks);
    expect(pixels).toHaveLength(212);
    expect([...pixels].map((p) => (p < 0 ? [] : [p]))).toEqual(fixture.outputs.landmarkPixels);
    // The fixture exercises the edge rules on both faces: rows 3, 4, 7, 8 empty, 5 -> column 0, 6 -> (0, 255).
    for (const face of [0, 106]) expect([...pixels.subarray(face + 3, face + 9)]).toEqual([-1, -1, 17 * 256, 255, -1, -1]);
  });

  it('landmarkMapsGraph in onnxruntime-node reproduces the reference maps exactly', async () => {
    const pixels = landmarkPixels(fixture.inputs.sourceLandmarks, fixture.inputs.targetLandmarks);
    // As stages/landmark-direction.ts: -1 becomes NO_PIXEL, an index OneHot maps to an empty row.
    const indices = BigInt64Array.from(pixels, (p) => BigInt(p < 0 ? NO_PIXEL : p));
    const { landmark_maps: maps } = await runModel(landmarkMapsGraph(), { landmark_pixels: new ort.Tensor('int64', indices, [1, 212]) });
    expect(maps!.type).toBe('float32');
    expect(maps!.dims).toEqual([1, 212, 256, 256]);
    const data = maps!.data as Float32Array;
    const lit: number[][] = [];
    let others = 0;
    for (let channel = 0; channel < 212; channel += 1) {
      const ones: number[] = [];
      const base = channel * 65536;
      for (let i = 0; i < 65536; i += 1) {
        const v = data[base + i]!;
        if (v === 1) ones.push(i);
        else if (v !== 0) others += 1;
      }
      lit.push(ones);
    }
    expect(others).toBe(0);
    expect(lit.every((ones) => ones.length <= 1)).toBe(true);
    expect(lit).toEqual(fixture.outputs.landmarkPixels);
    // 4 empty channels per face, as the fixture's skipped and off-grid points require.
    expect(lit.filter((ones) => ones.length === 0)).toHaveLength(8);
  });
});
