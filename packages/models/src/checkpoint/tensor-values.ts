/**
 * A checkpoint tensor's values as contiguous float32, whatever torch stored: float32, float16 or
 * bfloat16 (widened exactly), any strides, any storage offset.
 */
import { ELEMENT_BYTES, type TensorRef, type TorchCheckpoint } from './torch-file.js';

/** float16 bits -> float32 value, exactly. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let halfTable: Float32Array | undefined;
const halves = (): Float32Array => {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfTable[bits] = halfToFloat(bits);
  }
  return halfTable;
};

/** The storage elements [first, first + count) widened to float32. */
function widen(bytes: Uint8Array, dtype: TensorRef['storage']['dtype'], count: number): Float32Array {
  if (dtype === 'float32') {
    // Copy into an aligned buffer: the bytes may sit at any offset of a file read.
    const copy = new Uint8Array(count * 4);
    copy.set(bytes.subarray(0, count * 4));
    return new Float32Array(copy.buffer);
  }
  const words = new Uint16Array(count);
  new Uint8Array(words.buffer).set(bytes.subarray(0, count * 2));
  const out = new Float32Array(count);
  if (dtype === 'float16') {
    const table = halves();
    for (let i = 0; i < count; i++) out[i] = table[words[i]!]!;
  } else {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = words[i]! << 16;
  }
  return out;
}

/** True when the strides are the row-major ones for the shape (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * Reads `tensor` as row-major float32. The caller has checked its dtype is float32, float16 or
 * bfloat16 (integer and float64 tensors never reach here).
 */
export async function readFloat32(checkpoint: TorchCheckpoint, tensor: TensorRef): Promise<Float32Array> {
  const { shape, stride, offset, storage } = tensor;
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel === 0) return new Float32Array(0);
  // The span of storage the view touches: from its offset to its furthest element.
  const span = 1 + shape.reduce((sum, n, i) => sum + (n - 1) * stride[i]!, 0);
  const bytes = await checkpoint.readStorage(storage, offset, span);
  if (bytes.length !== span * ELEMENT_BYTES[storage.dtype]) throw new RangeError(`storage ${storage.key} is shorter than its tensor`);
  const values = widen(bytes, storage.dtype, span);
  if (isContiguous(shape, stride)) return values.length === numel ? values : values.slice(0, numel);
  // A strided view (a transposed weight): gather in row-major order.
  const out = new Float32Array(numel);
  const index = new Array<number>(shape.length).fill(0);
  let source = 0;
  for (let i = 0; i < numel; i++) {
    out[i] = values[source]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]!++;
      source += stride[d]!;
      if (index[d]! < shape[d]!) break;
      source -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}
