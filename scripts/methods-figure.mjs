#!/usr/bin/env node
// Regenerates docs/images/methods.png, the README's side-by-side of both methods on the same
// photos: source, target, then the FSLSD and the MegaFS swap from their shipped tiny sets
// (untrained weights: the picture shows where each method paints and how it composes, not quality).
// Usage: node scripts/methods-figure.mjs   (after `npm run demo` has installed and built)
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './ensure-install.mjs';

const require = createRequire(path.join(ROOT, 'packages', 'node', 'package.json'));
const sharp = require('sharp');
const fslsd = await (await import('./sdk.mjs')).loadSdk();
const photos = path.join(ROOT, 'packages', 'models', 'assets', 'photos');

const tile = 320;
const label = 36;
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
const tiles = await Promise.all(
  panels.map(async ([, image], i) => ({
    input: await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).resize(tile, tile, { fit: 'cover' }).png().toBuffer(),
    left: i * tile,
    top: label,
  })),
);
const text = panels
  .map(([name], i) => `<text x="${i * tile + tile / 2}" y="25" font-family="DejaVu Sans, sans-serif" font-size="18" text-anchor="middle" fill="#222">${name}</text>`)
  .join('');
const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${panels.length * tile}" height="${label}">${text}</svg>`);
const out = path.join(ROOT, 'docs', 'images', 'methods.png');
mkdirSync(path.dirname(out), { recursive: true });
await sharp({ create: { width: panels.length * tile, height: tile + label, channels: 3, background: '#ffffff' } })
  .composite([{ input: svg, left: 0, top: 0 }, ...tiles])
  .withXmp(fslsd.syntheticMediaXmp('fslsd readme figure'))
  .png()
  .toFile(out);
console.log(out);
