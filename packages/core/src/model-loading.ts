/**
 * Loading a method's networks and opening its stage sessions, the same for every method: each
 * network is read, checked against its contract (declared in the manifest, then in the graph)
 * and, when the set's files are on a local disk in one folder, reduced to its graph with its
 * weights left in the file (graph/external-weights.ts), so JavaScript never holds more than one
 * network's bytes. Every stage then gets one session on the injected runtime.
 */
import { type AnyModelId, type ModelContract, checkDeclaredContract, checkModelContract } from './contracts/contract.js';
import { FslsdError, throwIfAborted } from './errors.js';
import { Executor, type StageSession } from './executor.js';
import { externalizeWeights } from './graph/external-weights.js';
import { toFloat16 } from './graph/float16.js';
import { type ModelProto, decodeModel } from './graph/onnx.js';
import type { CallOptions, StageName, SwapperOptions } from './swapper.js';

/** The session config key that tells onnxruntime where external weight files are. */
const EXTERNAL_FOLDER_KEY = 'model_external_initializers_file_folder_path';

/**
 * Loads and checks `ids` one at a time. Symbols in the contracts (channel counts) are bound
 * across all of them and returned.
 * @throws FslsdError `MODEL_NOT_FOUND`, `MODEL_INTEGRITY`, `ABORTED`; ContractError.
 */
export async function loadCheckedModels<Id extends AnyModelId>(
  options: SwapperOptions,
  ids: readonly Id[],
  contracts: Readonly<Record<Id, ModelContract>>,
  exporter: string,
): Promise<{ models: Record<Id, ModelProto>; bindings: Map<string, number>; weightsFolder?: string }> {
  const bindings = new Map<string, number>();
  const models = {} as Record<Id, ModelProto>;
  const folders = new Set<string>();
  for (const id of ids) {
    throwIfAborted(options.signal, `loading ${id}`);
    const entry = options.models.entries.find((e) => e.id === id);
    if (!entry) {
      throw new FslsdError('MODEL_NOT_FOUND', `The model set "${options.models.name}" has no "${id}" model.`, {
        fix: `A set for this method needs all of ${ids.join(', ')}; export one with ${exporter}.`,
      });
    }
    checkDeclaredContract(contracts[id], entry);
    const bytes = await options.models.load(id, { signal: options.signal, onProgress: (event) => options.onProgress?.({ kind: 'model', ...event }) });
    let model: ModelProto;
    try {
      model = decodeModel(bytes);
    } catch (error) {
      throw new FslsdError('MODEL_INTEGRITY', `Model "${id}" is not a readable ONNX file.`, { fix: 'Re-download or re-export it.', cause: error });
    }
    checkModelContract(contracts[id], model, bindings);
    // Float16 rewrites every weight, so they cannot stay in their float32 files.
    const keepInFile = options.externalWeights !== false && options.precision !== 'float16';
    const local = keepInFile ? options.models.localFile?.(id) : undefined;
    if (local) {
      model = externalizeWeights(model, local.file, bytes);
      folders.add(local.directory);
    }
    models[id] = model;
  }
  // One session reads external weights from one folder; sets spread over several stay inline.
  if (folders.size > 1) {
    throw new FslsdError('MODEL_INTEGRITY', `The model set "${options.models.name}" reports its files in ${folders.size} folders; fslsd needs one.`, {
      fix: 'Keep the files of a set in one folder, or pass externalWeights: false.',
    });
  }
  return { models, bindings, weightsFolder: [...folders][0] };
}

/**
 * Opens one session per stage, in order; on a failure the ones already open are released.
 * @throws FslsdError `RUNTIME_FAILURE`, `ABORTED`.
 */
export async function openStageSessions(options: SwapperOptions, weightsFolder: string | undefined, stages: readonly (readonly [string, () => ModelProto])[]): Promise<StageSession[]> {
  let sessionOptions = options.sessionOptions;
  if (weightsFolder !== undefined) {
    const extra = (sessionOptions?.extra ?? {}) as Record<string, unknown>;
    const session = (extra.session ?? {}) as Record<string, unknown>;
    sessionOptions = { ...sessionOptions, extra: { ...extra, session: { ...session, [EXTERNAL_FOLDER_KEY]: weightsFolder } } };
  }
  if (options.precision === 'float16' && sessionOptions?.logSeverityLevel === undefined) {
    // onnxruntime warns once per float16 node it cannot constant-fold on a provider without
    // float16 kernels (the CPU): hundreds of lines that say nothing wrong. Errors still show.
    sessionOptions = { ...sessionOptions, logSeverityLevel: 3 };
  }
  const executor = new Executor(options.runtime, sessionOptions, options.onSessionRun);
  const sessions: StageSession[] = [];
  try {
    for (const [name, graph] of stages) {
      throwIfAborted(options.signal, `opening ${name}`);
      const built = graph();
      sessions.push(await executor.createSession(name, options.precision === 'float16' ? toFloat16(built) : built));
      options.onProgress?.({ kind: 'session', status: 'ready', name });
    }
    return sessions;
  } catch (error) {
    await Promise.all(sessions.map((s) => s.release()));
    throw error;
  }
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Runs one stage of a call: checks the swapper is alive and the call not aborted, reports start and end, adds its time. */
export type StageRunner = <T>(name: StageName, call: CallOptions | undefined, timings: Partial<Record<StageName, number>>, work: () => Promise<T> | T) => Promise<T>;

/**
 * The stage runner both methods' swappers use. `alive()` says whether the swapper may still run.
 * @throws FslsdError `INVALID_ARGUMENT` after dispose, `ABORTED` before or after a stage.
 */
export function stageRunner(options: Pick<SwapperOptions, 'onProgress'>, alive: () => boolean): StageRunner {
  return async (name, call, timings, work) => {
    if (!alive()) throw new FslsdError('INVALID_ARGUMENT', 'This swapper was disposed.', { fix: 'Create a new one with createFaceSwapper() (or createSwapper()).' });
    throwIfAborted(call?.signal, name);
    const report = call?.onProgress ?? options.onProgress;
    report?.({ kind: 'stage', status: 'start', stage: name });
    const start = now();
    const result = await work();
    const milliseconds = now() - start;
    timings[name] = (timings[name] ?? 0) + milliseconds;
    report?.({ kind: 'stage', status: 'done', stage: name, milliseconds });
    throwIfAborted(call?.signal, name);
    return result;
  };
}
