/**
 * Point layouts of landmarkers and the contract between a landmarker and E_le.
 *
 * The official E_le reads 106 points in the JD-106 layout (H3R trained on LaPa). The shipped
 * landmarker gives 68 points in the iBUG 300-W layout. JD-106 was drawn as a superset of the 68
 * points, so each iBUG point has a JD slot; the 36 other JD points (contour
 * in-betweens, lower brow edges, nose sides, eye mid-points) are left missing, which the
 * official map code skips. Pupils (104, 105) are taken as the eye centres. For the landmarks the
 * networks were trained with, export H3R (see the Python exporter) and use it as the landmarker.
 */
import { FslsdError } from '../errors.js';
import { LANDMARK_MAP_SIZE, LANDMARK_POINTS, MISSING_POINT, type Landmarks, type Point } from '../landmarks/maps.js';
import { type Affine, applyAffine, rescaleAffine } from './affine.js';

/** Names of the point layouts fslsd knows. */
export type LandmarkLayout = 'ibug-68' | 'jd-106';

/** Points per layout. */
export const LAYOUT_POINTS: Readonly<Record<LandmarkLayout, number>> = Object.freeze({ 'ibug-68': 68, 'jd-106': 106 });

function ibugToJd106(): readonly number[] {
  const table: number[] = [];
  for (let i = 0; i <= 16; i += 1) table.push(2 * i); // contour: every other JD contour point
  for (let i = 17; i <= 26; i += 1) table.push(33 + (i - 17)); // upper brow edges
  for (let i = 27; i <= 35; i += 1) table.push(43 + (i - 27)); // nose bridge and nose bottom
  for (let i = 36; i <= 47; i += 1) table.push(52 + (i - 36)); // eye outlines
  for (let i = 48; i <= 67; i += 1) table.push(84 + (i - 48)); // outer and inner lips
  return Object.freeze(table);
}

/** JD-106 slot of each iBUG-68 point, by iBUG index. */
export const IBUG_TO_JD106: readonly number[] = ibugToJd106();

/**
 * The 106-point landmarks E_le takes, in 256^2 crop pixels, from a landmarker's points in
 * `layout`, given in 1024^2 crop pixels (`toLandmarkCrop` maps them when they are in another frame).
 * @throws FslsdError `CONTRACT_MISMATCH` when the point count does not match the layout or the
 *   layout cannot feed E_le.
 */
export function encoderLandmarks(points: ReadonlyArray<Point>, layout: LandmarkLayout, cropSize = 1024): Landmarks {
  const expected = LAYOUT_POINTS[layout];
  if (expected === undefined) {
    throw new FslsdError('CONTRACT_MISMATCH', `Unknown landmark layout "${String(layout)}"; E_le needs ${LANDMARK_POINTS} points (jd-106) or a known mapping.`, {
      fix: `Give the landmarker one of the layouts: ${Object.keys(LAYOUT_POINTS).join(', ')}.`,
    });
  }
  if (!Array.isArray(points) || points.length !== expected) {
    throw new FslsdError('CONTRACT_MISMATCH', `The landmarker declares layout ${layout} (${expected} points) but returned ${Array.isArray(points) ? points.length : typeof points} points.`, {
      fix: `Use a landmarker whose output has exactly ${expected} points, or declare its real layout.`,
    });
  }
  const toMap = rescaleAffine(cropSize, LANDMARK_MAP_SIZE);
  const scale = (p: Point): Point => applyAffine(toMap, p[0], p[1]);
  if (layout === 'jd-106') return points.map(scale);
  const out: Point[] = new Array<Point>(LANDMARK_POINTS).fill(MISSING_POINT);
  points.forEach((p, i) => {
    out[IBUG_TO_JD106[i]!] = scale(p);
  });
  const centre = (from: number, to: number): Point => {
    let x = 0;
    let y = 0;
    for (let i = from; i < to; i += 1) {
      x += points[i]![0];
      y += points[i]![1];
    }
    return scale([x / (to - from), y / (to - from)]);
  };
  out[104] = centre(36, 42);
  out[105] = centre(42, 48);
  return out;
}

/** Points mapped by an affine map (e.g. photo -> crop). */
export function mapPoints(points: ReadonlyArray<Point>, map: Affine): Point[] {
  return points.map(([x, y]) => applyAffine(map, x, y));
}
