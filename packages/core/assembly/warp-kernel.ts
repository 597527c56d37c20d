// AssemblyScript source of the WebAssembly warp kernel. scripts/build-wasm.mjs compiles it into
// src/face/warp-kernel-wasm.ts (base64). It computes what warpAffine in src/face/warp.ts computes
// for one sample per pixel, operation for operation (float32 inside the picture, float64 at the
// edges), so both give the same bytes.

/** Where callers may put buffers: the first 16-byte boundary after the module's static data. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** numpy's `reflect` index, as `reflectIndex` in src/face/warp.ts. */
@inline function reflect(index: i32, size: i32): i32 {
  if (size == 1) return 0;
  const period = 2 * (size - 1);
  let i = index % period;
  if (i < 0) i += period;
  return i < size ? i : period - i;
}

/**
 * One pixel inside the picture (x0 + 1 < width, y0 + 1 < height): warpAffine's two-tap lerps in
 * float32, the three channels in one vector (the TypeScript rounds each step with Math.fround),
 * written as four bytes at `o` (the fourth is the next pixel's, overwritten by it).
 */
@inline function inside(origin: usize, stride: i32, channels: i32, sx: f64, sy: f64, o: usize): void {
  const x0 = <i32>sx;
  const y0 = <i32>sy;
  const fx = f32x4.splat(<f32>(sx - <f64>x0));
  const fy = f32x4.splat(<f32>(sy - <f64>y0));
  const p = origin + <usize>(y0 * stride + x0 * channels);
  const top = v128.load64_zero(p);
  const bottom = v128.load64_zero(p + <usize>stride);
  // Byte k of the left (right) pixel into the low byte of 32-bit lane k; -1 selects zero.
  const left = i8x16(0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, -1, -1, -1, -1);
  const right = channels == 4
    ? i8x16(4, -1, -1, -1, 5, -1, -1, -1, 6, -1, -1, -1, -1, -1, -1, -1)
    : i8x16(3, -1, -1, -1, 4, -1, -1, -1, 5, -1, -1, -1, -1, -1, -1, -1);
  const topLeft = f32x4.convert_i32x4_s(v128.swizzle(top, left));
  const topRight = f32x4.convert_i32x4_s(v128.swizzle(top, right));
  const bottomLeft = f32x4.convert_i32x4_s(v128.swizzle(bottom, left));
  const bottomRight = f32x4.convert_i32x4_s(v128.swizzle(bottom, right));
  const upper = f32x4.add(topLeft, f32x4.mul(f32x4.sub(topRight, topLeft), fx));
  const lower = f32x4.add(bottomLeft, f32x4.mul(f32x4.sub(bottomRight, bottomLeft), fx));
  const value = f32x4.add(f32x4.add(upper, f32x4.mul(f32x4.sub(lower, upper), fy)), f32x4.splat(0.5));
  // Floored (the values are in [0, 256)), then + 2^23: the integer lands in the low mantissa byte.
  const words = f32x4.add(f32x4.floor(value), f32x4.splat(8388608.0));
  v128.store32_lane(o, i8x16.shuffle(words, words, 0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0);
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

/**
 * warpAffine with one sample per pixel: the `width` x `height` RGB result at `dst` (plus one
 * spare byte: each pixel is written as four bytes, the fourth overwritten by the next), destination
 * pixel (u, v) sampling source point (a u + b v + c, d u + e v + f) of the 8-bit picture at
 * `src` (3 or 4 channels, reflected borders). Source rows from `firstRow` on are at `src`, with
 * eight readable bytes past the last one. The caller keeps the map's reach below 2^30.
 */
export function warpBilinear(
  src: usize, firstRow: i32, sourceWidth: i32, sourceHeight: i32, channels: i32,
  dst: usize, width: i32, height: i32,
  a: f64, b: f64, c: f64, d: f64, e: f64, f: f64,
): void {
  const stride = sourceWidth * channels;
  const origin = src - <usize>(firstRow * stride);
  const lastX = <f64>(sourceWidth - 1);
  const lastY = <f64>(sourceHeight - 1);
  let o = dst;
  for (let v = 0; v < height; v++) {
    const bv = b * <f64>v;
    const ev = e * <f64>v;
    let u = 0;
    // Four pixels per step where all four are inside: independent work the CPU overlaps.
    for (; u + 4 <= width; u += 4) {
      const sx0 = a * <f64>u + bv + c;
      const sy0 = d * <f64>u + ev + f;
      const sx1 = a * <f64>(u + 1) + bv + c;
      const sy1 = d * <f64>(u + 1) + ev + f;
      const sx2 = a * <f64>(u + 2) + bv + c;
      const sy2 = d * <f64>(u + 2) + ev + f;
      const sx3 = a * <f64>(u + 3) + bv + c;
      const sy3 = d * <f64>(u + 3) + ev + f;
      const in0 = sx0 >= 0 && sy0 >= 0 && sx0 < lastX && sy0 < lastY;
      const in1 = sx1 >= 0 && sy1 >= 0 && sx1 < lastX && sy1 < lastY;
      const in2 = sx2 >= 0 && sy2 >= 0 && sx2 < lastX && sy2 < lastY;
      const in3 = sx3 >= 0 && sy3 >= 0 && sx3 < lastX && sy3 < lastY;
      if (in0 && in1 && in2 && in3) {
        inside(origin, stride, channels, sx0, sy0, o);
        inside(origin, stride, channels, sx1, sy1, o + 3);
        inside(origin, stride, channels, sx2, sy2, o + 6);
        inside(origin, stride, channels, sx3, sy3, o + 9);
      } else {
        if (in0) inside(origin, stride, channels, sx0, sy0, o); else atEdge(origin, sourceWidth, sourceHeight, channels, sx0, sy0, o);
        if (in1) inside(origin, stride, channels, sx1, sy1, o + 3); else atEdge(origin, sourceWidth, sourceHeight, channels, sx1, sy1, o + 3);
        if (in2) inside(origin, stride, channels, sx2, sy2, o + 6); else atEdge(origin, sourceWidth, sourceHeight, channels, sx2, sy2, o + 6);
        if (in3) inside(origin, stride, channels, sx3, sy3, o + 9); else atEdge(origin, sourceWidth, sourceHeight, channels, sx3, sy3, o + 9);
      }
      o += 12;
    }
    for (; u < width; u++) {
      const sx = a * <f64>u + bv + c;
      const sy = d * <f64>u + ev + f;
      if (sx >= 0 && sy >= 0 && sx < lastX && sy < lastY) inside(origin, stride, channels, sx, sy, o);
      else atEdge(origin, sourceWidth, sourceHeight, channels, sx, sy, o);
      o += 3;
    }
  }
}
