/**
 * The WebAssembly mask kernels (source: `assembly/mask-kernels.ts`, AssemblyScript) and the
 * memory they work in. On this project's 2-core test machine the box filters run about 8x faster
 * there than as JavaScript loops (four 32-bit lanes per step, no bounds checks); `face-mask.ts`
 * keeps the same loops in TypeScript for runtimes without WebAssembly SIMD, and both give the
 * same integers.
 *
 * The module is compiled synchronously (it is about 1 KB, under every browser's limit for that)
 * on first use, once per thread.
 */
import { MASK_KERNELS_WASM } from './mask-kernels-wasm.js';

/** The module's exports (see `assembly/mask-kernels.ts`); pointers are byte offsets in `memory`. */
interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  boxAlongRows(input: number, output: number, width: number, height: number, radius: number): void;
  boxDownColumns(input: number, output: number, width: number, height: number, radius: number): void;
  orWindowDown(buffer: number, width: number, from: number, to: number, window: number): void;
  gatherBox(mask: number, stride: number, x0: number, y0: number, width: number, height: number, counts: number): void;
  scaleWhereKept(counts: number, keep: number, stride: number, x0: number, y0: number, width: number, height: number, scale: number, output: number): void;
  maskExtent(mask: number, size: number, result: number): void;
}

/** The part of the WebAssembly JavaScript API used here (core has no DOM or Node typings). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

/** The loaded kernels and the buffers they work on, laid out one after another in their memory. */
export interface MaskKernels {
  readonly exports: KernelExports;
  /**
   * Makes room for buffers of the given byte lengths and returns their offsets (16-byte aligned).
   * Call before making views: growing the memory replaces its buffer.
   */
  reserve(lengths: readonly number[]): number[];
  /** The module's memory now (replaced whenever it grows). */
  buffer(): ArrayBuffer;
}

let loaded: MaskKernels | null | undefined;
let enabled = true;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function load(): MaskKernels | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) return null;
  try {
    const instance = new api.Instance(new api.Module(decodeBase64(MASK_KERNELS_WASM)), {});
    const exports = instance.exports as KernelExports;
    const base = exports.heapBase();
    return {
      exports,
      reserve(lengths) {
        const offsets: number[] = [];
        let end = base;
        for (const length of lengths) {
          offsets.push(end);
          end += Math.ceil(length / 16) * 16;
        }
        const have = exports.memory.buffer.byteLength;
        if (end > have) exports.memory.grow(Math.ceil((end - have) / 65536));
        return offsets;
      },
      buffer: () => exports.memory.buffer,
    };
  } catch {
    // No SIMD (an old engine) or compiling refused (a strict content security policy): the
    // TypeScript loops do the same work.
    return null;
  }
}

/** The WebAssembly kernels, or undefined where they cannot run (then use the TypeScript loops). */
export function maskKernelsWasm(): MaskKernels | undefined {
  if (!enabled) return undefined;
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

/** Turns the WebAssembly kernels off or on again (tests compare both paths). Internal. */
export function useMaskKernelsWasm(on: boolean): void {
  enabled = on;
}
