#!/usr/bin/env node
// `pnpm bench`: the benchmarks that exist so far, one after the other. Each prints a table and
// writes its JSON under benchmarks/. Not tests: figures are medians and ratios from one run.
// Needs a build (npm run demo does one) and, for the OpenCV baseline, python3-opencv.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log('Usage: pnpm bench\n\nRuns scripts/bench/*.mjs: the face front end (align + mask + paste-back on a 1920x1080 frame) beside OpenCV,\nand video (end-to-end vs inference-only fps, jitter with and without smoothing).\nThe swap-pipeline benchmarks (full-size graphs, PyTorch baseline) come with issue 7.');
  process.exit(0);
}
const benches = ['front-end.mjs', 'video.mjs'];
let failed = 0;
for (const bench of benches) {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'bench', bench)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
