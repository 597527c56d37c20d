/**
 * What every method's swapper is: the interface FSLSD (fslsd/swapper.ts) and MegaFS
 * (megafs/swapper.ts) implement on aligned crops, and that the face front end, photos, video and
 * both runtimes use without knowing which method runs.
 *
 *   encodeSource(crop, landmarks)  -> SourceFace   (codes; reusable, serialisable)
 *   encodeTarget(crop, landmarks)  -> TargetFace   (codes, crop tensor, mask)
 *   swap(source, target)           -> { image, sideOutput, latent }
 */
import type { SessionRunEvent } from './executor.js';
import type { ImageTensor, RgbImage } from './image/tensor.js';
import type { Landmarks } from './landmarks/maps.js';
import type { LatentSplit, LatentSplitName } from './latent/split.js';
import type { WPlus } from './latent/wplus.js';
import type { MaskImage } from './mask/inner-mask.js';
import type { ModelLoadProgress, ModelSet } from './model-set.js';
import type { InferenceSession, OrtRuntime } from './runtime.js';
import type { Method, SourceFace } from './source-face.js';

export type { SourceFace } from './source-face.js';

/** Names of the pipeline stages, as progress events report them (FSLSD's, then MegaFS's: fslsd/stages/, megafs/). */
export type StageName = 'encode-latent' | 'landmark-direction' | 'fuse-latents' | 'edit-latent' | 'synthesize'
  | 'megafs-encode' | 'megafs-transfer' | 'megafs-generate';

/** Arithmetic of the networks. */
export type Precision = 'float32' | 'float16';

/** Progress of loading (models, sessions) and of each stage of a call. */
export type ProgressEvent =
  | ({ readonly kind: 'model' } & ModelLoadProgress)
  | { readonly kind: 'session'; readonly status: 'ready'; readonly name: string }
  | { readonly kind: 'stage'; readonly status: 'start' | 'done'; readonly stage: StageName; readonly milliseconds?: number }
  /** Something the caller should know, once: `TINY_MODELS` (untrained weights), `DEVICE_FALLBACK` (auto fell back). */
  | { readonly kind: 'warning'; readonly code: 'TINY_MODELS' | 'DEVICE_FALLBACK' | 'CACHE_WRITE_FAILED'; readonly message: string };

export interface SwapperOptions {
  /** The ONNX Runtime module (onnxruntime-node, onnxruntime-web), injected by the backend package. */
  readonly runtime: OrtRuntime;
  /** Where the six networks come from. */
  readonly models: ModelSet;
  /** Passed to every session (execution providers, threads, graph optimisation). */
  readonly sessionOptions?: InferenceSession.SessionOptions;
  /** Default structure/appearance split: a preset name, a split, or a text form. Default `official`. */
  readonly split?: LatentSplitName | LatentSplit | string;
  /** Default scale of the landmark direction n. Default 1. */
  readonly strength?: number;
  /** Run the latent editor (the released pipeline does). Default true. */
  readonly editor?: boolean;
  /**
   * Let the runtime read weights from the set's local files (when {@link ModelSet.localFile}
   * names them) instead of from a copy in memory. Default true; `false` passes every byte inline.
   */
  readonly externalWeights?: boolean;
  /**
   * Arithmetic of the networks. `float32` (default) is the reference; `float16` rewrites every
   * stage graph to compute in half precision (graph/float16.ts) with float32 feeds and results,
   * for GPUs with fast float16 (WebGPU `shader-f16`, CUDA). Weights then live in memory at half
   * size rather than in their files. Parity: see BENCHMARKS.md, "Half precision".
   */
  readonly precision?: Precision;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Called after every session run with the tensors that crossed into and out of it. */
  readonly onSessionRun?: (event: SessionRunEvent) => void;
}

/** An aligned face crop with its landmarks. */
export interface FaceInput {
  /** 1024^2 FFHQ-aligned crop, 8-bit RGB(A). */
  readonly image: RgbImage;
  /** 106 points in 256^2 crop pixels; `[-1, -1]` for unknown points. */
  readonly landmarks: Landmarks;
}

/** A target face may bring its own inner-face mask (1024^2); otherwise the default ellipse is used. */
export interface TargetInput extends FaceInput {
  readonly mask?: MaskImage;
}

/** An encoded target face, ready for swaps. */
export interface TargetFace {
  readonly kind: 'target';
  readonly wplus: WPlus;
  readonly landmarks: Landmarks;
  readonly image: ImageTensor;
  /** m_t at 1024^2 in [0, 1]. Treat it as read-only: the default mask is one shared array. */
  readonly mask: Float32Array;
  /** MegaFS only: the target's 4x4 structure map f4 ([s, 4, 4]), the generator's input. */
  readonly structure?: Float32Array;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface SwapOptions extends CallOptions {
  /** FSLSD: the structure/appearance split. */
  readonly split?: LatentSplitName | LatentSplit | string;
  /** FSLSD: the scale of the landmark direction n. */
  readonly strength?: number;
  /** FSLSD: run the latent editor. */
  readonly editor?: boolean;
  /** MegaFS: the released refine pass (re-encode the blended swap, regenerate it, blend again). Default false. */
  readonly refine?: boolean;
}

export interface SwapResult {
  /** y_f: the swapped 1024^2 face, planar float in [-1, 1]. */
  readonly image: ImageTensor;
  /** y_s: the generator's own RGB rendering of the fused latent (not clamped). */
  readonly sideOutput: ImageTensor;
  /** The W+ code the generator rendered (fused, then edited when the editor runs). */
  readonly latent: WPlus;
  /** The fused code before the editor. */
  readonly fused: WPlus;
  /** Landmark direction n (7 x 512), absent when the split uses none. */
  readonly direction: Float32Array | undefined;
  readonly split: LatentSplit;
  /** Wall time of each stage in milliseconds. */
  readonly timings: Readonly<Partial<Record<StageName, number>>>;
}

export interface Swapper {
  /** The method it runs. */
  readonly method: Method;
  /** The model set's id (name and fingerprint, see modelSetId); source faces record it. */
  readonly models: string;
  readonly split: LatentSplit;
  encodeSource(face: FaceInput, options?: CallOptions): Promise<SourceFace>;
  encodeTarget(face: TargetInput, options?: CallOptions): Promise<TargetFace>;
  swap(source: SourceFace, target: TargetFace | TargetInput, options?: SwapOptions): Promise<SwapResult>;
  /** Releases every session. The swapper is unusable afterwards. */
  dispose(): Promise<void>;
}
