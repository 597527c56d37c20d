// The Node side of the GPU figures (scripts/device/gpu-figures.sh), bundled by prepare.mjs: the
// full-size FSLSD set imported from torch-written checkpoints by the SDK's own importer, then the
// same swap as `pnpm bench --only swap` (the parity crops, landmarks and mask) through
// createSwapper on each device and precision asked for: load time, first swap (shader
// compilation on WebGPU), median full swap (encodeSource + swap) and per-target swap, and y_f's
// distance from the CPU's float32 result. Writes one JSON file after each configuration, so a run
// cut short still reports what it measured.
//
//   node swap-gpu.mjs --checkpoints DIR|--models SET --work DIR --out FILE [--runs 3] [--threads N]
//                     [--configs cpu:float32,webgpu:float32,webgpu:float16]
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { importCheckpoints } from '../../packages/models/dist/node.js';
import { readImage } from '../../packages/node/dist/index.js';
import { chooseDevice, createSwapper, readMask } from '../../packages/node/dist/pipeline.js';
import ort from 'onnxruntime-node';
import { differences, median } from '../bench/common.mjs';

const { values } = parseArgs({
  options: {
    checkpoints: { type: 'string' },
    models: { type: 'string' },
    work: { type: 'string' },
    out: { type: 'string' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(cpus().length) },
    configs: { type: 'string', default: 'cpu:float32,webgpu:float32,webgpu:float16' },
  },
});
if (!(values.checkpoints || values.models) || !values.work || !values.out) {
  console.error('Usage: node swap-gpu.mjs --checkpoints DIR|--models SET --work DIR --out FILE [--runs 3] [--threads N] [--configs cpu:float32,webgpu:float32,webgpu:float16]');
  process.exit(2);
}
const runs = Number(values.runs);
const threads = Number(values.threads);
// The bundle lives in packages/models/.device/: the repository is three folders up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const now = () => performance.now();

const report = { date: new Date().toISOString(), node: process.version, onnxruntime: ort.env.versions?.node ?? 'unknown', cpu: cpus()[0]?.model, threads, runs, configs: [] };
const save = () => {
  writeFileSync(`${values.out}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${values.out}.partial`, values.out);
};

// --models: an existing set instead (the tiny one, to try this script on a machine without a GPU).
const set = values.models ?? path.join(values.work, 'imported-full');
let start = now();
if (!values.models) {
  await importCheckpoints({ fslsd: path.join(values.checkpoints, 'CELEBA-HQ-1024.pt'), psp: path.join(values.checkpoints, 'psp_ffhq_encode.pt'), out: set });
  report.importSeconds = (now() - start) / 1000;
  console.log(`imported the full-size set in ${report.importSeconds.toFixed(1)} s`);
  save();
}

const fixture = JSON.parse(readFileSync(path.join(root, 'packages/models/fixtures/parity.json'), 'utf8'));
const samples = path.join(root, 'packages/models/assets/samples');
const source = { image: await readImage(path.join(samples, fixture.inputs.source)), landmarks: fixture.inputs.sourceLandmarks };
const target = {
  image: await readImage(path.join(samples, fixture.inputs.target)),
  landmarks: fixture.inputs.targetLandmarks,
  mask: await readMask(path.join(root, 'packages/models/fixtures', fixture.inputs.mask)),
};

let reference;
for (const config of values.configs.split(',')) {
  const [device, precision] = config.split(':');
  const entry = { device, precision };
  report.configs.push(entry);
  try {
    start = now();
    const choice = await chooseDevice(device);
    entry.probeMs = now() - start;
    entry.executionProviders = choice.executionProviders;
    start = now();
    const swapper = await createSwapper({ models: set, device, precision, threads, sessionOptions: { logSeverityLevel: 3 } });
    entry.loadMs = now() - start;
    start = now();
    let result = await swapper.swap(await swapper.encodeSource(source), target);
    entry.firstSwapMs = now() - start;
    const full = [];
    const perTarget = [];
    for (let run = 0; run < runs; run += 1) {
      start = now();
      const encoded = await swapper.encodeSource(source);
      result = await swapper.swap(encoded, target);
      full.push(now() - start);
      start = now();
      await swapper.swap(encoded, target);
      perTarget.push(now() - start);
    }
    entry.fullSwapMs = median(full);
    entry.perTargetMs = median(perTarget);
    entry.fullSwapRunsMs = full;
    const image = result.image.data;
    if (!reference) reference = { config, image: Float32Array.from(image) };
    const { max, mean } = differences(image, reference.image);
    entry.against = reference.config;
    entry.maxAbs = max;
    entry.meanAbs = mean;
    await swapper.dispose();
    console.log(`${config}: load ${entry.loadMs.toFixed(0)} ms, first ${entry.firstSwapMs.toFixed(0)} ms, full ${entry.fullSwapMs.toFixed(0)} ms, per target ${entry.perTargetMs.toFixed(0)} ms, y_f vs ${reference.config} max ${max.toExponential(2)} mean ${entry.meanAbs.toExponential(2)}`);
  } catch (error) {
    entry.error = `${error?.code ?? ''} ${error?.message ?? String(error)}`.trim();
    console.log(`${config}: ${entry.error}`);
  }
  save();
}
