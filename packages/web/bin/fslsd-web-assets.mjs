#!/usr/bin/env node
// Copies the model files a browser app serves as static files: the shipped tiny sets (what
// createFaceSwapper({ models: 'tiny' }) loads, with method 'fslsd' or 'megafs') and the face models (detector, landmarks,
// descriptor), from @fslsd/models into DIR/models/. Each folder is written under a temporary
// name and renamed, so a page never sees half a set.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`Usage: fslsd-web-assets [DIR] [--no-tiny]

Copies the face models and the tiny model sets of @fslsd/models (FSLSD and MegaFS) into
DIR/models/faces/, DIR/models/tiny/ and DIR/models/tiny-megafs/, and the weightless architecture
graphs that importCheckpoints() fills into DIR/models/architectures/ (DIR defaults to ./public,
the folder Vite and most bundlers serve as is). @fslsd/web looks for them there by default.

  --no-tiny   copy only the face models (you serve converted weights of your own)
  -h, --help  this text`);
  process.exit(0);
}
const unknown = args.filter((a) => a.startsWith('-') && a !== '--no-tiny');
if (unknown.length) {
  console.error(`fslsd-web-assets: unknown option ${unknown[0]}. Run fslsd-web-assets --help.`);
  process.exit(2);
}
const target = path.resolve(args.find((a) => !a.startsWith('-')) ?? 'public');
if (existsSync(target) && !statSync(target).isDirectory()) {
  console.error(`fslsd-web-assets: ${target} exists and is not a folder. Pass the folder your app serves as static files.`);
  process.exit(2);
}
const models = path.dirname(createRequire(import.meta.url).resolve('@fslsd/models/package.json'));
// The architecture graphs (weightless, 4.8 MB) are what importCheckpoints() fills in the browser.
const architectures = readdirSync(path.join(models, 'architectures')).map((set) => `architectures/${set}`);
const sets = [...(args.includes('--no-tiny') ? ['faces'] : ['faces', 'tiny', 'tiny-megafs']), ...architectures];
for (const name of sets) {
  const from = path.join(models, name);
  const to = path.join(target, 'models', name);
  const partial = `${to}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  try {
    for (const file of readdirSync(from).filter((n) => n.endsWith('.onnx') || n.endsWith('.data') || n === 'manifest.json' || n === 'architecture.json')) cpSync(path.join(from, file), path.join(partial, file));
    rmSync(to, { recursive: true, force: true });
    renameSync(partial, to);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    console.error(`fslsd-web-assets: could not copy ${name} into ${to}: ${error.message}. Check that the folder is writable.`);
    process.exit(1);
  }
  console.log(`fslsd-web-assets: ${name} -> ${path.relative(process.cwd(), to) || to}`);
}
