/**
 * The original face-api networks on TensorFlow.js's pure-JavaScript CPU backend: the reference
 * the converted ONNX files are checked against.
 *
 * face-api's Node build (`dist/face-api.node.js`) requires `@tensorflow/tfjs-node`, a native
 * addon we do not install; its browser ESM builds need a DOM or the wasm backend. The Node build
 * only calls the tfjs API, so while it loads we answer its `require('@tensorflow/tfjs-node')`
 * with `@tensorflow/tfjs` (same API, CPU backend) and restore the loader right after.
 */
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';

/** The parts of a tfjs tensor the tests use. */
export interface TfTensor {
  readonly shape: number[];
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
}

/** The parts of @tensorflow/tfjs the tests use. */
export interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype?: 'float32'): TfTensor;
  tensor3d(values: Int32Array | Float32Array, shape: [number, number, number], dtype?: 'int32' | 'float32'): TfTensor;
  version: { tfjs: string };
}

interface Net {
  loadFromDisk(directory: string): Promise<void>;
}

/** face-api's NetInput: the batch tensor a network sees (padded to a square, resized). */
export interface NetInput {
  toBatchTensor(inputSize: number, isCenterInputs?: boolean): TfTensor;
}

/** One detection as face-api reports it: box in pixels of the input picture. */
export interface FaceApiDetection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}

/** The parts of face-api the tests use (its types need tfjs-node's). */
export interface FaceApi {
  readonly version: string;
  readonly nets: {
    readonly tinyFaceDetector: Net & { forward(input: TfTensor, inputSize: number): Promise<TfTensor> };
    readonly faceLandmark68Net: Net & { runNet(input: unknown): TfTensor };
    readonly faceRecognitionNet: Net & { forwardInput(input: unknown): TfTensor };
    /** forwardInput: per batch item, decoded boxes [N, 4] and face scores [N], before NMS. */
    readonly ssdMobilenetv1: Net & { forwardInput(input: NetInput): { boxes: TfTensor[]; scores: TfTensor[] } };
  };
  toNetInput(input: TfTensor): Promise<NetInput>;
  TinyFaceDetectorOptions: new (options: { inputSize: number; scoreThreshold: number }) => unknown;
  SsdMobilenetv1Options: new (options?: { minConfidence?: number; maxResults?: number }) => unknown;
  /** Awaited directly it yields the detections; the with...() chain adds landmarks and descriptors. */
  detectAllFaces(input: TfTensor, options: unknown): PromiseLike<FaceApiDetection[]> & {
    withFaceLandmarks(): {
      withFaceDescriptors(): Promise<Array<{
        detection: FaceApiDetection;
        landmarks: { positions: Array<{ x: number; y: number }> };
        descriptor: Float32Array;
      }>>;
    };
  };
}

const require = createRequire(import.meta.url);

/** Folder of face-api's weight files. */
export const faceApiModelDirectory = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

let loaded: Promise<{ tf: Tf; faceapi: FaceApi }> | undefined;

/** tfjs (CPU backend) and face-api with the four converted networks loaded. */
export function loadFaceApi(): Promise<{ tf: Tf; faceapi: FaceApi }> {
  loaded ??= (async () => {
    const tf = require('@tensorflow/tfjs') as Tf;
    const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
    const original = loader._load;
    loader._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
      return request === '@tensorflow/tfjs-node' ? tf : original.call(this, request, parent, isMain);
    };
    let faceapi: FaceApi;
    try {
      faceapi = require('@vladmandic/face-api/dist/face-api.node.js') as FaceApi;
    } finally {
      loader._load = original;
    }
    await tf.setBackend('cpu');
    await tf.ready();
    await faceapi.nets.tinyFaceDetector.loadFromDisk(faceApiModelDirectory);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(faceApiModelDirectory);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(faceApiModelDirectory);
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(faceApiModelDirectory);
    return { tf, faceapi };
  })();
  return loaded;
}

/** An image file as 8-bit RGB, optionally resized (sharp's default filter; any fixed input will do). */
export async function readRgb(file: string, size?: { width: number; height: number }): Promise<{ width: number; height: number; channels: 3; data: Uint8Array }> {
  let pipeline = sharp(file).removeAlpha().toColourspace('srgb');
  if (size) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

/** HWC RGB bytes -> the NHWC float tensor data tfjs takes and the NCHW data ONNX takes. */
export function layouts(image: { width: number; height: number; data: Uint8Array | Float32Array }): { nhwc: Float32Array; nchw: Float32Array } {
  const plane = image.width * image.height;
  const nhwc = Float32Array.from(image.data);
  const nchw = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p += 1) for (let c = 0; c < 3; c += 1) nchw[c * plane + p] = nhwc[p * 3 + c]!;
  return { nhwc, nchw };
}

/** Deterministic pseudo-random pixels in 0..255 (mulberry32). */
export function randomPixels(width: number, height: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: width * height * 3 }, () => next() * 255);
}

/** NHWC [1, H, W, C] data -> NCHW [1, C, H, W] data. */
export function nhwcToNchw(data: Float32Array, height: number, width: number, channels: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y += 1) for (let x = 0; x < width; x += 1) for (let c = 0; c < channels; c += 1) out[(c * height + y) * width + x] = data[(y * width + x) * channels + c]!;
  return out;
}

/** Largest |a - b|. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
