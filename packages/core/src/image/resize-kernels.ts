/**
 * The WebAssembly resize kernels (source: `assembly/resize-kernels.ts`): the two passes of
 * Pillow's 8-bit bilinear resize in 32-bit integer SIMD, as Pillow computes them, giving the same
 * bytes as the TypeScript passes in `pil-resize.ts`, which run where WebAssembly cannot; under
 * 1 KB. pSp's 1024^2 -> 256^2 input takes this path on every encode.
 */
import { type KernelExports, type KernelModule, kernelModule } from '../wasm-kernels.js';
import { RESIZE_KERNELS_WASM } from './resize-kernels-wasm.js';

/** The module's exports (see `assembly/resize-kernels.ts`); pointers are byte offsets in `memory`. */
export interface ResizeKernelExports extends KernelExports {
  resizeRows(source: number, channels: number, inWidth: number, rows: number, middle: number, outWidth: number, first: number, count: number, weights: number, taps: number): void;
  resizeColumns(middle: number, stride: number, firstRow: number, output: number, outHeight: number, first: number, count: number, weights: number, taps: number): void;
}

const module = kernelModule<ResizeKernelExports>(RESIZE_KERNELS_WASM);

/** The WebAssembly resize kernels, or undefined where they cannot run (then use the TypeScript passes). */
export function resizeKernelsWasm(): KernelModule<ResizeKernelExports> | undefined {
  return module.get();
}
