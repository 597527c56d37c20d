/**
 * The WebAssembly resize kernels against the TypeScript passes of pil-resize.ts: the same bytes
 * for RGB and RGBA inputs, shrinking and enlarging, widths whose rows are not a multiple of four
 * bytes, and pSp's own 1024^2 -> 256^2. (Both against Pillow itself: node/test/pil-resize.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resizeLikePil } from '../src/image/pil-resize.js';
import { resizeKernelsWasm } from '../src/image/resize-kernels.js';
import { useWasmKernels } from '../src/wasm-kernels.js';

afterEach(() => useWasmKernels(true));

/** A deterministic image with edges and noise (hash of the index), full 0..255 range. */
function picture(width: number, height: number, channels: 3 | 4) {
  const data = Uint8Array.from({ length: width * height * channels }, (_, i) => {
    const x = Math.floor(i / channels) % width;
    return x % 37 < 5 ? 255 : x % 37 < 9 ? 0 : (i * 2654435761) >>> 24;
  });
  return { width, height, channels, data };
}

describe('WebAssembly resize kernels', () => {
  it('load in Node', () => {
    expect(resizeKernelsWasm()).toBeDefined();
  });

  const cases: ReadonlyArray<readonly [number, number, 3 | 4, number, number]> = [
    [1024, 1024, 3, 256, 256],
    [1024, 1024, 4, 512, 512],
    [517, 301, 3, 123, 77],
    [97, 61, 3, 333, 202],
    [640, 480, 4, 641, 239],
    [3, 2, 3, 1, 1],
  ];
  for (const [inWidth, inHeight, channels, width, height] of cases) {
    it(`${inWidth}x${inHeight}x${channels} -> ${width}x${height}: the TypeScript's bytes`, () => {
      const image = picture(inWidth, inHeight, channels);
      const fast = resizeLikePil(image, width, height);
      useWasmKernels(false);
      const plain = resizeLikePil(image, width, height);
      expect([fast.width, fast.height, fast.data.length]).toEqual([width, height, width * height * 3]);
      let differing = 0;
      for (let i = 0; i < plain.data.length; i += 1) if (fast.data[i] !== plain.data[i]) differing += 1;
      expect(differing).toBe(0);
      // Not a constant image: the comparison means something.
      if (width * height > 4) expect(new Set(plain.data).size).toBeGreaterThan(50);
    });
  }
});
