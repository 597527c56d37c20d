/**
 * The converted face networks compute what face-api's originals compute: each ONNX file on
 * onnxruntime-node (and once on onnxruntime-web's wasm backend) against the same network in
 * TensorFlow.js (CPU backend) on the same inputs: real photos and seeded random pixels. The SSD
 * detector is also checked end to end: its boxes after a plain NMS against face-api's own
 * detectAllFaces. Also: the converter is deterministic (a fresh conversion is byte-identical to
 * the shipped files) and the shipped manifest verifies.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFaceModels } from '../src/convert/convert-faces.js';
import { SSD_INPUT_SIZE, SSD_PRIORS } from '../src/convert/face-detector-ssd.js';
import { FACE_MANIFEST_FORMAT, FACE_MODEL_IDS, parseFaceManifest } from '../src/convert/face-manifest.js';
import { faceModelsDirectory, samplesDirectory } from '../src/node.js';
import { type FaceApi, type Tf, layouts, loadFaceApi, maxAbsDifference, nhwcToNchw, randomPixels, readRgb } from './face-api-reference.js';

/**
 * Tolerance on every output of the first three networks. Measured (onnxruntime-node / -web
 * 1.30 vs tfjs 4.22 CPU): detector grid 3.8e-5 (logits of magnitude ~10, after 7 layers of
 * float32 sums in another order), landmarks 2.7e-7, descriptor 3.0e-7 (see faces/SOURCES.md).
 */
const TOLERANCE = 1e-4;

/**
 * The SSD detector's tolerances, per output, about 4x the largest error measured
 * (onnxruntime-node / -web 1.30 vs tfjs 4.22 CPU, on the astronaut photo, Grace Hopper's 512x600
 * photo padded and resized by face-api, and seeded random pixels): boxes 2.4e-6 on node,
 * 2.1e-6 on wasm (coordinates in 0..1 of the input, i.e. ~1e-3 px); scores 1.2e-6 / 8.9e-7.
 * The errors come from float32 sums in another order through up to 36 convolution layers.
 */
const SSD_TOLERANCE = { boxes: 1e-5, scores: 5e-6 } as const;

/** face-api's SsdMobilenetv1Options defaults, and the IoU threshold its locateFaces fixes. */
const SSD_NMS = { minConfidence: 0.5, iouThreshold: 0.5, maxResults: 100 } as const;

const photo = path.join(samplesDirectory(), '..', 'photos', 'astronaut.png');
const hopperPhoto = path.join(samplesDirectory(), '..', 'photos', 'hopper.jpg');
const astronautCrop = path.join(samplesDirectory(), 'astronaut.png');
const hopperCrop = path.join(samplesDirectory(), 'hopper.png');

type OrtModule = typeof ortNode;

/** Output tensors by name. */
type Outputs = Record<string, Float32Array>;

interface Case {
  readonly id: (typeof FACE_MODEL_IDS)[number];
  readonly file: string;
  readonly size: number;
  readonly outputs: readonly string[];
  /** Largest allowed max |difference| per output. */
  readonly tolerance: Readonly<Record<string, number>>;
  /** The original network's raw outputs for an NHWC float input, as NCHW / flat data. */
  readonly reference: (tf: Tf, faceapi: FaceApi, nhwc: Float32Array) => Promise<Outputs>;
}

