/**
 * The WebAssembly tensor kernels against the TypeScript loops in tensor.ts: the same float32
 * values from bytes (RGB and RGBA), and the same bytes from floats, out-of-range, infinite and
 * NaN values included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { imageToTensor, tensorToImage } from '../src/image/tensor.js';
import { tensorKernelsWasm } from '../src/image/tensor-kernels.js';
import { useWasmKernels } from '../src/wasm-kernels.js';

afterEach(() => useWasmKernels(true));

describe('WebAssembly tensor kernels', () => {
  it('load in Node', () => {
    expect(tensorKernelsWasm()).toBeDefined();
  });

  for (const channels of [3, 4] as const) {
    it(`turn ${channels}-channel bytes into the TypeScript's float planes`, () => {
      const width = 67;
      const height = 45;
      const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 2654435761) >>> 24);
      const fast = imageToTensor({ width, height, channels, data });
      useWasmKernels(false);
      const plain = imageToTensor({ width, height, channels, data });
      expect(Buffer.from(fast.data.buffer, fast.data.byteOffset, fast.data.byteLength).equals(Buffer.from(plain.data.buffer, plain.data.byteOffset, plain.data.byteLength))).toBe(true);
      // Red of pixel 1 is byte `channels`: (v / 255 - 0.5) / 0.5 in float32.
      expect(fast.data[1]).toBe(Math.fround((Math.fround(data[channels]! / 255) - 0.5) / 0.5));
    });
  }

  it("turn float planes into the TypeScript's bytes, clamping, and NaN to 0", () => {
    const width = 31;
    const height = 17;
    const plane = width * height;
    const data = Float32Array.from({ length: 3 * plane }, (_, i) => Math.sin(i * 12.9898) * 1.3);
    data[5] = Number.NaN;
    data[6] = Number.POSITIVE_INFINITY;
    data[7] = Number.NEGATIVE_INFINITY;
    data[8] = 0.5 / 255 - 1; // exactly on a rounding half: (v + 1) / 2 * 255 + 0.5 = 0.75
    const fast = tensorToImage({ width, height, channels: 3, data });
    useWasmKernels(false);
    const plain = tensorToImage({ width, height, channels: 3, data });
    expect(Array.from(fast.data)).toEqual(Array.from(plain.data));
    expect([fast.data[15], fast.data[18], fast.data[21]]).toEqual([0, 255, 0]);
    expect(fast.data.filter((v) => v === 0 || v === 255).length).toBeGreaterThan(plane * 0.2);
  });
});
