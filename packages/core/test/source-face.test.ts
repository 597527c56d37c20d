import { describe, expect, it } from 'vitest';
import { type Landmarks, SOURCE_FACE_FORMAT, type SourceFace, WPlus, fivePointLandmarks, sourceFaceFromJSON, sourceFaceToJSON } from '../src/index.js';
import { caught, expectFslsd, randomFloats } from './helpers.js';

/** Values that a lossy encoding would change: -0, subnormals, extremes, odd mantissas. */
function awkwardValues(): Float32Array {
  const values = randomFloats(18 * 512, 11).map((v, i) => v * 10 ** ((i % 13) - 6));
  values.set([-0, 1e-45, -1.4e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, Math.fround(Math.PI), 1 / 3], 0);
  return values;
}

const landmarks: Landmarks = Array.from({ length: 106 }, (_, i): [number, number] => (i % 10 === 0 ? [-1, -1] : [i * 2.4 + 0.123, 255.875 - i]));

describe('source face JSON', () => {
  it('round-trips the W+ code bit for bit and the landmarks exactly, through JSON text', () => {
    const face: SourceFace = { kind: 'source', wplus: WPlus.from(awkwardValues()), landmarks };
    const json = sourceFaceToJSON(face);
    expect(json.format).toBe('fslsd-source-face/1');
    expect(SOURCE_FACE_FORMAT).toBe('fslsd-source-face/1');
    expect(json.wplus).toHaveLength((18 * 512 * 4 * 4) / 3);
    const back = sourceFaceFromJSON(JSON.parse(JSON.stringify(json)));
    expect(back.kind).toBe('source');
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
    const json = sourceFaceToJSON({ kind: 'source', wplus: WPlus.from(values), landmarks });
    const bytes = Buffer.from(json.wplus, 'base64');
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect([...bytes.subarray(bytes.length - 4)]).toEqual([0x00, 0x00, 0x00, 0xc0]);
  });

  it('round-trips five-point landmarks', () => {
    const five = fivePointLandmarks([[90, 110], [165, 111], [128, 150], [100, 190], [156, 191]]);
    const back = sourceFaceFromJSON(JSON.parse(JSON.stringify(sourceFaceToJSON({ kind: 'source', wplus: WPlus.from(new Float32Array(9216)), landmarks: five }))));
    expect(back.landmarks).toEqual(five);
  });

  describe('rejects malformed values with typed errors', () => {
    const good = () => ({ ...sourceFaceToJSON({ kind: 'source', wplus: WPlus.from(new Float32Array(9216).fill(0.5)), landmarks }) }) as Record<string, unknown>;

    it('INVALID_ARGUMENT for what is not a saved face', () => {
      for (const value of [null, undefined, 42, 'text', {}, { ...good(), format: 'fslsd-source-face/2' }, { ...good(), wplus: [1, 2, 3] }, { ...good(), wplus: undefined }]) {
        expect(expectFslsd(caught(() => sourceFaceFromJSON(value)), 'INVALID_ARGUMENT').message).toContain('Not a saved source face');
      }
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
