import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_SIZES, blendGraph, describeValue } from '../src/graph.js';
import { type Encoded, MASK_FILE, decode, loadFixture, maxAbsDifference, ort, randomFloats, readGrayPng, runModel, strided } from './helpers.js';

type Outputs = Record<string, ort.Tensor>;

/** Feeds of the blend graph: the mask and per scale source/target features from `make`. */
function feeds(mask: Float32Array, channels: readonly number[], make: (which: 'source' | 'target', i: number, length: number) => Float32Array): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = { mask: new ort.Tensor('float32', mask, [1, 1, 1024, 1024]) };
  FEATURE_SIZES.forEach((size, i) => {
    const length = channels[i]! * size * size;
    out[`source_feature_${i}`] = new ort.Tensor('float32', make('source', i, length), [1, channels[i]!, size, size]);
    out[`target_feature_${i}`] = new ort.Tensor('float32', make('target', i, length), [1, channels[i]!, size, size]);
  });
  return out;
}

describe('blendGraph', () => {
  let mask: Float32Array;

  beforeAll(async () => {
    const png = await readGrayPng(MASK_FILE);
    expect([png.width, png.height]).toEqual([1024, 1024]);
    mask = Float32Array.from(png.data, (v) => v / 255);
  });

  it('declares mask, features and blends (and masks when exposed)', () => {
    const channels = [5, 4, 3, 2, 1, 1, 1, 1];
    const graph = blendGraph({ channels, exposeMasks: true }).graph!;
    const inputs = graph.input!.map((v) => `${v.name}:${describeValue(v).dims.join('x')}`);
    expect(inputs[0]).toBe('mask:1x1x1024x1024');
    expect(inputs.slice(1, 3)).toEqual(['source_feature_0:1x5x8x8', 'target_feature_0:1x5x8x8']);
    expect(inputs.slice(-2)).toEqual(['source_feature_7:1x1x1024x1024', 'target_feature_7:1x1x1024x1024']);
    expect(graph.output!.map((v) => v.name)).toEqual([...FEATURE_SIZES.map((_, i) => `blend_${i}`), ...FEATURE_SIZES.map((_, i) => `mask_${i}`)]);
    expect(blendGraph({ channels }).graph!.output!.map((v) => v.name)).toEqual(FEATURE_SIZES.map((_, i) => `blend_${i}`));
  });

  describe('with source features 1 and target features 0', () => {
    const channels = [1, 1, 1, 1, 1, 1, 1, 1];
    let out: Outputs;

    beforeAll(async () => {
      out = await runModel(blendGraph({ channels, exposeMasks: true }), feeds(mask, channels, (which, _i, length) => new Float32Array(length).fill(which === 'source' ? 1 : 0)));
    });

    it('computes the mask pyramid 8..64 of the reference within 1e-6', () => {
      for (let i = 0; i < 4; i += 1) {
        const size = FEATURE_SIZES[i]!;
        const expected = loadFixture().outputs.maskPyramid[i] as Encoded;
        expect(expected.shape).toEqual([size, size]);
        expect(out[`mask_${i}`]!.dims).toEqual([1, 1, size, size]);
        expect(maxAbsDifference(out[`mask_${i}`]!.data as Float32Array, decode(expected))).toBeLessThanOrEqual(1e-6);
      }
    });

    it('computes the mask pyramid 128..1024 of the reference within 1e-6 (offset 3, stride 8)', () => {
      for (let i = 4; i < 8; i += 1) {
        const size = FEATURE_SIZES[i]!;
        const expected = loadFixture().outputs.maskPyramid[i] as { size: number; sample: Encoded };
        expect(expected.size).toBe(size);
        expect(out[`mask_${i}`]!.dims).toEqual([1, 1, size, size]);
        const sample = strided(out[`mask_${i}`]!.data as Float32Array, 1, size, 3, 8);
        expect(sample).toHaveLength((size / 8) ** 2);
        expect(maxAbsDifference(sample, decode(expected.sample))).toBeLessThanOrEqual(1e-6);
      }
    });

    it('chains the masks: every scale is an upsampling of the 8x8 mask, not of the 1024 mask', () => {
      // The 8x8 mask is a plain bilinear sample of the 1024 mask at 8 points, so it is not the
      // area mean, and the 1024 output is far from the input mask.
      const mask7 = out.mask_7!.data as Float32Array;
      expect(maxAbsDifference(mask7, mask)).toBeGreaterThan(0.1);
      const mask0 = out.mask_0!.data as Float32Array;
      // Half-pixel bilinear 1024 -> 8 without antialias averages input pixels 63..64 + 128k of each axis.
      const at = (y: number, x: number): number => mask[y * 1024 + x]!;
      for (const [r, c] of [[3, 3], [4, 2], [5, 6]] as const) {
        const y = 128 * r + 63;
        const x = 128 * c + 63;
        expect(mask0[r * 8 + c]).toBeCloseTo((at(y, x) + at(y, x + 1) + at(y + 1, x) + at(y + 1, x + 1)) / 4, 6);
      }
    });

    it('blend_i equals mask_i', () => {
      for (let i = 0; i < 8; i += 1) {
        expect(out[`blend_${i}`]!.dims).toEqual(out[`mask_${i}`]!.dims);
        expect(maxAbsDifference(out[`blend_${i}`]!.data as Float32Array, out[`mask_${i}`]!.data as Float32Array)).toBe(0);
      }
    });
  });

  it('blends random features as s*m + t*(1-m) within 1e-6, the mask broadcast over channels', async () => {
    const channels = [3, 2, 2, 1, 1, 1, 1, 1];
    const inputs: Record<string, Float32Array> = {};
    const feed = feeds(mask, channels, (which, i, length) => {
      inputs[`${which}_${i}`] = randomFloats(length, (which === 'source' ? 100 : 200) + i).map((v) => 4 * v);
      return inputs[`${which}_${i}`]!;
    });
    const out = await runModel(blendGraph({ channels, exposeMasks: true }), feed);
    for (let i = 0; i < 8; i += 1) {
      const plane = FEATURE_SIZES[i]! ** 2;
      const m = out[`mask_${i}`]!.data as Float32Array;
      const s = inputs[`source_${i}`]!;
      const t = inputs[`target_${i}`]!;
      const expected = Float32Array.from(s, (sv, j) => sv * m[j % plane]! + t[j]! * (1 - m[j % plane]!));
      const blend = out[`blend_${i}`]!;
      expect(blend.dims).toEqual([1, channels[i]!, FEATURE_SIZES[i]!, FEATURE_SIZES[i]!]);
      expect(maxAbsDifference(blend.data as Float32Array, expected)).toBeLessThanOrEqual(1e-6);
    }
    // The mask is neither all 0 nor all 1 at the finest scale, so both terms matter.
    const m7 = out.mask_7!.data as Float32Array;
    expect(Math.min(...m7.subarray(0, 1024))).toBe(0);
    expect(m7[550 * 1024 + 512]).toBeCloseTo(1, 6);
  });
});
