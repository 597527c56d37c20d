#!/usr/bin/env node
// `npm run demo`: install + build if needed, then swap Grace Hopper's face into the astronaut
// photo (whole photos: detection, alignment, paste-back) with the bundled tiny reference models.
// The CLI prints the written path last.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, childEnv, ensureInstall, log } from './ensure-install.mjs';

try {
  ensureInstall();
} catch (error) {
  log(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

mkdirSync(path.join(ROOT, 'out'), { recursive: true });
const args = [
  'packages/node/dist/cli.js',
  'swap',
  '--source',
  'packages/models/assets/photos/hopper.jpg',
  '--target',
  'packages/models/assets/photos/astronaut.png',
  '--out',
  'out/demo.png',
  '--side-output',
  'out/demo-side-output.png',
  // The demo is meant to be run again and again: replace the previous result.
  '--force',
  ...process.argv.slice(2),
];
log(`node ${args.join(' ')}`);
const result = spawnSync(process.execPath, args, { cwd: ROOT, env: childEnv(), stdio: 'inherit' });
if (result.error) {
  log(`error: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
