/**
 * The face front end: photo -> faces (box, score, 68 landmarks) -> aligned crop, E_le landmarks
 * and masks for one face. The ORT module is injected, like everywhere in core.
 *
 *   photo -> detector -> boxes -> 68-point landmarker -> FFHQ quad -> 1024^2 crop (+ inverse map)
 *                                                     \-> inner-face masks (decoder m_t, paste alpha)
 *   crop -> 256^2 -> 106-point landmarker (H3R, optional) -\
 *   68 points mapped to JD-106 ----------------------------- E_le landmarks (256^2 crop pixels)
 */
import { ContractError, FslsdError, throwIfAborted } from '../errors.js';
import { CROP_SIZE, type RgbImage, imageToTensor } from '../image/tensor.js';
import { resizeLikePil } from '../image/pil-resize.js';
import { LANDMARK_MAP_SIZE, LANDMARK_POINTS, type Landmarks, type Point } from '../landmarks/maps.js';
import type { InferenceSession, OrtRuntime, Tensor } from '../runtime.js';
import { type AlignedFace, alignFace, alignmentPointsFrom68 } from './alignment.js';
import { type Affine, applyAffine, composeAffine, rescaleAffine } from './affine.js';
import { detectAccurately } from './detect-accurately.js';
import { type DetectOptions, detectFaces } from './detector.js';
import type { FoundFace } from './found-face.js';
import { faceDescriptor } from './descriptor.js';
import { type FaceMaskOptions, type FaceMasks, landmarkRegion, maskKernels, regionFaceMasks } from './face-mask.js';
import { createFrontEndGraphs } from './graphs/front-end-graphs.js';
import { type PasteBackInput, pasteBack } from './paste-back.js';
import { PARSER_SIZE, parserRegionGraph } from './face-parser.js';
import { decodeModel, encodeModel } from '../graph/onnx.js';
import { encoderLandmarks, mapPoints } from './landmark-layout.js';
import { detectLandmarks68 } from './landmarks-68.js';

/** The ONNX bytes of the front-end networks. */
export interface FaceModelFiles {
  /** Face detector, the fast path (`image` [1,3,H,W] 0..255 -> `grid`). */
  readonly detector: Uint8Array;
  /**
   * SSD face detector, the accurate path (`image` [1,3,512,512] 0..255 -> `boxes`, `scores`).
   * Without it every detection takes the fast path.
   */
  readonly detectorSsd?: Uint8Array;
  /** 68-point landmarker (`image` [1,3,112,112] -> `landmarks` [1,136]). */
  readonly landmarks68: Uint8Array;
  /** 128-d face descriptor; needed only to pick a face by reference photo. */
  readonly descriptor?: Uint8Array;
  /**
   * Optional 106-point landmarker on the aligned crop (H3R from the exporter): `crop`
   * [1,3,256,256] in [-1, 1] -> `landmarks` [1,106,2] in 256^2 crop pixels.
   */
  readonly landmarker106?: Uint8Array;
  /**
   * Optional face parser for the inner-face mask (BiSeNet from face-parsing.PyTorch, as the
   * official code uses), exported to ONNX under the contract in face-parser.ts. Without it the
   * mask comes from the 68 landmarks.
   */
  readonly parser?: Uint8Array;
}

/** A face ready for the swapper. */
export interface PreparedFace extends AlignedFace {
  readonly face: FoundFace;
  /** The 106 points E_le takes, in 256^2 crop pixels. */
  readonly landmarks: Landmarks;
  /** Where `landmarks` came from. */
  readonly landmarkSource: 'mapped-68' | 'landmarker-106';
  /** Where the masks came from. */
  readonly maskSource: 'landmarks' | 'parser';
  /** The 68 points in crop pixels. */
  readonly cropLandmarks68: readonly Point[];
  readonly masks: FaceMasks;
}

/** Options of {@link FaceAnalyzer.prepare}. */
export interface PrepareOptions {
  readonly size?: number;
  readonly mask?: FaceMaskOptions;
  readonly signal?: AbortSignal;
}

