// Puts what the app serves as static files into public/ (generated, not committed): the face
// models and the tiny model set through @fslsd/web's own fslsd-web-assets command (what an app
// of yours runs too), and the sample photos from @fslsd/models.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const web = path.dirname(require.resolve('@fslsd/web/package.json'));
const assets = spawnSync(process.execPath, [path.join(web, 'bin', 'fslsd-web-assets.mjs'), path.join(here, 'public')], { stdio: 'inherit' });
if (assets.status !== 0) process.exit(assets.status ?? 1);
const models = path.dirname(require.resolve('@fslsd/models/package.json'));
const photos = path.join(models, 'assets', 'photos');
mkdirSync(path.join(here, 'public', 'photos'), { recursive: true });
for (const name of readdirSync(photos).filter((n) => n.endsWith('.png') || n.endsWith('.jpg'))) cpSync(path.join(photos, name), path.join(here, 'public', 'photos', name));
