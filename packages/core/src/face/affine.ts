import { FslsdError } from '../errors.js';

/**
 * A 2-D affine map in pixel-centre coordinates: x' = a*x + b*y + c, y' = d*x + e*y + f.
 * Pixel (i, j) has its centre at (i, j); the image spans [-0.5, width - 0.5].
 */
export interface Affine {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly e: number;
  readonly f: number;
}

/** The point `[x, y]` mapped by `map`. */
export function applyAffine(map: Affine, x: number, y: number): [number, number] {
  return [map.a * x + map.b * y + map.c, map.d * x + map.e * y + map.f];
}

/**
 * The inverse map.
 * @throws FslsdError `INVALID_ARGUMENT` when the map is singular (a degenerate face).
 */
export function invertAffine(map: Affine): Affine {
  const det = map.a * map.e - map.b * map.d;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new FslsdError('INVALID_ARGUMENT', 'The alignment transform is singular (the face landmarks collapse to a line or a point).', {
      fix: 'Check the landmarks: the eyes and the mouth must be distinct points.',
    });
  }
  const a = map.e / det;
  const b = -map.b / det;
  const d = -map.d / det;
  const e = map.a / det;
  return { a, b, c: -(a * map.c + b * map.f), d, e, f: -(d * map.c + e * map.f) };
}

/** `outer` after `inner`: p -> outer(inner(p)). */
export function composeAffine(outer: Affine, inner: Affine): Affine {
  return {
    a: outer.a * inner.a + outer.b * inner.d,
    b: outer.a * inner.b + outer.b * inner.e,
    c: outer.a * inner.c + outer.b * inner.f + outer.c,
    d: outer.d * inner.a + outer.e * inner.d,
    e: outer.d * inner.b + outer.e * inner.e,
    f: outer.d * inner.c + outer.e * inner.f + outer.f,
  };
}

/** How many source pixels one destination pixel spans (the map's linear scale). */
export function affineScale(map: Affine): number {
  return Math.sqrt(Math.abs(map.a * map.e - map.b * map.d));
}

/**
 * Maps pixel centres between two resolutions of the same picture (e.g. the 1024^2 crop and its
 * 256^2 downscale): centre i of an n-pixel row sits at (i + 0.5) / n of the row.
 */
export function rescaleAffine(fromSize: number, toSize: number): Affine {
  const s = toSize / fromSize;
  const t = 0.5 * s - 0.5;
  return { a: s, b: 0, c: t, d: 0, e: s, f: t };
}
