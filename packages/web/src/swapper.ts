/**
 * createSwapper() for browsers: onnxruntime-web injected, WebGPU when an adapter exists,
 * WASM otherwise, models fetched with progress, sha256-verified and cached.
 */
import * as ort from 'onnxruntime-web';
import { FslsdError, type ModelSet, type OrtRuntime, type Precision } from '@fslsd/core';
import { type Swapper, type SwapperOptions, createMegaFSSwapper, createSwapper as createCoreSwapper } from '@fslsd/core/pipeline';
import { modelSetFromUrl } from '@fslsd/models';
import { STORED, browserModelCache, storedModelSet } from './storage.js';

/**
 * `auto` (default): WebGPU when the browser gives a hardware adapter, WASM otherwise (no WebGPU,
 * no adapter, or only a software fallback adapter such as SwiftShader, on which WASM is far
 * faster); the reason is reported. `webgpu` insists on WebGPU (any adapter), `wasm` on WASM.
 */
export type Backend = 'auto' | 'webgpu' | 'wasm';

/**
 * `auto` (default): float16 on a WebGPU adapter with the `shader-f16` feature, float32 otherwise
 * (WASM, or WebGPU without it). `float32` and `float16` insist.
 */
export type WebPrecision = 'auto' | Precision;

export interface WebSwapperOptions extends Omit<SwapperOptions, 'runtime' | 'models' | 'precision'> {
  /** Base URL of a model set (its manifest.json and files), `stored:NAME` for an imported set, or a ModelSet. */
  readonly models: string | ModelSet;
  /** Default `auto` (see {@link Backend}). */
  readonly backend?: Backend;
  /** Default `auto` (see {@link WebPrecision}). */
  readonly precision?: WebPrecision;
  /** Keep verified models for the next visit, in OPFS (any size) or the Cache API (default true). */
  readonly cache?: boolean;
  /** Where onnxruntime-web finds its .wasm files, when the bundler does not place them. */
  readonly wasmPaths?: string;
}

export interface WebSwapper extends Swapper {
  /** The backend that runs the sessions. */
  readonly backend: 'webgpu' | 'wasm';
  /** Why `auto` did not use WebGPU, when it did not. */
  readonly fallbackReason?: string;
  /** The arithmetic the sessions run in. */
  readonly precision: Precision;
  /** Why `auto` precision stayed float32 on WebGPU, when it did. */
  readonly precisionReason?: string;
}

interface GpuAdapter {
  info?: { isFallbackAdapter?: boolean; architecture?: string; vendor?: string };
  isFallbackAdapter?: boolean;
  features?: { has(name: string): boolean };
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<GpuAdapter | null> };
}

/** Picks the backend: WebGPU needs `navigator.gpu` and an adapter (`auto`: a hardware one). */
export async function chooseBackend(requested: Backend = 'auto'): Promise<{ backend: 'webgpu' | 'wasm'; reason?: string; shaderF16?: boolean }> {
  if (requested !== 'auto' && requested !== 'webgpu' && requested !== 'wasm') {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown backend "${String(requested)}".`, { fix: 'Use auto, webgpu or wasm.' });
  }
  if (requested === 'wasm') return { backend: 'wasm' };
  const gpu = (globalThis.navigator as unknown as GpuNavigator | undefined)?.gpu;
  let reason: string | undefined;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!gpu) reason = 'this browser exposes no WebGPU (navigator.gpu)';
  else if (!adapter) reason = 'WebGPU gave no adapter';
  else if (requested === 'auto' && (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter)) {
    reason = `the only WebGPU adapter is a software fallback (${adapter.info?.architecture || 'CPU emulation'}), slower than WASM`;
  }
  if (!reason || (requested === 'webgpu' && adapter)) return { backend: 'webgpu', shaderF16: adapter?.features?.has('shader-f16') === true };
  if (requested === 'webgpu') throw new FslsdError('DEVICE_UNAVAILABLE', `WebGPU is not available: ${reason}.`, { fix: 'Use backend "wasm" or "auto", or a browser with WebGPU enabled.' });
  return { backend: 'wasm', reason };
}

/** Resolves a {@link WebPrecision} for the chosen backend. */
export function choosePrecision(requested: WebPrecision = 'auto', backend: 'webgpu' | 'wasm', shaderF16 = false): { precision: Precision; reason?: string } {
  if (requested !== 'auto' && requested !== 'float32' && requested !== 'float16') {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown precision "${String(requested)}".`, { fix: 'Use auto, float32 or float16.' });
  }
  if (requested !== 'auto') return { precision: requested };
  if (backend !== 'webgpu') return { precision: 'float32' };
  return shaderF16 ? { precision: 'float16' } : { precision: 'float32', reason: 'the WebGPU adapter has no shader-f16 feature' };
}

/** Loads the models and opens sessions on WebGPU or WASM. */
export async function createSwapper(options: WebSwapperOptions): Promise<WebSwapper> {
  const { backend, reason, shaderF16 } = await chooseBackend(options.backend);
  const { precision, reason: precisionReason } = choosePrecision(options.precision, backend, shaderF16);
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  // Threads need cross-origin isolation (COOP/COEP); without it onnxruntime-web runs one thread.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  ort.env.wasm.numThreads = isolated ? Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1) : 1;
  const cache = options.cache === false ? undefined : browserModelCache({ onWarning: (message) => options.onProgress?.({ kind: 'warning', code: 'CACHE_WRITE_FAILED', message }) });
  const models = typeof options.models !== 'string'
    ? options.models
    : options.models.startsWith(STORED)
      ? await storedModelSet(options.models.slice(STORED.length))
      : await modelSetFromUrl(options.models, { cache, signal: options.signal });
  // The set decides the method: a MegaFS set lists megafs-* networks.
  const create = models.entries.some((entry) => entry.id.startsWith('megafs-')) ? createMegaFSSwapper : createCoreSwapper;
  const swapper = await create({
    ...options,
    runtime: ort as unknown as OrtRuntime,
    models,
    precision,
    sessionOptions: { executionProviders: [backend], graphOptimizationLevel: 'all', ...options.sessionOptions },
  });
  return Object.assign(swapper, { backend, fallbackReason: reason, precision, precisionReason });
}
