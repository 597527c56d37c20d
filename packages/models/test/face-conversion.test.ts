/**
 * The converted face networks compute what face-api's originals compute: each ONNX file on
 * onnxruntime-node (and once on onnxruntime-web's wasm backend) against the same network in
 * TensorFlow.js (CPU backend) on the same inputs: a real photo and seeded random pixels.
 * Also: the converter is deterministic (a fresh conversion is byte-identical to the shipped
 * files) and the shipped manifest verifies.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFaceModels } from '../src/convert/convert-faces.js';
import { FACE_MANIFEST_FORMAT, FACE_MODEL_IDS, parseFaceManifest } from '../src/convert/face-manifest.js';
import { faceModelsDirectory, samplesDirectory } from '../src/node.js';
import { type FaceApi, type Tf, layouts, loadFaceApi, maxAbsDifference, nhwcToNchw, randomPixels, readRgb } from './face-api-reference.js';

/**
 * Tolerance on every output. Measured (onnxruntime-node / -web 1.30 vs tfjs 4.22 CPU): detector
 * grid 3.8e-5 (logits of magnitude ~10, after 7 layers of float32 sums in another order),
 * landmarks 2.7e-7, descriptor 3.0e-7 (see faces/SOURCES.md).
 */
const TOLERANCE = 1e-4;

const photo = path.join(samplesDirectory(), '..', 'photos', 'astronaut.png');
const astronautCrop = path.join(samplesDirectory(), 'astronaut.png');
const hopperCrop = path.join(samplesDirectory(), 'hopper.png');

type OrtModule = typeof ortNode;

interface Case {
  readonly id: (typeof FACE_MODEL_IDS)[number];
  readonly file: string;
  readonly size: number;
  readonly output: string;
  /** The original network's raw output for an NHWC float input, as NCHW / flat data. */
  readonly reference: (tf: Tf, faceapi: FaceApi, nhwc: Float32Array) => Promise<Float32Array>;
}

const CASES: readonly Case[] = [
  {
    id: 'face-detector',
    file: 'face-detector.onnx',
    size: 416,
    output: 'grid',
    async reference(tf, faceapi, nhwc) {
      const input = tf.tensor4d(nhwc, [1, 416, 416, 3], 'float32');
      const out = await faceapi.nets.tinyFaceDetector.forward(input, 416);
      const [, h, w, c] = out.shape as [number, number, number, number];
      const data = nhwcToNchw(Float32Array.from(await out.data()), h, w, c);
      input.dispose();
      out.dispose();
      return data;
    },
  },
  {
    id: 'face-landmarks-68',
    file: 'face-landmarks-68.onnx',
    size: 112,
    output: 'landmarks',
    async reference(tf, faceapi, nhwc) {
      const input = tf.tensor4d(nhwc, [1, 112, 112, 3], 'float32');
      // runNet = feature extractor + fully connected head, before face-api's un-padding.
      const out = faceapi.nets.faceLandmark68Net.runNet(await faceapi.toNetInput(input));
      const data = Float32Array.from(await out.data());
      input.dispose();
      out.dispose();
      return data;
    },
  },
  {
    id: 'face-descriptor',
    file: 'face-descriptor.onnx',
    size: 150,
    output: 'descriptor',
    async reference(tf, faceapi, nhwc) {
      const input = tf.tensor4d(nhwc, [1, 150, 150, 3], 'float32');
      const out = faceapi.nets.faceRecognitionNet.forwardInput(await faceapi.toNetInput(input));
      const data = Float32Array.from(await out.data());
      input.dispose();
      out.dispose();
      return data;
    },
  },
];

