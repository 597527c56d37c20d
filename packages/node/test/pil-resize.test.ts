/**
 * resizeLikePil against Pillow itself (Debian's python3-pil): the shipped photos, decoded once by
 * Pillow, resized by both to the sizes the pipeline uses (pSp and H3R 256^2, the face parser
 * 512^2) and to odd ones (upscaling, one axis only, non-square). Every value must be equal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resizeLikePil } from '@fslsd/core';
import { packageDirectory, samplesDirectory } from '@fslsd/models/node';
import { skipWithout } from '../../../scripts/skips.mjs';

const python = '/usr/bin/python3';
const skip = skipWithout(spawnSync(python, ['-c', 'import PIL'], { stdio: 'ignore' }).status === 0, {
  group: "Pillow's resize",
  missing: '/usr/bin/python3 lacks PIL',
  fix: 'apt-get install python3-pil',
  require: 'FSLSD_REQUIRE_REFERENCE',
});

const photos = [
  path.join(samplesDirectory(), 'astronaut.png'),
  path.join(samplesDirectory(), 'hopper.png'),
  path.join(packageDirectory(), 'assets', 'photos', 'astronaut.png'),
  path.join(packageDirectory(), 'assets', 'photos', 'hopper.jpg'),
];
const sizes: ReadonlyArray<readonly [number, number]> = [[256, 256], [512, 512], [333, 201], [1100, 97], [64, 64]];
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-pil-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Pillow writes each photo's RGB bytes and each resize's bytes, so decoders cannot differ.
const script = `
import sys, json
from PIL import Image
out, photos, sizes = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for i, photo in enumerate(photos):
    image = Image.open(photo).convert("RGB")
    open(f"{out}/{i}.rgb", "wb").write(image.tobytes())
    print(json.dumps([image.width, image.height]))
    for w, h in sizes:
        open(f"{out}/{i}-{w}x{h}.rgb", "wb").write(image.resize((w, h), Image.BILINEAR).tobytes())
`;

describe.skipIf(skip)("resizeLikePil equals Pillow's bilinear resize", () => {
  const run = skip ? undefined : spawnSync(python, ['-c', script, work, JSON.stringify(photos), JSON.stringify(sizes)], { encoding: 'utf8' });
  const dims = run?.stdout.trim().split('\n').map((line) => JSON.parse(line) as [number, number]) ?? [];
  photos.forEach((photo, i) => {
    it(`${path.relative(packageDirectory(), photo)}: 0 differing values at ${sizes.map(([w, h]) => `${w}x${h}`).join(', ')}`, () => {
      expect(run?.status, run?.stderr).toBe(0);
      const [width, height] = dims[i]!;
      const image = { width, height, channels: 3 as const, data: new Uint8Array(readFileSync(path.join(work, `${i}.rgb`))) };
      for (const [w, h] of sizes) {
        const ours = resizeLikePil(image, w, h);
        const theirs = new Uint8Array(readFileSync(path.join(work, `${i}-${w}x${h}.rgb`)));
        expect([ours.width, ours.height, ours.data.length]).toEqual([w, h, theirs.length]);
        let differing = 0;
        for (let k = 0; k < theirs.length; k += 1) if (ours.data[k] !== theirs[k]) differing += 1;
        expect(differing, `${w}x${h}`).toBe(0);
      }
    });
  });
});
