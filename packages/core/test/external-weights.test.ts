import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_MIN_BYTES, decodeModel, encodeModel, externalizeWeights, inlineWeightBytes } from '../src/graph.js';
import { TINY_DIR, ort } from './helpers.js';

describe('externalizeWeights', () => {
  const file = `${TINY_DIR}generator.onnx`;
  const bytes = readFileSync(file);
  const model = decodeModel(bytes);
  const external = externalizeWeights(model, 'generator.onnx', bytes);

  it('leaves only small initializers inline and points the rest at their own bytes in the file', () => {
    const before = inlineWeightBytes(model);
    const after = inlineWeightBytes(external);
    expect(before).toBeGreaterThan(100_000);
    const originals = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
    let moved = 0;
    for (const tensor of external.graph?.initializer ?? []) {
      const original = originals.get(tensor.name)!;
      if (!tensor.externalData?.length) {
        expect(tensor.rawData?.byteLength ?? 0).toBeLessThan(EXTERNAL_MIN_BYTES);
        continue;
      }
      moved += 1;
      const entries = Object.fromEntries(tensor.externalData.map((e) => [e.key, e.value]));
      expect(entries.location).toBe('generator.onnx');
      const offset = Number(entries.offset);
      const length = Number(entries.length);
      expect(length).toBe(original.rawData!.byteLength);
      expect(Buffer.from(bytes.subarray(offset, offset + length)).equals(Buffer.from(original.rawData!))).toBe(true);
    }
    expect(moved).toBeGreaterThan(10);
    expect(after).toBeLessThan(before / 20);
    // Nothing in the result views the file's memory any more.
    for (const tensor of external.graph?.initializer ?? []) expect(tensor.rawData?.buffer).not.toBe(bytes.buffer);
  });

  it('runs in onnxruntime-node from the folder, bit-identical to the inline model', async () => {
    const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'basic' } as const;
    const inline = await ort.InferenceSession.create(encodeModel(model), options);
    const outside = await ort.InferenceSession.create(encodeModel(external), { ...options, extra: { session: { model_external_initializers_file_folder_path: TINY_DIR } } });
    const wplus = new ort.Tensor('float32', Float32Array.from({ length: 18 * 512 }, (_, i) => Math.sin(i) * 0.7), [1, 18, 512]);
    const a = await inline.run({ wplus });
    const b = await outside.run({ wplus });
    for (const name of inline.outputNames) expect(Buffer.from((b[name]!.data as Float32Array).buffer).equals(Buffer.from((a[name]!.data as Float32Array).buffer))).toBe(true);
    await inline.release();
    await outside.release();
  });
});
