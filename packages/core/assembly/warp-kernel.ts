// AssemblyScript source of the WebAssembly warp kernel. scripts/build-wasm.mjs compiles it into
// src/face/warp-kernel-wasm.ts (base64). It computes what warpAffine in src/face/warp.ts computes
// for one sample per pixel, operation for operation, so both give the same bytes:
//   - inside the picture, OpenCV-style fixed point: source positions in 1/2048 pixel (a column
//     table plus a per-row offset, each rounded once), 11-bit weights, 32-bit integer sums;
//   - near or past an edge, the reflected four-weight sample in float64.
// Fixed point is what lets four pixels share each vector operation; the float lerps it replaced
// took twice the time (see BENCHMARKS.md), and it stays within one grey level of them.

/** Where callers may put buffers: the first 16-byte boundary after the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Fraction bits of a source position (and of each weight): 1/2048 pixel. */
const BITS: i32 = 11;
const ONE: i32 = 1 << BITS;
const FRACTION: i32 = ONE - 1;
/** Half of the final scale (2^22: two weights of 2^11), added before the shift to round. */
const HALF: i32 = 1 << (2 * BITS - 1);

/** numpy's `reflect` index, as `reflectIndex` in src/face/warp.ts. */
@inline function reflect(index: i32, size: i32): i32 {
  if (size == 1) return 0;
  const period = 2 * (size - 1);
  let i = index % period;
  if (i < 0) i += period;
  return i < size ? i : period - i;
}

/** `value` rounded half up to an integer, as `Math.floor(value + 0.5)` in TypeScript. */
@inline function roundHalfUp(value: f64): i32 {
  return <i32>Math.floor(value + 0.5);
}

/**
 * One pixel's three fixed-point sums (scale 2^22, lanes 0..2) from the pixel pair at `p` and the
 * pair one row below: horizontal weights `across` (2048 - fx, fx as two 16-bit halves in every
 * 32-bit lane), the vertical fraction `fy` in every lane. upper (2048 - fy) + lower fy, written as
 * upper 2048 + (lower - upper) fy: the same integers with one multiplication fewer.
 */
@inline function sums(p: usize, stride: i32, pairs: v128, across: v128, fy: v128): v128 {
  const upper = i32x4.dot_i16x8_s(v128.swizzle(v128.load64_zero(p), pairs), across);
  const lower = i32x4.dot_i16x8_s(v128.swizzle(v128.load64_zero(p + <usize>stride), pairs), across);
  return i32x4.add(i32x4.shl(upper, BITS), i32x4.mul(i32x4.sub(lower, upper), fy));
}

/** Lane `k` of `v` in all four lanes. */
@inline function broadcast(v: v128, k: i32): v128 {
  switch (k) {
    case 0: return i32x4.shuffle(v, v, 0, 0, 0, 0);
    case 1: return i32x4.shuffle(v, v, 1, 1, 1, 1);
    case 2: return i32x4.shuffle(v, v, 2, 2, 2, 2);
    default: return i32x4.shuffle(v, v, 3, 3, 3, 3);
  }
}

/** Lane `k` of `v`. */
@inline function lane(v: v128, k: i32): i32 {
  switch (k) {
    case 0: return i32x4.extract_lane(v, 0);
    case 1: return i32x4.extract_lane(v, 1);
    case 2: return i32x4.extract_lane(v, 2);
    default: return i32x4.extract_lane(v, 3);
  }
}

/** One pixel near or past an edge: warpAffine's reflected four-weight sample, in float64. */
@inline function atEdge(origin: usize, width: i32, height: i32, channels: i32, sx: f64, sy: f64, o: usize): void {
  const floorX = Math.floor(sx);
  const floorY = Math.floor(sy);
  const fx = sx - floorX;
  const fy = sy - floorY;
  const x0 = <i32>floorX;
  const y0 = <i32>floorY;
  const xa = reflect(x0, width);
  const xb = reflect(x0 + 1, width);
  const ya = reflect(y0, height);
  const yb = reflect(y0 + 1, height);
  const p00 = origin + <usize>((ya * width + xa) * channels);
  const p01 = origin + <usize>((ya * width + xb) * channels);
  const p10 = origin + <usize>((yb * width + xa) * channels);
  const p11 = origin + <usize>((yb * width + xb) * channels);
  const w00 = (1 - fx) * (1 - fy);
  const w01 = fx * (1 - fy);
  const w10 = (1 - fx) * fy;
  const w11 = fx * fy;
  for (let k: usize = 0; k < 3; k++) {
    const value = <f64>load<u8>(p00 + k) * w00 + <f64>load<u8>(p01 + k) * w01 + <f64>load<u8>(p10 + k) * w10 + <f64>load<u8>(p11 + k) * w11;
    store<u8>(o + k, <u8>min<f64>(255, Math.floor(value + 0.5)));
  }
}

/** Four pixels' sums (lanes 0..2 of each) rounded, shifted and packed as twelve bytes at `o` (sixteen written). */
@inline function store4(s0: v128, s1: v128, s2: v128, s3: v128, o: usize): void {
  const half = i32x4.splat(HALF);
  const shift = 2 * BITS;
  const low = i16x8.narrow_i32x4_u(i32x4.shr_u(i32x4.add(s0, half), shift), i32x4.shr_u(i32x4.add(s1, half), shift));
  const high = i16x8.narrow_i32x4_u(i32x4.shr_u(i32x4.add(s2, half), shift), i32x4.shr_u(i32x4.add(s3, half), shift));
  const bytes = i8x16.narrow_i16x8_u(low, high);
  v128.store(o, i8x16.shuffle(bytes, bytes, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 3, 3, 3, 3));
}