async function runOnnx(ort: OrtModule, file: string, nchw: Float32Array, size: number, output: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(await readFile(path.join(faceModelsDirectory(), file)));
  try {
    const result = await session.run({ image: new ort.Tensor('float32', nchw, [1, 3, size, size]) });
    return Float32Array.from(result[output]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** Real inputs: the detector sees the whole photo, the face networks see the sample face crops. */
async function inputsFor(testCase: Case): Promise<Array<{ label: string; nhwc: Float32Array; nchw: Float32Array }>> {
  const size = { width: testCase.size, height: testCase.size };
  const real = testCase.id === 'face-detector'
    ? [{ label: 'astronaut photo', image: await readRgb(photo, size) }, { label: 'hopper crop', image: await readRgb(hopperCrop, size) }]
    : [{ label: 'astronaut crop', image: await readRgb(astronautCrop, size) }, { label: 'hopper crop', image: await readRgb(hopperCrop, size) }];
  const random = randomPixels(testCase.size, testCase.size, 20251125);
  return [
    ...real.map(({ label, image }) => ({ label, ...layouts(image) })),
    { label: 'seeded random', ...layouts({ width: testCase.size, height: testCase.size, data: random }) },
  ];
}

describe('converted face-api networks match TensorFlow.js', () => {
  let reference: { tf: Tf; faceapi: FaceApi };
  beforeAll(async () => {
    reference = await loadFaceApi();
  }, 120_000);

  for (const testCase of CASES) {
    it(`${testCase.id} on onnxruntime-node`, async () => {
      const differences: Record<string, number> = {};
      for (const input of await inputsFor(testCase)) {
        const expected = await testCase.reference(reference.tf, reference.faceapi, input.nhwc);
        const actual = await runOnnx(ortNode, testCase.file, input.nchw, testCase.size, testCase.output);
        expect(actual.length).toBe(expected.length);
        // The outputs are not trivially small: a broken graph cannot pass by returning zeros.
        expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(0.05);
        differences[input.label] = maxAbsDifference(actual, expected);
      }
      console.log(`${testCase.id} onnxruntime-node max |diff|:`, differences);
      for (const difference of Object.values(differences)) expect(difference).toBeLessThanOrEqual(TOLERANCE);
    }, 120_000);
  }

  it('all three on onnxruntime-web (wasm, single thread)', async () => {
    const ortWeb = (await import('onnxruntime-web/wasm')) as unknown as OrtModule & { env: { wasm: { numThreads: number } } };
    ortWeb.env.wasm.numThreads = 1;
    const differences: Record<string, number> = {};
    for (const testCase of CASES) {
      const [input] = await inputsFor(testCase);
      const expected = await testCase.reference(reference.tf, reference.faceapi, input!.nhwc);
      const actual = await runOnnx(ortWeb, testCase.file, input!.nchw, testCase.size, testCase.output);
      differences[testCase.id] = maxAbsDifference(actual, expected);
    }
    console.log('onnxruntime-web max |diff|:', differences);
    for (const difference of Object.values(differences)) expect(difference).toBeLessThanOrEqual(TOLERANCE);
  }, 180_000);

  it('the detector takes other multiples of 32 (symbolic height and width)', async () => {
    const [height, width] = [320, 480];
    const image = await readRgb(photo, { width, height });
    const { nhwc, nchw } = layouts(image);
    const input = reference.tf.tensor4d(nhwc, [1, height, width, 3], 'float32');
    // face-api's forward pads to a square; feed the network directly to get the raw grid.
    const net = reference.faceapi.nets.tinyFaceDetector as unknown as { runMobilenet(x: unknown, params: unknown): { shape: number[]; data(): Promise<Float32Array>; dispose(): void }; params: unknown };
    const tfjs = reference.tf as unknown as { sub(a: unknown, b: unknown): unknown; div(a: unknown, b: number): unknown; tensor1d(v: number[]): unknown };
    const normalized = tfjs.div(tfjs.sub(input, tfjs.tensor1d([117.001, 114.697, 97.404])), 255);
    const out = net.runMobilenet(normalized, net.params);
    const [, h, w, c] = out.shape as [number, number, number, number];
    expect([h, w]).toEqual([height / 32, width / 32]);
    const expected = nhwcToNchw(Float32Array.from(await out.data()), h, w, c);
    const session = await ortNode.InferenceSession.create(await readFile(path.join(faceModelsDirectory(), 'face-detector.onnx')));
    const result = await session.run({ image: new ortNode.Tensor('float32', nchw, [1, 3, height, width]) });
    expect(result.grid!.dims).toEqual([1, 25, h, w]);
    expect(maxAbsDifference(result.grid!.data as Float32Array, expected)).toBeLessThanOrEqual(TOLERANCE);
    await session.release();
    out.dispose();
  }, 120_000);
});

describe('the shipped face models', () => {
  let temporary: string;
  beforeAll(async () => {
    temporary = await mkdtemp(path.join(os.tmpdir(), 'fslsd-faces-'));
  });
  afterAll(async () => {
    await rm(temporary, { recursive: true, force: true });
  });

  it('are regenerated byte for byte by the converter', async () => {
    const manifest = await convertFaceModels({ out: temporary });
    for (const file of [...manifest.models.map((m) => m.file), 'manifest.json', 'LICENSE-face-api.txt']) {
      const fresh = createHash('sha256').update(await readFile(path.join(temporary, file))).digest('hex');
      const shipped = createHash('sha256').update(await readFile(path.join(faceModelsDirectory(), file))).digest('hex');
      expect(fresh, file).toBe(shipped);
    }
  }, 120_000);

  it('match their manifest (size, sha256, ids, licence, provenance)', async () => {
    const json = JSON.parse(await readFile(path.join(faceModelsDirectory(), 'manifest.json'), 'utf8')) as unknown;
    const manifest = parseFaceManifest(json, 'faces/manifest.json');
    expect(manifest.format).toBe(FACE_MANIFEST_FORMAT);
    expect(manifest.models.map((m) => m.id)).toEqual([...FACE_MODEL_IDS]);
    expect(manifest.licence.spdx).toBe('MIT');
    expect(manifest.provenance).toMatchObject({ package: '@vladmandic/face-api', version: '1.7.15' });
    for (const entry of manifest.models) {
      const bytes = await readFile(path.join(faceModelsDirectory(), entry.file));
      expect(bytes.length, entry.file).toBe(entry.bytes);
      expect(createHash('sha256').update(bytes).digest('hex'), entry.file).toBe(entry.sha256);
      expect(bytes.length).toBeLessThan(10 * 1024 * 1024);
    }
    expect(() => parseFaceManifest({ ...(json as object), models: [{ id: 'face-detector', file: '../x.onnx', bytes: 1, sha256: '0'.repeat(64) }] }, 'bad.json')).toThrow(/plain file name/);
  });
});
