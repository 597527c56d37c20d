/**
 * createSwapper() for Node: onnxruntime-node injected, CPU or CUDA chosen, the shipped tiny
 * model set by default.
 */
import { type ModelSet, type Swapper, type SwapperOptions, createSwapper as createCoreSwapper } from '@fslsd/core';
import { modelSetFromDirectory, tinyModelSet } from '@fslsd/models/node';
import { type Device, type DeviceChoice, chooseDevice, nodeRuntime } from './runtime.js';

export interface NodeSwapperOptions extends Omit<SwapperOptions, 'runtime' | 'models'> {
  /** A folder with manifest.json, or a ModelSet. Default: the shipped tiny set (untrained). */
  readonly models?: string | ModelSet;
  /** Default `auto`. */
  readonly device?: Device;
  /** Intra-op threads per session (default: onnxruntime's choice, all cores). */
  readonly threads?: number;
  /** Where device fallbacks are reported. Default: nowhere. */
  readonly log?: (message: string) => void;
}

export interface NodeSwapper extends Swapper {
  readonly device: DeviceChoice;
}

/** Loads the models and opens sessions on the chosen device. */
export async function createSwapper(options: NodeSwapperOptions = {}): Promise<NodeSwapper> {
  const device = await chooseDevice(options.device ?? 'auto', options.log);
  const models = options.models === undefined ? await tinyModelSet() : typeof options.models === 'string' ? await modelSetFromDirectory(options.models) : options.models;
  const swapper = await createCoreSwapper({
    ...options,
    runtime: nodeRuntime,
    models,
    sessionOptions: {
      executionProviders: device.executionProviders,
      graphOptimizationLevel: 'all',
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
      ...options.sessionOptions,
    },
  });
  return Object.assign(swapper, { device });
}
