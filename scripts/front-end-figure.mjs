#!/usr/bin/env node
// Regenerates docs/images/front-end.png, the README's picture of the face front end on a whole
// photo: what the detector and landmarker found, the FFHQ-aligned crop with its masks, the photo
// after the swap (tiny set: untrained), and which pixels changed.
// Usage: node scripts/front-end-figure.mjs   (after `npm run demo` has installed and built)
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './ensure-install.mjs';

const require = createRequire(path.join(ROOT, 'packages', 'node', 'package.json'));
const sharp = require('sharp');
const fslsd = await (await import('./sdk.mjs')).loadSdk();
const photos = path.join(ROOT, 'packages', 'models', 'assets', 'photos');

const analyzer = await fslsd.createFaceAnalyzer({ device: 'cpu' });
const swapper = await fslsd.createSwapper({ device: 'cpu' });
const target = await fslsd.readImage(path.join(photos, 'astronaut.png'));
const { source } = await fslsd.encodeSourcePhoto(swapper, analyzer, await fslsd.readImage(path.join(photos, 'hopper.jpg')));
const swapped = await fslsd.swapPhoto(swapper, analyzer, source, target);
const face = await analyzer.prepare(target, swapped.detected[0]); // the aligned crop, quad and masks of the swapped face
await analyzer.dispose();
await swapper.dispose();

const raw = (image) => sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
const tile = 384;
const label = 36;
const dots = (points, radius, colour) => points.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="${radius}" fill="${colour}"/>`).join('');

// 1. The photo with the box, the 68 points and the FFHQ quad.
const { box, landmarks68 } = face.face;
const quad = face.quad.map(([x, y]) => `${x},${y}`).join(' ');
const overlay1 = `<svg xmlns="http://www.w3.org/2000/svg" width="${target.width}" height="${target.height}">
  <rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="none" stroke="#00e5ff" stroke-width="2"/>
  <polygon points="${quad}" fill="none" stroke="#ffd600" stroke-width="2" stroke-dasharray="6 4"/>${dots(landmarks68, 2, '#ff1744')}</svg>`;
const panel1 = await raw(target).composite([{ input: Buffer.from(overlay1) }]).png().toBuffer();

// 2. The aligned crop, the paste alpha in green and the dilated m_t's edge in yellow.
const crop = face.crop;
const tinted = new Uint8Array(crop.data.length);
for (let i = 0; i < crop.width * crop.height; i += 1) {
  const a = face.masks.paste[i];
  const edge = face.masks.inner[i] && (!face.masks.inner[i - 1] || !face.masks.inner[i + 1] || !face.masks.inner[i - 1024] || !face.masks.inner[i + 1024]);
  tinted[i * 3] = edge ? 255 : crop.data[i * 3] * (1 - 0.35 * a);
  tinted[i * 3 + 1] = edge ? 214 : Math.min(255, crop.data[i * 3 + 1] * (1 - 0.35 * a) + 110 * a);
  tinted[i * 3 + 2] = edge ? 0 : crop.data[i * 3 + 2] * (1 - 0.35 * a);
}
const panel2 = await raw({ ...crop, data: tinted }).composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024">${dots(face.cropLandmarks68, 5, '#ff1744')}</svg>`) }]).png().toBuffer();

// 3. The result; 4. the changed pixels in white over the darkened photo.
const panel3 = await raw(swapped.image).png().toBuffer();
const changed = new Uint8Array(target.data.length);
for (let p = 0; p < target.width * target.height; p += 1) {
  const differs = [0, 1, 2].some((c) => target.data[p * 3 + c] !== swapped.image.data[p * 3 + c]);
  for (let c = 0; c < 3; c += 1) changed[p * 3 + c] = differs ? 255 : target.data[p * 3 + c] * 0.3;
}
const panel4 = await raw({ ...target, data: changed }).png().toBuffer();

const panels = [
  ['detected: box, 68 points, FFHQ quad', panel1],
  ['aligned 1024² crop: mask m_t, paste alpha', panel2],
  ['pasted back (tiny set: untrained)', panel3],
  ['changed pixels (white)', panel4],
];
const tiles = await Promise.all(panels.map(async ([, png], i) => ({ input: await sharp(png).resize(tile, tile).png().toBuffer(), left: i * tile, top: label })));
const text = panels
  .map(([name], i) => `<text x="${i * tile + tile / 2}" y="25" font-family="DejaVu Sans, sans-serif" font-size="17" text-anchor="middle" fill="#222">${name}</text>`)
  .join('');
const out = path.join(ROOT, 'docs', 'images', 'front-end.png');
mkdirSync(path.dirname(out), { recursive: true });
await sharp({ create: { width: 4 * tile, height: tile + label, channels: 3, background: '#ffffff' } })
  .composite([{ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${4 * tile}" height="${label}">${text}</svg>`), left: 0, top: 0 }, ...tiles])
  .png()
  .toFile(out);
console.log(out);
