/**
 * Importing PyTorch checkpoints into a model set, in any JavaScript runtime: every key, shape
 * and dtype is checked against the architecture before a byte is written; then each model file
 * is the architecture graph filled tensor by tensor, streamed to the caller's sink.
 */
import { CheckpointError, FslsdError, type ModelEntry } from '@fslsd/core';
import { throwIfAborted } from '@fslsd/core/pipeline';
import { MANIFEST_FORMAT, type Manifest, type ManifestLicence, type ManifestPurpose } from '../manifest.js';
import { sha256Hex } from '../verify.js';
import { type ArchitectureDescription, type ArchitectureSource, CHECKPOINT_ROLES, type CheckpointRole, type CheckpointScope, type DerivedTensor } from './architecture.js';
import { type FillPlan, type GraphReference, planFill, writeFilled } from './onnx-fill.js';
import { PickleDict, type PickleValue } from './pickle.js';
import { readFloat32 } from './tensor-values.js';
import { type ByteReader, type TensorRef, type TorchCheckpoint, isTensor, openCheckpoint } from './torch-file.js';

/** One checkpoint file to import. */
export interface CheckpointInput {
  /** How messages name it (its file name or path). */
  readonly name: string;
  readonly reader: ByteReader;
}

/** Where one model file is written; the caller makes it atomic. */
export interface ModelFileSink {
  write(chunk: Uint8Array): Promise<void>;
  /** Finishes the file; returns its lower-case hex sha256. */
  close(): Promise<string>;
}

/** Progress of an import: bytes of model files written. */
export interface ImportProgress {
  /** The model being written. */
  readonly model: string;
  /** Bytes of this model's file written so far, and its size. */
  readonly written: number;
  readonly total: number;
  /** Over every model file of the set. */
  readonly setWritten: number;
  readonly setTotal: number;
}

/** Options of {@link importModelSet}. */
export interface ImportModelSetOptions {
  /** The architectures to fill: a method's set, optionally followed by `landmarker-106`. */
  readonly architectures: readonly ArchitectureSource[];
  /**
   * The checkpoint for each role the architectures read; no more, no fewer. One exception: the
   * FSLSD architecture with `psp` and no `fslsd` gives an encoder-only set (its psp-encoder alone,
   * manifest `purpose: "latent-encoder"`), what W+ codes need when there is no FSLSD checkpoint.
   */
  readonly checkpoints: Readonly<Partial<Record<CheckpointRole, CheckpointInput>>>;
  /** Opens the sink for one model file (a plain name from the architecture). */
  readonly open: (file: string) => Promise<ModelFileSink>;
  /** Recorded as the manifest's `set` (default `imported`). */
  readonly setName?: string;
  /** Recorded in the manifest's provenance (`@fslsd/models 0.2.0`). */
  readonly importer?: string;
  readonly onProgress?: (event: ImportProgress) => void;
  /**
   * Called once every checkpoint is checked, before the first file is opened, with the bytes the
   * set will take: the place to refuse an import that cannot fit (throw to stop it).
   */
  readonly beforeWrite?: (plan: { readonly bytes: number }) => Promise<void> | void;
  readonly signal?: AbortSignal;
}

/** The distinctive top-level keys of each released checkpoint, to name a file given to the wrong flag. */
const SIGNATURES: Readonly<Record<CheckpointRole, { keys: readonly string[]; flag: string; what: string }>> = {
  fslsd: { keys: ['encoder_lmk', 'bald_model'], flag: '--fslsd', what: 'the FSLSD checkpoint (CELEBA-HQ-1024.pt)' },
  psp: { keys: ['state_dict', 'latent_avg'], flag: '--psp', what: 'the pSp checkpoint (psp_ffhq_encode.pt)' },
  megafs: { keys: ['e', 's'], flag: '--megafs', what: 'a MegaFS checkpoint ({ftm,injection,lcr}_final.pth)' },
  stylegan2: { keys: ['g_ema'], flag: '--stylegan2', what: 'a StyleGAN2 checkpoint (stylegan2-ffhq-config-f.pt)' },
  h3r: { keys: ['backbone.conv1.weight'], flag: '--h3r', what: 'an H3R landmarker (model.pth)' },
};

const FLOATS = new Set(['float32', 'float16', 'bfloat16']);

/**
 * The one partial import: FSLSD's architecture from pSp's checkpoint alone. The psp-encoder reads
 * only `psp` tensors, so it is filled byte for byte as in the full set; the five other networks
 * need FSLSD's checkpoint and are left out. What such a set may be used for, and its licence
 * (the set holds pSp's encoder and latent_avg, not the checkpoint's StyleGAN2 decoder).
 */
