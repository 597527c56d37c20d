import { describe, expect, it } from 'vitest';
import { encodeModel, float16Bits, floatTensor, makeModel, node, toFloat16, valueInfo } from '../src/graph.js';
import { ort } from './helpers.js';

describe('float16Bits', () => {
  it('rounds to the nearest half, ties to even, and saturates', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.1, 0x2e66], [1 / 3, 0x3555],
      [65504, 0x7bff], [1e6, 0x7bff], [-1e6, 0xfbff], [2 ** -24, 0x0001], [2 ** -14, 0x0400],
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: rounds up
      [2 ** -26, 0x0000],
    ];
    for (const [value, bits] of cases) expect(float16Bits(value).toString(16)).toBe(bits.toString(16));
    expect(float16Bits(Number.NaN)).toBe(0x7e00);
  });
});

describe('toFloat16', () => {
  it('keeps float32 inputs and outputs, computes in float16, and matches float32 within half precision', async () => {
    // Conv -> Resize (scales as a float32 constant) -> Cast to float -> Mul: the rewrites in one graph.
    const weights = Float32Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.sin(i) * 0.3);
    const model = makeModel({
      name: 'g',
      node: [
        node('Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }),
        node('Resize', ['c', '', 'scales'], ['r'], { mode: 'linear' }),
        node('Cast', ['r'], ['f'], { to: 1 }),
        node('Mul', ['f', 'k'], ['y']),
      ],
      initializer: [floatTensor('w', [4, 3, 3, 3], weights), floatTensor('scales', [4], Float32Array.of(1, 1, 2, 2)), floatTensor('k', [1], Float32Array.of(0.5))],
      input: [valueInfo('x', 'float32', [1, 3, 8, 8])],
      output: [valueInfo('y', 'float32', [1, 4, 16, 16])],
    }, 'float16 test');
    const half = toFloat16(model);
    expect(half.graph?.initializer?.find((t) => t.name === 'w')?.dataType).toBe(10);
    expect(half.graph?.input?.[0]?.type?.tensorType?.elemType).toBe(1);
    expect(half.graph?.output?.[0]?.type?.tensorType?.elemType).toBe(1);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 3 * 64 }, (_, i) => Math.cos(i * 0.7)), [1, 3, 8, 8]);
    const run = async (m: typeof model) => {
      const session = await ort.InferenceSession.create(encodeModel(m), { executionProviders: ['cpu'] });
      const out = (await session.run({ x })).y!;
      await session.release();
      return out;
    };
    const full = await run(model);
    const reduced = await run(half);
    expect(reduced.type).toBe('float32');
    expect(reduced.dims).toEqual([1, 4, 16, 16]);
    const a = full.data as Float32Array;
    const b = reduced.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
    expect(worst).toBeGreaterThan(0); // it really ran in half precision
    expect(worst).toBeLessThan(4e-3);
  });
});
