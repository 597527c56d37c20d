#!/usr/bin/env node
/**
 * Import benchmark: FULL-size FSLSD checkpoints (CELEBA-HQ-1024.pt + psp_ffhq_encode.pt in the
 * released layouts, random weights from the reference, written by torch into .bench/, never
 * committed) made into a model set three ways, each in its own process, in one run:
 *
 * - `fslsd models import` (TypeScript, no Python): wall time and peak RSS;
 * - `fslsd_reference.export --checkpoint --psp` (Python, fills the same architecture graphs);
 * - `fslsd_reference.export ... --trace` (Python, the exporter as it was: loads the networks and
 *   traces them).
 *
 * Then: the TypeScript set must equal the Python one file for file, and one swap of the parity
 * sample crops with the imported set is compared with the traced export's (y_f, max abs).
 * Writes benchmarks/import.json and the import section of BENCHMARKS.md.
 *
 *   node scripts/bench/import.mjs [--no-trace] [--no-write]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exporterStamp, python, pythonDir, root, samples, writeBenchmarkSection } from './common.mjs';

const { values } = parseArgs({ options: { 'no-trace': { type: 'boolean' }, 'no-write': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: node scripts/bench/import.mjs [--no-trace] [--no-write]

Full-size FSLSD checkpoints (random weights, written by torch into .bench/checkpoints-full on
first use: about 1.7 GB) imported by \`fslsd models import\`, and exported by the Python exporter
(filling, and --trace as it was), each timed with its peak RSS; the sets compared file by file
and by one swap. Needs python3-torch and python3-onnx.

  --no-trace   skip the traced Python export (about 5 minutes and 6.6 GB)
  --no-write   print only; leave benchmarks/import.json and BENCHMARKS.md alone`);
  process.exit(0);
}

const bench = path.join(root, '.bench');
const checkpoints = path.join(bench, 'checkpoints-full');
const fslsd = path.join(checkpoints, 'CELEBA-HQ-1024.pt');
const psp = path.join(checkpoints, 'psp_ffhq_encode.pt');
const stampFile = path.join(checkpoints, 'exporter.sha256');
if (!existsSync(psp) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8').trim() !== exporterStamp()) {
  console.log('Writing full-size checkpoints with torch into .bench/checkpoints-full ...');
  const partial = `${checkpoints}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const run = spawnSync(python, ['-m', 'fslsd_reference.checkpoints', '--out', partial, '--width', '1', '--weights', 'float32', '--only', 'CELEBA-HQ-1024.pt,psp_ffhq_encode.pt'], { cwd: pythonDir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) {
    console.error("Writing the checkpoints failed. It needs Debian's python3-torch: apt-get install -y python3-torch python3-onnx");
    process.exit(1);
  }
  writeFileSync(path.join(partial, 'exporter.sha256'), `${exporterStamp()}\n`);
  rmSync(checkpoints, { recursive: true, force: true });
  renameSync(partial, checkpoints);
}
const checkpointBytes = statSync(fslsd).size + statSync(psp).size;

/** Runs a command and returns its wall time and peak RSS (the child reports its own). */
function measure(label, command, args, options = {}) {
  console.log(`${label} ...`);
  const start = performance.now();
  const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) {
    console.error(`${label} failed:\n${run.stderr}`);
    process.exit(1);
  }
  const peak = Number(/PEAK_RSS_KB=(\d+)/.exec(run.stdout)?.[1]);
  console.log(`  ${seconds.toFixed(1)} s, peak RSS ${(peak / 1024 / 1024).toFixed(2)} GB`);
  return { seconds, peakRssBytes: peak * 1024 };
}

const out = (name) => {
  const folder = path.join(bench, name);
  rmSync(folder, { recursive: true, force: true });
  return folder;
};
const tsSet = out('imported-full');
const nodeScript = `
  const { importCheckpoints } = await import(${JSON.stringify(path.join(root, 'packages/models/dist/node.js'))});
  await importCheckpoints({ fslsd: ${JSON.stringify(fslsd)}, psp: ${JSON.stringify(psp)}, out: ${JSON.stringify(tsSet)} });
  console.log('PEAK_RSS_KB=' + process.resourceUsage().maxRSS);`;
const typescript = measure('fslsd models import (TypeScript)', process.execPath, ['--input-type=module', '-e', nodeScript]);

