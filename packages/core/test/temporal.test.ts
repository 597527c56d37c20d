import { describe, expect, it } from 'vitest';
import { type Quad } from '../src/face.js';
import { MovingAverage, OneEuroFilter, checkStrength, quadJitter, secondDifferenceJitter, temporalFilters } from '../src/video.js';

/** A deterministic pseudo-random sequence in [-1, 1]. */
function noise(n: number, seed = 7): number[] {
  let state = seed;
  return Array.from({ length: n }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31) * 2 - 1;
  });
}

describe('jitter metric', () => {
  it('is zero for motion at constant velocity and measures second differences', () => {
    const ramp = Array.from({ length: 10 }, (_, t) => [t * 3, 5 - t]);
    expect(secondDifferenceJitter(ramp)).toBe(0);
    // x = 0, 1, 0, 1, ...: every second difference is +-2 in one coordinate of a 2-vector (one point).
    const zigzag = Array.from({ length: 6 }, (_, t) => [t % 2, 0]);
    expect(secondDifferenceJitter(zigzag)).toBeCloseTo(2, 12);
    expect(secondDifferenceJitter(zigzag, 4)).toBeCloseTo(0.5, 12);
  });
  it('expresses quad jitter in crop sides', () => {
    const quad = (dx: number): Quad => [[dx, 0], [dx, 100], [dx + 100, 100], [dx + 100, 0]];
    // Every corner zigzags by 1 pixel: second differences of 2 pixels on a 100-pixel crop.
    expect(quadJitter([quad(0), quad(1), quad(0), quad(1)])).toBeCloseTo(0.02, 12);
  });
});

describe('temporal filters', () => {
  it('one-euro: a still, noisy point settles; a moving one is followed without drifting away', () => {
    const filter = new OneEuroFilter(1, 1.5);
    const still = noise(200).map((v) => [5 + 0.05 * v]);
    const out = still.map((sample) => filter.next(sample, 30)[0]!);
    const spread = (values: number[]) => Math.sqrt(values.reduce((s, v) => s + (v - 5) ** 2, 0) / values.length);
    expect(spread(out.slice(50))).toBeLessThan(spread(still.slice(50).map((v) => v[0]!)) * 0.5);
    const moving = new OneEuroFilter(1, 1.5);
    let last = 0;
    for (let t = 0; t < 90; t += 1) last = moving.next([t / 30], 30)[0]!; // 1 unit per second
    expect(Math.abs(last - 89 / 30)).toBeLessThan(0.15); // lag under 0.15 s
  });
  it('moving average and strength 0 pass through', () => {
    const average = new MovingAverage(0.5);
    expect(Array.from(average.next(Float32Array.of(2)))).toEqual([2]);
    const sample = Float32Array.of(4);
    const averaged = average.next(sample);
    expect(Array.from(averaged)).toEqual([3]);
    expect([averaged === sample, sample[0]]).toEqual([false, 4]); // next() leaves the sample alone
    // update() writes the average into the sample: 0.5 * 3 + 0.5 * 7.
    const own = Float32Array.of(7);
    expect([average.update(own) === own, own[0]]).toEqual([true, 5]);
    expect(Array.from(average.next(Float32Array.of(5)))).toEqual([5]);
    const off = temporalFilters(0);
    expect(off.landmarks).toBeUndefined();
    off.latent.next(Float32Array.of(1));
    expect(Array.from(off.latent.next(Float32Array.of(9)))).toEqual([9]);
    expect(() => checkStrength(1.5)).toThrow(/\[0, 1\]/);
  });
});
