/**
 * FFHQ alignment: the quad that the FFHQ dataset script (and pSp, and FSLSD's CelebA-HQ crops)
 * cuts around a face, computed from eye and mouth landmarks, and the exact affine maps between
 * the aligned crop and the photo.
 */
import { FslsdError } from '../errors.js';
import { CROP_SIZE, type RgbImage } from '../image/tensor.js';
import type { Point } from '../landmarks/maps.js';
import { type Affine, affineScale, invertAffine } from './affine.js';
import { shrinkImage, warpAffine } from './warp.js';

/** The four points FFHQ alignment needs, in photo pixels (pixel centres at integers). */
export interface AlignmentPoints {
  /** Centre of the eye on the image's left (the subject's right eye). */
  readonly eyeLeft: Point;
  readonly eyeRight: Point;
  /** Mouth corner on the image's left. */
  readonly mouthLeft: Point;
  readonly mouthRight: Point;
}

/** Corners of the crop in the photo: top-left, bottom-left, bottom-right, top-right. */
export type Quad = readonly [Point, Point, Point, Point];

/** A face cut out of a photo, with the map back into it. */
export interface AlignedFace {
  /** The `size`^2 aligned crop, 8-bit RGB. */
  readonly crop: RgbImage;
  /** Crop pixel centre -> photo pixel centre. */
  readonly toPhoto: Affine;
  /** Photo pixel centre -> crop pixel centre. */
  readonly toCrop: Affine;
  readonly quad: Quad;
}

function mean(points: ReadonlyArray<Point>): Point {
  let x = 0;
  let y = 0;
  for (const [px, py] of points) {
    x += px;
    y += py;
  }
  return [x / points.length, y / points.length];
}

/**
 * The FFHQ alignment points of a face given 68 landmarks in the iBUG 300-W order: the eye
 * centres are the means of points 36-41 and 42-47, the mouth corners are points 48 and 54.
 * @throws FslsdError `INVALID_LANDMARKS` for another count or non-finite values.
 */
export function alignmentPointsFrom68(points: ReadonlyArray<Point>): AlignmentPoints {
  if (!Array.isArray(points) || points.length !== 68 || points.some((p) => !Number.isFinite(p?.[0]) || !Number.isFinite(p?.[1]))) {
    throw new FslsdError('INVALID_LANDMARKS', `FFHQ alignment from a landmarker needs 68 finite points (iBUG order), got ${Array.isArray(points) ? points.length : typeof points}.`, {
      fix: 'Use the shipped 68-point landmarker, or pass the 4 alignment points (eyes, mouth corners) yourself.',
    });
  }
  return {
    eyeLeft: mean(points.slice(36, 42)),
    eyeRight: mean(points.slice(42, 48)),
    mouthLeft: points[48]!,
    mouthRight: points[54]!,
  };
}

/**
 * The FFHQ quad. It follows the published dataset script: the crop's x axis comes from the
 * eye-to-eye vector and the eye-to-mouth vector turned by 90 degrees, its half-size is the larger
 * of 2x the eye distance and 1.8x the eye-to-mouth distance, and its centre sits 10% of the
 * eye-to-mouth vector below the eyes.
 */
export function ffhqQuad(points: AlignmentPoints): Quad {
  const { eyeLeft, eyeRight, mouthLeft, mouthRight } = points;
  const eyeAvg: Point = [(eyeLeft[0] + eyeRight[0]) / 2, (eyeLeft[1] + eyeRight[1]) / 2];
  const eyeToEye: Point = [eyeRight[0] - eyeLeft[0], eyeRight[1] - eyeLeft[1]];
  const mouthAvg: Point = [(mouthLeft[0] + mouthRight[0]) / 2, (mouthLeft[1] + mouthRight[1]) / 2];
  const eyeToMouth: Point = [mouthAvg[0] - eyeAvg[0], mouthAvg[1] - eyeAvg[1]];
  let xx = eyeToEye[0] + eyeToMouth[1];
  let xy = eyeToEye[1] - eyeToMouth[0];
  const norm = Math.hypot(xx, xy);
  const half = Math.max(Math.hypot(...eyeToEye) * 2, Math.hypot(...eyeToMouth) * 1.8);
  if (!(norm > 1e-9) || !(half > 1e-9)) {
    throw new FslsdError('INVALID_LANDMARKS', 'The eye and mouth points coincide, so the face cannot be aligned.', {
      fix: 'Pass landmarks of a visible face (eyes and mouth apart).',
    });
  }
  xx = (xx / norm) * half;
  xy = (xy / norm) * half;
  const yx = -xy;
  const yy = xx;
  const cx = eyeAvg[0] + eyeToMouth[0] * 0.1;
  const cy = eyeAvg[1] + eyeToMouth[1] * 0.1;
  return [
    [cx - xx - yx, cy - xy - yy],
    [cx - xx + yx, cy - xy + yy],
    [cx + xx + yx, cy + xy + yy],
    [cx + xx - yx, cy + xy - yy],
  ];
}

/**
 * Crop pixel centre -> photo pixel centre for a `size`^2 crop of `quad`. FFHQ hands PIL's QUAD
 * transform the quad shifted by half a pixel (PIL measures from pixel corners); in pixel-centre
 * terms that makes crop pixel (u, v) land on q0 + (u + 0.5)/size * (q3 - q0) + (v + 0.5)/size * (q1 - q0).
 */
export function quadToPhoto(quad: Quad, size = CROP_SIZE): Affine {
  const [q0, q1, , q3] = quad;
  const a = (q3[0] - q0[0]) / size;
  const d = (q3[1] - q0[1]) / size;
  const b = (q1[0] - q0[0]) / size;
  const e = (q1[1] - q0[1]) / size;
  return { a, b, c: q0[0] + 0.5 * (a + b), d, e, f: q0[1] + 0.5 * (d + e) };
}

/**
 * Cuts the FFHQ-aligned `size`^2 crop of a face out of `photo`. Outside the photo the picture is
 * mirrored (FFHQ pads by reflection; its extra blur of the padding is not reproduced). A face much
 * larger than the crop is first box-shrunk, as FFHQ does, then supersampled, so it never aliases.
 */
export function alignFace(photo: RgbImage, points: AlignmentPoints, size = CROP_SIZE): AlignedFace {
  const quad = ffhqQuad(points);
  const toPhoto = quadToPhoto(quad, size);
  const scale = affineScale(toPhoto);
  const shrink = Math.floor(scale / 2);
  let source = photo;
  let map = toPhoto;
  if (shrink > 1) {
    source = shrinkImage(photo, shrink);
    // Pixel centre x of the photo sits at (x + 0.5) / shrink - 0.5 in the shrunk picture.
    const s = 1 / shrink;
    const t = 0.5 * s - 0.5;
    map = { a: toPhoto.a * s, b: toPhoto.b * s, c: toPhoto.c * s + t, d: toPhoto.d * s, e: toPhoto.e * s, f: toPhoto.f * s + t };
  }
  const supersample = Math.min(4, Math.max(1, Math.ceil(affineScale(map) - 1e-6)));
  const crop = warpAffine(source, map, size, size, { supersample });
  return { crop, toPhoto, toCrop: invertAffine(toPhoto), quad };
}
