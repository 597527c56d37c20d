// AssemblyScript source of the WebAssembly tensor kernels. scripts/build-wasm.mjs compiles it into
// src/image/tensor-kernels-wasm.ts (base64). They compute what imageToTensor and tensorToImage in
// src/image/tensor.ts compute, value for value, so both give the same floats and bytes.

/** Where callers may put buffers: the first 16-byte boundary after the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/**
 * 8-bit RGB(A) pixels (`channels` per pixel) -> planar float32, each value looked up in the
 * 256-entry float32 `table` (the caller's normalisation), three planes of `plane` values.
 */
export function bytesToPlanes(pixels: usize, channels: i32, plane: i32, table: usize, output: usize): void {
  for (let c = 0; c < 3; c++) {
    let i = pixels + <usize>c;
    let o = output + (<usize>(c * plane) << 2);
    const end = o + (<usize>plane << 2);
    for (; o < end; o += 4, i += <usize>channels) store<f32>(o, load<f32>(table + (<usize>load<u8>(i) << 2)));
  }
}

/** One value as tensorToImage rounds it: clamp, (v + 1) / 2 * 255 + 0.5 in float64, floor; NaN gives 0. */
@inline function toByte(value: f64): u8 {
  if (value != value) return 0;
  const clamped = value < -1 ? -1.0 : value > 1 ? 1.0 : value;
  // In [0.5, 255.5]: truncation is the floor.
  return <u8><i32>(((clamped + 1) / 2) * 255 + 0.5);
}

/** Planar float32 in [-1, 1] -> 8-bit RGB, a pixel at a time (three reads, three adjacent writes). */
export function planesToBytes(planes: usize, plane: i32, output: usize): void {
  const green = planes + (<usize>plane << 2);
  const blue = green + (<usize>plane << 2);
  let o = output;
  for (let p: usize = 0; p < <usize>(plane << 2); p += 4, o += 3) {
    store<u8>(o, toByte(<f64>load<f32>(planes + p)));
    store<u8>(o + 1, toByte(<f64>load<f32>(green + p)));
    store<u8>(o + 2, toByte(<f64>load<f32>(blue + p)));
  }
}
