import { describe, expect, it } from 'vitest';
import { CODE_COUNT, CODE_SIZE, DIRECTION_ROWS, WPlus } from '../src/index.js';
import { caught, expectFslsd } from './helpers.js';

const ramp = (): Float32Array => Float32Array.from({ length: 18 * 512 }, (_, i) => i / 8);

describe('WPlus', () => {
  it('has 18 codes of 512 values and a 7-row direction', () => {
    expect([CODE_COUNT, CODE_SIZE, DIRECTION_ROWS]).toEqual([18, 512, 7]);
    expect(WPlus.from(ramp()).dims).toEqual([1, 18, 512]);
  });

  it('copies by default and wraps without copying when asked', () => {
    const values = ramp();
    const copied = WPlus.from(values);
    const wrapped = WPlus.from(values, false);
    values[5] = -42;
    expect(copied.data[5]).toBe(5 / 8);
    expect(wrapped.data).toBe(values);
    expect(wrapped.data[5]).toBe(-42);
  });

  it('accepts plain number arrays, rounding them to float32', () => {
    const values = Array.from({ length: 18 * 512 }, () => 0.1);
    const w = WPlus.from(values);
    expect(w.data).toBeInstanceOf(Float32Array);
    expect(w.data[9215]).toBe(Math.fround(0.1));
  });

  it('returns code views', () => {
    const w = WPlus.from(ramp());
    expect(w.code(0)).toHaveLength(512);
    expect(w.code(3)[0]).toBe((3 * 512) / 8);
    expect(w.code(17)[511]).toBe(9215 / 8);
    expect(w.code(2).buffer).toBe(w.data.buffer);
    for (const bad of [-1, 18, 1.5, Number.NaN]) expect(expectFslsd(caught(() => w.code(bad)), 'INVALID_ARGUMENT').message).toContain(`got ${bad}`);
  });

  it('rejects the wrong length with INVALID_LATENT', () => {
    for (const length of [0, 9215, 9217, 7 * 512]) {
      const error = expectFslsd(caught(() => WPlus.from(new Float32Array(length))), 'INVALID_LATENT');
      expect(error.message).toContain(`= 9216 values, got ${length}`);
    }
  });

  it('rejects NaN and infinities with INVALID_LATENT, naming the value and code', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = ramp();
      values[600] = bad;
      const error = expectFslsd(caught(() => WPlus.from(values)), 'INVALID_LATENT');
      expect(error.message).toContain('W+ value 600 (code 1) is not finite');
      expectFslsd(caught(() => WPlus.from(values, false)), 'INVALID_LATENT');
    }
  });
});
