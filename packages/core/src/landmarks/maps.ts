import { FslsdError } from '../errors.js';

/** Points per face that the official landmark encoder E_le takes (H3R / JD 106-point layout). */
export const LANDMARK_POINTS = 106;
/** Side of the square landmark maps, in pixels of the 256^2 aligned crop. */
export const LANDMARK_MAP_SIZE = 256;

/** A point (x, y) in pixels of the 256^2 aligned crop. `[-1, -1]` marks a missing point. */
export type Point = readonly [number, number];
/** One face's landmarks, in the 106-point layout, in 256^2 crop pixels. */
export type Landmarks = ReadonlyArray<Point>;

/** The point value the official code skips. */
export const MISSING_POINT: Point = Object.freeze([-1, -1]) as Point;

/**
 * Where the official map code puts point `p`'s single 1, as a flat index row * 256 + col,
 * or -1 when it puts none.
 *
 * The released dataset code evaluates a Gaussian into a uint8 array (so only the point's own
 * pixel survives, as 1), compares the first coordinate with rows and then transposes HWC to
 * CWH: the 1 lands at [int(y), int(x)] for a point given as (x, y). `int()` truncates toward
 * zero; a point with x or y exactly -1 is skipped; one outside the grid sets nothing.
 */
export function landmarkPixelIndex(point: Point): number {
  const [x, y] = point;
  if (x === -1 || y === -1) return -1;
  const col = Math.trunc(x);
  const row = Math.trunc(y);
  if (col < 0 || col >= LANDMARK_MAP_SIZE || row < 0 || row >= LANDMARK_MAP_SIZE) return -1;
  return row * LANDMARK_MAP_SIZE + col;
}

/**
 * Checks a face's landmarks: the exact point count E_le expects, finite coordinates.
 * @throws FslsdError `INVALID_LANDMARKS`
 */
export function validateLandmarks(points: Landmarks, which: string, count = LANDMARK_POINTS): void {
  if (!Array.isArray(points) || points.length !== count) {
    throw new FslsdError('INVALID_LANDMARKS', `The ${which} face needs ${count} landmarks, got ${Array.isArray(points) ? points.length : typeof points}.`, {
      fix: `Give ${count} [x, y] points in 256x256 crop pixels (the H3R/JD-106 layout); mark unknown points [-1, -1], or use fivePointLandmarks().`,
    });
  }
  points.forEach((point, i) => {
    if (!Array.isArray(point) || point.length !== 2 || !Number.isFinite(point[0]) || !Number.isFinite(point[1])) {
      throw new FslsdError('INVALID_LANDMARKS', `Landmark ${i} of the ${which} face is not a pair of finite numbers: ${JSON.stringify(point)}.`, {
        fix: 'Each landmark is [x, y] in 256x256 crop pixels; use [-1, -1] for a missing point.',
      });
    }
  });
}

/**
 * Flat pixel indices of the source then the target landmarks (2 x 106), -1 where a map stays
 * empty. The landmark-map graph turns these into the 212 one-hot maps inside the runtime, so
 * the 55 MB of maps never exist in JavaScript.
 */
export function landmarkPixels(source: Landmarks, target: Landmarks): Int32Array {
  validateLandmarks(source, 'source');
  validateLandmarks(target, 'target');
  return Int32Array.from([...source, ...target], landmarkPixelIndex);
}

/** Indices in the 106-point layout of the five classic key points. */
export const FIVE_POINT_INDICES = Object.freeze({ leftEye: 104, rightEye: 105, noseTip: 46, leftMouth: 84, rightMouth: 90 });

/**
 * Places five key points (left eye, right eye, nose tip, left mouth corner, right mouth corner;
 * left = image left) at their slots of the 106-point layout and marks the other 101 missing.
 * A coarse stand-in for a real 106-point landmarker.
 */
export function fivePointLandmarks(points: ReadonlyArray<Point>): Landmarks {
  if (points.length !== 5) {
    throw new FslsdError('INVALID_LANDMARKS', `Five key points are needed, got ${points.length}.`, {
      fix: 'Order: left eye, right eye, nose tip, left mouth corner, right mouth corner.',
    });
  }
  const out: Point[] = Array.from({ length: LANDMARK_POINTS }, () => MISSING_POINT);
  const slots = [FIVE_POINT_INDICES.leftEye, FIVE_POINT_INDICES.rightEye, FIVE_POINT_INDICES.noseTip, FIVE_POINT_INDICES.leftMouth, FIVE_POINT_INDICES.rightMouth];
  points.forEach((point, i) => {
    out[slots[i]!] = [point[0], point[1]];
  });
  return out;
}
