// AssemblyScript source of the WebAssembly resize kernels. scripts/build-wasm.mjs compiles it into
// src/image/resize-kernels-wasm.ts (base64). The two passes of Pillow's 8-bit bilinear resize, as
// resizeLikePil in src/image/pil-resize.ts computes them: 22-bit fixed-point weights, each sum
// started at one half, shifted down and clamped to 0..255. Pillow does this in 32-bit integers
// (the weights of an output pixel sum to about 2^22, so a sum stays below 2^31); so do these, four
// lanes at a time, and give the same bytes as the TypeScript.

/** Where callers may put buffers: the first 16-byte boundary after the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

const HALF: i32 = 1 << 21;
const SHIFT: i32 = 22;

/** Four bytes at `p` widened to four 32-bit lanes. */
@inline function widen(p: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
}

/** Four fixed-point sums shifted down, clamped to 0..255 and packed into the low four bytes. */
@inline function narrow(sum: v128): v128 {
  const shifted = i32x4.max_s(i32x4.min_s(i32x4.shr_s(sum, SHIFT), i32x4.splat(255)), i32x4.splat(0));
  const halves = i16x8.narrow_i32x4_s(shifted, shifted);
  return i8x16.narrow_i16x8_u(halves, halves);
}

/**
 * The horizontal pass: `rows` rows of `source` (`channels` bytes per pixel, `inWidth` wide; the
 * caller passes just the rows the vertical pass reads) into `outWidth` RGB pixels per row at
 * `middle`. Output pixel x
 * reads `count[x]` pixels from `first[x]` with the `taps`-strided int32 `weights`. Each pixel is
 * read and written as four bytes: the caller leaves one readable byte after `source` and one
 * writable byte after `middle` (the fourth byte written is the next pixel's, overwritten by it).
 */
export function resizeRows(
  source: usize, channels: i32, inWidth: i32, rows: i32,
  middle: usize, outWidth: i32, first: usize, count: usize, weights: usize, taps: i32,
): void {
  let o = middle;
  for (let y = 0; y < rows; y++) {
    const row = source + <usize>(y * inWidth * channels);
    for (let x = 0; x < outWidth; x++) {
      let sum = i32x4.splat(HALF);
      const n = load<i32>(first + (<usize>x << 2));
      const taken = load<i32>(count + (<usize>x << 2));
      let p = row + <usize>(n * channels);
      let w = weights + (<usize>(x * taps) << 2);
      for (let j = 0; j < taken; j++, p += <usize>channels, w += 4) {
        sum = i32x4.add(sum, i32x4.mul(widen(p), i32x4.splat(load<i32>(w))));
      }
      v128.store32_lane(o, narrow(sum), 0);
      o += 3;
    }
  }
}

/**
 * The vertical pass: `outHeight` rows of `stride` bytes at `output`, row y the weighted sum of
 * `count[y]` rows of `middle` from row `first[y] - firstRow`. Four bytes at a time: the caller
 * leaves three readable bytes after `middle` and three writable bytes after `output` (a row's last
 * step may spill into the next row, which overwrites them).
 */
export function resizeColumns(
  middle: usize, stride: i32, firstRow: i32, output: usize, outHeight: i32,
  first: usize, count: usize, weights: usize, taps: i32,
): void {
  for (let y = 0; y < outHeight; y++) {
    const top = middle + <usize>((load<i32>(first + (<usize>y << 2)) - firstRow) * stride);
    const taken = load<i32>(count + (<usize>y << 2));
    const w = weights + (<usize>(y * taps) << 2);
    const o = output + <usize>(y * stride);
    for (let i = 0; i < stride; i += 4) {
      let sum = i32x4.splat(HALF);
      let p = top + <usize>i;
      for (let j = 0; j < taken; j++, p += <usize>stride) {
        sum = i32x4.add(sum, i32x4.mul(widen(p), i32x4.splat(load<i32>(w + (<usize>j << 2)))));
      }
      v128.store32_lane(o + <usize>i, narrow(sum), 0);
    }
  }
}
