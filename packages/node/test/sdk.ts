/** Everything the tests reach in @fslsd/node's source: the public root and the pipeline subpath. */
export * from '../src/index.js';
export * from '../src/pipeline.js';

import { type EncodeSourceOptions, type FaceSwapOptions, type RgbImage, type SourceFace, composeFaceSwapper } from '@fslsd/core';
import type { FaceAnalyzer } from '@fslsd/core/face';
import type { Swapper } from '@fslsd/core/pipeline';

/** The photo path of the face swapper over a test's own swapper and analyzer (it does not own them). */
export async function encodeSourcePhoto(swapper: Swapper, analyzer: FaceAnalyzer, photo: RgbImage, options?: EncodeSourceOptions): Promise<{ source: SourceFace }> {
  return { source: await composeFaceSwapper(swapper, analyzer).encodeSource(photo, options) };
}

/** See {@link encodeSourcePhoto}. */
export function swapPhoto(swapper: Swapper, analyzer: FaceAnalyzer, source: SourceFace, photo: RgbImage, options?: FaceSwapOptions) {
  return composeFaceSwapper(swapper, analyzer).swap(source, photo, options);
}
