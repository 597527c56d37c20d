#!/usr/bin/env node
// Docs that run: every ```js block of README.md and packages/*/README.md, pasted unchanged into a
// fresh project that installs the packed tarballs, as a new user would.
//   - Node blocks run with node in that project, beside the files they name (alice.jpg, group.jpg:
//     the shipped public-domain photos under those names); images they write must be labelled.
//   - Blocks that import @fslsd/web are built with Vite into a page (after `npx fslsd-web-assets`)
//     and run in Chromium; the user's files they name (sourceFile, targetFile) are the same photos.
// A block preceded by `<!-- doc-test: skip (why) -->` is left out and listed.
//   node scripts/doc-test.mjs [--keep]   (--keep leaves the project in the temporary folder)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, childEnv, findPnpm, log } from './ensure-install.mjs';
import { skipWithout } from './skips.mjs';

const PACKAGES = ['core', 'models', 'node', 'web', 'server'];
const sharp = createRequire(path.join(ROOT, 'packages', 'node', 'package.json'))('sharp');
const LABEL = 'trainedAlgorithmicMedia';
const keep = process.argv.includes('--keep');
const [pnpmCommand, ...pnpmPrefix] = findPnpm(); // a global pnpm, else npx -y pnpm@12.4.2
const photos = path.join(ROOT, 'packages', 'models', 'assets', 'photos');

/** The ```js blocks of one Markdown file, with where they start and whether they are skipped. */
function blocksOf(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (!/^```js\s*$/.test(lines[i])) continue;
    const start = i;
    const body = [];
    for (i += 1; i < lines.length && !lines[i].startsWith('```'); i += 1) body.push(lines[i]);
    const skip = /<!--\s*doc-test:\s*skip\s*(.*?)\s*-->/.exec(lines[start - 1] ?? '') ?? /<!--\s*doc-test:\s*skip\s*(.*?)\s*-->/.exec(lines[start - 2] ?? '');
    const code = body.join('\n');
    blocks.push({ where: `${path.relative(ROOT, file)}:${start + 1}`, code, browser: /from '@fslsd\/web'/.test(code), skip: skip ? skip[1] || 'no reason given' : undefined });
  }
  return blocks;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options, env: childEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip', ...options.env }) });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${(result.stdout ?? '').slice(-3000)}\n${(result.stderr ?? '').slice(-3000)}`);
  }
  return result.stdout;
}

/** Image files in a folder, with their modification times. */
function images(folder) {
  return new Map(readdirSync(folder).filter((n) => /\.(png|jpe?g|webp)$/i.test(n)).map((n) => [n, statSync(path.join(folder, n)).mtimeMs]));
}