/** Detects, aligns and describes faces. */
export interface FaceAnalyzer {
  /** Every face in the photo (or in `options.region`, on the fast path), largest first (ties by score). */
  detect(photo: RgbImage, options?: DetectOptions & { readonly signal?: AbortSignal }): Promise<FoundFace[]>;
  /** Whether the accurate (SSD) detector is loaded, and so the default for {@link FaceAnalyzer.detect}. */
  readonly accurateDetector: boolean;
  /** The aligned crop, E_le landmarks and masks of one found face. */
  prepare(photo: RgbImage, face: FoundFace, options?: PrepareOptions): Promise<PreparedFace>;
  /** The 128-d descriptor of a found face (needs the descriptor model). */
  describe(photo: RgbImage, face: FoundFace): Promise<Float32Array>;
  /**
   * The swapped crop pasted back into the photo, as {@link pasteBack} does it, on the front end's
   * path (TypeScript, or the execution provider's graphs: see {@link FaceAnalyzerOptions.frontEnd}).
   */
  pasteBack(input: PasteBackInput): Promise<RgbImage>;
  /** Where alignment and masks run: TypeScript, or ONNX graphs on the execution provider (paste-back too when `frontEnd: 'graphs'` was asked for). */
  readonly frontEnd: 'typescript' | 'graphs';
  /** Which landmarks feed E_le. */
  readonly landmarkSource: 'mapped-68' | 'landmarker-106';
  /** Where the inner-face mask comes from. */
  readonly maskSource: 'landmarks' | 'parser';
  dispose(): Promise<void>;
}

/** Options of {@link createFaceAnalyzer}. */
export interface FaceAnalyzerOptions {
  readonly runtime: OrtRuntime;
  readonly models: FaceModelFiles;
  readonly sessionOptions?: InferenceSession.SessionOptions;
  /**
   * Where alignment, masks and paste-back run. 'graphs': as small ONNX graphs on the execution
   * provider of `sessionOptions` (within one grey level of the TypeScript); 'typescript': in
   * JavaScript. Default 'auto': alignment and masks as graphs when `sessionOptions` names a GPU
   * provider (CUDA, WebGPU, DirectML, CoreML), paste-back in TypeScript there too; everything in
   * TypeScript on CPU and WASM, where onnxruntime's GridSample and MaxPool are slower than the
   * TypeScript (`pnpm bench --only front-end`). Why paste-back stays: it touches only the face's
   * box, while a graph uploads and downloads the whole frame. On an NVIDIA H200 machine (WebGPU)
   * it took 2.6 ms in TypeScript against 9.5 ms as a graph for a 1080p frame; alignment 16.8 ms
   * against 8.3 ms, masks 7.4 against 7.7 (BENCHMARKS.md, "GPU").
   */
  readonly frontEnd?: 'auto' | 'typescript' | 'graphs';
}

const CPU_PROVIDERS = new Set(['cpu', 'wasm', 'xnnpack']);

/** Whether 'auto' picks the graphs: some provider in the options is not a CPU one. */
function usesGpuProvider(options?: InferenceSession.SessionOptions): boolean {
  return (options?.executionProviders ?? []).some((provider) => !CPU_PROVIDERS.has(typeof provider === 'string' ? provider : provider.name));
}

/** Where each front-end operation runs for a `frontEnd` choice and the session options (internal; tested). */
export function frontEndPlacement(frontEnd: 'auto' | 'typescript' | 'graphs', sessionOptions?: InferenceSession.SessionOptions): { readonly alignAndMasks: 'graphs' | 'typescript'; readonly paste: 'graphs' | 'typescript' } {
  const onGraphs = frontEnd === 'graphs' || (frontEnd === 'auto' && usesGpuProvider(sessionOptions));
  // 'auto' keeps paste-back in TypeScript even on a GPU: see FaceAnalyzerOptions.frontEnd.
  return { alignAndMasks: onGraphs ? 'graphs' : 'typescript', paste: frontEnd === 'graphs' ? 'graphs' : 'typescript' };
}

function dimsOf(session: InferenceSession, output: string): readonly (number | string)[] | undefined {
  const metadata = (session as unknown as { outputMetadata?: ReadonlyArray<{ name: string; isTensor: boolean; shape?: readonly (number | string)[] }> }).outputMetadata;
  return metadata?.find((m) => m.name === output)?.shape;
}

/**
 * Aligned crop -> `size`^2 planar float, resized exactly as Pillow's 8-bit bilinear resize does
 * (what H3R and the face parser were fed, and pSp too); in [-1, 1] (`range` 'signed', the
 * landmarker's input) or 0..255 ('bytes', the parser's input).
 */
