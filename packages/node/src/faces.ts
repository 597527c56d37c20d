/**
 * The face front end for Node: the converted detector, 68-point landmarker and descriptor shipped
 * in @fslsd/models (sha256-verified), optionally a 106-point landmarker (H3R from the exporter),
 * run on onnxruntime-node.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FslsdError } from '@fslsd/core';
import { type FaceAnalyzer, type FaceModelFiles, createFaceAnalyzer as createCoreFaceAnalyzer } from '@fslsd/core/face';
import { parseFaceManifest, sha256Hex } from '@fslsd/models';
import { faceModelsDirectory } from '@fslsd/models/node';
import { type Device, type DeviceChoice, chooseDevice, nodeRuntime, sessionOptionsFor } from './runtime.js';

/** Options of {@link createFaceAnalyzer}. */
export interface NodeFaceAnalyzerOptions {
  /** Folder with the face models' manifest.json. Default: the set shipped in @fslsd/models. */
  readonly models?: string;
  /**
   * A 106-point landmarker (`crop` [1,3,256,256] -> `landmarks` [1,106,2]), e.g. H3R from the
   * exporter: an ONNX file path or its bytes.
   */
  readonly landmarker?: string | Uint8Array;
  /** A face parser (BiSeNet contract: [1,3,512,512] -> [1,19,512,512]) for the inner-face mask: a path or bytes. */
  readonly parser?: string | Uint8Array;
  /** Default `auto`; a DeviceChoice already made (by createFaceSwapper) is used as it is. */
  readonly device?: Device | DeviceChoice;
  readonly threads?: number;
  /**
   * Where alignment, masks and paste-back run: 'graphs' (ONNX graphs on the device), 'typescript',
   * or 'auto' (the default: graphs on CUDA and WebGPU, TypeScript on the CPU, where it is faster).
   */
  readonly frontEnd?: 'auto' | 'typescript' | 'graphs';
  readonly log?: (message: string) => void;
}

/** A Node face analyzer and the device it runs on. */
export interface NodeFaceAnalyzer extends FaceAnalyzer {
  readonly device: DeviceChoice;
}

async function readVerified(directory: string, file: string, bytes: number, sha256: string): Promise<Uint8Array> {
  const location = path.join(directory, file);
  const data = await readFile(location).catch((error: unknown) => {
    throw new FslsdError('MODEL_NOT_FOUND', `Cannot read the face model ${location}: ${(error as Error).message}.`, {
      fix: 'Reinstall @fslsd/models, or regenerate the files with `pnpm --filter @fslsd/models convert:faces`.',
      cause: error,
    });
  });
  const digest = await sha256Hex(data);
  if (data.length !== bytes || digest !== sha256) {
    throw new FslsdError('MODEL_INTEGRITY', `The face model ${location} does not match its manifest (${data.length} bytes, sha256 ${digest.slice(0, 12)}…; expected ${bytes} bytes, ${sha256.slice(0, 12)}…).`, {
      fix: 'Restore the file: reinstall @fslsd/models or regenerate it with `pnpm --filter @fslsd/models convert:faces`.',
    });
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Reads and verifies the front-end model files of a folder (default: the shipped set). */
export async function readFaceModels(directory = faceModelsDirectory(), extra: { readonly landmarker?: string | Uint8Array; readonly parser?: string | Uint8Array } = {}): Promise<FaceModelFiles> {
  const manifestFile = path.join(directory, 'manifest.json');
  const text = await readFile(manifestFile, 'utf8').catch((error: unknown) => {
    throw new FslsdError('MODEL_NOT_FOUND', `No face model manifest at ${manifestFile}.`, { fix: 'Point --face-models at a folder with manifest.json.', cause: error });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FslsdError('MANIFEST_INVALID', `${manifestFile} is not JSON: ${(error as Error).message}.`, { fix: 'Restore the original manifest.', cause: error });
  }
  const manifest = parseFaceManifest(json, manifestFile);
  const load = async (id: string): Promise<Uint8Array | undefined> => {
    const entry = manifest.models.find((m) => m.id === id);
    return entry ? readVerified(directory, entry.file, entry.bytes, entry.sha256) : undefined;
  };
  const detector = await load('face-detector');
  const landmarks68 = await load('face-landmarks-68');
  if (!detector || !landmarks68) {
    throw new FslsdError('MODEL_NOT_FOUND', `${manifestFile} lists no ${detector ? 'face-landmarks-68' : 'face-detector'} model.`, { fix: 'Use the shipped face models folder.' });
  }
  const descriptor = await load('face-descriptor');
  const detectorSsd = await load('face-detector-ssd');
  const readOptional = async (file: string | Uint8Array | undefined, flag: string): Promise<Uint8Array | undefined> => {
    if (file === undefined || file === '') return undefined;
    if (typeof file !== 'string') return file;
    return readFile(file).then(
      (data) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      (error: unknown) => {
        throw new FslsdError('IO', `Cannot read ${file}: ${(error as Error).message}.`, { fix: `Check the path given to ${flag}.`, cause: error });
      },
    );
  };
  const landmarker106 = await readOptional(extra.landmarker, '--landmarker');
  const parser = await readOptional(extra.parser, '--parser');
  return { detector, landmarks68, ...(detectorSsd ? { detectorSsd } : {}), ...(descriptor ? { descriptor } : {}), ...(landmarker106 ? { landmarker106 } : {}), ...(parser ? { parser } : {}) };
}

/** Opens the face front end on onnxruntime-node. */
export async function createFaceAnalyzer(options: NodeFaceAnalyzerOptions = {}): Promise<NodeFaceAnalyzer> {
  const device = typeof options.device === 'object' ? options.device : await chooseDevice(options.device ?? 'auto', options.log);
  const models = await readFaceModels(options.models ?? faceModelsDirectory(), { landmarker: options.landmarker, parser: options.parser });
  const analyzer = await createCoreFaceAnalyzer({
    runtime: nodeRuntime,
    models,
    sessionOptions: sessionOptionsFor(device, options.threads),
    ...(options.frontEnd ? { frontEnd: options.frontEnd } : {}),
  });
  return Object.assign(analyzer, { device });
}
