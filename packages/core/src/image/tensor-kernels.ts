/**
 * The WebAssembly tensor kernels (source: `assembly/tensor-kernels.ts`): bytes to normalised
 * float planes and back, for the 1024^2 crops each swap converts. The same table lookups and the
 * same float64 rounding as the TypeScript loops in `tensor.ts`, which run where WebAssembly
 * cannot; about 0.4 KB.
 */
import { type KernelExports, type KernelModule, kernelModule } from '../wasm-kernels.js';
import { TENSOR_KERNELS_WASM } from './tensor-kernels-wasm.js';

/** The module's exports (see `assembly/tensor-kernels.ts`); pointers are byte offsets in `memory`. */
export interface TensorKernelExports extends KernelExports {
  bytesToPlanes(pixels: number, channels: number, plane: number, table: number, output: number): void;
  planesToBytes(planes: number, plane: number, output: number): void;
}

const module = kernelModule<TensorKernelExports>(TENSOR_KERNELS_WASM);

/** The WebAssembly tensor kernels, or undefined where they cannot run (then use the TypeScript loops). */
export function tensorKernelsWasm(): KernelModule<TensorKernelExports> | undefined {
  return module.get();
}
