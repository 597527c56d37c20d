// Copies the tiny model set, the face models and the sample photos from @fslsd/models into
// public/, where the app serves them as static files (public/ is generated, not committed).
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const models = path.dirname(createRequire(import.meta.url).resolve('@fslsd/models/package.json'));
const copy = (from, to, keep) => {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).filter(keep)) cpSync(path.join(from, name), path.join(to, name));
};
copy(path.join(models, 'tiny'), path.join(here, 'public', 'models', 'tiny'), (n) => n.endsWith('.onnx') || n === 'manifest.json');
copy(path.join(models, 'faces'), path.join(here, 'public', 'models', 'faces'), (n) => n.endsWith('.onnx') || n === 'manifest.json');
copy(path.join(models, 'assets', 'photos'), path.join(here, 'public', 'photos'), (n) => n.endsWith('.png') || n.endsWith('.jpg'));
