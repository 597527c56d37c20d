/**
 * Half precision against the float32 pipeline on the tiny set: the same swap through graphs
 * rewritten by toFloat16 (packages/core/src/graph/float16.ts), on onnxruntime-node's CPU float16
 * kernels. The tolerances below are the parity we state for float16 (BENCHMARKS.md).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplesDirectory } from '@fslsd/models/node';
import type { SwapResult } from '@fslsd/core/pipeline';
import { type NodeSwapper, createSwapper, readAlignedCrop, readLandmarks } from './sdk.js';

const face = async (name: string) => {
  const file = path.join(samplesDirectory(), name);
  return { image: await readAlignedCrop(file), landmarks: await readLandmarks(file.replace('.png', '.landmarks.json')) };
};

function difference(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('precision float16 (tiny set, CPU)', () => {
  const results: Record<string, SwapResult> = {};
  const swappers: NodeSwapper[] = [];

  beforeAll(async () => {
    const source = await face('astronaut.png');
    const target = await face('hopper.png');
    for (const precision of ['float32', 'float16'] as const) {
      const swapper = await createSwapper({ device: 'cpu', precision });
      swappers.push(swapper);
      results[precision] = await swapper.swap(await swapper.encodeSource(source), target);
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of swappers) await s.dispose();
  });

  it('stays within the stated tolerance of float32 and really runs in half precision', () => {
    const image = difference(results.float32!.image.data, results.float16!.image.data);
    const latent = difference(results.float32!.latent.data, results.float16!.latent.data);
    console.log(`float16 vs float32: y_f max ${image.max.toExponential(2)} mean ${image.mean.toExponential(2)}; latent max ${latent.max.toExponential(2)} mean ${latent.mean.toExponential(2)}`);
    expect(image.max).toBeGreaterThan(0);
    // Measured: y_f max 1.6e-3, mean 1.7e-4; latent max 4.4e-4, mean 5.3e-5 (y_f spans [-0.76, 1] on the tiny set).
    expect(image.max).toBeLessThan(4e-3);
    expect(image.mean).toBeLessThan(3e-4);
    expect(latent.max).toBeLessThan(1e-3);
    expect(latent.mean).toBeLessThan(1e-4);
  });

  it('refuses an unknown precision with a typed error', async () => {
    await expect(createSwapper({ device: 'cpu', precision: 'float8' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
