#!/usr/bin/env node
/**
 * MegaFS benchmark: the FULL-size MegaFS networks (ftm; deterministic random weights from the
 * reference, exported into .bench/, never committed), measured in one run beside FSLSD:
 *
 * - full-width parity: the reference's outputs for this export (same seed and width) and the
 *   MegaFS parity test of `npm test` against them, unchanged but for its tiny-set property;
 * - one swap on aligned crops through the SDK, per stage (median of --runs), and the same for
 *   FSLSD's full-size set when .bench/full-s1 exists (pnpm bench --only swap makes it), so the
 *   two methods are timed in the same run on the same machine.
 *
 * Writes benchmarks/megafs.json and rewrites the MegaFS section of BENCHMARKS.md.
 *
 *   node scripts/bench/megafs.mjs [--runs N] [--threads N] [--no-write]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exporterStamp, median, python, pythonDir, root, samples, writeBenchmarkSection } from './common.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(cpus().length) },
    'no-write': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`Usage: node scripts/bench/megafs.mjs [--runs N] [--threads N] [--no-write]

Full-size MegaFS (ftm, random weights): parity with the PyTorch reference at full width, and one
swap timed per stage beside FSLSD's full-size set (when pnpm bench --only swap has exported it).
The first run exports into .bench/megafs-full (a few minutes; needs python3-torch, python3-onnx).

  --runs N      timed repetitions after a warm-up (default 3); every figure is a median
  --threads N   intra-op threads (default: all cores)
  --no-write    print only; leave benchmarks/megafs.json and BENCHMARKS.md alone`);
  process.exit(0);
}
const runs = Number(values.runs);
const threads = Number(values.threads);
if (!(runs >= 1) || !(threads >= 1)) {
  console.error('--runs and --threads must be positive integers');
  process.exit(2);
}
const sdk = await (await import('../sdk.mjs')).loadSdk();
const now = () => performance.now();


/** Runs `args` of the reference into `dir` (through a temporary name) unless it is there for this exporter. */
function ensure(dir, marker, args, what) {
  const stampFile = path.join(dir, 'exporter.sha256');
  const stamp = exporterStamp();
  if (existsSync(path.join(dir, marker)) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) return dir;
  console.log(`${what} into ${path.relative(root, dir)} ...`);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const start = now();
  const result = spawnSync(python, ['-m', 'fslsd_reference.megafs_export', ...args(partial)], { cwd: pythonDir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    console.error('The MegaFS exporter failed. It needs Debian\'s python3-torch and python3-onnx: apt-get install -y python3-torch python3-onnx');
    process.exit(1);
  }
  writeFileSync(path.join(partial, 'exporter.sha256'), `${stamp}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(partial, dir);
  console.log(`  done in ${((now() - start) / 1000).toFixed(0)} s`);
  return dir;
}

const models = ensure(path.join(root, '.bench', 'megafs-full'), 'manifest.json', (out) => ['--random-init', '--seed', '1', '--width', '1', '--out', out], 'Exporting the full-size MegaFS set (ftm, random init, seed 1)');
const fixtures = ensure(path.join(root, '.bench', 'megafs-full-fixtures'), 'megafs-parity.json', (out) => ['--fixtures', out, '--seed', '1', '--width', '1', '--weights', 'float32'], 'Reference fixtures for it (PyTorch)');

// ---- Full-width parity: the parity test of npm test, unchanged. ----
const report = path.join(fixtures, 'measured.json');
rmSync(report, { force: true });
console.log('parity test (packages/node/test/megafs-parity.test.ts) against the full-size set ...');
const test = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', 'test/megafs-parity.test.ts', '-t', '^MegaFS parity(?!.*tiny set property)'], {
  cwd: path.join(root, 'packages', 'node'),
  env: { ...process.env, FSLSD_MEGAFS_PARITY_MODELS: models, FSLSD_MEGAFS_PARITY_FIXTURES: fixtures, FSLSD_PARITY_REPORT: report },
  encoding: 'utf8',
});
if (!existsSync(report)) throw new Error(`The MegaFS parity test did not run at full width:\n${test.stdout}\n${test.stderr}`);
const parity = { passed: test.status === 0, ...JSON.parse(readFileSync(report, 'utf8')) };
console.log(`  ${parity.passed ? 'passed' : 'FAILED'}: ${Object.entries(parity.measured).map(([k, v]) => `${k} ${Number(v).toExponential(2)}`).join(', ')}`);

// ---- One swap on aligned crops, per stage, for each method. ----
async function time(method, folder) {
  const crop = async (name) => ({ image: await sdk.readAlignedCrop(path.join(samples, name)), landmarks: await sdk.readLandmarks(await sdk.sidecarLandmarks(path.join(samples, name))) });
  const [source, target] = [await crop('astronaut.png'), await crop('hopper.png')];
  const started = now();
  const swapper = await sdk.createFaceSwapper({ method, models: folder, device: 'cpu', threads, onProgress: () => {} });
  const loadMs = now() - started;
  const face = await swapper.encodeSource(source.image, { aligned: true, landmarks: source.landmarks });
  const totals = [];
  const stages = {};
  for (let i = 0; i <= runs; i += 1) {
    const result = await swapper.swap(face, target.image, { aligned: true, landmarks: target.landmarks });
    if (i === 0) continue; // warm-up
    totals.push(result.timings.total);
    for (const [stage, ms] of Object.entries(result.timings)) (stages[stage] ??= []).push(ms);
  }
  await swapper.dispose();
  return { method, loadMs, totalMs: median(totals), stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)])) };
}

const fslsdSet = path.join(root, '.bench', 'full-s1');
const timings = [await time('megafs', models)];
if (existsSync(path.join(fslsdSet, 'manifest.json'))) timings.push(await time('fslsd', fslsdSet));
else console.log('(no .bench/full-s1: run pnpm bench --only swap once to time FSLSD beside it)');
const cpu = cpus()[0]?.model ?? 'unknown CPU';
for (const t of timings) console.log(`${t.method}: swap ${(t.totalMs / 1000).toFixed(2)} s (load ${(t.loadMs / 1000).toFixed(1)} s) ${Object.entries(t.stages).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ')}`);

if (!values['no-write']) {
  const result = { date: new Date().toISOString(), cpu, threads, runs, parity, timings };
  mkdirSync(path.join(root, 'benchmarks'), { recursive: true });
  writeFileSync(path.join(root, 'benchmarks', 'megafs.json'), `${JSON.stringify(result, null, 2)}\n`);
  const megafs = timings[0];
  const fslsd = timings[1];
  const rows = [
    '| | MegaFS (ftm) | FSLSD |',
    '|---|---|---|',
    `| one swap on aligned crops, median of ${runs} | ${(megafs.totalMs / 1000).toFixed(2)} s | ${fslsd ? `${(fslsd.totalMs / 1000).toFixed(2)} s` : 'not run'} |`,
    `| loading the set | ${(megafs.loadMs / 1000).toFixed(1)} s | ${fslsd ? `${(fslsd.loadMs / 1000).toFixed(1)} s` : 'not run'} |`,
    `| stages | ${Object.entries(megafs.stages).filter(([k]) => k.startsWith('megafs')).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ')} | ${fslsd ? Object.entries(fslsd.stages).filter(([k]) => !['total', 'frontEnd'].includes(k)).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ') : ''} |`,
  ];
  const section = [
    '<!-- megafs-benchmark:start -->',
    `Measured by \`pnpm bench --only megafs\` on ${cpu}, ${threads} threads, ${new Date().toISOString().slice(0, 10)}: the full-size MegaFS set (ftm, random weights, seed 1) and FSLSD's full-size set, in the same run.`,
    '',
    ...rows,
    '',
    `Full-width parity with the PyTorch reference (the MegaFS parity test, tolerances ${JSON.stringify(parity.tolerance)}): ${parity.passed ? 'passed' : 'FAILED'}; ${Object.entries(parity.measured).map(([k, v]) => `${k} ${Number(v).toExponential(2)}`).join(', ')}.`,
    '<!-- megafs-benchmark:end -->',
  ].join('\n');
  writeBenchmarkSection('megafs-benchmark', 'MegaFS (full size, CPU) (issue 14)', section);
  console.log('Wrote benchmarks/megafs.json and the MegaFS section of BENCHMARKS.md');
}
