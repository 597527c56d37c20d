#!/usr/bin/env node
// Example: swap faces on ordinary photos: one source face, encoded once, onto every face of
// each target photo. Outputs keep each target's size, orientation and colour profile.
//
//   node swap-photos.mjs SOURCE.jpg TARGET.jpg [TARGET2.jpg ...]
//
// Without arguments it puts Grace Hopper's face into the astronaut photo (both shipped in
// @fslsd/models, public domain).
import path from 'node:path';
import { createFaceSwapper } from '@fslsd/node';
import { packageDirectory } from '@fslsd/models/node';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const [sourceFile = path.join(photos, 'hopper.jpg'), ...targets] = process.argv.slice(2);
if (targets.length === 0) targets.push(path.join(photos, 'astronaut.png'));

// 'tiny' is the shipped untrained set; pass a folder or URL of converted weights for real swaps.
const swapper = await createFaceSwapper({ models: 'tiny', onProgress: (e) => e.kind === 'warning' && console.error(e.message) });
try {
  const source = await swapper.encodeSource(sourceFile); // a value: JSON.stringify(source) saves it
  for (const [i, targetFile] of targets.entries()) {
    const result = await swapper.swap(source, targetFile, { all: true });
    console.error(`${targetFile}: swapped ${result.faces.length} of ${result.detected.length} face(s)`);
    console.log(await result.save(`swapped-photo-${i}.png`));
  }
} finally {
  await swapper.dispose();
}
