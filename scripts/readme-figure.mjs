#!/usr/bin/env node
// Regenerates docs/images/tiny-swap.png, the README's picture of a real run: source, target,
// side output y_s and swapped image y_f from the shipped tiny set (untrained weights).
// Usage: node scripts/readme-figure.mjs   (after `npm run demo` has installed and built)
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './ensure-install.mjs';
import { writeStrip } from './figure-strip.mjs';

const require = createRequire(path.join(ROOT, 'packages', 'node', 'package.json'));
const sharp = require('sharp');
const fslsd = await (await import('./sdk.mjs')).loadSdk();
const { samplesDirectory } = await import(path.join(ROOT, 'packages', 'models', 'dist', 'node.js'));

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
const out = await writeStrip(sharp, panels, path.join(ROOT, 'docs', 'images', 'tiny-swap.png'), fslsd.syntheticMediaXmp('fslsd readme figure'));
console.log(out);
