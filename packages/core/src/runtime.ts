/**
 * The ONNX Runtime module that a backend package injects (onnxruntime-node, onnxruntime-web).
 * Core imports onnxruntime-common for types only: importing it at run time would give a second
 * module instance with an empty backend registry (see the design notes).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';

/** Tensor element types that cross between JavaScript and a session. */
export type RuntimeTensorType = 'float32' | 'int64' | 'uint8';

/** The part of an ONNX Runtime module that fslsd uses. */
export interface OrtRuntime {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  readonly Tensor: new (type: RuntimeTensorType, data: Float32Array | BigInt64Array | Uint8Array, dims: readonly number[]) => Tensor;
}

export type { InferenceSession, Tensor };
