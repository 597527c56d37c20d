#!/usr/bin/env node
// Example: swap aligned face crops (the released code's input) with the @fslsd/node API,
// reusing one encoded source for many targets.
//
//   node swap.mjs SOURCE.png TARGET.png [TARGET2.png ...]
//
// Inputs are FFHQ-aligned square crops; landmarks are read from face.landmarks.json beside an
// image when it exists, and found on the crop otherwise. Without arguments it uses the two
// sample crops shipped in @fslsd/models.
import path from 'node:path';
import { createFaceSwapper, readLandmarks } from '@fslsd/node';
import { samplesDirectory } from '@fslsd/models/node';
import { sidecarLandmarks } from '@fslsd/node/pipeline';

const [sourceFile = path.join(samplesDirectory(), 'astronaut.png'), ...targets] = process.argv.slice(2);
if (targets.length === 0) targets.push(path.join(samplesDirectory(), 'hopper.png'));

async function crop(file) {
  const landmarksFile = await sidecarLandmarks(file);
  return { aligned: true, ...(landmarksFile ? { landmarks: await readLandmarks(landmarksFile) } : {}) };
}

const swapper = await createFaceSwapper({ models: 'tiny', onProgress: (e) => e.kind === 'warning' && console.error(e.message) });
try {
  const source = await swapper.encodeSource(sourceFile, await crop(sourceFile));
  console.error(`source encoded: W+ ${source.wplus.dims.join('x')}, saved form ${JSON.stringify(source).length} bytes`);
  for (const [i, targetFile] of targets.entries()) {
    const result = await swapper.swap(source, targetFile, { ...(await crop(targetFile)), split: 'official' });
    console.error(`${targetFile}: ${Object.entries(result.timings).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
    console.log(await result.save(`swapped-${i}.png`));
  }
} finally {
  await swapper.dispose();
}
