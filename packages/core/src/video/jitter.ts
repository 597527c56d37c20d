/**
 * A jitter metric for face tracks: how much a trajectory shakes beyond smooth motion. For
 * positions x(t) it is the mean size of the second difference x(t+1) - 2x(t) + x(t-1) (zero for
 * any motion at constant velocity), divided by a scale (the crop's side, so 0.01 means the crop
 * shakes by 1% of its size per frame). Applied to the corners of the alignment quad it measures
 * what the viewer sees: the pasted face trembling against the head.
 */
import type { Quad } from '../face/alignment.js';

/** Mean second-difference magnitude of a sequence of equal-length vectors, divided by `scale`. */
export function secondDifferenceJitter(series: ReadonlyArray<ArrayLike<number>>, scale = 1): number {
  if (series.length < 3) return 0;
  let total = 0;
  let count = 0;
  for (let t = 1; t + 1 < series.length; t += 1) {
    const [a, b, c] = [series[t - 1]!, series[t]!, series[t + 1]!];
    let squared = 0;
    for (let i = 0; i < b.length; i += 1) squared += (c[i]! - 2 * b[i]! + a[i]!) ** 2;
    total += Math.sqrt(squared / Math.max(1, b.length / 2));
    count += 1;
  }
  return total / count / scale;
}

/** Jitter of a track of alignment quads, in crop sides per frame (see the module comment). */
export function quadJitter(quads: ReadonlyArray<Quad>): number {
  if (quads.length < 3) return 0;
  const side = quads.reduce((sum, [q0, , , q3]) => sum + Math.hypot(q3[0] - q0[0], q3[1] - q0[1]), 0) / quads.length;
  return secondDifferenceJitter(quads.map((quad) => quad.flat()), side);
}
