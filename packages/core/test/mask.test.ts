import { describe, expect, it } from 'vitest';
import { defaultInnerMask, maskToTensor } from '../src/pipeline.js';
import { MASK_FILE, caught, expectFslsd, readGrayPng } from './helpers.js';

describe('defaultInnerMask', () => {
  it('equals the reference parity-mask.png value for value (png / 255 as float32)', async () => {
    const png = await readGrayPng(MASK_FILE);
    expect([png.width, png.height, png.data.length]).toEqual([1024, 1024, 1024 * 1024]);
    const mask = defaultInnerMask();
    expect(mask).toHaveLength(1024 * 1024);
    const expected = Float32Array.from(png.data, (v) => v / 255);
    let differing = 0;
    for (let i = 0; i < mask.length; i += 1) if (mask[i] !== expected[i]) differing += 1;
    expect(differing).toBe(0);
    // A feathered ellipse: 0 at the corners, 1 at the centre (0.5, 0.55), both present in bulk.
    expect(mask[0]).toBe(0);
    expect(mask[563 * 1024 + 512]).toBe(1);
    const levels = new Set(png.data);
    expect(levels.has(0) && levels.has(255) && levels.size > 100).toBe(true);
  });

  it('scales with the size', () => {
    const small = defaultInnerMask(64);
    expect(small).toHaveLength(64 * 64);
    expect(small[0]).toBe(0);
    expect(small[35 * 64 + 32]).toBe(1);
  });
});

describe('maskToTensor', () => {
  it('maps bytes to [0, 1] and passes valid floats through', () => {
    const bytes = new Uint8Array(16).map((_, i) => i * 17);
    expect([...maskToTensor({ width: 4, height: 4, data: bytes }, 4)]).toEqual([...Float32Array.from(bytes, (v) => v / 255)]);
    const floats = new Float32Array(16).fill(0.25);
    expect(maskToTensor({ width: 4, height: 4, data: floats }, 4)).toBe(floats);
  });

  it('rejects a wrong size and out-of-range floats with INVALID_MASK', () => {
    expect(expectFslsd(caught(() => maskToTensor({ width: 512, height: 512, data: new Uint8Array(512 * 512) })), 'INVALID_MASK').message).toContain('got 512x512');
    const floats = new Float32Array(16);
    floats[9] = Number.NaN;
    expect(expectFslsd(caught(() => maskToTensor({ width: 4, height: 4, data: floats }, 4)), 'INVALID_MASK').message).toContain('Mask value 9 is NaN');
    floats[9] = 1.5;
    expect(expectFslsd(caught(() => maskToTensor({ width: 4, height: 4, data: floats }, 4)), 'INVALID_MASK').message).toContain('Mask value 9 is 1.5');
  });
});
