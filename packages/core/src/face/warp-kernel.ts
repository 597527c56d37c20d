/**
 * The WebAssembly warp kernel (source: `assembly/warp-kernel.ts`): warpAffine with one sample per
 * pixel in OpenCV-style fixed point (positions in 1/2048 pixel, 11-bit weights, 32-bit sums),
 * four pixels per step. It gives the same bytes as the TypeScript loop, which does the same
 * integer arithmetic.
 */
import { WARP_KERNEL_WASM } from './warp-kernel-wasm.js';
import { type KernelExports, type KernelModule, kernelModule } from '../wasm-kernels.js';

/** The module's exports (see `assembly/warp-kernel.ts`); pointers are byte offsets in `memory`. */
export interface WarpKernelExports extends KernelExports {
  warpBilinear(
    src: number, firstRow: number, sourceWidth: number, sourceHeight: number, channels: number,
    dst: number, width: number, height: number,
    a: number, b: number, c: number, d: number, e: number, f: number, table: number,
  ): void;
}

/** The loaded warp kernel. */
export type WarpKernel = KernelModule<WarpKernelExports>;

const module = kernelModule<WarpKernelExports>(WARP_KERNEL_WASM);

/** The WebAssembly warp kernel, or undefined where it cannot run (then use the TypeScript loop). */
export function warpKernelWasm(): WarpKernel | undefined {
  return module.get();
}