const blocks = [path.join(ROOT, 'README.md'), ...PACKAGES.map((p) => path.join(ROOT, 'packages', p, 'README.md'))].flatMap(blocksOf);
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-doc-test-'));
const project = path.join(work, 'project');
let failed = 0;
try {
  // 1. The tarballs npm would publish.
  const tarballs = path.join(work, 'tarballs');
  mkdirSync(tarballs);
  const files = {};
  for (const name of PACKAGES) {
    const out = run(pnpmCommand, [...pnpmPrefix, 'pack', '--pack-destination', tarballs], { cwd: path.join(ROOT, 'packages', name) });
    const tgz = out.trim().split('\n').reverse().find((line) => line.trim().endsWith('.tgz'))?.trim();
    if (!tgz) throw new Error(`pnpm pack printed no tarball for ${name}:\n${out}`);
    files[`@fslsd/${name}`] = `file:${path.isAbsolute(tgz) ? tgz : path.join(tarballs, path.basename(tgz))}`;
  }
  const published = run('tar', ['-tzf', files['@fslsd/models'].slice(5)]).split('\n');
  const leaked = published.filter((f) => /^package\/(fixtures\/|dist\/convert\.)/.test(f));
  if (leaked.length) throw new Error(`@fslsd/models publishes test fixtures or the dev-only converter: ${leaked.slice(0, 5).join(', ')}`);

  // 2. A fresh project that installs them (and what the blocks import directly), from the
  //    registry or the local pnpm store; the tarballs stand in for the unpublished versions.
  mkdirSync(project);
  const web = createRequire(path.join(ROOT, 'examples', 'web', 'package.json'));
  const viteVersion = JSON.parse(readFileSync(web.resolve('vite/package.json'), 'utf8')).version;
  const ortVersion = JSON.parse(readFileSync(path.join(ROOT, 'packages', 'node', 'package.json'), 'utf8')).dependencies['onnxruntime-node'];
  writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'fslsd-doc-test', private: true, type: 'module', dependencies: { ...files, 'onnxruntime-node': ortVersion, vite: viteVersion } }, null, 2)}\n`);
  // pnpm 12 asks for a decision on every install script: none is needed (onnxruntime-node's
  // would download CUDA libraries; the CPU binaries are in its tarball).
  writeFileSync(path.join(project, 'pnpm-workspace.yaml'), `overrides:\n${Object.entries(files).map(([k, v]) => `  "${k}": "${v}"`).join('\n')}\nallowBuilds:\n  onnxruntime-node: false\n  protobufjs: false\n  esbuild: false\n  msgpackr-extract: false\n`);
  log(`doc-test: installing the packed tarballs into ${project}...`);
  run(pnpmCommand, [...pnpmPrefix, 'install', '--prefer-offline', '--config.confirm-modules-purge=false'], { cwd: project });
  // `fslsd serve | worker | api-key` find @fslsd/server from an installed @fslsd/node (pnpm's
  // isolated layout: not beside it, from the project).
  {
    const fslsd = path.join(project, 'node_modules', '.bin', 'fslsd');
    const key = spawnSync(fslsd, ['api-key', 'doc-test'], { cwd: project, encoding: 'utf8', env: childEnv({}) });
    const help = spawnSync(fslsd, ['worker', '--help'], { cwd: project, encoding: 'utf8', env: childEnv({}) });
    if (key.status !== 0 || !/^key {2}fsk_\S{43}\nline doc-test sha256:[0-9a-f]{64}\n$/.test(key.stdout) || help.status !== 0 || !help.stdout.startsWith('Usage: fslsd worker ')) {
      failed += 1;
      log(`doc-test: FAILED fslsd api-key / worker --help from the installed tarballs (exit ${key.status}, ${help.status}):\n${key.stdout}${key.stderr}${help.stderr}`);
    } else {
      log('doc-test: ok fslsd api-key and fslsd worker --help run @fslsd/server from the installed tarballs');
    }
  }
  copyFileSync(path.join(photos, 'hopper.jpg'), path.join(project, 'alice.jpg'));
  copyFileSync(path.join(photos, 'astronaut.png'), path.join(project, 'group.jpg')); // decoders read the content, not the name

  // 3. Node blocks, one process each.
  for (const [index, block] of blocks.entries()) {
    if (block.skip || block.browser) continue;
    const file = path.join(project, `block-${index}.mjs`);
    writeFileSync(file, `${block.code}\n`);
    const before = images(project);
    const started = Date.now();
    const result = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 5 * 60_000, env: childEnv({}) });
    const written = [...images(project)].filter(([name, mtime]) => before.get(name) !== mtime).map(([name]) => name);
    // sharp reads the XMP packet whether the PNG chunk is compressed or not.
    const unlabelled = [];
    for (const name of written) {
      const { xmp } = await sharp(path.join(project, name)).metadata();
      if (!xmp?.toString('utf8').includes(LABEL)) unlabelled.push(name);
    }
    if (result.status !== 0 || unlabelled.length) {
      failed += 1;
      log(`doc-test: FAILED ${block.where} (exit ${result.status ?? result.signal}${unlabelled.length ? `, unlabelled output ${unlabelled.join(', ')}` : ''}):\n${result.stdout}\n${result.stderr}`);
    } else {
      log(`doc-test: ok ${block.where} (node, ${((Date.now() - started) / 1000).toFixed(1)} s${written.length ? `, wrote ${written.join(', ')}, labelled` : ''})`);
    }
  }

  // 4. Browser blocks: one page each, built by Vite as an app would be, run in Chromium.
  const browserBlocks = blocks.map((block, index) => ({ ...block, index })).filter((b) => b.browser && !b.skip);
  const executable = process.env.FSLSD_CHROMIUM ?? '/usr/bin/chromium';
  const skipBrowser = browserBlocks.length > 0 && skipWithout(existsSync(executable), {
    group: `README browser snippets (${browserBlocks.length}) in Chromium`,
    missing: `no Chromium at ${executable}`,
    fix: 'apt-get install chromium, or set FSLSD_CHROMIUM',
    require: 'FSLSD_REQUIRE_BROWSER',
  });
  if (browserBlocks.length && !skipBrowser) {
    const site = path.join(project, 'site');
    mkdirSync(path.join(site, 'public', 'photos'), { recursive: true });
    run(path.join(project, 'node_modules', '.bin', 'fslsd-web-assets'), [path.join(site, 'public')], { cwd: project });
    for (const name of ['hopper.jpg', 'astronaut.png']) copyFileSync(path.join(photos, name), path.join(site, 'public', 'photos', name));
    const input = {};
    for (const block of browserBlocks) {
      // The user's own files, named as the block names them.
      const given = [['sourceFile', 'photos/hopper.jpg'], ['targetFile', 'photos/astronaut.png']].filter(([name]) => new RegExp(`\\b${name}\\b`).test(block.code));
      const preamble = given.map(([name, url]) => `const ${name} = await (await fetch('${url}')).blob();`).join('\n');
      writeFileSync(path.join(site, `block-${block.index}.js`), `${preamble}\n${block.code}\nwindow.docTest = 'done';\n`);
      writeFileSync(path.join(site, `block-${block.index}.html`), `<!doctype html><meta charset="utf-8"><title>${block.where}</title>
