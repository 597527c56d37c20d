#!/usr/bin/env node
// Example: swap a face with the @fslsd/node API, reusing one encoded source for many targets.
//
//   node swap.mjs SOURCE.png TARGET.png [TARGET2.png ...]
//
// Inputs are FFHQ-aligned square crops with landmarks beside them (face.landmarks.json).
// Without arguments it uses the two sample crops shipped in @fslsd/models.
import path from 'node:path';
import {
  createSwapper, readAlignedCrop, readLandmarks, sidecarLandmarks, sourceFaceToJSON, tensorToImage, writeImage,
} from '@fslsd/node';
import { samplesDirectory } from '@fslsd/models/node';

const [sourceFile = path.join(samplesDirectory(), 'astronaut.png'), ...targets] = process.argv.slice(2);
if (targets.length === 0) targets.push(path.join(samplesDirectory(), 'hopper.png'));

async function face(file) {
  const landmarksFile = await sidecarLandmarks(file);
  if (!landmarksFile) throw new Error(`${file} needs landmarks in ${file.replace(/\.[^.]+$/, '')}.landmarks.json`);
  return { image: await readAlignedCrop(file), landmarks: await readLandmarks(landmarksFile) };
}

// Models default to the shipped tiny set (untrained); pass { models: 'path/to/exported' } for real ones.
const swapper = await createSwapper({ device: 'auto', log: (m) => console.error(m) });
try {
  const source = await swapper.encodeSource(await face(sourceFile));
  console.error(`source encoded: W+ ${source.wplus.dims.join('x')}, saved form ${JSON.stringify(sourceFaceToJSON(source)).length} bytes`);
  for (const [i, targetFile] of targets.entries()) {
    const result = await swapper.swap(source, await face(targetFile), { split: 'official' });
    const written = await writeImage(`swapped-${i}.png`, tensorToImage(result.image));
    console.error(`${targetFile}: ${Object.entries(result.timings).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
    console.log(written);
  }
} finally {
  await swapper.dispose();
}
