#!/usr/bin/env node
/**
 * Full-size models in Chromium (WASM), measured in one run:
 *
 * - checkpoints: the demo takes the full-size CELEBA-HQ-1024.pt + psp_ffhq_encode.pt (written by
 *   torch into .bench/checkpoints-full by `pnpm bench --only import`) through its file input,
 *   imports them in the worker into OPFS, loads the stored set and swaps; a second visit loads it
 *   from OPFS (no network, no import);
 * - over HTTP: the full-size set (.bench/imported-full) served beside the page, loaded (downloaded,
 *   verified, stored in OPFS: the Cache API refused its 1 GB pSp before), swapped, and loaded again
 *   from storage.
 *
 * Each phase in a fresh browser profile; renderer peak memory is the largest VmHWM of Chromium's
 * renderer processes (the worker runs in one). Writes benchmarks/browser-import.json and the
 * browser section of BENCHMARKS.md.
 *
 *   node scripts/bench/browser-import.mjs [--no-write]
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root, writeBenchmarkSection } from './common.mjs';
import { withChromiumProfile } from '../chromium.mjs';

const { values } = parseArgs({ options: { 'no-write': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: node scripts/bench/browser-import.mjs [--no-write]

Full-size checkpoints imported in Chromium (the demo's file input, WASM) and the full-size set
served over HTTP: import, load and swap times, renderer peak memory, second visits from OPFS.
Needs .bench/checkpoints-full and .bench/imported-full (pnpm bench --only import), a built demo
(pnpm build) and /usr/bin/chromium (or FSLSD_CHROMIUM).`);
  process.exit(0);
}
const bench = path.join(root, '.bench');
const checkpoints = path.join(bench, 'checkpoints-full');
const fullSet = path.join(bench, 'imported-full');
const site = path.join(root, 'examples', 'web', 'dist');
for (const [what, where, fix] of [['full-size checkpoints', path.join(checkpoints, 'psp_ffhq_encode.pt'), 'pnpm bench --only import'], ['the full-size set', path.join(fullSet, 'manifest.json'), 'pnpm bench --only import'], ['the built demo', path.join(site, 'index.html'), 'pnpm build']]) {
  if (!existsSync(where)) {
    console.error(`No ${what} at ${path.relative(root, where)}: run ${fix} first.`);
    process.exit(1);
  }
}
const { chromium } = await import(path.join(root, 'packages/web/node_modules/playwright-core/index.mjs'));

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.jpg': 'image/jpeg' };
const server = createServer((request, response) => {
  const relative = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, '') || 'index.html';
  const folder = relative.startsWith('full/') ? fullSet : site;
  const file = path.resolve(folder, folder === site ? relative : relative.slice('full/'.length));
  if (!file.startsWith(folder) || !existsSync(file) || !statSync(file).isFile()) return response.writeHead(404).end();
  response.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size, 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
  createReadStream(file).pipe(response);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}/`;
const executable = process.env.FSLSD_CHROMIUM ?? '/usr/bin/chromium';

/** Largest peak RSS (VmHWM) of Chromium's renderer processes, in bytes. */
function rendererPeak() {
  let peak = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('--type=renderer')) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
    } catch {
      // the process ended
    }
  }
  return peak;
}

const state = (page) => page.evaluate(() => window.fslsdDemo);
const wait = (page, test, timeout = 30 * 60_000) => page.waitForFunction(test, undefined, { timeout, polling: 1000 });

async function phase(name, run) {
  console.log(`${name} ...`);
  return withChromiumProfile(chromium, executable, path.join(tmpdir(), `fslsd-bench-${process.pid}-${name.replace(/\W+/g, '-')}`), run);
}

const seconds = (ms) => Math.round(ms / 100) / 10;
const result = { date: new Date().toISOString(), cpu: cpus()[0]?.model ?? 'unknown CPU', checkpointBytes: statSync(path.join(checkpoints, 'CELEBA-HQ-1024.pt')).size + statSync(path.join(checkpoints, 'psp_ffhq_encode.pt')).size };