const ENCODER_ONLY: { readonly method: 'fslsd'; readonly role: CheckpointRole; readonly without: CheckpointRole; readonly model: string; readonly purpose: ManifestPurpose; readonly licence: ManifestLicence } = {
  method: 'fslsd',
  role: 'psp',
  without: 'fslsd',
  model: 'psp-encoder',
  purpose: 'latent-encoder',
  licence: {
    spdx: 'MIT AND LicenseRef-NVIDIA-Source-Code-License-NC',
    note:
      "Encoder-only set: pSp's GradualStyleEncoder converted from psp_ffhq_encode.pt (eladrich/pixel2style2pixel, MIT) with the checkpoint's " +
      "latent_avg, the mean W of NVIDIA's StyleGAN2 FFHQ generator (NVIDIA Source Code License-NC, non-commercial use only). The checkpoint's " +
      'StyleGAN2 decoder (NVIDIA) is not part of this set. For W+ codes only (fslsd dataset prepare); swapping needs a set imported with ' +
      'the FSLSD checkpoint too. You must own the checkpoint; do not redistribute without permission.',
  },
};

/**
 * The architectures as this import fills them: the FSLSD one given pSp's checkpoint without
 * FSLSD's narrowed to its psp-encoder (and the `psp` role); every other one as it is.
 */
function narrowed(architectures: readonly ArchitectureSource[], checkpoints: ImportModelSetOptions['checkpoints']): { architectures: ArchitectureSource[]; encoderOnly: boolean } {
  let encoderOnly = false;
  const out = architectures.map((source): ArchitectureSource => {
    const { description } = source;
    if (description.method !== ENCODER_ONLY.method || checkpoints[ENCODER_ONLY.without] || !checkpoints[ENCODER_ONLY.role] || !description.checkpoints[ENCODER_ONLY.role]) return source;
    encoderOnly = true;
    return {
      graph: source.graph,
      description: {
        ...description,
        licence: ENCODER_ONLY.licence,
        checkpoints: { [ENCODER_ONLY.role]: description.checkpoints[ENCODER_ONLY.role]! },
        models: description.models.filter((model) => model.id === ENCODER_ONLY.model),
      },
    };
  });
  return { architectures: out, encoderOnly };
}

/** A dict whose keys all start with "module." (saved from DistributedDataParallel) without it. */
function stripModule(dict: PickleDict): PickleDict {
  const keys = [...dict.entries.keys()];
  if (!keys.length || !keys.every((key) => typeof key === 'string' && key.startsWith('module.'))) return dict;
  const out = new PickleDict();
  for (const [key, value] of dict.entries) out.entries.set((key as string).slice('module.'.length), value);
  return out;
}

function topLevel(role: CheckpointRole, root: PickleValue): PickleDict | undefined {
  if (!(root instanceof PickleDict)) return undefined;
  let dict = stripModule(root);
  const wrapped = dict.get('state_dict');
  // H3R's model.pth is a plain state dict; a {'state_dict': ...} wrapper is accepted too.
  if (role === 'h3r' && wrapped instanceof PickleDict) dict = stripModule(wrapped);
  return dict;
}

function scopeDict(root: PickleDict, path: readonly string[]): PickleDict | undefined {
  let node: PickleValue | undefined = root;
  for (const part of path) {
    if (!(node instanceof PickleDict)) return undefined;
    node = node.get(part);
  }
  return node instanceof PickleDict ? stripModule(node) : undefined;
}

