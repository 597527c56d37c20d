#!/usr/bin/env node
// Prepares what `scripts/device/gpu-figures.sh` needs on a lent GPU machine that has Python and
// PyTorch but no Node and no network: packages/models/.device/ (ignored by git, carried by the
// device tool) holding this Node binary (xz), the native packages the SDK loads at run time
// (onnxruntime-node for Linux x64 only, sharp and its libvips), one esbuild bundle of
// scripts/device/swap-gpu.mjs with the built SDK inside, and Debian's Vulkan loader (.deb) for
// onnxruntime's WebGPU provider. The bundle sits inside packages/models so the SDK's
// packageDirectory() still finds packages/models (the checkpoint importer reads architectures/).
//
//   pnpm build && node scripts/device/prepare.mjs
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const target = path.join(root, 'packages/models/.device');
const staging = path.join(target, 'staging');
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status})`);
};

rmSync(target, { recursive: true, force: true });
mkdirSync(path.join(staging, 'node_modules/@img'), { recursive: true });

// The runtime packages, dereferenced out of pnpm's store, Linux x64 only.
const fromNode = createRequire(path.join(root, 'packages/node/package.json'));
// Some packages export no ./package.json: resolve the package's entry, then walk up to its folder.
const folderOf = (require, name) => {
  let folder = path.dirname(realpathSync(require.resolve(name)));
  while (!existsSync(path.join(folder, 'package.json')) || JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8')).name !== name) folder = path.dirname(folder);
  return folder;
};
const ortFolder = folderOf(fromNode, 'onnxruntime-node');
const copy = (from, to, filter) => cpSync(from, path.join(staging, 'node_modules', to), { recursive: true, dereference: true, filter });
copy(ortFolder, 'onnxruntime-node', (source) => !/[\\/]bin[\\/]napi-v\d+[\\/](darwin|win32|linux[\\/]arm64)/.test(source));
// pnpm links a package's dependencies beside it.
const sibling = (folder, name) => realpathSync(path.join(path.dirname(folder), name));
copy(sibling(ortFolder, 'onnxruntime-common'), 'onnxruntime-common');
const sharpFolder = folderOf(fromNode, 'sharp');
copy(sharpFolder, 'sharp');
for (const name of ['@img/colour', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64', 'detect-libc', 'semver']) copy(sibling(sharpFolder, name), name);

// The measuring script with the built SDK inside; the native packages stay outside.
// esbuild is tsup's (a devDependency already): its JavaScript API, no second copy.
const tsup = path.join(folderOf(createRequire(path.join(root, 'package.json')), 'tsup'), 'package.json');
const esbuild = createRequire(tsup)('esbuild');
for (const entry of ['swap-gpu.mjs', 'front-end-gpu.mjs']) {
  esbuild.buildSync({
    entryPoints: [path.join(root, 'scripts/device', entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: path.join(target, entry),
    external: ['onnxruntime-node', 'sharp'],
    // Bundled CommonJS (protobuf) calls require(): give the ES module one.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
    logLevel: 'error',
  });
}

// The front-end benchmark's face, found here (the lent machine carries no face models): the same
// frame as scripts/bench/front-end.mjs, the default detector, its 68 landmarks.
{
  const sharp = fromNode('sharp');
  const { readImage } = await import(path.join(root, 'packages/node/dist/index.js'));
  const { createFaceAnalyzer } = await import(path.join(root, 'packages/node/dist/pipeline.js'));
  const { frontEndFrame } = await import('../bench/common.mjs');
  const frame = await frontEndFrame(sharp, path.join(root, 'packages/models/assets/photos/astronaut.png'));
  const analyzer = await createFaceAnalyzer({ device: 'cpu' });
  const [found] = await analyzer.detect(await readImage(frame));
  await analyzer.dispose();
  if (!found) throw new Error('no face in the front-end frame');
  writeFileSync(path.join(target, 'front-end-landmarks.json'), JSON.stringify(found.landmarks68));
}

// Node itself and the runtime packages, compressed (the device tool carries 64 MiB in all).
run('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${path.join(target, 'node.xz')}"`]);
run('tar', ['-C', staging, '-cJf', path.join(target, 'runtime.tar.xz'), 'node_modules']);
rmSync(staging, { recursive: true, force: true });

// Debian's Vulkan loader (Dawn, onnxruntime's WebGPU, dlopens libvulkan.so.1) and libglvnd:
// NVIDIA's Vulkan driver is libGLX_nvidia.so.0, which does not load without libGLdispatch (a
// first run without them: "Could not get 'vkCreateInstance' ... for ICD libGLX_nvidia.so.0").
mkdirSync(path.join(target, 'gl'));
run('apt-get', ['download', 'libvulkan1', 'libglvnd0', 'libglx0', 'libgl1', 'libegl1', 'libopengl0', 'libgles2'], { cwd: path.join(target, 'gl') });

let total = 0;
for (const file of readdirSync(target, { recursive: true })) {
  const stat = statSync(path.join(target, String(file)));
  if (stat.isFile()) total += stat.size;
}
console.log(`packages/models/.device: ${(total / 2 ** 20).toFixed(1)} MiB`);
