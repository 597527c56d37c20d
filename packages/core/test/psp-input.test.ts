import { describe, expect, it } from 'vitest';
import { pspInput } from '../src/fslsd/stages/encode-latent.js';
import { SAMPLES_DIR, decode, loadFixture, maxAbsDifference, readRgbPng, strided } from './helpers.js';

describe("pSp's input", () => {
  it("is the reference's (Pillow's 8-bit resize, then [-1, 1]) to the value for the astronaut crop", async () => {
    const fixture = loadFixture();
    const image = await readRgbPng(`${SAMPLES_DIR}${fixture.inputs.source}`);
    expect([image.width, image.height]).toEqual([1024, 1024]);
    const small = pspInput(image);
    expect(small.length).toBe(3 * 256 * 256);
    const expected = fixture.outputs.sourceSmall.sample;
    expect([expected.offset, expected.stride, expected.shape]).toEqual([1, 4, [3, 64, 64]]);
    expect(maxAbsDifference(strided(small, 3, 256, 1, 4), decode(expected))).toBe(0);
    let sum = 0;
    for (const v of small) sum += v;
    expect(Math.abs(sum / small.length - fixture.outputs.sourceSmall.stats.mean)).toBeLessThanOrEqual(1e-9);
    // Every value is a byte mapped to [-1, 1]: the 8-bit rounding happened.
    for (let i = 0; i < small.length; i += 997) expect(Number.isInteger(Math.round(((small[i]! + 1) / 2) * 255 * 1e4) / 1e4)).toBe(true);
  });
});