result.dropped = await phase('dropped checkpoints', async (context) => {
  const page = await context.newPage();
  await page.goto(`${base}?backend=wasm`);
  await wait(page, () => window.fslsdDemo.status === 'ready');
  await page.setInputFiles('#checkpoint-files', [path.join(checkpoints, 'CELEBA-HQ-1024.pt'), path.join(checkpoints, 'psp_ffhq_encode.pt')]);
  await wait(page, () => window.fslsdDemo.import?.status === 'error' || (window.fslsdDemo.import?.status === 'done' && ['ready', 'error'].includes(window.fslsdDemo.status)));
  const imported = await state(page);
  if (imported.error) throw new Error(`import: ${imported.error}`);
  await page.click('#swap');
  await wait(page, () => ['done', 'error'].includes(window.fslsdDemo.status));
  const swapped = await state(page);
  if (swapped.error) throw new Error(`swap: ${swapped.error}`);
  const fetched = [];
  const again = await context.newPage();
  again.on('request', (request) => /\.(onnx|pt)$|architecture\.json/.test(new URL(request.url()).pathname) && fetched.push(request.url()));
  await again.goto(`${base}?backend=wasm`);
  await wait(again, () => ['ready', 'error'].includes(window.fslsdDemo.status));
  const second = await state(again);
  if (second.error || second.models !== 'stored:fslsd') throw new Error(`second visit: ${second.error ?? second.models}`);
  return { importS: seconds(imported.import.ms), modelBytes: imported.import.bytes, loadS: seconds(imported.loadMs), swapS: seconds(swapped.swapMs), secondVisitLoadS: seconds(second.loadMs), secondVisitFetches: fetched.length, rendererPeakBytes: rendererPeak() };
});
console.log(result.dropped);

result.http = await phase('full-size set over HTTP', async (context) => {
  const page = await context.newPage();
  await page.goto(`${base}?backend=wasm`);
  await wait(page, () => window.fslsdDemo.status === 'ready');
  const run = () => page.evaluate(async () => {
    const warnings = [];
    let started = performance.now();
    const swapper = await window.fslsd.createFaceSwapper({ models: '/full/', device: 'wasm', descriptor: false, onProgress: (event) => event.kind === 'warning' && warnings.push(event.code) });
    const loadMs = performance.now() - started;
    started = performance.now();
    const source = await swapper.encodeSource('photos/hopper.jpg');
    await swapper.swap(source, await (await fetch('photos/astronaut.png')).blob());
    const swapMs = performance.now() - started;
    await swapper.dispose();
    return { loadMs, swapMs, warnings };
  });
  const first = await run();
  const fetched = [];
  page.on('request', (request) => /\.onnx$/.test(new URL(request.url()).pathname) && request.url().includes('/full/') && fetched.push(request.url()));
  const second = await run();
  return { loadS: seconds(first.loadMs), swapS: seconds(first.swapMs), warnings: first.warnings, secondLoadS: seconds(second.loadMs), secondFetches: fetched.length, rendererPeakBytes: rendererPeak() };
});
console.log(result.http);
server.close();

if (!values['no-write']) {
  mkdirSync(path.join(root, 'benchmarks'), { recursive: true });
  writeFileSync(path.join(root, 'benchmarks', 'browser-import.json'), `${JSON.stringify(result, null, 2)}\n`);
  const gb = (bytes) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  const { dropped, http } = result;
  const section = [
    '<!-- browser-import-benchmark:start -->',
    `Measured by \`node scripts/bench/browser-import.mjs\` in Chromium (WASM, one thread: no cross-origin isolation needed) on ${result.cpu}, ${result.date.slice(0, 10)}: the full-size FSLSD checkpoints (${gb(result.checkpointBytes)}, random weights written by torch) and the full-size set imported from them.`,
    '',
    '| | import | load | swap | second visit | renderer peak |',
    '|---|---|---|---|---|---|',
    `| checkpoints dropped on the demo (imported into OPFS in the worker) | ${dropped.importS} s | ${dropped.loadS} s | ${dropped.swapS} s | load ${dropped.secondVisitLoadS} s from OPFS, ${dropped.secondVisitFetches} fetches | ${gb(dropped.rendererPeakBytes)} |`,
    `| the set served over HTTP (downloaded, verified, stored in OPFS) | | ${http.loadS} s | ${http.swapS} s | load ${http.secondLoadS} s, ${http.secondFetches} model fetches | ${gb(http.rendererPeakBytes)} |`,
    '',
    `Warnings while loading over HTTP: ${http.warnings.length ? http.warnings.join(', ') : 'none'} (before OPFS, the Cache API refused pSp's 1,069 MB entry and the load failed).`,
    '<!-- browser-import-benchmark:end -->',
  ].join('\n');
  writeBenchmarkSection('browser-import-benchmark', 'Full-size models in the browser (Chromium, WASM) (issue 15)', section);
  console.log('Wrote benchmarks/browser-import.json and the browser section of BENCHMARKS.md');
}