const CASES: readonly Case[] = [
  {
    id: 'face-detector',
    file: 'face-detector.onnx',
    size: 416,
    outputs: ['grid'],
    tolerance: { grid: TOLERANCE },
    async reference(tf, faceapi, nhwc) {
      const input = tf.tensor4d(nhwc, [1, 416, 416, 3], 'float32');
      const out = await faceapi.nets.tinyFaceDetector.forward(input, 416);
      const [, h, w, c] = out.shape as [number, number, number, number];
      const data = nhwcToNchw(Float32Array.from(await out.data()), h, w, c);
      input.dispose();
      out.dispose();
      return { grid: data };
    },
  },
  {
    id: 'face-landmarks-68',
    file: 'face-landmarks-68.onnx',
    size: 112,
    outputs: ['landmarks'],
    tolerance: { landmarks: TOLERANCE },
    async reference(tf, faceapi, nhwc) {
      const input = tf.tensor4d(nhwc, [1, 112, 112, 3], 'float32');
      // runNet = feature extractor + fully connected head, before face-api's un-padding.
      const out = faceapi.nets.faceLandmark68Net.runNet(await faceapi.toNetInput(input));
      const data = Float32Array.from(await out.data());
      input.dispose();
      out.dispose();
      return { landmarks: data };
    },
  },
  {
    id: 'face-descriptor',
    file: 'face-descriptor.onnx',
    size: 150,
    outputs: ['descriptor'],
    tolerance: { descriptor: TOLERANCE },
    async reference(tf, faceapi, nhwc) {
      const input = tf.tensor4d(nhwc, [1, 150, 150, 3], 'float32');
      const out = faceapi.nets.faceRecognitionNet.forwardInput(await faceapi.toNetInput(input));
      const data = Float32Array.from(await out.data());
      input.dispose();
      out.dispose();
      return { descriptor: data };
    },
  },
  {
    id: 'face-detector-ssd',
    file: 'face-detector-ssd.onnx',
    size: SSD_INPUT_SIZE,
    outputs: ['boxes', 'scores'],
    tolerance: SSD_TOLERANCE,
    async reference(tf, faceapi, nhwc) {
      const input = tf.tensor4d(nhwc, [1, SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3], 'float32');
      // forwardInput: toBatchTensor(512) (a no-op on a 512² float batch), the network and the
      // box decoder; locateFaces would run NMS on these.
      const { boxes, scores } = faceapi.nets.ssdMobilenetv1.forwardInput(await faceapi.toNetInput(input));
      const data = { boxes: Float32Array.from(await boxes[0]!.data()), scores: Float32Array.from(await scores[0]!.data()) };
      input.dispose();
      for (const tensor of [...boxes, ...scores]) tensor.dispose();
      return data;
    },
  },
];

const SSD_CASE = CASES.find((c) => c.id === 'face-detector-ssd')!;

async function runOnnx(ort: OrtModule, testCase: Case, nchw: Float32Array): Promise<Outputs> {
  const session = await ort.InferenceSession.create(await readFile(path.join(faceModelsDirectory(), testCase.file)));
  try {
    const result = await session.run({ image: new ort.Tensor('float32', nchw, [1, 3, testCase.size, testCase.size]) });
    return Object.fromEntries(testCase.outputs.map((name) => [name, Float32Array.from(result[name]!.data as Float32Array)]));
  } finally {
    await session.release();
  }
}

/**
 * The SSD's input for a picture exactly as face-api makes it: toNetInput(...).toBatchTensor(512,
 * false) zero-pads the bottom or right to a square and resizes bilinearly to 512 (NHWC floats).
 */
async function ssdNetInput(tf: Tf, faceapi: FaceApi, image: { width: number; height: number; data: Uint8Array }): Promise<Float32Array> {
  const tensor = tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 3], 'int32');
  const batch = (await faceapi.toNetInput(tensor)).toBatchTensor(SSD_INPUT_SIZE, false);
  expect(batch.shape).toEqual([1, SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3]);
  const data = Float32Array.from(await batch.data());
  tensor.dispose();
  batch.dispose();
  return data;
}

/**
 * Real inputs: the detectors see whole photos, the face networks see the sample face crops.
 * The SSD sees the photos as face-api prepares them: the astronaut (512², only cast to float)
 * and Grace Hopper (512x600: padded on the right to 600², resized to 512).
 */
async function inputsFor(testCase: Case, tf: Tf, faceapi: FaceApi): Promise<Array<{ label: string; nhwc: Float32Array; nchw: Float32Array }>> {
  const size = { width: testCase.size, height: testCase.size };
  const square = (data: Float32Array): { width: number; height: number; data: Float32Array } => ({ ...size, data });
  const real = testCase.id === 'face-detector-ssd'
    ? [{ label: 'astronaut photo', image: square(await ssdNetInput(tf, faceapi, await readRgb(photo))) }, { label: 'hopper photo', image: square(await ssdNetInput(tf, faceapi, await readRgb(hopperPhoto))) }]
    : testCase.id === 'face-detector'
      ? [{ label: 'astronaut photo', image: await readRgb(photo, size) }, { label: 'hopper crop', image: await readRgb(hopperCrop, size) }]
      : [{ label: 'astronaut crop', image: await readRgb(astronautCrop, size) }, { label: 'hopper crop', image: await readRgb(hopperCrop, size) }];
  const random = randomPixels(testCase.size, testCase.size, 20251125);
  return [
    ...real.map(({ label, image }) => ({ label, ...layouts(image) })),
    { label: 'seeded random', ...layouts({ width: testCase.size, height: testCase.size, data: random }) },
  ];
}

