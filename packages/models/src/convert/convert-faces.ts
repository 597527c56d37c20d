/**
 * Converts four of face-api's TensorFlow.js networks into ONNX files plus a manifest. The output
 * depends only on the input files (no dates, no random names in the content), so a re-run
 * gives byte-identical files.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FslsdError } from '@fslsd/core';
import { type ModelProto, OPSET, encodeModel } from '@fslsd/core/graph';
import { faceDescriptorGraph } from './face-descriptor.js';
import { faceDetectorGraph } from './face-detector.js';
import { SSD_INPUT_SIZE, SSD_PRIORS, faceDetectorSsdGraph } from './face-detector-ssd.js';
import { faceLandmarks68Graph } from './face-landmarks-68.js';
import { FACE_MANIFEST_FORMAT, type FaceManifest, type FaceModelEntry, type FaceModelId, type FaceTensorSpec } from './face-manifest.js';
import { type Weight, readWeightSet } from './tfjs-weights.js';

/** The npm package the weights come from, and the version this converter was written against. */
export const FACE_API_PACKAGE = '@vladmandic/face-api';
export const FACE_API_VERSION = '1.7.15';

/** The command that regenerates the shipped files (recorded in the manifest). */
export const CONVERT_COMMAND = 'pnpm --filter @fslsd/models build && pnpm --filter @fslsd/models convert:faces';

/** Name of the copied licence notice in the output folder. */
export const FACE_API_LICENCE_FILE = 'LICENSE-face-api.txt';

interface NetworkRecipe {
  readonly id: FaceModelId;
  readonly source: string;
  readonly file: string;
  readonly description: string;
  readonly build: (weights: ReadonlyMap<string, Weight>) => ModelProto;
  readonly inputs: readonly FaceTensorSpec[];
  readonly outputs: readonly FaceTensorSpec[];
}

const RECIPES: readonly NetworkRecipe[] = [
  {
    id: 'face-detector',
    source: 'tiny_face_detector_model',
    file: 'face-detector.onnx',
    description: 'face-api TinyFaceDetector (Tiny YOLO v2, separable convs, 1 class): RGB 0..255, sides multiples of 32 (default 416) -> raw grid, channel = anchor*5 + [tx,ty,tw,th,objectness]',
    build: faceDetectorGraph,
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, 'height', 'width'], range: [0, 255] }],
    outputs: [{ name: 'grid', dtype: 'float32', shape: [1, 25, 'grid_height', 'grid_width'] }],
  },
  {
    id: 'face-landmarks-68',
    source: 'face_landmark_68_model',
    file: 'face-landmarks-68.onnx',
    description: 'face-api FaceLandmark68Net: face crop padded to a square and resized to 112, RGB 0..255 -> 68 (x, y) in 0..1 of the input, iBUG 300-W order',
    build: faceLandmarks68Graph,
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, 112, 112], range: [0, 255] }],
    outputs: [{ name: 'landmarks', dtype: 'float32', shape: [1, 136] }],
  },
  {
    id: 'face-descriptor',
    source: 'face_recognition_model',
    file: 'face-descriptor.onnx',
    description: 'face-api FaceRecognitionNet (ResNet-34-like): aligned face crop padded to a square and resized to 150, RGB 0..255 -> 128-d descriptor',
    build: faceDescriptorGraph,
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, 150, 150], range: [0, 255] }],
    outputs: [{ name: 'descriptor', dtype: 'float32', shape: [1, 128] }],
  },
  {
    id: 'face-detector-ssd',
    source: 'ssd_mobilenetv1_model',
    file: 'face-detector-ssd.onnx',
    description: `face-api SsdMobilenetv1 (MobileNet v1 SSD, 1 class): picture padded bottom/right to a square and resized to ${SSD_INPUT_SIZE}, RGB 0..255 -> ${SSD_PRIORS} decoded boxes (ymin, xmin, ymax, xmax) in 0..1 of the input + face scores (sigmoid), before non-maximum suppression`,
    build: faceDetectorSsdGraph,
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE], range: [0, 255] }],
    outputs: [
      { name: 'boxes', dtype: 'float32', shape: [1, SSD_PRIORS, 4] },
      { name: 'scores', dtype: 'float32', shape: [1, SSD_PRIORS] },
    ],
  },
];