export function downscaleCrop(crop: RgbImage, size = LANDMARK_MAP_SIZE, range: 'signed' | 'bytes' = 'signed'): Float32Array {
  if (crop.height !== crop.width || crop.width < size) {
    throw new FslsdError('INVALID_IMAGE', `The aligned crop is ${crop.width}x${crop.height}; it must be square and at least ${size} wide to downscale.`);
  }
  const small = resizeLikePil(crop, size, size);
  if (range === 'signed') return imageToTensor(small).data;
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p += 1) for (let c = 0; c < 3; c += 1) out[c * plane + p] = small.data[p * 3 + c]!;
  return out;
}

/** Creates the sessions of the front-end networks and checks the 106-point contract. */
export async function createFaceAnalyzer(options: FaceAnalyzerOptions): Promise<FaceAnalyzer> {
  const { runtime, models, sessionOptions } = options;
  const frontEnd = options.frontEnd ?? 'auto';
  if (!['auto', 'typescript', 'graphs'].includes(frontEnd)) {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown frontEnd "${String(frontEnd)}".`, { fix: 'Use "auto", "typescript" or "graphs".' });
  }
  const placement = frontEndPlacement(frontEnd, sessionOptions);
  const graphs = placement.alignAndMasks === 'graphs' ? createFrontEndGraphs(runtime, sessionOptions) : undefined;
  const pasteGraphs = placement.paste === 'graphs' ? graphs : undefined;
  const open = (bytes: Uint8Array): Promise<InferenceSession> => runtime.InferenceSession.create(bytes, sessionOptions);
  const detector = await open(models.detector);
  const detectorSsd = models.detectorSsd ? await open(models.detectorSsd) : undefined;
  const landmarker = await open(models.landmarks68);
  const describer = models.descriptor ? await open(models.descriptor) : undefined;
  const landmarker106 = models.landmarker106 ? await open(models.landmarker106) : undefined;
  const parser = models.parser ? await open(encodeModel(parserRegionGraph(decodeModel(models.parser), CROP_SIZE))) : undefined;
  if (landmarker106) {
    const input = landmarker106.inputNames[0];
    const output = landmarker106.outputNames[0];
    if (input !== 'crop' || output !== 'landmarks') {
      throw new ContractError('landmarker-106', input !== 'crop' ? String(input) : String(output), 'input "crop" and output "landmarks"', `input "${input}", output "${output}"`);
    }
    const shape = dimsOf(landmarker106, 'landmarks');
    if (shape && (shape.length !== 3 || shape[1] !== LANDMARK_POINTS || shape[2] !== 2)) {
      throw new ContractError('landmarker-106', 'landmarks', `[1,${LANDMARK_POINTS},2] (E_le reads ${LANDMARK_POINTS} points)`, `[${shape.join(',')}]`,
        `E_le takes ${LANDMARK_POINTS} points in the JD-106 layout; use a landmarker with that many points (e.g. H3R from the exporter), or leave it out to map the 68 points.`);
    }
  }

  const analyzer: FaceAnalyzer = {
    landmarkSource: landmarker106 ? 'landmarker-106' : 'mapped-68',
    maskSource: parser ? 'parser' : 'landmarks',
    frontEnd: graphs ? 'graphs' : 'typescript',
    accurateDetector: detectorSsd !== undefined,
    async detect(photo, detectOptions = {}) {
      throwIfAborted(detectOptions.signal, 'face detection');
      // A search region is a fast-path feature: it alone picks that path.
      const mode = detectOptions.detector ?? (detectorSsd && !detectOptions.region ? 'accurate' : 'fast');
      if (mode !== 'fast' && mode !== 'accurate') {
        throw new FslsdError('INVALID_ARGUMENT', `Unknown detector "${String(mode)}".`, { fix: 'Use "fast" (the tiny detector) or "accurate" (the SSD, whole photo and tiles).' });
      }
      if (mode === 'accurate' && detectOptions.region) {
        throw new FslsdError('INVALID_ARGUMENT', 'A search region works with the fast detector only.', { fix: 'Pass detector: "fast" with region, or leave region out.' });
      }
      if (mode === 'accurate' && !detectorSsd) {
        throw new FslsdError('MODEL_NOT_FOUND', 'The accurate detector (face-detector-ssd.onnx) was not loaded.', {
          fix: 'Load the face models of @fslsd/models 0.x with face-detector-ssd, or use detector: "fast".',
        });
      }
      const boxes = mode === 'accurate' && detectorSsd
        ? await detectAccurately(runtime, { ssd: detectorSsd, tiny: detector }, photo, {
          ...(detectOptions.minScore !== undefined ? { minScore: detectOptions.minScore } : {}),
          ...(detectOptions.maxFaces !== undefined ? { maxFaces: detectOptions.maxFaces } : {}),
          ...(detectOptions.signal ? { signal: detectOptions.signal } : {}),
        })
        : await detectFaces(runtime, detector, photo, detectOptions);
      const faces: Omit<FoundFace, 'index'>[] = [];
      for (const found of boxes) {
        throwIfAborted(detectOptions.signal, 'face landmarks');
        const landmarks68 = await detectLandmarks68(runtime, landmarker, photo, found.box);
        faces.push({ box: found.box, score: found.score, landmarks68 });
      }
      faces.sort((p, q) => q.box.width * q.box.height - p.box.width * p.box.height || q.score - p.score);
      return faces.map((face, index) => ({ ...face, index }));
    },
    async prepare(photo, face, prepareOptions = {}) {
      const size = prepareOptions.size ?? CROP_SIZE;
      throwIfAborted(prepareOptions.signal, 'face alignment');
      const alignment = alignmentPointsFrom68(face.landmarks68);
      const aligned = graphs ? await graphs.align(photo, alignment, size) : alignFace(photo, alignment, size);
      const cropLandmarks68 = mapPoints(face.landmarks68, aligned.toCrop);
      const maskOptions = { ...prepareOptions.mask, size };
      const masksOf = (region: Uint8Array): Promise<FaceMasks> | FaceMasks => (graphs ? graphs.masks(region, size, maskKernels(maskOptions)) : regionFaceMasks(region, maskOptions));
      let masks: FaceMasks;
      if (parser) {
        if (size !== CROP_SIZE) throw new FslsdError('INVALID_ARGUMENT', `The face parser works on ${CROP_SIZE}^2 crops, not ${size}^2.`, { fix: 'Leave the crop size at its default.' });
        const pixels = downscaleCrop(aligned.crop, PARSER_SIZE, 'bytes');
        const results = await parser.run({ pixels: new runtime.Tensor('float32', pixels, [1, 3, PARSER_SIZE, PARSER_SIZE]) });
        const values = (results.region as Tensor).data as Float32Array;
        const region = new Uint8Array(size * size);
        for (let i = 0; i < region.length; i += 1) region[i] = values[i]! >= 0.5 ? 1 : 0;
        masks = await masksOf(region);
      } else {
        masks = await masksOf(landmarkRegion(cropLandmarks68, maskOptions));
      }
      let landmarks: Landmarks;
      if (landmarker106) {
        const crop = downscaleCrop(aligned.crop);
        const results = await landmarker106.run({ crop: new runtime.Tensor('float32', crop, [1, 3, LANDMARK_MAP_SIZE, LANDMARK_MAP_SIZE]) });
        const tensor = results.landmarks as Tensor;
        const data = tensor.data as Float32Array;
        if (data.length !== LANDMARK_POINTS * 2) {
          throw new ContractError('landmarker-106', 'landmarks', `${LANDMARK_POINTS * 2} values`, `${data.length} values`);
        }
        landmarks = Array.from({ length: LANDMARK_POINTS }, (_, i): Point => [data[2 * i]!, data[2 * i + 1]!]);
      } else {
        landmarks = encoderLandmarks(cropLandmarks68, 'ibug-68', size);
      }
      return { ...aligned, face, landmarks, landmarkSource: analyzer.landmarkSource, maskSource: analyzer.maskSource, cropLandmarks68, masks };
    },
    async describe(photo, face) {
      if (!describer) {
        throw new FslsdError('MODEL_NOT_FOUND', 'Choosing a face by reference needs the face descriptor model, which was not loaded.', {
          fix: 'Load the front-end models with their descriptor (the shipped set has one).',
        });
      }
      return faceDescriptor(runtime, describer, photo, face.landmarks68);
    },
    async pasteBack(input) {
      return pasteGraphs ? pasteGraphs.paste(input) : pasteBack(input);
    },
    async dispose() {
      for (const session of [detector, detectorSsd, landmarker, describer, landmarker106, parser]) await session?.release();
      await graphs?.dispose();
    },
  };
  return analyzer;
}

/** Crop pixel (1024) -> photo pixel of a prepared face, and the composition helpers, re-exported for callers. */
export function cropToPhoto(face: PreparedFace, point: Point): Point {
  return applyAffine(face.toPhoto, point[0], point[1]);
}

/** The map from 256^2 landmark-map pixels to photo pixels. */
export function landmarkMapToPhoto(face: PreparedFace): Affine {
  return composeAffine(face.toPhoto, rescaleAffine(LANDMARK_MAP_SIZE, face.crop.width));
}
