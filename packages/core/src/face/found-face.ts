import type { Point } from '../landmarks/maps.js';

/** A rectangle in photo pixels, top-left origin. */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A face found in a photo. */
export interface FoundFace {
  /** Position in the photo's face list: 0 is the largest face. */
  readonly index: number;
  readonly box: FaceBox;
  /** Detector confidence in [0, 1]. */
  readonly score: number;
  /** 68 points (iBUG 300-W order) in photo pixels. */
  readonly landmarks68: readonly Point[];
}
