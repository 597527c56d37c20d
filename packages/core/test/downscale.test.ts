import { describe, expect, it } from 'vitest';
import { imageToTensor } from '../src/index.js';
import { downscaleGraph, triangleTaps } from '../src/graph.js';
import { SAMPLES_DIR, decode, loadFixture, maxAbsDifference, ort, randomFloats, readRgbPng, runModel, strided } from './helpers.js';

async function downscale(data: Float32Array, size = 1024): Promise<Float32Array> {
  const { small } = await runModel(downscaleGraph(size), { image: new ort.Tensor('float32', data, [1, 3, size, size]) });
  expect(small!.dims).toEqual([1, 3, size / 4, size / 4]);
  return small!.data as Float32Array;
}

describe('downscaleGraph', () => {
  it('has the 8 PIL triangle taps of a 4x reduction', () => {
    expect([...triangleTaps()]).toEqual([0.125, 0.375, 0.625, 0.875, 0.875, 0.625, 0.375, 0.125]);
  });

  it('reproduces the reference sourceSmall of the astronaut crop within 1e-5', async () => {
    const fixture = loadFixture();
    const image = await readRgbPng(`${SAMPLES_DIR}${fixture.inputs.source}`);
    expect([image.width, image.height]).toEqual([1024, 1024]);
    const small = await downscale(imageToTensor(image).data);
    const expected = fixture.outputs.sourceSmall.sample;
    expect([expected.offset, expected.stride, expected.shape]).toEqual([1, 4, [3, 64, 64]]);
    expect(maxAbsDifference(strided(small, 3, 256, 1, 4), decode(expected))).toBeLessThanOrEqual(1e-5);
    let sum = 0;
    for (const v of small) sum += v;
    expect(Math.abs(sum / small.length - fixture.outputs.sourceSmall.stats.mean)).toBeLessThanOrEqual(1e-6);
  });

  it('keeps a constant image constant, borders included (renormalised weights), within 1e-6', async () => {
    for (const value of [0.37, -1, 1]) {
      const small = await downscale(new Float32Array(3 * 1024 * 1024).fill(value));
      expect(maxAbsDifference(small, new Float32Array(small.length).fill(value))).toBeLessThanOrEqual(1e-6);
    }
  });

  it('computes the renormalised triangle filter at corners and inside (small image)', async () => {
    const size = 16;
    const data = randomFloats(3 * size * size, 7);
    const small = await downscale(data, size);
    const taps = triangleTaps();
    // Output (oy, ox) covers input rows/cols 4*o - 2 + j for j in 0..7; the weights are
    // renormalised by the in-image sum.
    const expected = (c: number, oy: number, ox: number): number => {
      let sum = 0;
      let weight = 0;
      for (let r = 0; r < 8; r += 1) {
        for (let q = 0; q < 8; q += 1) {
          const y = 4 * oy - 2 + r;
          const x = 4 * ox - 2 + q;
          if (y < 0 || y >= size || x < 0 || x >= size) continue;
          sum += taps[r]! * taps[q]! * data[c * size * size + y * size + x]!;
          weight += taps[r]! * taps[q]!;
        }
      }
      return sum / weight;
    };
    for (let c = 0; c < 3; c += 1) {
      for (let oy = 0; oy < 4; oy += 1) for (let ox = 0; ox < 4; ox += 1) expect(small[c * 16 + oy * 4 + ox]).toBeCloseTo(expected(c, oy, ox), 6);
    }
  });
});
