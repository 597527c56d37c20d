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

/**
 * Where the networks run. `auto` uses CUDA when it works and falls back to the CPU otherwise.
 * `webgpu` is onnxruntime-node's own WebGPU provider (Google's Dawn, built into its prebuilt
 * binaries: Vulkan on Linux, Metal on macOS, Direct3D 12 on Windows): a GPU with no CUDA or cuDNN
 * install. `auto` does not try it: on a machine without a GPU, Dawn's adapter search prints to
 * stderr natively, which a CPU user should not see on every start.
 */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';

/** Every {@link Device} name, in the order `--help` lists them. */
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/** A resolved {@link Device}: the provider that will run, and the execution providers to ask for. */
export interface DeviceChoice {
  /** The device that runs (never `auto`: a fallback says `cpu`). */
  readonly device: 'cpu' | 'cuda' | 'webgpu';
  /** What onnxruntime is asked for, in order (the CPU last, for operators the GPU provider lacks). */
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

const WEBGPU_FIX =
  'WebGPU needs a GPU with a Vulkan driver on Linux (the Vulkan loader libvulkan.so.1 and the vendor\'s driver: NVIDIA\'s, or Mesa\'s RADV / ANV), Metal on macOS or Direct3D 12 on Windows, and onnxruntime-node 1.30 or later on x64; use --device cpu otherwise.';

/**
 * Opens a one-node session on onnxruntime-node's WebGPU provider and runs it once: adapter
 * discovery happens at session creation, and a driver that creates a device but cannot run a
 * shader fails at the first run.
 */
async function probeWebGpu(): Promise<string | undefined> {
  try {
    const session = await ort.InferenceSession.create(encodeModel(clampGraph(1, 2)), { executionProviders: ['webgpu'], logSeverityLevel: 4 });
    try {
      const input = new ort.Tensor('float32', new Float32Array([-3, 0.5, 4, 0.25]), [1, 1, 2, 2]);
      const output = (await session.run({ [session.inputNames[0]!]: input }))[session.outputNames[0]!]!;
      const values = Array.from(output.data as Float32Array);
      if (values.join(',') !== '-1,0.5,1,0.25') return `a test run on the WebGPU adapter gave ${values.join(', ')} instead of -1, 0.5, 1, 0.25`;
    } finally {
      await session.release();
    }
    return undefined;
  } catch (error) {
    return (error as Error).message ?? String(error);
  }
}

/** One probe per process and provider: the answer cannot change while the process runs. */
let cudaProbe: Promise<string | undefined> | undefined;
let webGpuProbe: Promise<string | undefined> | undefined;

/** The line of onnxruntime's message that says what went wrong, without the source file and check that precede it. */
function reasonOf(problem: string): string {
  const lines = problem.split('\n').map((line) => line.trim()).filter(Boolean);
  const said = lines.find((line) => /Failed to get a WebGPU adapter|not available|Failed to load/i.test(line));
  return (said ?? lines[0] ?? problem).replace(/^.*?(Failed to get a WebGPU adapter)/, '$1');
}

/**
 * Resolves a device name to execution providers.
 * @throws FslsdError `DEVICE_UNAVAILABLE` for `cuda` or `webgpu` when that provider cannot be used (with the reason and the fix); `INVALID_ARGUMENT` for an unknown name.
 */
export async function chooseDevice(device: Device | string = 'auto', log: (message: string) => void = () => {}): Promise<DeviceChoice> {
  if (!DEVICES.includes(device as Device)) {
    throw new FslsdError('INVALID_ARGUMENT', `Unknown device "${device}".`, { fix: `Use one of ${DEVICES.join(', ')}.` });
  }
  if (device === 'cpu') return { device: 'cpu', executionProviders: ['cpu'] };
  if (device === 'webgpu') {
    webGpuProbe ??= probeWebGpu();
    const problem = await webGpuProbe;
    if (problem) throw new FslsdError('DEVICE_UNAVAILABLE', `The WebGPU execution provider is not available: ${reasonOf(problem)}.`, { fix: WEBGPU_FIX });
    return { device: 'webgpu', executionProviders: ['webgpu', 'cpu'] };
  }
  cudaProbe ??= probeCuda();
  const problem = await cudaProbe;
  if (!problem) return { device: 'cuda', executionProviders: ['cuda', 'cpu'] };
  if (device === 'cuda') throw new FslsdError('DEVICE_UNAVAILABLE', `The CUDA execution provider is not available: ${problem.split('\n')[0]}.`, { fix: CUDA_FIX });
  log(`CUDA is not available (${problem.split('\n')[0]}); running on the CPU.`);
  return { device: 'cpu', executionProviders: ['cpu'], fallbackReason: problem };
}

/**
 * Session options for a chosen device: its execution providers, threads, `basic` graph
 * optimisation (constant folding, redundant-node removal), no memory pattern and no spinning.
 * The first two measured on the full-size set (BENCHMARKS.md, "Memory"): `all` adds
 * onnxruntime's NCHWc layout rewrite, which keeps a re-laid-out copy of every convolution weight
 * (pSp encoder 1.1 GB -> 3.1 GB) for no measurable speed; the memory pattern pre-plans one block
 * per run that grew the peak by 0.6 GB on the second swap, again for no speed.
 *
 * Spinning: every session has its own intra-op thread pool, and by default its threads spin for
 * a while after each run, waiting for the next. A swap runs a dozen sessions one after another
 * (and the front end's JavaScript between them), so the threads of the session that just ran
 * spin on the cores the next one needs. With spinning off, the video benchmark's networks ran
 * 25-30 % faster on the 2-core test VM (218-229 ms per frame against 283-327, alternating runs);
 * a full-size photo swap took the same time (4.34 s against 4.38 s, medians of 4 alternating).
 */
export function sessionOptionsFor(device: DeviceChoice, threads?: number): InferenceSession.SessionOptions {
  return {
    executionProviders: device.executionProviders,
    graphOptimizationLevel: 'basic',
    enableMemPattern: false,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}
