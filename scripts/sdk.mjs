// The built SDK for the repository's own scripts (benchmarks, figures, soak): the public roots and
// the subpaths in one namespace, plus the photo helpers the scripts were written against, now
// served by the face swapper over the script's own swapper and analyzer.
import path from 'node:path';
import { ROOT } from './ensure-install.mjs';

const FILES = [
  'packages/core/dist/index.js', 'packages/core/dist/pipeline.js', 'packages/core/dist/face.js', 'packages/core/dist/video.js', 'packages/core/dist/graph.js',
  'packages/node/dist/index.js', 'packages/node/dist/pipeline.js',
];

export async function loadSdk() {
  const sdk = Object.assign({}, ...(await Promise.all(FILES.map((file) => import(path.join(ROOT, file))))));
  return {
    ...sdk,
    encodeSourcePhoto: async (swapper, analyzer, photo, options) => ({ source: await sdk.composeFaceSwapper(swapper, analyzer).encodeSource(photo, options) }),
    swapPhoto: (swapper, analyzer, source, photo, options) => sdk.composeFaceSwapper(swapper, analyzer).swap(source, photo, options),
  };
}
