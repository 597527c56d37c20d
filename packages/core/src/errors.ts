/**
 * Typed errors. Every error carries a stable `code` (for programs) and a `fix` (for people):
 * what was wrong and what to do about it.
 */

/** Stable error codes; they never change meaning between versions. */
export type FslsdErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_IMAGE'
  | 'INVALID_LANDMARKS'
  | 'INVALID_MASK'
  | 'NO_FACE'
  | 'INVALID_SPLIT'
  | 'INVALID_LATENT'
  | 'CONTRACT_MISMATCH'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_INTEGRITY'
  | 'MANIFEST_INVALID'
  | 'GRAPH_COMPOSITION'
  | 'DEVICE_UNAVAILABLE'
  | 'RUNTIME_FAILURE'
  | 'ABORTED'
  | 'IO'
  | 'INCOMPATIBLE_SOURCE'
  | 'WORKER_CRASHED'
  | 'CHECKPOINT_INVALID'
  | 'CHECKPOINT_MISMATCH';

/** Base class of every error thrown by fslsd packages. */
export class FslsdError extends Error {
  /** Stable machine-readable code. */
  readonly code: FslsdErrorCode;
  /** What the caller can do about it, in one sentence. */
  readonly fix: string | undefined;

  constructor(code: FslsdErrorCode, message: string, options: { fix?: string; cause?: unknown } = {}) {
    super(options.fix ? `${message} ${options.fix}` : message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FslsdError';
    this.code = code;
    this.fix = options.fix;
  }
}

/** A model's inputs or outputs differ from what the pipeline requires. */
export class ContractError extends FslsdError {
  /** Model id, e.g. `generator`. */
  readonly model: string;
  /** Tensor name, e.g. `wplus`. */
  readonly tensor: string;
  /** What the contract requires, e.g. `float32[1,18,512]`. */
  readonly expected: string;
  /** What the model declares, e.g. `float32[1,18,256]` or `missing`. */
  readonly actual: string;

  constructor(model: string, tensor: string, expected: string, actual: string, fix?: string) {
    super('CONTRACT_MISMATCH', `Model "${model}": tensor "${tensor}" must be ${expected}, but the model has ${actual}.`, {
      fix: fix ?? 'Use models exported by fslsd_reference.export for this version, or fix the model so its contract matches.',
    });
    this.name = 'ContractError';
    this.model = model;
    this.tensor = tensor;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A PyTorch checkpoint that cannot be imported: not a checkpoint, damaged, unsafe
 * (`CHECKPOINT_INVALID`), or not the network the architecture expects (`CHECKPOINT_MISMATCH`).
 */
export class CheckpointError extends FslsdError {
  /** The checkpoint file (its name or path, as given). */
  readonly file: string;
  /** The tensor key or pickle global at fault, when there is one. */
  readonly key: string | undefined;

  constructor(code: 'CHECKPOINT_INVALID' | 'CHECKPOINT_MISMATCH', file: string, message: string, options: { fix?: string; key?: string; cause?: unknown } = {}) {
    super(code, `${file}: ${message}`, { fix: options.fix, cause: options.cause });
    this.name = 'CheckpointError';
    this.file = file;
    this.key = options.key;
  }
}

/** Work stopped because its AbortSignal fired. */
export class AbortError extends FslsdError {
  constructor(stage: string, cause?: unknown) {
    super('ABORTED', `Aborted during ${stage}.`, { cause });
    this.name = 'AbortError';
  }
}

/** Throws {@link AbortError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, stage: string): void {
  if (signal?.aborted) throw new AbortError(stage, signal.reason);
}
