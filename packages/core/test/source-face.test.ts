import { describe, expect, it } from 'vitest';
import { type Landmarks, SOURCE_FACE_FORMAT, SourceFace, WPlus, createSourceFace, fivePointLandmarks, modelSetId, sourceFaceFromJSON, sourceFaceToJSON } from '../src/index.js';
import { caught, expectFslsd, randomFloats } from './helpers.js';

/** Values that a lossy encoding would change: -0, subnormals, extremes, odd mantissas. */
function awkwardValues(): Float32Array {
  const values = randomFloats(18 * 512, 11).map((v, i) => v * 10 ** ((i % 13) - 6));
  values.set([-0, 1e-45, -1.4e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, Math.fround(Math.PI), 1 / 3], 0);
  return values;
}

const MODELS = 'tiny:0123456789ab';
const make = (wplus: WPlus, points: Landmarks = landmarks) => createSourceFace({ wplus, landmarks: points, method: 'fslsd', models: MODELS });

const landmarks: Landmarks = Array.from({ length: 106 }, (_, i): [number, number] => (i % 10 === 0 ? [-1, -1] : [i * 2.4 + 0.123, 255.875 - i]));

describe('source face JSON', () => {
  it('round-trips the W+ code bit for bit and the landmarks exactly, through JSON text', () => {
    const face = make(WPlus.from(awkwardValues()));
    const json = sourceFaceToJSON(face);
    expect(json.format).toBe('fslsd-source-face/2');
    expect(SOURCE_FACE_FORMAT).toBe('fslsd-source-face/2');
    expect([json.method, json.models]).toEqual(['fslsd', MODELS]);
    // JSON.stringify goes through toJSON(); SourceFace.fromJSON is the same reader.
    expect(JSON.parse(JSON.stringify(face))).toEqual(json);
    expect(SourceFace.fromJSON(JSON.parse(JSON.stringify(face))).models).toBe(MODELS);
    expect(json.wplus).toHaveLength((18 * 512 * 4 * 4) / 3);
    const back = sourceFaceFromJSON(JSON.parse(JSON.stringify(json)));
    expect(back.kind).toBe('source');
    expect([back.method, back.models]).toEqual(['fslsd', MODELS]);
    expect(back.wplus).toBeInstanceOf(WPlus);
    expect(new Uint32Array(back.wplus.data.buffer, back.wplus.data.byteOffset, 9216)).toEqual(new Uint32Array(face.wplus.data.buffer, face.wplus.data.byteOffset, 9216));
    expect(Object.is(back.wplus.data[0], -0)).toBe(true);
    expect(back.wplus.data[1]).toBe(Math.fround(1e-45)); // the smallest subnormal, 2^-149
    expect(back.landmarks).toEqual(landmarks);
  });

  it('stores little-endian float32', () => {
    const values = new Float32Array(18 * 512);
    values[0] = 1; // 0x3f800000
    values[9215] = -2; // 0xc0000000
    const json = sourceFaceToJSON(make(WPlus.from(values)));
    const bytes = Buffer.from(json.wplus, 'base64');
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect([...bytes.subarray(bytes.length - 4)]).toEqual([0x00, 0x00, 0x00, 0xc0]);
  });

  it('round-trips five-point landmarks', () => {
    const five = fivePointLandmarks([[90, 110], [165, 111], [128, 150], [100, 190], [156, 191]]);
    const back = sourceFaceFromJSON(JSON.parse(JSON.stringify(sourceFaceToJSON(make(WPlus.from(new Float32Array(9216)), five)))));
    expect(back.landmarks).toEqual(five);
  });

  describe('rejects malformed values with typed errors', () => {
    const good = () => ({ ...sourceFaceToJSON(make(WPlus.from(new Float32Array(9216).fill(0.5)))) }) as Record<string, unknown>;

    it('INVALID_ARGUMENT for what is not a saved face', () => {
      for (const value of [null, undefined, 42, 'text', {}, { ...good(), format: 'fslsd-source-face/3' }, { ...good(), wplus: [1, 2, 3] }, { ...good(), wplus: undefined }]) {
        expect(expectFslsd(caught(() => sourceFaceFromJSON(value)), 'INVALID_ARGUMENT').message).toContain('Not a saved source face');
      }
    });

    it('INVALID_ARGUMENT for a face saved without its model set (format 1) or with an unknown method', () => {
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), format: 'fslsd-source-face/1' })), 'INVALID_ARGUMENT').message).toContain('did not record the model set');
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), method: 'simswap' })), 'INVALID_ARGUMENT').message).toContain('names no known method');
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), models: '' })), 'INVALID_ARGUMENT').message).toContain('names no known method');
    });

    it('INVALID_LATENT for bad base64, a wrong byte count, and non-finite values', () => {
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), wplus: 'not base64!' })), 'INVALID_LATENT').message).toContain('not valid base64');
      const short = Buffer.alloc(9215 * 4).toString('base64');
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), wplus: short })), 'INVALID_LATENT').message).toContain('has 36860 bytes, expected 36864');
      const nan = Buffer.alloc(9216 * 4);
      nan.writeFloatLE(Number.NaN, 4 * 700);
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), wplus: nan.toString('base64') })), 'INVALID_LATENT').message).toContain('W+ value 700 (code 1)');
    });

    it('INVALID_LANDMARKS for missing or malformed landmarks', () => {
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), landmarks: undefined })), 'INVALID_LANDMARKS').message).toContain('needs 106 landmarks');
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), landmarks: landmarks.slice(1) })), 'INVALID_LANDMARKS').message).toContain('got 105');
      const bad = [...landmarks];
      bad[12] = [1, null as unknown as number];
      expect(expectFslsd(caught(() => sourceFaceFromJSON({ ...good(), landmarks: bad })), 'INVALID_LANDMARKS').message).toContain('Landmark 12');
    });
  });
});

describe('model set id', () => {
  const entries = [
    { id: 'generator', file: 'g.onnx', bytes: 1, sha256: 'a'.repeat(64) },
    { id: 'decoder', file: 'd.onnx', bytes: 1, sha256: 'b'.repeat(64) },
  ] as const;
  it('is the name and a 12-digit fingerprint of the files, independent of their order', () => {
    const id = modelSetId({ name: 'tiny', entries });
    expect(id).toMatch(/^tiny:[0-9a-f]{12}$/);
    expect(modelSetId({ name: 'tiny', entries: [entries[1], entries[0]] })).toBe(id);
  });
  it('changes with any file hash or the name', () => {
    const id = modelSetId({ name: 'tiny', entries });
    expect(modelSetId({ name: 'tiny', entries: [entries[0], { ...entries[1], sha256: `${'b'.repeat(63)}c` }] })).not.toBe(id);
    expect(modelSetId({ name: 'official', entries }).split(':')[1]).toBe(id.split(':')[1]);
    expect(modelSetId({ name: 'official', entries })).not.toBe(id);
  });
});
