#!/usr/bin/env node
// Makes the two sample face crops in assets/samples/ from public-domain photos shipped by Debian.
//
//   apt-get download python3-skimage python-matplotlib-data
//   dpkg -x python3-skimage_*.deb /tmp/x && dpkg -x python-matplotlib-data_*.deb /tmp/x
//   node packages/models/scripts/make-samples.mjs \
//     /tmp/x/usr/lib/python3/dist-packages/skimage/data/astronaut.png \
//     /tmp/x/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg
//
// Each photo is cropped to a square in FFHQ-like framing and resized to 1024x1024 (lanczos3),
// then written as an 8-bit sRGB PNG without alpha. See assets/samples/SOURCES.md.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const SIZE = 1024;
const OUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'samples');

// Crop boxes in source pixels. Chosen by hand-placing the five key points (eye centres, nose
// tip, mouth corners) on each photo and fitting a scale + shift (no rotation: both faces are
// upright) onto the 5-point FFHQ template used by face restoration tools (eyes at ~47% of the
// height, eye distance ~25% of the width, mouth at ~72%), then rounding.
const SAMPLES = [
  {
    name: 'astronaut',
    // skimage astronaut.png is 512x512; Eileen Collins' eyes at about (203,101) and (247,102).
    box: { left: 141, top: 23, width: 167, height: 167 },
    expect: { width: 512, height: 512 },
  },
  {
    name: 'hopper',
    // matplotlib grace_hopper.jpg is 512x600; her eyes at about (223,189) and (305,186).
    box: { left: 93, top: 28, width: 345, height: 345 },
    expect: { width: 512, height: 600 },
  },
];

function usage() {
  console.error('usage: node make-samples.mjs <astronaut.png> <grace_hopper.jpg> [out-dir]');
  process.exit(2);
}

async function makeOne(sample, sourcePath, outDir) {
  const input = readFileSync(sourcePath);
  const meta = await sharp(input).metadata();
  if (meta.width !== sample.expect.width || meta.height !== sample.expect.height) {
    throw new Error(
      `${sourcePath}: expected ${sample.expect.width}x${sample.expect.height}, got ${meta.width}x${meta.height}`,
    );
  }
  const png = await sharp(input)
    .extract(sample.box)
    .resize(SIZE, SIZE, { kernel: 'lanczos3' })
    .toColourspace('srgb')
    .removeAlpha()
    .png({ compressionLevel: 9, palette: false })
    .toBuffer();
  const outPath = path.join(outDir, `${sample.name}.png`);
  writeFileSync(outPath, png);
  const check = await sharp(png).metadata();
  if (check.width !== SIZE || check.height !== SIZE || check.channels !== 3 || check.depth !== 'uchar') {
    throw new Error(`${outPath}: unexpected output format ${JSON.stringify(check)}`);
  }
  const sha256 = createHash('sha256').update(png).digest('hex');
  console.log(`${sha256}  ${path.relative(process.cwd(), outPath)}`);
}

const [astronautPath, hopperPath, outArg] = process.argv.slice(2);
if (!astronautPath || !hopperPath) usage();
const outDir = outArg ? path.resolve(outArg) : OUT_DIR;
mkdirSync(outDir, { recursive: true });
const sources = { astronaut: astronautPath, hopper: hopperPath };
for (const sample of SAMPLES) {
  await makeOne(sample, sources[sample.name], outDir);
}
console.error(`sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);