function describe(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Names the role a file looks like, when it is not the one it was given as. */
function misplaced(role: CheckpointRole, root: PickleValue): string | undefined {
  const dict = root instanceof PickleDict ? stripModule(root) : undefined;
  if (!dict) return undefined;
  for (const other of CHECKPOINT_ROLES) {
    if (other === role) continue;
    const signature = SIGNATURES[other];
    if (signature.keys.every((key) => dict.entries.has(key))) return `this looks like ${signature.what}: pass it as ${signature.flag}, and as ${SIGNATURES[role].flag} ${SIGNATURES[role].what}`;
  }
  return undefined;
}

/** Checks one role's checkpoint against its scopes; returns {initializer name: tensor}. */
function collect(role: CheckpointRole, checkpoint: TorchCheckpoint, scopes: readonly CheckpointScope[]): Map<string, TensorRef> {
  const file = checkpoint.file;
  const mismatch = (message: string, fix: string, key?: string) => new CheckpointError('CHECKPOINT_MISMATCH', file, message, { fix, key });
  const root = topLevel(role, checkpoint.root);
  const values = new Map<string, TensorRef>();
  for (const scope of scopes) {
    const where = scope.path.length ? `"${scope.path.join('/')}"` : 'the top level';
    const dict = root && scopeDict(root, scope.path);
    if (!dict) {
      const hint = misplaced(role, checkpoint.root);
      throw mismatch(`it has no dict at ${where}, so it is not ${SIGNATURES[role].what}.`, hint ? `${hint[0]!.toUpperCase()}${hint.slice(1)}.` : `Pass ${SIGNATURES[role].what} as ${SIGNATURES[role].flag}.`, scope.path.join('/'));
    }
    const expected = Object.keys(scope.tensors);
    const present = scope.exact
      ? [...dict.entries.keys()].filter((key): key is string => typeof key === 'string' && key.startsWith(scope.prefix) && isTensor(dict.get(key)))
      : expected.filter((key) => dict.entries.has(key));
    const missing = expected.filter((key) => !isTensor(dict.get(key)));
    const known = new Set(expected);
    const extra = present.filter((key) => !known.has(key));
    const architecture = `the architecture (${SIGNATURES[role].what} at this width)`;
    if (missing.length) {
      throw mismatch(`tensor "${missing[0]}" is missing at ${where}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}.`, `This is a different network or width than ${architecture}: pass the released checkpoint.`, missing[0]);
    }
    if (extra.length) {
      throw mismatch(`tensor "${extra[0]}" at ${where} is not part of ${architecture}${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}.`, 'This is a different network or variant: pass the released checkpoint for this flag.', extra[0]);
    }
    for (const key of expected) {
      const tensor = dict.get(key) as TensorRef;
      const spec = scope.tensors[key]!;
      const numel = tensor.shape.reduce((a, b) => a * b, 1);
      const shapeOk = spec.rows !== undefined ? numel % spec.rows === 0 && [1, spec.shape[0]].includes(numel / spec.rows) : describe(tensor.shape) === describe(spec.shape);
      if (!shapeOk) throw mismatch(`tensor "${key}" has shape ${describe(tensor.shape)}; the architecture needs ${describe(spec.shape)}.`, 'The checkpoint is for another width or variant of the network: pass the released one.', key);
      const dtype = tensor.storage.dtype;
      const dtypeOk = FLOATS.has(spec.dtype) ? FLOATS.has(dtype) : dtype === spec.dtype;
      if (!dtypeOk) {
        throw mismatch(`tensor "${key}" is ${dtype}; it must be ${FLOATS.has(spec.dtype) ? 'float32, float16 or bfloat16' : spec.dtype}.`, dtype === 'float64' ? 'Save the state dict again after .float() (float64 weights are not supported).' : 'Pass the released checkpoint.', key);
      }
      values.set([...scope.path, key].join('/'), tensor);
    }
  }
  return values;
}

async function derive(recipe: DerivedTensor, dims: readonly number[], read: (name: string) => Promise<Float32Array>): Promise<Float32Array> {
  const sources = await Promise.all(recipe.keys.map(read));
  const out = new Float32Array(dims.reduce((a, b) => a * b, 1));
  if (recipe.transform === 'rows') {
    const columns = dims[dims.length - 1]!;
    const source = sources[0]!;
    const rows = source.length / columns;
    for (let row = 0; row < out.length / columns; row++) out.set(source.subarray((row % rows) * columns, (row % rows + 1) * columns), row * columns);
    return out;
  }
  let at = 0;
  for (const source of sources) {
    if (recipe.transform === 'stack') {
      out.set(source, at);
    } else {
      // stack-transposed: each [out, in] weight stored as [in, out].
      const [rows, columns] = [dims[dims.length - 1]!, dims[dims.length - 2]!];
      for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[at + c * rows + r] = source[r * columns + c]!;
    }
    at += source.length;
  }
  if (at !== out.length) throw new RangeError(`${recipe.name}: ${at} values for ${out.length}`);
  return out;
}

/**
 * Imports checkpoints into a model set: validates everything, then writes each model file
 * through `open` and returns the manifest to write beside them. The FSLSD architecture given
 * `psp` alone writes the encoder-only set (psp-encoder; manifest `purpose: "latent-encoder"`).
 * @throws CheckpointError for a bad or mismatched checkpoint (before any file is opened);
 *   FslsdError `INVALID_ARGUMENT` for a missing or unneeded checkpoint; `ABORTED`.
 */
export async function importModelSet(options: ImportModelSetOptions): Promise<Manifest> {
  const { checkpoints, signal } = options;
  const { architectures, encoderOnly } = narrowed(options.architectures, checkpoints);
  if (!architectures.length) throw new FslsdError('INVALID_ARGUMENT', 'No architecture to import into.', { fix: 'Pass the architecture of a method (fslsd or megafs-<variant>).' });
  const owner = new Map<CheckpointRole, ArchitectureDescription>();
  for (const { description } of architectures) for (const role of Object.keys(description.checkpoints) as CheckpointRole[]) owner.set(role, description);
  for (const [role, description] of owner) {
    if (!checkpoints[role]) {
      const spec = description.checkpoints[role]!;
      throw new FslsdError('INVALID_ARGUMENT', `The ${description.set} set also needs ${spec.description}.`, { fix: `Pass it as ${spec.flag} ${spec.file}.` });
    }
  }
  for (const role of Object.keys(checkpoints) as CheckpointRole[]) {
    if (checkpoints[role] && !owner.has(role)) {
      throw new FslsdError('INVALID_ARGUMENT', `${SIGNATURES[role].flag} is not read by the ${architectures.map((a) => a.description.set).join(' + ')} set.`, { fix: `Leave out ${SIGNATURES[role].flag}, or import it into a set that uses it.` });
    }
  }

  // Open every checkpoint (pickles only) and check every tensor before writing anything.
  const opened = new Map<CheckpointRole, TorchCheckpoint>();
  const tensors = new Map<string, { checkpoint: TorchCheckpoint; tensor: TensorRef }>();
  for (const [role, description] of owner) {
    throwIfAborted(signal, 'import');
    const input = checkpoints[role]!;
    const checkpoint = await openCheckpoint(input.reader, input.name);
    opened.set(role, checkpoint);
    for (const [name, tensor] of collect(role, checkpoint, description.checkpoints[role]!.scopes)) tensors.set(`${role}:${name}`, { checkpoint, tensor });
  }

  const plans: { model: ArchitectureDescription['models'][number]; plan: FillPlan; derived: Map<string, DerivedTensor>; architecture: ArchitectureDescription }[] = [];
  for (const { description, graph } of architectures) {
    for (const model of description.models) {
      const bytes = await graph(model.file);
      const digest = await sha256Hex(bytes);
      if (bytes.length !== model.bytes || digest !== model.sha256) {
        throw new FslsdError('MODEL_INTEGRITY', `The architecture graph ${description.set}/${model.file} does not match its architecture.json.`, { fix: 'Reinstall @fslsd/models.' });
      }
      const plan = planFill(bytes);
      const derived = new Map((model.derived ?? []).map((recipe) => [recipe.name, recipe]));
      for (const reference of plan.references) {
        const recipe = derived.get(reference.name);
        const names = recipe ? recipe.keys : [reference.name];
        for (const name of names) {
          if (!tensors.has(`${reference.role}:${name}`)) throw new FslsdError('MANIFEST_INVALID', `The architecture graph ${model.file} reads ${name}, which no checkpoint scope lists.`, { fix: 'Reinstall @fslsd/models.' });
        }
        if (!recipe) {
          const { tensor } = tensors.get(`${reference.role}:${reference.name}`)!;
          if (describe(tensor.shape) !== describe(reference.dims)) {
            throw new CheckpointError('CHECKPOINT_MISMATCH', tensors.get(`${reference.role}:${reference.name}`)!.checkpoint.file, `tensor "${reference.name}" has shape ${describe(tensor.shape)}; the graph needs ${describe(reference.dims)}.`, { key: reference.name, fix: 'Pass the released checkpoint.' });
          }
        }
      }
      plans.push({ model, plan, derived, architecture: description });
    }
  }

  const setTotal = plans.reduce((sum, { plan }) => sum + plan.bytes, 0);
  await options.beforeWrite?.({ bytes: setTotal });
  let setWritten = 0;
  const entries: Record<string, unknown>[] = [];
  for (const { model, plan, derived } of plans) {
    throwIfAborted(signal, 'import');
    const sink = await options.open(model.file);
    let written = 0;
    const read = (role: string) => async (name: string) => {
      const found = tensors.get(`${role}:${name}`)!;
      return readFloat32(found.checkpoint, found.tensor);
    };
    await writeFilled(
      plan,
      async (reference: GraphReference) => {
        throwIfAborted(signal, 'import');
        const recipe = derived.get(reference.name);
        return recipe ? derive(recipe, reference.dims, read(reference.role)) : read(reference.role)(reference.name);
      },
      async (chunk) => {
        await sink.write(chunk);
        written += chunk.length;
        setWritten += chunk.length;
        options.onProgress?.({ model: model.id, written, total: plan.bytes, setWritten, setTotal });
      },
    );
    const sha256 = await sink.close();
    entries.push({
      id: model.id,
      file: model.file,
      bytes: plan.bytes,
      sha256,
      description: model.description,
      parameters: model.parameters,
      inputs: model.inputs,
      outputs: model.outputs,
      ...(model.licence ? { licence: model.licence } : {}),
    });
  }
  const first = architectures[0]!.description;
  return {
    format: MANIFEST_FORMAT,
    ...(first.method ? { method: first.method } : {}),
    ...(first.variant ? { variant: first.variant } : {}),
    ...(encoderOnly ? { purpose: ENCODER_ONLY.purpose } : {}),
    set: options.setName ?? 'imported',
    opset: first.opset,
    weightStorage: 'float32',
    licence: first.licence,
    provenance: {
      kind: 'imported',
      architectures: architectures.map((a) => a.description.set),
      width: first.width,
      checkpoints: Object.fromEntries([...opened].sort(([a], [b]) => a.localeCompare(b)).map(([role, checkpoint]) => [role, baseName(checkpoint.file)])),
      formats: Object.fromEntries([...opened].sort(([a], [b]) => a.localeCompare(b)).map(([role, checkpoint]) => [role, checkpoint.format])),
      importer: options.importer ?? '@fslsd/models',
    },
    models: entries as unknown as ModelEntry[],
  };
}

const baseName = (file: string): string => file.split(/[\\/]/).pop() ?? file;

/** MegaFS transfer modules with a released checkpoint. */
export const MEGAFS_VARIANTS = ['ftm', 'injection', 'lcr'] as const;

/**
 * The architecture folders a combination of checkpoints fills: `fslsd` (fslsd + psp, or psp
 * alone for the encoder-only set) or `megafs-<variant>` (megafs + stylegan2), then
 * `landmarker-106` with h3r.
 * @throws FslsdError `INVALID_ARGUMENT` for none, or for both methods at once.
 */
export function architectureSetsFor(roles: readonly CheckpointRole[], megafsVariant: string = 'ftm'): string[] {
  const fslsd = roles.includes('fslsd') || roles.includes('psp');
  const megafs = roles.includes('megafs') || roles.includes('stylegan2');
  if (fslsd && megafs) {
    throw new FslsdError('INVALID_ARGUMENT', 'FSLSD checkpoints (--fslsd/--psp) and MegaFS ones (--megafs/--stylegan2) were given together.', { fix: 'Import one method per folder: run the import twice, with two --out folders.' });
  }
  if (!roles.length) throw new FslsdError('INVALID_ARGUMENT', 'No checkpoint given.', { fix: 'Pass --fslsd and --psp (or --psp alone for an encoder-only set), or --megafs and --stylegan2 (and optionally --h3r).' });
  return [...(fslsd ? ['fslsd'] : []), ...(megafs ? [`megafs-${megafsVariant}`] : []), ...(roles.includes('h3r') ? ['landmarker-106'] : [])];
}

/**
 * Which MegaFS variant a checkpoint holds: the one whose transfer-module keys (`s`) it has, trying
 * the variant its file name starts with first; that one when none matches (the import then names
 * the mismatch).
 */
export async function megafsVariantOf(input: CheckpointInput, architecture: (variant: string) => Promise<ArchitectureDescription>): Promise<string> {
  const named = baseName(input.name).split('_')[0]!;
  const ordered = [...MEGAFS_VARIANTS].sort((a, b) => Number(b === named) - Number(a === named));
  const checkpoint = await openCheckpoint(input.reader, input.name);
  const transfer = checkpoint.root instanceof PickleDict ? checkpoint.root.get('s') : undefined;
  if (!(transfer instanceof PickleDict)) return ordered[0]!;
  const keys = new Set([...stripModule(transfer).entries.keys()].map(String));
  for (const variant of ordered) {
    const scope = (await architecture(variant)).checkpoints.megafs?.scopes.find((s) => s.path.join('/') === 's');
    const expected = Object.keys(scope?.tensors ?? {});
    if (expected.length === keys.size && expected.every((key) => keys.has(key))) return variant;
  }
  return ordered[0]!;
}