/** Indices kept by a greedy NMS: candidates above minConfidence, best first, dropped when their IoU with a kept box exceeds the threshold. */
function nonMaxSuppression(boxes: Float32Array, scores: Float32Array, options: typeof SSD_NMS): number[] {
  const corners = (i: number): [number, number, number, number] => {
    const [a, b, c, d] = [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!];
    return [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)];
  };
  const iou = (i: number, j: number): number => {
    const [y0, x0, y1, x1] = corners(i);
    const [v0, u0, v1, u1] = corners(j);
    const areaI = (y1 - y0) * (x1 - x0);
    const areaJ = (v1 - v0) * (u1 - u0);
    if (areaI <= 0 || areaJ <= 0) return 0;
    const overlap = Math.max(0, Math.min(y1, v1) - Math.max(y0, v0)) * Math.max(0, Math.min(x1, u1) - Math.max(x0, u0));
    return overlap / (areaI + areaJ - overlap);
  };
  const candidates = Array.from(scores.keys()).filter((i) => scores[i]! > options.minConfidence).sort((a, b) => scores[b]! - scores[a]!);
  const kept: number[] = [];
  for (const i of candidates) {
    if (kept.length >= options.maxResults) break;
    if (kept.every((j) => iou(i, j) <= options.iouThreshold)) kept.push(i);
  }
  return kept;
}

/**
 * A decoded SSD box in pixels of the picture, as face-api's locateFaces computes it: clamped to
 * the 0..1 square, stretched by the padding (the picture fills round(side * 512 / longest side)
 * of the 512 pixels), scaled by the picture's size.
 */
function ssdBoxToPixels(boxes: Float32Array, index: number, width: number, height: number): { x: number; y: number; width: number; height: number } {
  const scale = SSD_INPUT_SIZE / Math.max(width, height);
  const padX = SSD_INPUT_SIZE / Math.round(width * scale);
  const padY = SSD_INPUT_SIZE / Math.round(height * scale);
  const top = Math.max(0, boxes[4 * index]!) * padY;
  const left = Math.max(0, boxes[4 * index + 1]!) * padX;
  const bottom = Math.min(1, boxes[4 * index + 2]!) * padY;
  const right = Math.min(1, boxes[4 * index + 3]!) * padX;
  return { x: left * width, y: top * height, width: (right - left) * width, height: (bottom - top) * height };
}

