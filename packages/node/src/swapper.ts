/**
 * createSwapper() for Node: onnxruntime-node injected, CPU or CUDA chosen, the shipped tiny
 * model set by default.
 */
import { type Method, type ModelSet } from '@fslsd/core';
import { type Swapper, type SwapperOptions, createSwapper as createCoreSwapper } from '@fslsd/core/pipeline';
import { modelSetFromDirectory, modelSetFromUrlCached, tinyMegaFSModelsDirectory, tinyModelSet } from '@fslsd/models/node';
import { defaultCacheDirectory } from './cache.js';
import { type Device, type DeviceChoice, chooseDevice, nodeRuntime, sessionOptionsFor } from './runtime.js';

export interface NodeSwapperOptions extends Omit<SwapperOptions, 'runtime' | 'models'> {
  /**
   * A folder with manifest.json, an http(s) address serving one (downloaded with progress,
   * verified, cached in `cacheDirectory`), or a ModelSet. Default: the shipped tiny set (untrained).
   */
  readonly models?: string | ModelSet;
  /** Where downloaded models are kept. Default: $FSLSD_CACHE, else ~/.cache/fslsd/models. */
  readonly cacheDirectory?: string;
  /** Never touch the network: a URL model set must already be in the cache. */
  readonly offline?: boolean;
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

/**
 * The model set behind a `models` option: the shipped tiny set (FSLSD's, or MegaFS's with
 * `method: 'megafs'`), a folder, a URL (cached), or a ModelSet.
 */
export async function resolveModelSet(options: Pick<NodeSwapperOptions, 'models' | 'cacheDirectory' | 'signal' | 'offline'> & { readonly method?: Method } = {}): Promise<ModelSet> {
  const { models } = options;
  if (models === undefined) return options.method === 'megafs' ? modelSetFromDirectory(tinyMegaFSModelsDirectory()) : tinyModelSet();
  if (typeof models !== 'string') return models;
  if (/^https?:\/\//i.test(models)) return modelSetFromUrlCached(models, options.cacheDirectory ?? defaultCacheDirectory(), { signal: options.signal, offline: options.offline });
  return modelSetFromDirectory(models);
}

/** Loads the models and opens sessions on the chosen device. */
export async function createSwapper(options: NodeSwapperOptions = {}): Promise<NodeSwapper> {
  const device = await chooseDevice(options.device ?? 'auto', options.log);
  const models = await resolveModelSet(options);
  const swapper = await createCoreSwapper({
    ...options,
    runtime: nodeRuntime,
    models,
    sessionOptions: { ...sessionOptionsFor(device, options.threads), ...options.sessionOptions },
  });
  return Object.assign(swapper, { device });
}