/** One pixel's sums rounded, shifted and written as four bytes at `o` (the fourth overwritten by the next pixel). */
@inline function store1(s: v128, o: usize): void {
  const shifted = i32x4.shr_u(i32x4.add(s, i32x4.splat(HALF)), 2 * BITS);
  const halves = i16x8.narrow_i32x4_u(shifted, shifted);
  v128.store32_lane(o, i8x16.narrow_i16x8_u(halves, halves), 0);
}

/**
 * warpAffine with one sample per pixel: the `width` x `height` RGB result at `dst` (plus sixteen
 * spare bytes), destination pixel (u, v) sampling source point (a u + b v + c, d u + e v + f) of
 * the 8-bit picture at `src` (3 or 4 channels, reflected borders; source rows from `firstRow` on
 * are at `src`, with eight readable bytes past the last one). `table` has room for 8 `width` + 16
 * bytes: the kernel writes the column terms of the fixed-point positions there. The caller keeps
 * the map's reach below 2^19 pixels, so that positions in 1/2048 pixel fit 32 bits.
 */
export function warpBilinear(
  src: usize, firstRow: i32, sourceWidth: i32, sourceHeight: i32, channels: i32,
  dst: usize, width: i32, height: i32,
  a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, table: usize,
): void {
  const stride = sourceWidth * channels;
  const origin = src - <usize>(firstRow * stride);
  const columnsY = table + <usize>(4 * width);
  for (let u = 0; u < width; u++) {
    store<i32>(table + <usize>(4 * u), roundHalfUp(a * <f64>u * <f64>ONE));
    store<i32>(columnsY + <usize>(4 * u), roundHalfUp(d * <f64>u * <f64>ONE));
  }
  // Inside: 0 <= x0 < width - 1 and 0 <= y0 < height - 1, one unsigned comparison per axis.
  const limitX = i32x4.splat((sourceWidth - 1) << BITS);
  const limitY = i32x4.splat((sourceHeight - 1) << BITS);
  const fraction = i32x4.splat(FRACTION);
  const one = i32x4.splat(ONE);
  const rowStride = i32x4.splat(stride);
  const pixelBytes = i32x4.splat(channels);
  // Byte k of the left and right pixel, widened to 16 bits and interleaved (-1 selects zero).
  const pairs = channels == 4
    ? i8x16(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, -1, -1, -1, -1)
    : i8x16(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
  let o = dst;
  for (let v = 0; v < height; v++) {
    const bv = b * <f64>v;
    const ev = e * <f64>v;
    const rowX = i32x4.splat(roundHalfUp((bv + c) * <f64>ONE));
    const rowY = i32x4.splat(roundHalfUp((ev + f) * <f64>ONE));
    let u = 0;
    for (; u + 4 <= width; u += 4) {
      const x = i32x4.add(rowX, v128.load(table + <usize>(4 * u)));
      const y = i32x4.add(rowY, v128.load(columnsY + <usize>(4 * u)));
      const inside = v128.and(i32x4.lt_u(x, limitX), i32x4.lt_u(y, limitY));
      const fx = v128.and(x, fraction);
      const fy = v128.and(y, fraction);
      const across = v128.or(i32x4.sub(one, fx), i32x4.shl(fx, 16));
      const offsets = i32x4.add(i32x4.mul(i32x4.shr_s(y, BITS), rowStride), i32x4.mul(i32x4.shr_s(x, BITS), pixelBytes));
      if (i32x4.all_true(inside)) {
        const s0 = sums(origin + <usize>i32x4.extract_lane(offsets, 0), stride, pairs, broadcast(across, 0), broadcast(fy, 0));
        const s1 = sums(origin + <usize>i32x4.extract_lane(offsets, 1), stride, pairs, broadcast(across, 1), broadcast(fy, 1));
        const s2 = sums(origin + <usize>i32x4.extract_lane(offsets, 2), stride, pairs, broadcast(across, 2), broadcast(fy, 2));
        const s3 = sums(origin + <usize>i32x4.extract_lane(offsets, 3), stride, pairs, broadcast(across, 3), broadcast(fy, 3));
        store4(s0, s1, s2, s3, o);
      } else {
        for (let k = 0; k < 4; k++) {
          const at = o + <usize>(3 * k);
          if (lane(inside, k) != 0) {
            store1(sums(origin + <usize>lane(offsets, k), stride, pairs, broadcast(across, k), broadcast(fy, k)), at);
          } else {
            const w = <f64>(u + k);
            atEdge(origin, sourceWidth, sourceHeight, channels, a * w + bv + c, d * w + ev + f, at);
          }
        }
      }
      o += 12;
    }
    for (; u < width; u++) {
      const x = load<i32>(table + <usize>(4 * u)) + i32x4.extract_lane(rowX, 0);
      const y = load<i32>(columnsY + <usize>(4 * u)) + i32x4.extract_lane(rowY, 0);
      if (<u32>x < <u32>((sourceWidth - 1) << BITS) && <u32>y < <u32>((sourceHeight - 1) << BITS)) {
        const fx = x & FRACTION;
        const fy = y & FRACTION;
        const offset = (y >> BITS) * stride + (x >> BITS) * channels;
        store1(sums(origin + <usize>offset, stride, pairs, i32x4.splat((ONE - fx) | (fx << 16)), i32x4.splat(fy)), o);
      } else {
        const w = <f64>u;
        atEdge(origin, sourceWidth, sourceHeight, channels, a * w + bv + c, d * w + ev + f, o);
      }
      o += 3;
    }
  }
}
