/**
 * The WebAssembly mask kernels: built from their AssemblyScript source (the committed module is
 * what a fresh compile gives), loaded in Node, and equal to the TypeScript loops on a real-size
 * landmark mask, float for float.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { landmarkFaceMasks, landmarkRegion, regionFaceMasks } from '../src/face/face-mask.js';
import { maskKernelsWasm } from '../src/face/mask-kernels.js';
import { useWasmKernels } from '../src/wasm-kernels.js';
import type { Point } from '../src/landmarks/maps.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** A plausible 68-point face in a 1024^2 crop: jaw, brows and the rest on an ellipse. */
function facePoints(tilt: number): Point[] {
  return Array.from({ length: 68 }, (_, i): Point => {
    const angle = i < 17 ? Math.PI * (1 - i / 16) : -Math.PI * ((i - 17) / 50) - tilt;
    const radius = i < 17 ? 330 : 220;
    return [512 + radius * Math.cos(angle) * 0.85, 540 + radius * Math.sin(angle) + (i < 17 ? 40 : -60)];
  });
}

afterEach(() => useWasmKernels(true));

describe('WebAssembly mask kernels', () => {
  it('match a fresh compile of assembly/ (mask and warp kernels alike)', () => {
    expect(() => execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  }, 120_000);

  it('load in Node', () => {
    const kernels = maskKernelsWasm();
    expect(kernels).toBeDefined();
    expect(Object.keys(kernels!.exports).sort()).toEqual(['boxAlongRows', 'boxDownColumns', 'gatherBox', 'heapBase', 'maskExtent', 'memory', 'orWindowDown', 'scaleWhereKept']);
  });

  for (const tilt of [0, 0.3]) {
    it(`give the TypeScript masks of a 1024^2 face exactly (brows tilted ${tilt})`, () => {
      const points = facePoints(tilt);
      const fast = landmarkFaceMasks(points);
      useWasmKernels(false);
      const plain = landmarkFaceMasks(points);
      expect(fast.inner.reduce((s, v) => s + v, 0)).toBeGreaterThan(200_000);
      expect(Buffer.from(fast.inner.buffer).equals(Buffer.from(plain.inner.buffer))).toBe(true);
      expect(Buffer.from(fast.paste.buffer).equals(Buffer.from(plain.paste.buffer))).toBe(true);
    });
  }

  it('give an empty region empty masks, and reuse their memory without leaking the last mask', () => {
    const face = regionFaceMasks(landmarkRegion(facePoints(0)));
    expect(face.paste.some((v) => v > 0)).toBe(true);
    const empty = regionFaceMasks(new Uint8Array(1024 * 1024));
    expect(empty.inner.every((v) => v === 0)).toBe(true);
    expect(empty.paste.every((v) => v === 0)).toBe(true);
  });
});
