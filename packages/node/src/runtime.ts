/**
 * onnxruntime-node, injected into @fslsd/core, and the choice of execution provider.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { FslsdError, type OrtRuntime } from '@fslsd/core';
import { clampGraph, encodeModel } from '@fslsd/core/graph';
import type { InferenceSession } from 'onnxruntime-common';

/** onnxruntime-node as core's runtime. */
export const nodeRuntime: OrtRuntime = ort as unknown as OrtRuntime;

/** `auto` uses CUDA when it works and falls back to the CPU otherwise. */
export type Device = 'auto' | 'cpu' | 'cuda';

export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda'];

export interface DeviceChoice {
  readonly device: 'cpu' | 'cuda';
  readonly executionProviders: InferenceSession.SessionOptions['executionProviders'];
  /** Why `auto` fell back to the CPU, when it did. */
  readonly fallbackReason?: string;
}

const CUDA_FIX =
  'CUDA needs an NVIDIA GPU, CUDA 12 + cuDNN 9, and onnxruntime-node installed with its CUDA binaries (ONNXRUNTIME_NODE_INSTALL=cuda12 where the internet is reachable); use --device cpu otherwise.';

/** Where onnxruntime-node keeps its native libraries, or undefined when it cannot be found. */
function bindingFolder(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')), 'bin');
  } catch {
    return undefined;
  }
}

/**
 * Opens a one-node session on CUDA to see whether the provider really loads. Without the CUDA
 * provider library beside the binding (the npm package's default, CPU-only install) CUDA cannot
 * load, and asking onnxruntime would print its raw "Failed to load library" line: that case is
 * answered from the file system, quietly.
 */
async function probeCuda(): Promise<string | undefined> {
  const folder = bindingFolder();
  const hasLibrary = folder !== undefined && existsSync(folder) && readdirSync(folder, { recursive: true }).some((file) => String(file).endsWith('libonnxruntime_providers_cuda.so') || String(file).endsWith('onnxruntime_providers_cuda.dll'));
  if (!hasLibrary) return 'onnxruntime-node was installed without its CUDA provider library';
  // A failed provider load is logged natively at error level before it is thrown; the thrown
  // message is what we report, so keep the native log quiet during the probe.
  const level = ort.env.logLevel;
  ort.env.logLevel = 'fatal';
  try {
    const session = await ort.InferenceSession.create(encodeModel(clampGraph(1, 1)), { executionProviders: ['cuda'], logSeverityLevel: 4 });
    await session.release();
    return undefined;
  } catch (error) {
    return (error as Error).message ?? String(error);
  } finally {
    ort.env.logLevel = level;
  }
}

/** One probe per process: the answer cannot change while the process runs. */
let cudaProbe: Promise<string | undefined> | undefined;

/**
 * Resolves a device name to execution providers.
 * @throws FslsdError `DEVICE_UNAVAILABLE` for `cuda` when CUDA cannot be used; `INVALID_ARGUMENT` for an unknown name.
 */
export async function chooseDevice(device: Device | string = 'auto', log: (message: string) => void = () => {}): Promise<DeviceChoice> {
  if (!DEVICES.includes(device as Device)) {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown device "${device}".`, { fix: `Use one of ${DEVICES.join(', ')}.` });
  }
  if (device === 'cpu') return { device: 'cpu', executionProviders: ['cpu'] };
  cudaProbe ??= probeCuda();
  const problem = await cudaProbe;
  if (!problem) return { device: 'cuda', executionProviders: ['cuda', 'cpu'] };
  if (device === 'cuda') throw new FslsdError('DEVICE_UNAVAILABLE', `The CUDA execution provider is not available: ${problem.split('\n')[0]}.`, { fix: CUDA_FIX });
  log(`CUDA is not available (${problem.split('\n')[0]}); running on the CPU.`);
  return { device: 'cpu', executionProviders: ['cpu'], fallbackReason: problem };
}

/**
 * Session options for a chosen device: its execution providers, threads, `basic` graph
 * optimisation (constant folding, redundant-node removal) and no memory pattern. Both measured on
 * the full-size set (BENCHMARKS.md, "Memory"): `all` adds onnxruntime's NCHWc layout rewrite,
 * which keeps a re-laid-out copy of every convolution weight (pSp encoder 1.1 GB -> 3.1 GB) for
 * no measurable speed; the memory pattern pre-plans one block per run that grew the peak by
 * 0.6 GB on the second swap, again for no speed.
 */
export function sessionOptionsFor(device: DeviceChoice, threads?: number): InferenceSession.SessionOptions {
  return { executionProviders: device.executionProviders, graphOptimizationLevel: 'basic', enableMemPattern: false, ...(threads ? { intraOpNumThreads: threads } : {}) };
}
