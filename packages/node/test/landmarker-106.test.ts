/**
 * The 106-point landmarker (H3R) contract on the TypeScript side: the exporter's random-init
 * H3R fixture runs on onnxruntime-node to the PyTorch reference's points, plugs into the face
 * front end, and a landmarker with another point count is refused.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ContractError, type RgbImage, resizeLikePil } from '@fslsd/core';
import { createFaceAnalyzer as createCoreFaceAnalyzer, downscaleCrop } from '@fslsd/core/face';
import { encodeModel } from '@fslsd/core/graph';
import { packageDirectory, samplesDirectory, tinyModelsDirectory } from '@fslsd/models/node';

/** The parity fixtures live in the repository only (not in the published package). */
const fixturesDirectory = () => path.join(packageDirectory(), 'fixtures');
import { type OrtRuntime } from '@fslsd/core';
import { makeModel, node, valueInfo, floatTensor } from '@fslsd/core/graph';
import { readFaceModels, readImage } from './sdk.js';

interface Fixture {
  model: { file: string; outputs: { shape: number[] }[] };
  input: { image: string; rgbSha256: string };
  outputs: { landmarks: { shape: number[]; data: string } };
  tolerance: { landmarksMaxAbs: number };
}

const fixture = JSON.parse(readFileSync(path.join(fixturesDirectory(), 'landmarker-106-tiny.json'), 'utf8')) as Fixture;
const modelFile = path.join(fixturesDirectory(), fixture.model.file);
const runtime = ort as unknown as OrtRuntime;

function decode(data: string): Float32Array {
  const bytes = new Uint8Array(Buffer.from(data, 'base64'));
  return new Float32Array(bytes.buffer);
}

describe('106-point landmarker (H3R) from the exporter', () => {
  it('matches the PyTorch reference on the same input', async () => {
    const crop = await readImage(path.join(samplesDirectory(), path.basename(fixture.input.image)));
    // The reference fed PIL's 8-bit bilinear 256^2 resize; the front end makes the same bytes.
    const bytes = resizeLikePil(crop, 256, 256).data;
    const small = downscaleCrop(crop, 256, 'bytes');
    let drift = 0;
    for (let c = 0; c < 3; c += 1) for (let p = 0; p < 256 * 256; p += 1) drift = Math.max(drift, Math.abs(small[c * 256 * 256 + p]! - bytes[p * 3 + c]!));
    expect(drift).toBe(0);
    const digest = createHash('sha256').update(bytes).digest('hex');
    expect(digest).toBe(fixture.input.rgbSha256);
    const input = new Float32Array(3 * 256 * 256);
    for (let c = 0; c < 3; c += 1) for (let p = 0; p < 256 * 256; p += 1) input[c * 256 * 256 + p] = (Math.fround(bytes[p * 3 + c]! / 255) - 0.5) / 0.5;
    const session = await ort.InferenceSession.create(modelFile);
    const result = await session.run({ crop: new ort.Tensor('float32', input, [1, 3, 256, 256]) });
    const points = result.landmarks!.data as Float32Array;
    const expected = decode(fixture.outputs.landmarks.data);
    expect(result.landmarks!.dims).toEqual([1, 106, 2]);
    let worst = 0;
    for (let i = 0; i < expected.length; i += 1) worst = Math.max(worst, Math.abs(points[i]! - expected[i]!));
    console.log(`H3R fixture: max |ONNX - PyTorch| = ${worst.toExponential(2)} px`);
    expect(worst).toBeLessThanOrEqual(fixture.tolerance.landmarksMaxAbs);
    await session.release();
  });

  it('feeds E_le when plugged into the front end', async () => {
    const models = await readFaceModels(undefined, { landmarker: modelFile });
    const analyzer = await createCoreFaceAnalyzer({ runtime, models });
    try {
      expect(analyzer.landmarkSource).toBe('landmarker-106');
      const photo: RgbImage = await readImage(path.join(packageDirectory(), 'assets', 'photos', 'astronaut.png'));
      const [face] = await analyzer.detect(photo);
      const prepared = await analyzer.prepare(photo, face!);
      expect(prepared.landmarkSource).toBe('landmarker-106');
      expect(prepared.landmarks).toHaveLength(106);
      expect(prepared.landmarks.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y))).toBe(true);
    } finally {
      await analyzer.dispose();
    }
  });

  it('is used by fslsd swap when the model set carries it', () => {
    const set = mkdtempSync(path.join(tmpdir(), 'fslsd-h3r-set-'));
    try {
      cpSync(tinyModelsDirectory(), set, { recursive: true });
      copyFileSync(modelFile, path.join(set, 'landmarker-106.onnx'));
      const manifest = JSON.parse(readFileSync(path.join(set, 'manifest.json'), 'utf8')) as { models: object[] };
      manifest.models.push({ ...fixture.model, file: 'landmarker-106.onnx' });
      writeFileSync(path.join(set, 'manifest.json'), JSON.stringify(manifest));
      const photos = path.join(packageDirectory(), 'assets', 'photos');
      const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
      const result = spawnSync(process.execPath, [cli, 'swap', '--source', path.join(photos, 'hopper.jpg'), '--target', path.join(photos, 'astronaut.png'),
        '--out', path.join(set, 'out.png'), '--models', set, '--device', 'cpu'], { encoding: 'utf8', timeout: 120_000 });
      expect(result.status).toBe(0);
      expect(result.stderr).toContain('E_le landmarks: landmarker-106');
    } finally {
      rmSync(set, { recursive: true, force: true });
    }
  });

  it('refuses a landmarker whose point count E_le cannot read', async () => {
    const wrong = makeModel({
      name: 'sixty-eight',
      node: [node('ReduceMean', ['crop'], ['mean'], { keepdims: 0 }), node('Mul', ['base', 'mean'], ['landmarks'])],
      initializer: [floatTensor('base', [1, 68, 2], new Float32Array(136).fill(1))],
      input: [valueInfo('crop', 'float32', [1, 3, 256, 256])],
      output: [valueInfo('landmarks', 'float32', [1, 68, 2])],
    }, 'a 68-point landmarker');
    const models = { ...(await readFaceModels()), landmarker106: encodeModel(wrong) };
    const error = await createCoreFaceAnalyzer({ runtime, models }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).message).toMatch(/tensor "landmarks" must be \[1,106,2\] \(E_le reads 106 points\), but the model has \[1,68,2\]/);
  });
});
