// What the benchmarks share: where the reference lives, a stamp of the exporter (a set exported
// by an older reference is exported again), and medians.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const pythonDir = path.join(root, 'packages/models/python');
export const samples = path.join(root, 'packages/models/assets/samples');

/** sha256 over the reference's Python files: what an exported set was made by. */
export function exporterStamp() {
  const hash = createHash('sha256');
  const dir = path.join(pythonDir, 'fslsd_reference');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.py')).sort()) hash.update(file).update(readFileSync(path.join(dir, file)));
  return hash.digest('hex');
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Replaces the section between `<!-- NAME:start -->` and `<!-- NAME:end -->` of BENCHMARKS.md
 * with `body` (a block that starts and ends with those markers), or appends it under `heading`.
 */
export function writeBenchmarkSection(name, heading, body) {
  const file = path.join(root, 'BENCHMARKS.md');
  const startMarker = `<!-- ${name}:start -->`;
  const endMarker = `<!-- ${name}:end -->`;
  let text = readFileSync(file, 'utf8');
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  text = start >= 0 && end > start ? `${text.slice(0, start)}${body}${text.slice(end + endMarker.length)}` : `${text.trimEnd()}\n\n## ${heading}\n\n${body}\n`;
  writeFileSync(`${file}.partial`, text);
  renameSync(`${file}.partial`, file);
}

/** The median wall time in milliseconds of `runs` awaited calls of `fn`, after one warm-up call. */
export async function medianTime(fn, runs) {
  await fn();
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Largest and mean absolute difference between two equally long arrays of numbers. */
export function differences(a, b) {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/**
 * The front-end benchmark's frame as PNG bytes: `photo` (the astronaut) enlarged to 768², on a
 * 1920x1080 grey-blue background. `sharp` is passed in: the root has no node_modules of its own.
 */
export function frontEndFrame(sharp, photo) {
  return sharp(photo).resize(768, 768).png().toBuffer().then((face) =>
    sharp({ create: { width: 1920, height: 1080, channels: 3, background: { r: 70, g: 80, b: 90 } } }).composite([{ input: face, left: 600, top: 150 }]).png().toBuffer());
}
