#!/usr/bin/env node
/**
 * Soak: N swaps of the shipped tiny set in one process (default 1,000), one encoded source and
 * target reused, reporting resident memory after a warm-up and at the end. Not a test: a figure
 * for the notes. Usage: node scripts/soak.mjs [--swaps N] [--warmup N]
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { swaps: { type: 'string', default: '1000' }, warmup: { type: 'string', default: '50' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: node scripts/soak.mjs [--swaps 1000] [--warmup 50]\n\nRuns N tiny-set swaps in one process and reports RSS growth after the warm-up.');
  process.exit(0);
}
const swaps = Number(values.swaps);
const warmup = Number(values.warmup);
const fslsd = await (await import('./sdk.mjs')).loadSdk();
const photos = path.join(root, 'packages/models/assets/photos');
const swapper = await fslsd.createSwapper({ device: 'cpu' });
const analyzer = await fslsd.createFaceAnalyzer({ device: 'cpu' });
const { source } = await fslsd.encodeSourcePhoto(swapper, analyzer, await fslsd.readImage(path.join(photos, 'hopper.jpg')));
const photo = await fslsd.readImage(path.join(photos, 'astronaut.png'));
const [face] = await analyzer.detect(photo);
const prepared = await analyzer.prepare(photo, face);
const target = await swapper.encodeTarget({ image: prepared.crop, landmarks: prepared.landmarks, mask: { width: 1024, height: 1024, data: prepared.masks.inner } });
const mb = () => process.memoryUsage().rss / 2 ** 20;
let afterWarmup = 0;
const started = performance.now();
for (let i = 1; i <= swaps; i += 1) {
  await swapper.swap(source, target);
  if (i === warmup) afterWarmup = mb();
  if (i % 100 === 0) console.log(`${i} swaps: RSS ${mb().toFixed(0)} MB, ${((performance.now() - started) / i).toFixed(0)} ms per swap`);
}
const end = mb();
console.log(`RSS after ${warmup} warm-up swaps ${afterWarmup.toFixed(0)} MB, after ${swaps} swaps ${end.toFixed(0)} MB: growth ${(100 * (end / afterWarmup - 1)).toFixed(2)} %`);
await swapper.dispose();
await analyzer.dispose();
