#!/usr/bin/env node
// Regenerates docs/images/tiny-swap.png, the README's picture of a real run: source, target,
// side output y_s and swapped image y_f from the shipped tiny set (untrained weights).
// Usage: node scripts/readme-figure.mjs   (after `npm run demo` has installed and built)
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './ensure-install.mjs';

const require = createRequire(path.join(ROOT, 'packages', 'node', 'package.json'));
const sharp = require('sharp');
const fslsd = await (await import('./sdk.mjs')).loadSdk();
const { samplesDirectory } = await import(path.join(ROOT, 'packages', 'models', 'dist', 'node.js'));

const tile = 320;
const label = 36;
const crop = async (name) => {
  const file = path.join(samplesDirectory(), name);
  return { image: await fslsd.readAlignedCrop(file), landmarks: await fslsd.readLandmarks(await fslsd.sidecarLandmarks(file)) };
};
const swapper = await fslsd.createSwapper({ device: 'cpu' });
const source = await crop('astronaut.png');
const target = await crop('hopper.png');
const result = await swapper.swap(await swapper.encodeSource(source), target);
await swapper.dispose();

const panels = [
  ['source', source.image],
  ['target', target.image],
  ['side output y_s', fslsd.tensorToImage(result.sideOutput)],
  ['swapped y_f', fslsd.tensorToImage(result.image)],
];
const tiles = await Promise.all(
  panels.map(async ([, image], i) => ({
    input: await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).resize(tile, tile).png().toBuffer(),
    left: i * tile,
    top: label,
  })),
);
const text = panels
  .map(([name], i) => `<text x="${i * tile + tile / 2}" y="25" font-family="DejaVu Sans, sans-serif" font-size="18" text-anchor="middle" fill="#222">${name}</text>`)
  .join('');
const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${4 * tile}" height="${label}">${text}</svg>`);
const out = path.join(ROOT, 'docs', 'images', 'tiny-swap.png');
mkdirSync(path.dirname(out), { recursive: true });
await sharp({ create: { width: 4 * tile, height: tile + label, channels: 3, background: '#ffffff' } })
  .composite([{ input: svg, left: 0, top: 0 }, ...tiles])
  .withXmp(fslsd.syntheticMediaXmp('fslsd readme figure'))
  .png()
  .toFile(out);
console.log(out);
