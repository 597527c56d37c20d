/**
 * What crosses between the page and the swap worker: the requests, the replies, and errors in a
 * form that survives structured cloning (a thrown FslsdError arrives as an FslsdError with the
 * same code and fix; a ContractError keeps its model, tensor, expected and actual).
 *
 * Why a protocol of our own rather than Comlink: every call needs an AbortSignal that reaches the
 * worker, progress events, typed errors with their fields, and a lifeline that notices a dead
 * worker. Comlink proxies carry none of those without custom transfer handlers on both sides,
 * which would be most of this file anyway.
 */
import { AbortError, ContractError, FslsdError, type FslsdErrorCode, type ProgressEvent, type RgbImage, type SourceFaceJSON } from '@fslsd/core';
import type { NetworkOptions } from '@fslsd/core';
import { CheckpointError } from '@fslsd/core';
import type { ImportRequest } from './import.js';

/** Decoded 8-bit pixels as they are transferred. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** The worker's options: the page resolves URLs and keeps the functions and signals. */
export interface WorkerInit {
  /** The method asked for; absent: the model set's. */
  readonly method?: 'fslsd' | 'megafs';
  readonly models: string;
  readonly faces: string;
  readonly device: 'auto' | 'webgpu' | 'wasm';
  readonly precision: 'auto' | 'float32' | 'float16';
  readonly cache: boolean;
  readonly descriptor: boolean;
  readonly wasmPaths?: string;
  readonly defaults: NetworkOptions;
  /** A Web Lock the worker holds until it ends, so the page learns of its death (absent where there are no Web Locks). */
  readonly lifeline?: string;
}

/** Face finding and network options, without the functions and signals that stay on the page. */
export interface WireOptions {
  readonly aligned?: boolean;
  readonly landmarks?: readonly (readonly [number, number])[];
  readonly faceIndex?: number;
  readonly reference?: Float32Array;
  readonly minScore?: number;
  readonly detectorSize?: number;
  readonly all?: boolean;
  readonly split?: string;
  readonly strength?: number;
  readonly editor?: boolean;
  readonly refine?: boolean;
  readonly mask?: { readonly width: number; readonly height: number; readonly data: Uint8Array | Uint8ClampedArray | Float32Array };
  readonly fps?: number;
  readonly smoothing?: number;
}

export type Request =
  | { id: number; type: 'init'; init: WorkerInit }
  | { id: number; type: 'encodeSource'; image: Pixels; options: WireOptions }
  | { id: number; type: 'describe'; image: Pixels; options: WireOptions }
  | { id: number; type: 'swap'; source: SourceFaceJSON; image: Pixels; options: WireOptions }
  | { id: number; type: 'videoStart'; source: SourceFaceJSON; options: WireOptions }
  | { id: number; type: 'videoFrame'; image: Pixels }
  | { id: number; type: 'videoEnd' }
  | { id: number; type: 'import'; request: ImportRequest }
  | { id: number; type: 'abort'; target: number }
  | { id: number; type: 'dispose' };

/** A request before its id is assigned (Omit distributed over the union). */
export type Outgoing = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** An error as it crosses the boundary. */
export interface WireError {
  readonly name: string;
  readonly code: FslsdErrorCode;
  /** The message without the fix sentence (FslsdError appends it). */
  readonly message: string;
  readonly fix?: string;
  readonly contract?: { readonly model: string; readonly tensor: string; readonly expected: string; readonly actual: string };
  readonly checkpoint?: { readonly file: string; readonly key?: string };
}

export type Reply =
  | { id: number; type: 'progress'; event: ProgressEvent }
  | { id: number; type: 'ok'; value: unknown }
  /** The worker holds its lifeline lock: from now on the page watches it. */
  | { id: number; type: 'held'; lifeline: string }
  | { id: number; type: 'error'; error: WireError };

/** Any thrown value as a {@link WireError}; what is not an FslsdError becomes RUNTIME_FAILURE naming what it was. */
export function errorToWire(error: unknown): WireError {
  if (error instanceof FslsdError) {
    const suffix = error.fix ? ` ${error.fix}` : '';
    const message = suffix && error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
    const contract = error instanceof ContractError ? { model: error.model, tensor: error.tensor, expected: error.expected, actual: error.actual } : undefined;
    const checkpoint = error instanceof CheckpointError ? { file: error.file, ...(error.key !== undefined ? { key: error.key } : {}) } : undefined;
    return { name: error.name, code: error.code, message, ...(error.fix ? { fix: error.fix } : {}), ...(contract ? { contract } : {}), ...(checkpoint ? { checkpoint } : {}) };
  }
  const name = error instanceof Error ? error.name : typeof error;
  const text = error instanceof Error ? error.message : String(error);
  return { name: 'FslsdError', code: 'RUNTIME_FAILURE', message: `The swap worker failed with ${name}: ${text}`, fix: 'Report it with the steps that led here; a new swapper may work.' };
}

/** Rebuilds the typed error on the page: same class, code, fix and contract fields. */
export function errorFromWire(wire: WireError): FslsdError {
  if (wire.contract) return new ContractError(wire.contract.model, wire.contract.tensor, wire.contract.expected, wire.contract.actual, wire.fix);
  if (wire.checkpoint && (wire.code === 'CHECKPOINT_INVALID' || wire.code === 'CHECKPOINT_MISMATCH')) {
    // CheckpointError prefixes the file to its message: give it the message without that prefix.
    const prefix = `${wire.checkpoint.file}: `;
    const message = wire.message.startsWith(prefix) ? wire.message.slice(prefix.length) : wire.message;
    return new CheckpointError(wire.code, wire.checkpoint.file, message, { ...(wire.fix ? { fix: wire.fix } : {}), ...(wire.checkpoint.key !== undefined ? { key: wire.checkpoint.key } : {}) });
  }
  const error = new FslsdError(wire.code, wire.message, wire.fix ? { fix: wire.fix } : {});
  if (wire.code === 'ABORTED') Object.setPrototypeOf(error, AbortError.prototype);
  error.name = wire.name;
  return error;
}

/** Pixels of an image, ready to transfer (the buffer moves; the sender's copy is emptied). */
export function toPixels(image: RgbImage): Pixels {
  return { width: image.width, height: image.height, channels: image.channels, data: image.data };
}