<script>window.docTest = 'running';
addEventListener('error', (e) => { window.docTest = 'error: ' + e.message; });
addEventListener('unhandledrejection', (e) => { window.docTest = 'error: ' + (e.reason && e.reason.message || e.reason); });</script>
<script type="module" src="./block-${block.index}.js"></script>\n`);
      input[`block-${block.index}`] = path.join(site, `block-${block.index}.html`);
    }
    writeFileSync(path.join(site, 'vite.config.js'), `export default { optimizeDeps: { exclude: ['onnxruntime-web'] }, worker: { format: 'es' }, build: { target: 'es2022', chunkSizeWarningLimit: 4096, rollupOptions: { input: ${JSON.stringify(input)} } } };\n`);
    run(path.join(project, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: site });
    const dist = path.join(site, 'dist');
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.jpg': 'image/jpeg', '.png': 'image/png' };
    const server = createServer((request, response) => {
      const file = path.resolve(dist, decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, ''));
      if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
      response.end(readFileSync(file));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { chromium } = createRequire(path.join(ROOT, 'packages', 'web', 'package.json'))('playwright-core');
    const browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      for (const block of browserBlocks) {
        const page = await browser.newPage();
        const console = [];
        page.on('console', (message) => console.push(message.text()));
        const started = Date.now();
        await page.goto(`http://127.0.0.1:${server.address().port}/block-${block.index}.html`);
        const state = await page.waitForFunction(() => window.docTest !== 'running' && window.docTest, undefined, { timeout: 5 * 60_000, polling: 250 }).then((h) => h.jsonValue(), (error) => `error: ${error.message}`);
        if (state !== 'done') {
          failed += 1;
          log(`doc-test: FAILED ${block.where} (Chromium): ${state}\n${console.join('\n')}`);
        } else {
          log(`doc-test: ok ${block.where} (Chromium, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
        }
        await page.close();
      }
    } finally {
      await browser.close();
      server.close();
    }
  }
} catch (error) {
  failed += 1;
  log(`doc-test: ${error.message}`);
} finally {
  if (keep) log(`doc-test: the project is kept in ${project}`);
  else rmSync(work, { recursive: true, force: true });
}
const skipped = blocks.filter((b) => b.skip);
for (const block of skipped) log(`doc-test: skipped ${block.where}: ${block.skip}`);
log(`doc-test: ${blocks.length - skipped.length - failed} of ${blocks.length - skipped.length} README code blocks ran as pasted${skipped.length ? `, ${skipped.length} marked skip` : ''}${failed ? `, ${failed} FAILED` : ''}.`);
process.exit(failed ? 1 : 0);
