/**
 * The WebAssembly mask kernels (source: `assembly/mask-kernels.ts`). On this project's 2-core
 * test machine their box filters run about 8x faster than the same JavaScript loops (four 32-bit
 * lanes per step, no bounds checks); `face-mask.ts` keeps those loops for runtimes without
 * WebAssembly SIMD, and both give the same integers. The module is about 2 KB, so even a
 * browser's main thread compiles it.
 */
import { MASK_KERNELS_WASM } from './mask-kernels-wasm.js';
import { type KernelExports, type KernelModule, kernelModule } from '../wasm-kernels.js';

/** The module's exports (see `assembly/mask-kernels.ts`); pointers are byte offsets in `memory`. */
export interface MaskKernelExports extends KernelExports {
  boxAlongRows(input: number, output: number, width: number, height: number, radius: number): void;
  boxDownColumns(input: number, output: number, width: number, height: number, radius: number): void;
  orWindowDown(buffer: number, width: number, from: number, to: number, window: number): void;
  gatherBox(mask: number, stride: number, x0: number, y0: number, width: number, height: number, counts: number): void;
  scaleWhereKept(counts: number, keep: number, stride: number, x0: number, y0: number, width: number, height: number, scale: number, output: number): void;
  maskExtent(mask: number, size: number, result: number): void;
}

/** The loaded mask kernels. */
export type MaskKernels = KernelModule<MaskKernelExports>;

const module = kernelModule<MaskKernelExports>(MASK_KERNELS_WASM);

/** The WebAssembly mask kernels, or undefined where they cannot run (then use the TypeScript loops). */
export function maskKernelsWasm(): MaskKernels | undefined {
  return module.get();
}
