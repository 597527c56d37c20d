/**
 * The face front end in the browser: the shipped detector, 68-point landmarker and descriptor,
 * fetched from a static copy of `@fslsd/models/faces/` (verified, cached), on onnxruntime-web.
 */
import * as ort from 'onnxruntime-web';
import { type OrtRuntime } from '@fslsd/core';
import { type FaceAnalyzer, type FaceModelFiles, createFaceAnalyzer as createCoreFaceAnalyzer } from '@fslsd/core/face';
import { type FaceModelProgress, faceModelsFromUrl } from '@fslsd/models';
import { browserModelCache } from './storage.js';
import { type Backend, chooseBackend } from './swapper.js';

/** Options of {@link createFaceAnalyzer}. */
export interface WebFaceAnalyzerOptions {
  /** Base URL of the face models (their manifest.json and files), or their bytes. */
  readonly models: string | FaceModelFiles;
  /** Default `auto`, like the swapper. */
  readonly backend?: Backend;
  /** Cache verified models with the Cache API (default true). */
  readonly cache?: boolean;
  /** Load the 128-d descriptor too (default true; only choosing by reference needs it). */
  readonly descriptor?: boolean;
  /**
   * Load the SSD detector too (5.9 MB; default true): the accurate path, which finds small,
   * turned and rotated faces in photos. Without it detection takes the fast path.
   */
  readonly accurateDetector?: boolean;
  /**
   * Where alignment, masks and paste-back run. Default 'typescript' in the browser: the graphs
   * ('graphs') are untested on real GPUs' WebGPU so far (only a software adapter), and on WASM the
   * TypeScript is faster.
   */
  readonly frontEnd?: 'typescript' | 'graphs';
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: FaceModelProgress) => void;
}

/** A browser face analyzer and the backend it runs on. */
export interface WebFaceAnalyzer extends FaceAnalyzer {
  readonly backend: 'webgpu' | 'wasm';
}

/** Loads the face models and opens their sessions. */
export async function createFaceAnalyzer(options: WebFaceAnalyzerOptions): Promise<WebFaceAnalyzer> {
  const { backend } = await chooseBackend(options.backend);
  const models = typeof options.models === 'string'
    ? await faceModelsFromUrl(options.models, {
      cache: options.cache === false ? undefined : browserModelCache(),
      signal: options.signal,
      onProgress: options.onProgress,
      descriptor: options.descriptor,
      ...(options.accurateDetector !== undefined ? { accurateDetector: options.accurateDetector } : {}),
    })
    : options.models;
  const analyzer = await createCoreFaceAnalyzer({
    runtime: ort as unknown as OrtRuntime,
    models,
    sessionOptions: { executionProviders: [backend], graphOptimizationLevel: 'all' },
    frontEnd: options.frontEnd ?? 'typescript',
  });
  return Object.assign(analyzer, { backend });
}
