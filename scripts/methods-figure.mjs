#!/usr/bin/env node
// Regenerates docs/images/methods.png, the README's side-by-side of both methods on the same
// photos: source, target, then the FSLSD and the MegaFS swap from their shipped tiny sets
// (untrained weights: the picture shows where each method paints and how it composes, not quality).
// Usage: node scripts/methods-figure.mjs   (after `npm run demo` has installed and built)
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './ensure-install.mjs';
import { writeStrip } from './figure-strip.mjs';

const require = createRequire(path.join(ROOT, 'packages', 'node', 'package.json'));
const sharp = require('sharp');
const fslsd = await (await import('./sdk.mjs')).loadSdk();
const photos = path.join(ROOT, 'packages', 'models', 'assets', 'photos');

const sourcePhoto = await fslsd.readImage(path.join(photos, 'hopper.jpg'));
const targetPhoto = await fslsd.readImage(path.join(photos, 'astronaut.png'));
const swaps = [];
for (const method of ['fslsd', 'megafs']) {
  const swapper = await fslsd.createFaceSwapper({ method, models: 'tiny', device: 'cpu', onProgress: () => {} });
  const result = await swapper.swap(await swapper.encodeSource(sourcePhoto), targetPhoto);
  swaps.push([`${method === 'fslsd' ? 'FSLSD' : 'MegaFS'} (tiny set)`, result.image]);
  await swapper.dispose();
}
const panels = [['source', sourcePhoto], ['target', targetPhoto], ...swaps];
const out = await writeStrip(sharp, panels, path.join(ROOT, 'docs', 'images', 'methods.png'), fslsd.syntheticMediaXmp('fslsd readme figure'));
console.log(out);
