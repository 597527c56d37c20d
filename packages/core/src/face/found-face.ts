import type { Point } from '../landmarks/maps.js';
import type { Box } from './detector.js';

/** A face found in a photo. */
export interface FoundFace {
  /** Position in the photo's face list: 0 is the largest face. */
  readonly index: number;
  /** Where the detector found it, in photo pixels. */
  readonly box: Box;
  /** Detector confidence in [0, 1]. */
  readonly score: number;
  /** 68 points (iBUG 300-W order) in photo pixels. */
  readonly landmarks68: readonly Point[];
}
