import { describe, expect, it } from 'vitest';
import { LATENT_SPLITS, type LatentSplit, WPlus, createLatentSplit } from '../src/index.js';
import { fuseLatents } from '../src/pipeline.js';
import { caught, decode, expectFslsd, loadFixture, maxAbsDifference } from './helpers.js';

// Synthetic values chosen so every sum below is exact in float32 (at most 24 significant bits):
// the code and position can be read back from a value, and source and target differ in sign.
const sourceValue = (code: number, k: number): number => 100 * code + k / 64;
const targetValue = (code: number, k: number): number => -(100 * code + k / 64);
const directionValue = (row: number, k: number): number => (row + 1) * 10000 + k;

const source = WPlus.from(Float32Array.from({ length: 18 * 512 }, (_, i) => sourceValue(Math.floor(i / 512), i % 512)));
const target = WPlus.from(Float32Array.from({ length: 18 * 512 }, (_, i) => targetValue(Math.floor(i / 512), i % 512)));
const direction = Float32Array.from({ length: 7 * 512 }, (_, i) => directionValue(Math.floor(i / 512), i % 512));

/** Checks code `code` of `fused` equals `expected(k)` for all 512 positions, exactly. */
function expectCode(fused: WPlus, code: number, expected: (k: number) => number): void {
  const values = fused.code(code);
  for (let k = 0; k < 512; k += 1) {
    if (values[k] !== expected(k)) expect.fail(`code ${code}[${k}] is ${values[k]}, expected ${expected(k)}`);
  }
}

describe('fuseLatents on synthetic codes', () => {
  for (const strength of [1, 0, 2]) {
    it(`official, strength ${strength}: codes 0..6 = source + strength*n[code], 7..10 source, 11..17 target`, () => {
      const fused = fuseLatents(source, target, direction, LATENT_SPLITS.official, strength);
      for (let code = 0; code <= 6; code += 1) expectCode(fused, code, (k) => sourceValue(code, k) + strength * directionValue(code, k));
      for (let code = 7; code <= 10; code += 1) expectCode(fused, code, (k) => sourceValue(code, k));
      for (let code = 11; code <= 17; code += 1) expectCode(fused, code, (k) => targetValue(code, k));
    });

    it(`paper, strength ${strength}: codes 0..6 = source + strength*n[code], 7..17 target`, () => {
      const fused = fuseLatents(source, target, direction, LATENT_SPLITS.paper, strength);
      for (let code = 0; code <= 6; code += 1) expectCode(fused, code, (k) => sourceValue(code, k) + strength * directionValue(code, k));
      for (let code = 7; code <= 17; code += 1) expectCode(fused, code, (k) => targetValue(code, k));
    });

    it(`megafs, strength ${strength}: codes 0..3 target, 4..17 source, direction ignored`, () => {
      const fused = fuseLatents(source, target, direction, LATENT_SPLITS.megafs, strength);
      for (let code = 0; code <= 3; code += 1) expectCode(fused, code, (k) => targetValue(code, k));
      for (let code = 4; code <= 17; code += 1) expectCode(fused, code, (k) => sourceValue(code, k));
    });
  }

  it('adds row j of n to code directionCodes[j] (custom order)', () => {
    const split = createLatentSplit({ source: [[0, 10]], direction: [10, 8, 6, 4, 2, 1, 0] });
    const fused = fuseLatents(source, target, direction, split, 1);
    const rowOf: Record<number, number> = { 10: 0, 8: 1, 6: 2, 4: 3, 2: 4, 1: 5, 0: 6 };
    for (let code = 0; code <= 10; code += 1) {
      const row = rowOf[code];
      expectCode(fused, code, (k) => sourceValue(code, k) + (row === undefined ? 0 : directionValue(row, k)));
    }
    for (let code = 11; code <= 17; code += 1) expectCode(fused, code, (k) => targetValue(code, k));
  });

  it('needs no direction for a split without direction codes', () => {
    const fused = fuseLatents(source, target, undefined, LATENT_SPLITS.megafs);
    expectCode(fused, 0, (k) => targetValue(0, k));
    expectCode(fused, 17, (k) => sourceValue(17, k));
  });

  it('leaves its inputs unchanged and returns a new value', () => {
    const before = [Float32Array.from(source.data), Float32Array.from(target.data), Float32Array.from(direction)];
    const fused = fuseLatents(source, target, direction, LATENT_SPLITS.official, 2);
    expect(fused).toBeInstanceOf(WPlus);
    expect(fused.data).not.toBe(source.data);
    expect(fused.data).not.toBe(target.data);
    expect(source.data).toEqual(before[0]);
    expect(target.data).toEqual(before[1]);
    expect(direction).toEqual(before[2]);
  });

  it('rejects a non-finite strength with INVALID_ARGUMENT', () => {
    for (const strength of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const error = expectFslsd(caught(() => fuseLatents(source, target, direction, LATENT_SPLITS.official, strength)), 'INVALID_ARGUMENT');
      expect(error.message).toContain(`got ${strength}`);
    }
  });

  it('rejects a missing or wrongly sized direction when the split uses one', () => {
    expect(expectFslsd(caught(() => fuseLatents(source, target, undefined, LATENT_SPLITS.official)), 'INVALID_ARGUMENT').message).toContain('7x512 values, got none');
    expect(expectFslsd(caught(() => fuseLatents(source, target, new Float32Array(6 * 512), LATENT_SPLITS.paper)), 'INVALID_ARGUMENT').message).toContain('got 3072');
  });

  it('refuses a shift that overflows float32 (INVALID_LATENT)', () => {
    const huge = new Float32Array(7 * 512).fill(3e38);
    expectFslsd(caught(() => fuseLatents(source, target, huge, LATENT_SPLITS.official, 2)), 'INVALID_LATENT');
  });
});

describe('fuseLatents against the PyTorch reference fixture', () => {
  const fixture = loadFixture();
  const sourceWPlus = WPlus.from(decode(fixture.outputs.sourceWPlus));
  const targetWPlus = WPlus.from(decode(fixture.outputs.targetWPlus));
  const n = decode(fixture.outputs.direction);

  for (const preset of ['official', 'paper', 'megafs'] as const) {
    it(`${preset} equals outputs.fused.${preset} within 1e-6`, () => {
      const split: LatentSplit = LATENT_SPLITS[preset];
      const fused = fuseLatents(sourceWPlus, targetWPlus, n, split, fixture.inputs.strength);
      const expected = decode(fixture.outputs.fused[preset]);
      expect(expected).toHaveLength(18 * 512);
      expect(maxAbsDifference(fused.data, expected)).toBeLessThanOrEqual(1e-6);
      // The presets differ by far more than the tolerance (official vs paper: codes 7..10, ~5e-4).
      for (const other of ['official', 'paper', 'megafs'] as const) {
        if (other !== preset) expect(maxAbsDifference(fused.data, decode(fixture.outputs.fused[other]))).toBeGreaterThan(1e-4);
      }
    });
  }
});