/** Where the installed face-api package lives. */
export function faceApiDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return path.dirname(require.resolve(`${FACE_API_PACKAGE}/package.json`));
  } catch (error) {
    throw new FslsdError('MODEL_NOT_FOUND', `Cannot find ${FACE_API_PACKAGE}.`, {
      fix: `Install the dev dependencies of @fslsd/models (pnpm install), or pass --source with a copy of ${FACE_API_PACKAGE}@${FACE_API_VERSION}.`,
      cause: error,
    });
  }
}

/** Writes through a temporary name and renames, so no reader ever sees half a file. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = `${file}.${process.pid}.partial`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new FslsdError('IO', `Cannot write ${file}: ${(error as Error).message}.`, { fix: 'Choose a writable output folder.', cause: error });
  }
}

export interface ConvertFacesOptions {
  /** Folder of the face-api package (holding package.json, LICENSE and model/). Default: the installed one. */
  readonly source?: string;
  /** Output folder; created if missing. */
  readonly out: string;
  /** Called once per written file. */
  readonly onFile?: (file: string, bytes: number) => void;
}

/** Converts the networks of RECIPES into `options.out`; returns the manifest it wrote. */
export async function convertFaceModels(options: ConvertFacesOptions): Promise<FaceManifest> {
  const packageRoot = options.source ?? faceApiDirectory();
  let version: string;
  try {
    version = (JSON.parse(await readFile(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch (error) {
    throw new FslsdError('MODEL_NOT_FOUND', `${packageRoot} is not the ${FACE_API_PACKAGE} package (no readable package.json).`, {
      fix: `Pass --source with the folder of ${FACE_API_PACKAGE}@${FACE_API_VERSION}.`,
      cause: error,
    });
  }
  if (version !== FACE_API_VERSION) {
    throw new FslsdError('INVALID_ARGUMENT', `${FACE_API_PACKAGE} is version ${version}; this converter was checked against ${FACE_API_VERSION}.`, {
      fix: `Install ${FACE_API_PACKAGE}@${FACE_API_VERSION} (its network layouts are fixed in the converter).`,
    });
  }
  const modelDirectory = path.join(packageRoot, 'model');
  await mkdir(options.out, { recursive: true });

  const models: FaceModelEntry[] = [];
  for (const recipe of RECIPES) {
    const { weights, files } = await readWeightSet(modelDirectory, recipe.source);
    const bytes = encodeModel(recipe.build(weights));
    await writeFileAtomic(path.join(options.out, recipe.file), bytes);
    options.onFile?.(recipe.file, bytes.length);
    models.push({
      id: recipe.id,
      file: recipe.file,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      description: recipe.description,
      sourceFiles: files.map((f) => `model/${f}`),
      inputs: recipe.inputs,
      outputs: recipe.outputs,
    });
  }

  const licence = await readFile(path.join(packageRoot, 'LICENSE'), 'utf8');
  await writeFileAtomic(path.join(options.out, FACE_API_LICENCE_FILE), licence);
  options.onFile?.(FACE_API_LICENCE_FILE, Buffer.byteLength(licence));

  const manifest: FaceManifest = {
    format: FACE_MANIFEST_FORMAT,
    set: 'faces',
    opset: OPSET,
    licence: {
      spdx: 'MIT',
      note: `Weights: ${FACE_API_PACKAGE} (MIT, Copyright (c) Vladimir Mandic; notice in ${FACE_API_LICENCE_FILE}). Converted to ONNX by @fslsd/models; the 8-bit weights stay 8-bit with tfjs's dequantisation tables.`,
    },
    provenance: { kind: 'converted', package: FACE_API_PACKAGE, version, directory: 'model', command: CONVERT_COMMAND },
    models,
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFileAtomic(path.join(options.out, 'manifest.json'), text);
  options.onFile?.('manifest.json', Buffer.byteLength(text));
  return manifest;
}
