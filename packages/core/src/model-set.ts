import type { AnyModelId, TensorContract } from './contracts/contract.js';

/** One model file as a manifest lists it. */
export interface ModelEntry {
  readonly id: AnyModelId;
  readonly file: string;
  /** Exact size in bytes. */
  readonly bytes: number;
  /** Lower-case hex sha256 of the file. */
  readonly sha256: string;
  readonly description?: string;
  readonly inputs?: readonly TensorContract[];
  readonly outputs?: readonly TensorContract[];
}

/** Progress of fetching or reading one model. */
export interface ModelLoadProgress {
  readonly id: AnyModelId;
  readonly status: 'initiate' | 'progress' | 'done';
  readonly loaded: number;
  readonly total: number;
}

/** Options of {@link ModelSet.load}. */
export interface ModelLoadOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: ModelLoadProgress) => void;
}

/**
 * A set of the six FSLSD networks. Implementations (in @fslsd/models) read files, bytes or
 * URLs, and must return only bytes whose sha256 matches the entry.
 */
export interface ModelSet {
  /** Name of the set, e.g. `tiny` or `official`. */
  readonly name: string;
  readonly entries: readonly ModelEntry[];
  /** The verified bytes of model `id`. */
  load(id: AnyModelId, options?: ModelLoadOptions): Promise<Uint8Array>;
  /**
   * Where model `id` lies on a local disk once {@link ModelSet.load} has verified it, for
   * runtimes that read weights from files (onnxruntime-node): then sessions are opened from a
   * small graph whose weights stay in the file, instead of from a copy of every byte. Sets
   * without local files (bytes, URLs in a browser) leave it out.
   */
  localFile?(id: AnyModelId): LocalModelFile | undefined;
}

/** A model file on a local disk: its folder and its name in that folder. */
export interface LocalModelFile {
  readonly directory: string;
  readonly file: string;
}
