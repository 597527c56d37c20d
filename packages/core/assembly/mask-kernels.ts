// AssemblyScript source of the WebAssembly mask kernels. scripts/build-wasm.mjs compiles it into
// src/face/mask-kernels-wasm.ts (the module's bytes, base64). Each kernel does exactly what its
// TypeScript twin in src/face/face-mask.ts does, on integers, so both give the same values; the
// WebAssembly ones run whole rows four 32-bit lanes (or sixteen bytes) at a time.

/** Where callers may put buffers: the first 16-byte boundary after the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

@inline function at(base: usize, index: i32): i32 {
  return load<i32>(base + (<usize>index << 2));
}

@inline function put(base: usize, index: i32, value: i32): void {
  store<i32>(base + (<usize>index << 2), value);
}

/** Window sums of width 2r+1 along each row of `height` rows of `width` int32, zero outside. */
export function boxAlongRows(input: usize, output: usize, width: i32, height: i32, radius: i32): void {
  const head = min(width, radius + 1);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    const end = base + width;
    let sum = 0;
    for (let p = base; p < base + min(width, radius); p++) sum += at(input, p);
    let p = base;
    for (; p < base + head; p++) {
      if (p + radius < end) sum += at(input, p + radius);
      put(output, p, sum);
    }
    for (; p < end - radius; p++) {
      sum += at(input, p + radius) - at(input, p - radius - 1);
      put(output, p, sum);
    }
    for (; p < end; p++) {
      sum -= at(input, p - radius - 1);
      put(output, p, sum);
    }
  }
}

/** Window sums of height 2r+1 down each column, zero outside: each row is the row above plus the entering row minus the leaving one. */
export function boxDownColumns(input: usize, output: usize, width: i32, height: i32, radius: i32): void {
  const n = width * height;
  const ahead = radius * width;
  const behind = (radius + 1) * width;
  for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let y = 0; y <= min(height - 1, radius); y++) sum += at(input, y * width + x);
    put(output, x, sum);
  }
  let p = width;
  const noneLeaving = min(n, max(width, behind));
  for (; p < noneLeaving; p++) put(output, p, at(output, p - width) + (p + ahead < n ? at(input, p + ahead) : 0));
  // Full windows, four columns per step: the four values above are done once width >= 4.
  const full = n - ahead;
  if (width >= 4) for (; p + 4 <= full; p += 4) {
    const above = v128.load(output + (<usize>(p - width) << 2));
    const entering = v128.load(input + (<usize>(p + ahead) << 2));
    const leaving = v128.load(input + (<usize>(p - behind) << 2));
    v128.store(output + (<usize>p << 2), i32x4.sub(i32x4.add(above, entering), leaving));
  }
  for (; p < full; p++) put(output, p, at(output, p - width) + at(input, p + ahead) - at(input, p - behind));
  for (; p < n; p++) put(output, p, at(output, p - width) - at(input, p - behind));
}

/** In place, for byte rows `from` .. `to` - 1: row y becomes the OR of rows y .. y + window - 1 (rows past `to` count as 0). */
export function orWindowDown(buffer: usize, width: i32, from: i32, to: i32, window: i32): void {
  let covered = 1;
  while (covered * 2 <= window) {
    orShifted(buffer, width, from, to, covered);
    covered *= 2;
  }
  if (covered < window) orShifted(buffer, width, from, to, window - covered);
}

/** Row y |= row y + shift, for rows `from` .. `to` - shift - 1, ascending (row y + shift is read before it changes). */
function orShifted(buffer: usize, width: i32, from: i32, to: i32, shift: i32): void {
  const stride = <usize>(shift * width);
  let i = buffer + <usize>(from * width);
  const end = buffer + <usize>((to - shift) * width);
  // Sixteen bytes at a time. Each step reads before it stores, and earlier steps stored only
  // below i, so every byte read is still the original, as in the one-byte loop.
  for (; i + 16 <= end; i += 16) v128.store(i, v128.or(v128.load(i), v128.load(i + stride)));
  for (; i < end; i++) store<u8>(i, load<u8>(i) | load<u8>(i + stride));
}

/**
 * Copies the `width` x `height` box at (x0, y0) of a byte mask with rows of `stride` bytes into
 * int32 `counts` (the feather's starting counts: 0 or 1 per pixel).
 */
export function gatherBox(mask: usize, stride: i32, x0: i32, y0: i32, width: i32, height: i32, counts: usize): void {
  let q = counts;
  for (let y = 0; y < height; y++) {
    let p = mask + <usize>((y0 + y) * stride + x0);
    const end = p + <usize>width;
    for (; p + 4 <= end; p += 4, q += 16) v128.store(q, i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
    for (; p < end; p++, q += 4) store<i32>(q, <i32>load<u8>(p));
  }
}

/**
 * The feather's last step over the same box: count x `scale` as float32 (the product taken in
 * float64, as JavaScript takes it before storing into a Float32Array), and 0 where `keep` is 0.
 * Writes the box's `width` x `height` floats to `output`, row after row.
 */
export function scaleWhereKept(counts: usize, keep: usize, stride: i32, x0: i32, y0: i32, width: i32, height: i32, scale: f64, output: usize): void {
  const factor = f64x2.splat(scale);
  let q: usize = 0;
  for (let y = 0; y < height; y++) {
    const row = keep + <usize>((y0 + y) * stride + x0);
    let x = 0;
    // Four pixels per step: two float64 pairs, narrowed to float32, zeroed where keep is 0.
    for (; x + 4 <= width; x += 4, q += 4) {
      const count = v128.load(counts + (q << 2));
      const low = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.convert_low_i32x4_s(count), factor));
      const high = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.convert_low_i32x4_s(i32x4.shuffle(count, count, 2, 3, 0, 1)), factor));
      const value = i32x4.shuffle(low, high, 0, 1, 4, 5);
      const kept = i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(row + <usize>x))), i32x4.splat(0));
      v128.store(output + (q << 2), v128.and(value, kept));
    }
    for (; x < width; x++, q++) {
      const value = load<u8>(row + <usize>x) != 0 ? <f32>(<f64>load<i32>(counts + (q << 2)) * scale) : <f32>0;
      store<f32>(output + (q << 2), value);
    }
  }
}

/**
 * The bounding box of the non-zero bytes of a `size` x `size` mask, written as four int32 at
 * `result`: top, bottom, left, right (inclusive; bottom is -1 when the mask is empty). Sixteen
 * bytes are tested at a time.
 */
export function maskExtent(mask: usize, size: i32, result: usize): void {
  let top = size;
  let bottom = -1;
  let left = size;
  let right = -1;
  for (let y = 0; y < size; y++) {
    const row = mask + <usize>(y * size);
    let first = 0;
    while (first + 16 <= size && !v128.any_true(v128.load(row + <usize>first))) first += 16;
    while (first < size && load<u8>(row + <usize>first) == 0) first++;
    if (first == size) continue;
    let last = size - 1;
    while (last - 15 > first && !v128.any_true(v128.load(row + <usize>(last - 15)))) last -= 16;
    while (load<u8>(row + <usize>last) == 0) last--;
    if (top == size) top = y;
    bottom = y;
    left = min(left, first);
    right = max(right, last);
  }
  store<i32>(result, top);
  store<i32>(result, bottom, 4);
  store<i32>(result, left, 8);
  store<i32>(result, right, 12);
}
