/**
 * Loading the front end's WebAssembly kernels (AssemblyScript sources in `assembly/`, compiled by
 * scripts/build-wasm.mjs into base64 modules beside their callers). Each module is compiled
 * synchronously on first use, once per thread, and works in its own memory: callers reserve
 * buffers there, copy in, run, and copy out, all in one synchronous call, so one memory per module
 * serves every caller.
 *
 * Where a module cannot load (no WebAssembly, no SIMD, or a browser's main thread refusing to
 * compile a module over 4 KB synchronously) the callers run their TypeScript twins, which give
 * the same bytes.
 */

/** The memory every kernel module exports, and the helper that places buffers after its static data. */
export interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
}

/** The part of the WebAssembly JavaScript API used here (core has no DOM or Node typings). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

/** A loaded kernel module. */
export interface KernelModule<T extends KernelExports> {
  readonly exports: T;
  /**
   * Makes room for buffers of the given byte lengths and returns their offsets (16-byte aligned).
   * Call before making views: growing the memory replaces its buffer.
   */
  reserve(lengths: readonly number[]): number[];
  /** The module's memory now (replaced whenever it grows). */
  buffer(): ArrayBuffer;
}

let enabled = true;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function instantiate<T extends KernelExports>(base64: string): KernelModule<T> | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) return null;
  try {
    const exports = new api.Instance(new api.Module(decodeBase64(base64)), {}).exports as T;
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
    return null;
  }
}

/**
 * A lazily loaded kernel module: `get()` is the module, or undefined where it cannot run (then
 * use the TypeScript twin).
 */
export function kernelModule<T extends KernelExports>(base64: string): { get(): KernelModule<T> | undefined } {
  let loaded: KernelModule<T> | null | undefined;
  return {
    get() {
      if (!enabled) return undefined;
      if (loaded === undefined) loaded = instantiate<T>(base64);
      return loaded ?? undefined;
    },
  };
}

/** Turns every WebAssembly kernel off or on again (tests compare both paths). Internal. */
export function useWasmKernels(on: boolean): void {
  enabled = on;
}