const pythonRun = (args) => [
  '-c',
  `import resource, sys\nfrom fslsd_reference import export\nexport.main(${JSON.stringify(args)})\nprint("PEAK_RSS_KB=%d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)`,
];
const pySet = out('exported-fill-full');
const filled = measure('fslsd_reference.export (Python, filling the architecture)', python, pythonRun(['--checkpoint', fslsd, '--psp', psp, '--out', pySet, '--set-name', 'imported']), { cwd: pythonDir });
let traced;
const tracedSet = path.join(bench, 'exported-trace-full');
if (!values['no-trace']) {
  rmSync(tracedSet, { recursive: true, force: true });
  traced = measure('fslsd_reference.export --trace (Python, as it was)', python, pythonRun(['--checkpoint', fslsd, '--psp', psp, '--out', tracedSet, '--trace']), { cwd: pythonDir });
}

const manifest = (folder) => JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
const digests = (folder) => Object.fromEntries(manifest(folder).models.map((m) => [m.file, m.sha256]));
const tsDigests = digests(tsSet);
const identical = JSON.stringify(tsDigests) === JSON.stringify(digests(pySet));
console.log(`TypeScript set ${identical ? 'equals' : 'DIFFERS FROM'} the Python exporter's, file for file (${Object.keys(tsDigests).length} files).`);

// One swap of the parity sample crops with each set; y_f compared.
let swap;
if (traced) {
  const sdk = await (await import('../sdk.mjs')).loadSdk();
  const fixture = JSON.parse(readFileSync(path.join(root, 'packages/models/fixtures/parity.json'), 'utf8'));
  const crops = await Promise.all([fixture.inputs.source, fixture.inputs.target].map((file) => sdk.readAlignedCrop(path.join(samples, file))));
  const mask = await sdk.readMask(path.join(root, 'packages/models/fixtures', fixture.inputs.mask));
  const images = [];
  for (const folder of [tsSet, tracedSet]) {
    const swapper = await sdk.createSwapper({ device: 'cpu', models: folder });
    const source = await swapper.encodeSource({ image: crops[0], landmarks: fixture.inputs.sourceLandmarks });
    const target = await swapper.encodeTarget({ image: crops[1], landmarks: fixture.inputs.targetLandmarks, mask });
    images.push((await swapper.swap(source, target, { split: 'official', strength: fixture.inputs.strength })).image.data);
    await swapper.dispose();
  }
  let worst = 0;
  for (let i = 0; i < images[0].length; i++) worst = Math.max(worst, Math.abs(images[0][i] - images[1][i]));
  swap = { yfMaxAbs: worst };
  console.log(`y_f of the imported set vs the traced export: max abs ${worst.toExponential(2)} (values in [-1, 1])`);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
if (!values['no-write']) {
  const result = { date: new Date().toISOString(), cpu, checkpointBytes, typescript, pythonFill: filled, pythonTrace: traced, identical, swap };
  mkdirSync(path.join(root, 'benchmarks'), { recursive: true });
  writeFileSync(path.join(root, 'benchmarks', 'import.json'), `${JSON.stringify(result, null, 2)}\n`);
  const gb = (bytes) => `${(bytes / 1024 ** 3).toFixed(2)} GB`;
  const row = (name, m) => `| ${name} | ${m ? `${m.seconds.toFixed(1)} s` : 'not run'} | ${m ? gb(m.peakRssBytes) : ''} |`;
  const section = [
    '<!-- import-benchmark:start -->',
    `Measured by \`pnpm bench --only import\` on ${cpu}, ${new Date().toISOString().slice(0, 10)}: full-size FSLSD checkpoints in the released layouts (CELEBA-HQ-1024.pt + psp_ffhq_encode.pt, random weights written by torch, ${gb(checkpointBytes)} together), each way in its own process.`,
    '',
    '| checkpoints to model set | wall time | peak RSS |',
    '|---|---|---|',
    row('`fslsd models import` (TypeScript, no Python)', typescript),
    row('`fslsd_reference.export` (Python, fills the same architecture graphs)', filled),
    row('`fslsd_reference.export --trace` (Python, the exporter as it was)', traced),
    '',
    `The TypeScript set ${identical ? 'equals' : 'DIFFERS FROM'} the Python exporter's file for file (sha256).${swap ? ` One swap of the parity crops: y_f of the imported set against the traced export's differs by at most ${swap.yfMaxAbs.toExponential(2)} (batch norm folded there, kept as an operator here).` : ''}`,
    '<!-- import-benchmark:end -->',
  ].join('\n');
  writeBenchmarkSection('import-benchmark', 'Importing PyTorch checkpoints (full size, CPU) (issue 15)', section);
  console.log('Wrote benchmarks/import.json and the import section of BENCHMARKS.md');
}