describe('converted face-api networks match TensorFlow.js', () => {
  let reference: { tf: Tf; faceapi: FaceApi };
  /** tfjs outputs by case and input, so the wasm test does not run the slow CPU reference again. */
  const expectedOutputs = new Map<string, Outputs>();
  const referenceFor = async (testCase: Case, label: string, nhwc: Float32Array): Promise<Outputs> => {
    const key = `${testCase.id}/${label}`;
    let outputs = expectedOutputs.get(key);
    if (!outputs) {
      outputs = await testCase.reference(reference.tf, reference.faceapi, nhwc);
      expectedOutputs.set(key, outputs);
    }
    return outputs;
  };
  beforeAll(async () => {
    reference = await loadFaceApi();
  }, 120_000);

  for (const testCase of CASES) {
    it(`${testCase.id} on onnxruntime-node`, async () => {
      const differences: Record<string, Record<string, number>> = Object.fromEntries(testCase.outputs.map((name) => [name, {}]));
      for (const input of await inputsFor(testCase, reference.tf, reference.faceapi)) {
        const expected = await referenceFor(testCase, input.label, input.nhwc);
        const actual = await runOnnx(ortNode, testCase, input.nchw);
        // The outputs are not trivially small: a broken graph cannot pass by returning zeros.
        // (Taken over all outputs: on random pixels, which hold no face, the SSD's best score
        // is only 0.028; its boxes carry the check there.)
        expect(Math.max(...testCase.outputs.map((name) => Math.max(...expected[name]!.map(Math.abs))))).toBeGreaterThan(0.05);
        for (const name of testCase.outputs) {
          expect(actual[name]!.length, name).toBe(expected[name]!.length);
          differences[name]![input.label] = maxAbsDifference(actual[name]!, expected[name]!);
        }
      }
      console.log(`${testCase.id} onnxruntime-node max |diff|:`, differences);
      for (const name of testCase.outputs) {
        for (const difference of Object.values(differences[name]!)) expect(difference, name).toBeLessThanOrEqual(testCase.tolerance[name]!);
      }
    }, 300_000); // generous: tfjs's pure-JS CPU backend takes 15-25 s per 512² SSD pass
  }

  it('all four on onnxruntime-web (wasm, single thread)', async () => {
    const ortWeb = (await import('onnxruntime-web/wasm')) as unknown as OrtModule & { env: { wasm: { numThreads: number } } };
    ortWeb.env.wasm.numThreads = 1;
    const differences: Record<string, number> = {};
    for (const testCase of CASES) {
      const [input] = await inputsFor(testCase, reference.tf, reference.faceapi);
      const expected = await referenceFor(testCase, input!.label, input!.nhwc);
      const actual = await runOnnx(ortWeb, testCase, input!.nchw);
      for (const name of testCase.outputs) {
        differences[`${testCase.id} ${name}`] = maxAbsDifference(actual[name]!, expected[name]!);
        expect(differences[`${testCase.id} ${name}`], `${testCase.id} ${name}`).toBeLessThanOrEqual(testCase.tolerance[name]!);
      }
    }
    console.log('onnxruntime-web max |diff|:', differences);
  }, 240_000);

  it('face-detector-ssd with a plain NMS finds the one face face-api\'s detectAllFaces finds', async () => {
    const { tf, faceapi } = reference;
    const image = await readRgb(photo);
    const tensor = tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 3], 'int32');
    const theirs = await faceapi.detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options());
    tensor.dispose();
    const { nchw } = layouts({ width: SSD_INPUT_SIZE, height: SSD_INPUT_SIZE, data: await ssdNetInput(tf, faceapi, image) });
    const { boxes, scores } = (await runOnnx(ortNode, SSD_CASE, nchw)) as { boxes: Float32Array; scores: Float32Array };
    expect([boxes.length, scores.length]).toEqual([SSD_PRIORS * 4, SSD_PRIORS]);
    const kept = nonMaxSuppression(boxes, scores, SSD_NMS);
    expect(theirs).toHaveLength(1);
    expect(kept).toHaveLength(1);
    const ours = ssdBoxToPixels(boxes, kept[0]!, image.width, image.height);
    const { box, score } = theirs[0]!;
    console.log('face-detector-ssd after NMS:', { ours: { ...ours, score: scores[kept[0]!] }, faceApi: { x: box.x, y: box.y, width: box.width, height: box.height, score } });
    for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(ours[key] - box[key]), key).toBeLessThanOrEqual(0.5);
    expect(Math.abs(scores[kept[0]!]! - score)).toBeLessThanOrEqual(SSD_TOLERANCE.scores);
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
    expect(manifest.models.map((m) => m.file)).toEqual(['face-detector.onnx', 'face-landmarks-68.onnx', 'face-descriptor.onnx', 'face-detector-ssd.onnx']);
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
    const ssd = manifest.models.find((m) => m.id === 'face-detector-ssd');
    expect(ssd).toMatchObject({
      file: 'face-detector-ssd.onnx',
      sourceFiles: ['model/ssd_mobilenetv1_model-weights_manifest.json', 'model/ssd_mobilenetv1_model.bin'],
      inputs: [{ name: 'image', shape: [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE], range: [0, 255] }],
      outputs: [{ name: 'boxes', shape: [1, SSD_PRIORS, 4] }, { name: 'scores', shape: [1, SSD_PRIORS] }],
    });
    expect(() => parseFaceManifest({ ...(json as object), models: [{ id: 'face-detector', file: '../x.onnx', bytes: 1, sha256: '0'.repeat(64) }] }, 'bad.json')).toThrow(/plain file name/);
  });
});
