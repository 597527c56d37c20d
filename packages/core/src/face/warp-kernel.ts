/**
 * The WebAssembly warp kernel (source: `assembly/warp-kernel.ts`): warpAffine with one sample per
 * pixel, four pixels per step, the three channels of a pixel in one float32 vector. On this
 * project's 2-core test machine it takes about half the time of the TypeScript loop, and gives
 * the same bytes (the TypeScript rounds each float32 step with Math.fround).
 */
import { WARP_KERNEL_WASM } from './warp-kernel-wasm.js';
import { type KernelExports, type KernelModule, kernelModule } from '../wasm-kernels.js';

/** The module's exports (see `assembly/warp-kernel.ts`); pointers are byte offsets in `memory`. */
export interface WarpKernelExports extends KernelExports {
  warpBilinear(
    src: number, firstRow: number, sourceWidth: number, sourceHeight: number, channels: number,
    dst: number, width: number, height: number,
    a: number, b: number, c: number, d: number, e: number, f: number,
  ): void;
}

/** The loaded warp kernel. */
export type WarpKernel = KernelModule<WarpKernelExports>;

const module = kernelModule<WarpKernelExports>(WARP_KERNEL_WASM);

/** The WebAssembly warp kernel, or undefined where it cannot run (then use the TypeScript loop). */
export function warpKernelWasm(): WarpKernel | undefined {
  return module.get();
}
