/**
 * The mask operations against their definitions, computed the slow obvious way: dilation as the
 * maximum over the window, the feather as two box filters summed tap by tap. Sizes that are and
 * are not multiples of 4 (the dilation ORs four pixels per word when it can). Each test runs
 * twice: on the WebAssembly mask kernels and on the TypeScript loops that stand in for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dilateSquare, regionFaceMasks } from '../src/face/face-mask.js';
import { maskKernelsWasm } from '../src/face/mask-kernels.js';
import { useWasmKernels } from '../src/wasm-kernels.js';

function randomBlobs(size: number, seed: number): Uint8Array {
  let state = seed;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const mask = new Uint8Array(size * size);
  for (let blob = 0; blob < 5; blob += 1) {
    const cx = random() * size;
    const cy = random() * size;
    const r = 2 + random() * size * 0.2;
    for (let y = 0; y < size; y += 1) for (let x = 0; x < size; x += 1) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) mask[y * size + x] = 1;
  }
  // Single pixels near the edges, where the windows leave the image.
  mask[0] = 1;
  mask[size * size - 1] = 1;
  mask[(size - 2) * size + 1] = 1;
  return mask;
}

function slowDilate(mask: Uint8Array, size: number, kernel: number): Uint8Array {
  const before = Math.floor(kernel / 2);
  const after = kernel - 1 - before;
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      let set = 0;
      for (let yy = Math.max(0, y - before); yy <= Math.min(size - 1, y + after) && !set; yy += 1) {
        for (let xx = Math.max(0, x - before); xx <= Math.min(size - 1, x + after); xx += 1) if (mask[yy * size + xx]) { set = 1; break; }
      }
      out[y * size + x] = set;
    }
  }
  return out;
}

function slowBox(input: Float64Array, size: number, radius: number): Float64Array {
  const out = new Float64Array(size * size);
  const width = 2 * radius + 1;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      let sum = 0;
      for (let dy = -radius; dy <= radius; dy += 1) for (let dx = -radius; dx <= radius; dx += 1) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy >= 0 && yy < size && xx >= 0 && xx < size) sum += input[yy * size + xx]!;
      }
      out[y * size + x] = sum / (width * width);
    }
  }
  return out;
}

for (const kernels of ['WebAssembly', 'TypeScript'] as const) describe(`mask operations against their definitions (${kernels})`, () => {
  beforeAll(() => useWasmKernels(kernels === 'WebAssembly'));
  afterAll(() => useWasmKernels(true));
  it(`runs on the ${kernels} kernels`, () => {
    expect(maskKernelsWasm() !== undefined).toBe(kernels === 'WebAssembly');
  });
  for (const [size, kernel] of [[96, 13], [101, 12], [64, 1], [50, 50], [37, 64]] as const) {
    it(`dilates a ${size}^2 mask with a ${kernel}x${kernel} square exactly`, () => {
      const mask = randomBlobs(size, size * 7 + kernel);
      expect(Array.from(dilateSquare(mask, size, kernel))).toEqual(Array.from(slowDilate(mask, size, kernel)));
    });
  }
  it('treats any non-zero byte as set', () => {
    const mask = new Uint8Array(16 * 16);
    mask[5 * 16 + 5] = 255;
    expect(dilateSquare(mask, 16, 3).reduce((s, v) => s + v, 0)).toBe(9);
  });
  // At 128^2 the defaults scale to a 6-pixel dilation and a 1-pixel blur radius; ask for more.
  // The second pair has a feather wider than the dilation: there the blur reaches past the
  // dilated mask and the zeroing outside it matters.
  for (const [size, dilationAt1024, featherAt1024] of [[128, 400, 192], [130, 400, 192], [128, 80, 320]] as const) {
    it(`feathers a ${size}^2 region as two box filters, zero outside the dilation (dilation ${dilationAt1024}, feather ${featherAt1024} at 1024^2)`, () => {
      const region = randomBlobs(size, 3 + size);
      const options = { size, dilation: dilationAt1024, feather: featherAt1024 };
      const dilation = Math.round(dilationAt1024 * (size / 1024));
      const radius = Math.floor(Math.round(featherAt1024 * (size / 1024)) / 4);
      const { inner, paste } = regionFaceMasks(region, options);
      const dilated = slowDilate(region, size, dilation);
      const narrow = slowDilate(region, size, Math.max(1, dilation - 4 * radius - 2));
      const blurred = slowBox(slowBox(Float64Array.from(narrow), size, radius), size, radius);
      expect(radius).toBeGreaterThan(2);
      let worst = 0;
      let partial = 0;
      for (let i = 0; i < size * size; i += 1) {
        expect(inner[i]).toBe(dilated[i]);
        const expected = dilated[i] ? blurred[i]! : 0;
        worst = Math.max(worst, Math.abs(paste[i]! - expected));
        if (expected > 0 && expected < 1) partial += 1;
      }
      expect(partial).toBeGreaterThan(500);
      expect(worst).toBeLessThan(1e-6);
    });
  }
});
