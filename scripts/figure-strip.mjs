// A row of labelled image tiles written as one PNG, labelled as synthetic media: the README's
// strip figures (readme-figure.mjs, methods-figure.mjs) share it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * @param sharp the sharp module
 * @param panels [label, { width, height, channels, data }][]
 * @param out the PNG to write
 * @param xmp the synthetic-media XMP packet
 */
export async function writeStrip(sharp, panels, out, xmp, { tile = 320, label = 36 } = {}) {
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
  mkdirSync(path.dirname(out), { recursive: true });
  await sharp({ create: { width: panels.length * tile, height: tile + label, channels: 3, background: '#ffffff' } })
    .composite([{ input: svg, left: 0, top: 0 }, ...tiles])
    .withXmp(xmp)
    .png()
    .toFile(out);
  return out;
}
