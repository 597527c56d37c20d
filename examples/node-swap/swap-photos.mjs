#!/usr/bin/env node
// Example: swap faces on ordinary photos: one source face, encoded once, onto every face of
// each target photo. Outputs keep each target's size, orientation and colour profile.
//
//   node swap-photos.mjs SOURCE.jpg TARGET.jpg [TARGET2.jpg ...]
//
// Without arguments it puts Grace Hopper's face into the astronaut photo (both shipped in
// @fslsd/models, public domain).
import path from 'node:path';
import { createFaceAnalyzer, createSwapper, encodeSourcePhoto, readPhoto, swapPhoto, writeImage } from '@fslsd/node';
import { packageDirectory } from '@fslsd/models/node';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const [sourceFile = path.join(photos, 'hopper.jpg'), ...targets] = process.argv.slice(2);
if (targets.length === 0) targets.push(path.join(photos, 'astronaut.png'));

// Models default to the shipped tiny set (untrained); pass { models: 'path/to/exported' } for real ones.
const swapper = await createSwapper({ device: 'auto', log: (m) => console.error(m) });
const faces = await createFaceAnalyzer({ device: 'auto' });
try {
  const { source, face } = await encodeSourcePhoto(swapper, faces, (await readPhoto(sourceFile)).image);
  console.error(`source: face at ${Math.round(face.face.box.x)},${Math.round(face.face.box.y)} (score ${face.face.score.toFixed(2)})`);
  for (const [i, targetFile] of targets.entries()) {
    const target = await readPhoto(targetFile);
    const result = await swapPhoto(swapper, faces, source, target.image, { all: true });
    const written = await writeImage(`swapped-photo-${i}.png`, result.image, target.icc ? { icc: target.icc } : {});
    console.error(`${targetFile}: swapped ${result.faces.length} of ${result.detected.length} face(s)`);
    console.log(written);
  }
} finally {
  await swapper.dispose();
  await faces.dispose();
}
