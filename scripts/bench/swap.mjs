#!/usr/bin/env node
/**
 * Swap benchmark: the FULL-size FSLSD networks (deterministic random weights from our exporter,
 * exported into .bench/, never committed), one swap on the CPU, measured in one run:
 *
 * - per-stage and end-to-end time through the SDK (medians of --runs);
 * - the same graphs as raw `session.run` calls with the same inputs (the SDK's overhead);
 * - FLOPs per stage (counted in the PyTorch reference) and the FLOP/s achieved, against a GEMM
 *   peak measured in the same run with onnxruntime's MatMul;
 * - the PyTorch reference in its fastest configuration here (OpenBLAS, same threads, same inputs);
 * - one source onto many targets (the per-target cost with the source encoded once);
 * - peak RSS of a process that loads the set and swaps, against the models' bytes.
 *
 * Writes benchmarks/swap.json and rewrites the swap section of BENCHMARKS.md.
 *
 *   node scripts/bench/swap.mjs [--runs N] [--threads N] [--models DIR] [--no-write]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { differences, exporterStamp, median, python, pythonDir, root, samples } from './common.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: String(cpus().length) },
    models: { type: 'string' },
    'no-write': { type: 'boolean' },
    'rss-child': { type: 'boolean' },
    'rss-config': { type: 'string', default: 'current' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`Usage: node scripts/bench/swap.mjs [--runs N] [--threads N] [--models DIR] [--no-write]

Full-size swap benchmark on the CPU: SDK vs raw session runs, FLOP/s vs a GEMM peak measured in
the same run, PyTorch (OpenBLAS) on the same inputs, per-target cost, peak RSS vs model bytes.
The first run exports the full-size random-init set into .bench/ (a few minutes; needs
python3-torch and python3-onnx, apt-get install -y python3-torch python3-onnx libopenblas0-pthread).

  --runs N      timed repetitions after a warm-up (default 5); every figure is a median
  --threads N   intra-op threads for onnxruntime and torch (default: all cores)
  --models DIR  use this exported set instead of .bench/full-s1 (must be seed 1, width 1)
  --no-write    print only; leave benchmarks/swap.json and BENCHMARKS.md alone`);
  process.exit(0);
}
const runs = Number(values.runs);
// (--models: the parity step below assumes the same seed and width as the fixtures it makes.)
const threads = Number(values.threads);
if (!(runs >= 1) || !(threads >= 1)) {
  console.error('--runs and --threads must be positive integers');
  process.exit(2);
}
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
// Kept allocations: glibc would otherwise return every large buffer to the kernel after each run
// and fault it back in, page by page, on the next one (see BENCHMARKS.md, "Allocator").
const TUNED_MALLOC = { MALLOC_MMAP_THRESHOLD_: String(1 << 30), MALLOC_TRIM_THRESHOLD_: String(1 << 31) };

const core = await (await import('../sdk.mjs')).loadSdk();
const node = await (await import('../sdk.mjs')).loadSdk();
const models = await import(path.join(root, 'packages/models/dist/node.js'));

const now = () => performance.now();

/** The parity inputs: the sample crops, the fixture landmarks and the ellipse mask. */
async function parityInputs() {
  const fixture = JSON.parse(readFileSync(path.join(root, 'packages/models/fixtures/parity.json'), 'utf8'));
  const source = { image: await node.readImage(path.join(samples, fixture.inputs.source)), landmarks: fixture.inputs.sourceLandmarks };
  const target = {
    image: await node.readImage(path.join(samples, fixture.inputs.target)),
    landmarks: fixture.inputs.targetLandmarks,
    mask: await node.readMask(path.join(root, 'packages/models/fixtures', fixture.inputs.mask)),
  };
  return { source, target };
}

function peakRss() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(status.match(new RegExp(`${key}:\\s+(\\d+) kB`))?.[1] ?? NaN);
  return { peak: kb('VmHWM') * 1024, current: kb('VmRSS') * 1024 };
}

// ---- The child that measures peak RSS: a fresh process, the public API, two swaps. ----
if (values['rss-child']) {
  const { source, target } = await parityInputs();
  const base = peakRss();
  // `previous`: the defaults before issue 7 (every weight inline, `all` optimisation, memory
  // pattern on), measured in the same run for the before/after ratio.
  const previous = values['rss-config'] === 'previous'
    ? { externalWeights: false, sessionOptions: { graphOptimizationLevel: 'all', enableMemPattern: true } }
    : {};
  const loadStart = now();
  const swapper = await node.createSwapper({ models: values.models, device: 'cpu', threads, ...previous });
  const loadMs = now() - loadStart;
  const loaded = peakRss();
  const start = now();
  const sourceFace = await swapper.encodeSource(source);
  await swapper.swap(sourceFace, target);
  const first = now() - start;
  const second = now();
  await swapper.swap(sourceFace, target);
  const after = peakRss();
  console.log(JSON.stringify({ baseline: base.peak, afterLoad: loaded.current, loadMs, peak: after.peak, current: after.current, firstSwapMs: first, secondSwapMs: now() - second }));
  await swapper.dispose();
  process.exit(0);
}

// ---- 1. The full-size set, exported when missing or when the exporter changed. ----

function ensureFullSet() {
  if (values.models) return values.models;
  const dir = path.join(root, '.bench', 'full-s1');
  const stampFile = path.join(dir, 'exporter.sha256');
  const stamp = exporterStamp();
  if (existsSync(path.join(dir, 'manifest.json')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) return dir;
  console.log(`Exporting the full-size set (random init, seed 1, width 1) into ${path.relative(root, dir)} ...`);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const start = now();
  const result = spawnSync(python, ['-m', 'fslsd_reference.export', '--random-init', '--seed', '1', '--width', '1', '--out', partial], { cwd: pythonDir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    console.error(`The exporter failed. It needs Debian's python3-torch and python3-onnx: apt-get install -y python3-torch python3-onnx`);
    process.exit(1);
  }
  writeFileSync(path.join(partial, 'exporter.sha256'), `${stamp}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(partial, dir);
  console.log(`  exported in ${((now() - start) / 1000).toFixed(0)} s`);
  return dir;
}

// ---- 1b. Full-width parity: the reference's own outputs for this export, and the parity test. ----
// The fixtures come from the same seed and width as the set (fslsd_reference.fixtures rebuilds
// the networks the exporter wrote), so the parity test of `npm test` runs unchanged at full width.
// Its two tiny-set properties (clamp reached, faces far apart) describe the shipped set only.
function fullWidthParity(models) {
  const dir = path.join(root, '.bench', 'full-s1-fixtures');
  const stampFile = path.join(dir, 'exporter.sha256');
  const stamp = exporterStamp();
  if (!(existsSync(path.join(dir, 'parity.json')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp)) {
    console.log('  reference fixtures for the full-size set (PyTorch, a few minutes) ...');
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    const made = spawnSync(python, ['-m', 'fslsd_reference.fixtures', '--samples', samples, '--out', partial, '--seed', '1', '--width', '1', '--weights', 'float32'], { cwd: pythonDir, stdio: ['ignore', 'ignore', 'inherit'] });
    if (made.status !== 0) throw new Error('fslsd_reference.fixtures failed for the full-size set (see above).');
    writeFileSync(path.join(partial, 'exporter.sha256'), `${stamp}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  const report = path.join(dir, 'measured.json');
  rmSync(report, { force: true });
  console.log('  parity test (packages/node/test/parity.test.ts) against the full-size set ...');
  const test = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', 'test/parity.test.ts', '-t', '^(?!.*tiny set property)'], {
    cwd: path.join(root, 'packages', 'node'),
    env: { ...process.env, FSLSD_PARITY_MODELS: models, FSLSD_PARITY_FIXTURES: dir, FSLSD_PARITY_REPORT: report },
    encoding: 'utf8',
  });
  if (!existsSync(report)) throw new Error(`The parity test did not run at full width:\n${test.stdout}\n${test.stderr}`);
  const { tolerance, measured } = JSON.parse(readFileSync(report, 'utf8'));
  return { passed: test.status === 0, tolerance, measured };
}

// ---- 2. GEMM peak with onnxruntime's MatMul, same threads. ----
// A chain of products inside one graph, so the figure is the multiply itself rather than the
// copies of inputs and outputs across the JavaScript boundary.
async function gemmPeak(size = 2048, chain = 8) {
  const { makeModel, node: op, valueInfo } = core;
  const nodes = Array.from({ length: chain }, (_, i) => op('MatMul', [i === 0 ? 'a' : `c${i - 1}`, 'b'], [i === chain - 1 ? 'c' : `c${i}`]));
  const model = makeModel({
    name: 'gemm',
    node: nodes,
    input: [valueInfo('a', 'float32', [size, size]), valueInfo('b', 'float32', [size, size])],
    output: [valueInfo('c', 'float32', [size, size])],
  }, 'GEMM peak probe');
  const session = await node.nodeRuntime.InferenceSession.create(core.encodeModel(model), node.sessionOptionsFor({ device: 'cpu', executionProviders: ['cpu'] }, threads));
  // Entries of about 1/sqrt(size) keep the chained products near 1.
  const data = Float32Array.from({ length: size * size }, (_, i) => (((i * 2654435761) % 1000) / 1000 - 0.5) * (3.4 / Math.sqrt(size)));
  const feeds = { a: new node.nodeRuntime.Tensor('float32', data, [size, size]), b: new node.nodeRuntime.Tensor('float32', data, [size, size]) };
  await session.run(feeds);
  const times = [];
  for (let i = 0; i < Math.max(runs, 5); i += 1) {
    const start = now();
    await session.run(feeds);
    times.push(now() - start);
  }
  await session.release();
  return (chain * 2 * size ** 3) / (median(times) / 1000) / 1e9;
}

// ---- 3. The SDK, with a runtime that records every session and the feeds it was given. ----
function recordingRuntime(base) {
  const sessions = [];
  return {
    sessions,
    runtime: {
      Tensor: base.Tensor,
      InferenceSession: {
        async create(bytes, options) {
          const session = await base.InferenceSession.create(bytes, options);
          const record = { bytes, options, calls: [] };
          sessions.push(record);
          const run = session.run.bind(session);
          session.run = async (feeds, fetches) => {
            const start = now();
            const result = await run(feeds, fetches);
            // Only the first call's feeds are replayed; later calls keep just their time, so the
            // 12 MB crops of every run are not held for the whole benchmark.
            record.calls.push(record.calls.length ? { milliseconds: now() - start } : { feeds, fetches, milliseconds: now() - start });
            return result;
          };
          return session;
        },
      },
    },
  };
}

async function measureSdk(directory, inputs) {
  const recorder = recordingRuntime(node.nodeRuntime);
  const set = await models.modelSetFromDirectory(directory);
  const loadStart = now();
  const swapper = await core.createSwapper({
    runtime: recorder.runtime,
    models: set,
    // Exactly what @fslsd/node's createSwapper({ device: 'cpu', threads }) passes.
    sessionOptions: node.sessionOptionsFor({ device: 'cpu', executionProviders: ['cpu'] }, threads),
  });
  const loadMs = now() - loadStart;
  const names = ['encode-latent', 'landmark-direction', 'edit-latent', 'synthesize'];
  const sample = { full: [], perTarget: [], encodeSource: [], stages: [], insideRuns: [], raw: [], rawSessions: [] };
  let raw;
  for (let i = 0; i <= runs; i += 1) {
    const callsBefore = recorder.sessions.map((s) => s.calls.length);
    const start = now();
    const source = await swapper.encodeSource(inputs.source);
    const encoded = now();
    const result = await swapper.swap(source, inputs.target);
    const done = now();
    // The second swap reuses the encoded source: the per-target cost of one source onto N targets.
    const again = now();
    await swapper.swap(source, inputs.target);
    const perTarget = now() - again;
    if (i === 0) {
      // Warm-up done, feeds recorded: open the same graphs as bare sessions, same options.
      raw = [];
      for (const record of recorder.sessions) {
        const session = await node.nodeRuntime.InferenceSession.create(record.bytes, record.options);
        await session.run(record.calls[0].feeds, record.calls[0].fetches);
        raw.push({ session, call: record.calls[0] });
      }
      continue;
    }
    sample.lastImage = result.image.data;
    sample.full.push(done - start);
    sample.encodeSource.push(encoded - start);
    sample.perTarget.push(perTarget);
    sample.stages.push(result.timings);
    // Time inside session.run during the full swap (encodeSource + swap), not the reuse swap.
    let inside = 0;
    recorder.sessions.forEach((s, k) => {
      const calls = s.calls.slice(callsBefore[k]);
      for (const c of k === 0 ? calls.slice(0, 2) : calls.slice(0, 1)) inside += c.milliseconds;
    });
    sample.insideRuns.push(inside);
    // The same full swap as bare session.run calls (two encodes, one of each other graph),
    // right after the SDK's, so both see the machine in the same state.
    const perSession = {};
    let rawTotal = 0;
    for (const [k, { session, call }] of raw.entries()) {
      const repeats = k === 0 ? 2 : 1;
      let spent = 0;
      for (let r = 0; r < repeats; r += 1) {
        const t = now();
        await session.run(call.feeds, call.fetches);
        spent += now() - t;
      }
      perSession[names[k]] = spent / repeats;
      rawTotal += spent;
    }
    sample.raw.push(rawTotal);
    sample.rawSessions.push(perSession);
  }
  for (const { session } of raw) await session.release();
  await swapper.dispose();
  const stageNames = ['encode-latent', 'landmark-direction', 'fuse-latents', 'edit-latent', 'synthesize'];
  const stages = Object.fromEntries(stageNames.map((name) => [name, median(sample.stages.map((t) => t[name] ?? 0))]));
  return {
    loadMs,
    fullMs: median(sample.full),
    perTargetMs: median(sample.perTarget),
    encodeSourceMs: median(sample.encodeSource),
    insideRunsMs: median(sample.insideRuns),
    overheadRatios: sample.full.map((f, k) => f / sample.raw[k]),
    stages,
    raw: { fullMs: median(sample.raw), perSession: Object.fromEntries(names.map((n) => [n, median(sample.rawSessions.map((p) => p[n]))])) },
    modelBytes: set.entries.reduce((sum, e) => sum + e.bytes, 0),
    lastImage: sample.lastImage,
  };
}

// ---- 4b. Half precision on this CPU: speed against float32, and parity at full size. ----
async function measureFloat16(directory, inputs, float32Image) {
  // Warnings off: onnxruntime lists every float16 node it cannot constant-fold on the CPU.
  const swapper = await node.createSwapper({ models: directory, device: 'cpu', threads, precision: 'float16', sessionOptions: { logSeverityLevel: 3 } });
  const times = [];
  let image;
  for (let i = 0; i <= Math.min(runs, 3); i += 1) {
    const start = now();
    const result = await swapper.swap(await swapper.encodeSource(inputs.source), inputs.target);
    if (i > 0) times.push(now() - start);
    image = result.image.data;
  }
  await swapper.dispose();
  const { max, mean } = differences(image, float32Image);
  return { fullSwapMs: median(times), parity: { maxAbs: max, meanAbs: mean } };
}

// ---- 5. PyTorch in its fast configuration: OpenBLAS through LD_LIBRARY_PATH, same threads. ----
function measureTorch() {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  if (existsSync(OPENBLAS)) env.LD_LIBRARY_PATH = [OPENBLAS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const result = spawnSync(python, ['-m', 'fslsd_reference.bench', '--samples', samples, '--runs', String(runs), '--threads', String(threads)], {
    cwd: pythonDir, env, encoding: 'utf8', maxBuffer: 1 << 24,
  });
  if (result.status !== 0) throw new Error(`fslsd_reference.bench failed:\n${result.stderr}`);
  const report = JSON.parse(result.stdout.trim().split('\n').pop());
  if (!/openblas/i.test(report.blas)) console.warn(`  note: torch loaded ${report.blas}, not OpenBLAS (apt-get install libopenblas0-pthread for the fast baseline)`);
  return report;
}

function measureRss(directory, env, config = 'current') {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--rss-child', '--rss-config', config, '--models', directory, '--threads', String(threads)], {
    env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24,
  });
  if (result.status !== 0) throw new Error(`RSS child failed:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

// ---- Run everything. ----
const directory = ensureFullSet();
const manifest = JSON.parse(readFileSync(path.join(directory, 'manifest.json'), 'utf8'));
const inputs = await parityInputs();
const parity = fullWidthParity(directory);
console.log(`  full-width parity ${parity.passed ? 'passed' : 'FAILED'}: ${Object.entries(parity.measured).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
const tuned = Object.keys(TUNED_MALLOC).every((k) => process.env[k] === TUNED_MALLOC[k]);
console.log(`Swap benchmark: full-size set "${manifest.set}", ${threads} thread(s), ${runs} runs, allocator ${tuned ? 'tuned' : 'default'}`);
console.log('  GEMM peak (onnxruntime MatMul, 8 x 2048^3) ...');
const gemm = await gemmPeak();
console.log('  SDK swaps, each followed by the same graphs as raw session runs ...');
const sdk = await measureSdk(directory, inputs);
const raw = sdk.raw;
console.log('  float16 swaps ...');
const float16 = await measureFloat16(directory, inputs, sdk.lastImage);
console.log('  PyTorch reference ...');
const torch = measureTorch();
console.log('  peak RSS (child processes) ...');
const rss = { default: measureRss(directory, {}), tuned: measureRss(directory, TUNED_MALLOC), previous: measureRss(directory, {}, 'previous') };

const flops = torch.flops;
const swapFlops = torch.flopsPerSwap;
const perTargetFlops = swapFlops - flops['encode-latent'] / 2;
const gflops = (f, ms) => f / (ms / 1000) / 1e9;
const report = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, onnxruntime: node.nodeRuntime.env?.versions?.common ?? 'unknown' },
  settings: { threads, runs, allocator: tuned ? 'tuned' : 'default', set: manifest.set },
  gemmPeakGflops: gemm,
  flops: { ...flops, swap: swapFlops, perTarget: perTargetFlops },
  sdk: { loadMs: sdk.loadMs, fullSwapMs: sdk.fullMs, encodeSourceMs: sdk.encodeSourceMs, perTargetMs: sdk.perTargetMs, insideSessionRunsMs: sdk.insideRunsMs, stagesMs: sdk.stages },
  raw,
  torch: { version: torch.torch, blas: torch.blas, threads: torch.threads, gemmPeakGflops: torch.gemmGflops, stagesMs: torch.milliseconds, swapMs: torch.milliseconds.swap },
  modelBytes: sdk.modelBytes,
  float16,
  rss,
  parity,
  targets: {
    sdkOverhead: { value: median(sdk.overheadRatios), target: '<= 1.05', perRun: sdk.overheadRatios },
    sdkOverheadInside: { value: sdk.fullMs / sdk.insideRunsMs, target: '<= 1.05' },
    speedupOverTorch: { value: torch.milliseconds.swap / sdk.fullMs, target: '>= 1.5' },
    gemmPeakShare: { value: gflops(swapFlops, sdk.fullMs) / gemm, target: '>= 0.6' },
    perTargetShare: { value: sdk.perTargetMs / sdk.fullMs, target: '<= 0.6', flopsBound: perTargetFlops / swapFlops },
    peakRss: { value: rss.default.peak / (1.3 * sdk.modelBytes + 200 * 2 ** 20), target: '<= 1 (peak RSS / (1.3 x model bytes + 200 MB))' },
  },
};

const ms = (x) => `${(x / 1000).toFixed(2)} s`;
const g = (f) => `${(f / 1e9).toFixed(1)}`;
const MB = (b) => `${(b / 2 ** 20).toFixed(0)} MB`;
const stageRows = [
  ['encode-latent (pSp, x2 in a full swap)', 2 * sdk.stages['encode-latent'], 2 * raw.perSession['encode-latent'], torch.milliseconds['encode-latent'], flops['encode-latent']],
  ['landmark-direction (E_le)', sdk.stages['landmark-direction'], raw.perSession['landmark-direction'], torch.milliseconds['landmark-direction'], flops['landmark-direction']],
  ['edit-latent (fuse + editor)', sdk.stages['fuse-latents'] + sdk.stages['edit-latent'], raw.perSession['edit-latent'], torch.milliseconds['edit-latent'], flops['edit-latent']],
  ['synthesize (G + E_t + blend + decoder)', sdk.stages.synthesize, raw.perSession.synthesize, torch.milliseconds.synthesize, flops.synthesize],
];
const lines = [];
lines.push(`Measured ${report.date.slice(0, 10)} on ${report.machine.model} (${report.machine.cpus} cores, ${report.machine.memoryGiB} GiB), no GPU; Node ${process.version}, onnxruntime-node ${report.machine.onnxruntime}, ${threads} threads, allocator ${report.settings.allocator}; PyTorch ${torch.torch} with ${path.basename(torch.blas.split(',')[0]) || 'unknown BLAS'} (${torch.blas}). Full-size set, random weights (seed 1), parity inputs; medians of ${runs} runs after a warm-up.`);
lines.push('');
lines.push('| stage | GFLOP | SDK | raw session.run | PyTorch | SDK GFLOP/s | vs PyTorch |');
lines.push('|---|---|---|---|---|---|---|');
for (const [name, s, r, t, f] of stageRows) lines.push(`| ${name} | ${g(f)} | ${ms(s)} | ${ms(r)} | ${ms(t)} | ${gflops(f, s).toFixed(0)} | ${(t / s).toFixed(2)}x |`);
lines.push(`| **full swap** | ${g(swapFlops)} | **${ms(sdk.fullMs)}** | ${ms(raw.fullMs)} | ${ms(torch.milliseconds.swap)} | ${gflops(swapFlops, sdk.fullMs).toFixed(0)} | **${(torch.milliseconds.swap / sdk.fullMs).toFixed(2)}x** |`);
lines.push('');
lines.push(`GEMM peak in the same run: ${gemm.toFixed(0)} GFLOP/s (onnxruntime MatMul, a chain of eight 2048^3 products in one graph); PyTorch/OpenBLAS ${torch.gemmGflops.toFixed(0)} GFLOP/s. Per network: generator ${g(flops.generator)} GFLOP, E_t ${g(flops['target-encoder'])} GFLOP.`);
lines.push('');
lines.push('| target | measured | goal |');
lines.push('|---|---|---|');
lines.push(`| SDK overhead: SDK full swap / the same graphs as raw session runs right after it (median of per-run ratios) | ${report.targets.sdkOverhead.value.toFixed(3)} (SDK wall / its own session.run time: ${report.targets.sdkOverheadInside.value.toFixed(3)}) | <= 1.05 |`);
lines.push(`| speed-up over PyTorch + OpenBLAS, same threads and inputs | ${report.targets.speedupOverTorch.value.toFixed(2)}x | >= 1.5x |`);
lines.push(`| share of the GEMM peak over the whole swap | ${(100 * report.targets.gemmPeakShare.value).toFixed(0)} % (${gflops(swapFlops, sdk.fullMs).toFixed(0)} of ${gemm.toFixed(0)} GFLOP/s) | >= 60 % |`);
lines.push(`| per-target cost, source encoded once | ${report.targets.perTargetShare.value.toFixed(2)} of a full swap (FLOP bound ${report.targets.perTargetShare.flopsBound.toFixed(2)}) | <= 0.6 |`);
lines.push(`| peak RSS | ${MB(rss.default.peak)} (tuned allocator ${MB(rss.tuned.peak)}); models ${MB(sdk.modelBytes)}, so 1.3x + 200 MB = ${MB(1.3 * sdk.modelBytes + 200 * 2 ** 20)} | <= 1.3x model bytes + 200 MB |`);
lines.push('');
lines.push(`Load (read, verify, open sessions): ${ms(sdk.loadMs)}. First swap in a fresh process ${ms(rss.default.firstSwapMs)}, second ${ms(rss.default.secondSwapMs)}.`);
lines.push('');
lines.push('Memory, each in a fresh process that loads the set and swaps twice (VmHWM, VmRSS from /proc):');
lines.push('');
lines.push('| configuration | load | RSS after load | peak RSS | first swap | second swap |');
lines.push('|---|---|---|---|---|---|');
const rssRow = (name, r) => `| ${name} | ${ms(r.loadMs)} | ${MB(r.afterLoad)} | ${MB(r.peak)} | ${ms(r.firstSwapMs)} | ${ms(r.secondSwapMs)} |`;
lines.push(rssRow('defaults now (weights in their files, basic optimisation, no memory pattern)', rss.default));
lines.push(rssRow('the same with MALLOC_MMAP_THRESHOLD_=1 GiB, MALLOC_TRIM_THRESHOLD_=2 GiB', rss.tuned));
lines.push(rssRow('previous defaults (weights inline, `all` optimisation, memory pattern)', rss.previous));
lines.push('');
lines.push(`Half precision (\`precision: 'float16'\`) on this CPU: full swap ${ms(float16.fullSwapMs)}, ${(float16.fullSwapMs / sdk.fullMs).toFixed(2)}x the float32 time; y_f against float32 at full size: max abs ${float16.parity.maxAbs.toExponential(1)}, mean abs ${float16.parity.meanAbs.toExponential(1)} (y_f spans [-1, 1]).`);
lines.push('');
const worst = (part) => Math.max(...Object.entries(parity.measured).filter(([k]) => k.includes(part)).map(([, v]) => v)).toExponential(1);
lines.push(`Full-width parity (the parity test of \`npm test\` against this set and the reference's outputs for it, same seed): ${parity.passed ? 'passed' : '**failed**'}; max abs error W+ ${worst('W+')} (tolerance ${parity.tolerance.wplus}), n ${worst('direction')} (${parity.tolerance.direction}), latent ${worst('latent')} (${parity.tolerance.latent}), y_s ${worst('sideOutput')} (${parity.tolerance.sideOutput}), y_f ${worst('image')} (${parity.tolerance.image}).`);
const table = lines.join('\n');
console.log(`\n${table}\n`);

if (!values['no-write']) {
  const out = path.join(root, 'benchmarks', 'swap.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${out}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${out}.partial`, out);
  const file = path.join(root, 'BENCHMARKS.md');
  const start = '<!-- swap-benchmark:start -->';
  const end = '<!-- swap-benchmark:end -->';
  const text = readFileSync(file, 'utf8');
  const block = `${start}\n${table}\n${end}`;
  const next = text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), block) : `${text.trimEnd()}\n\n## Swap (full size, CPU)\n\n${block}\n`;
  writeFileSync(`${file}.partial`, next);
  renameSync(`${file}.partial`, file);
  console.log(`Wrote ${path.relative(root, out)} and the swap section of BENCHMARKS.md`);
}
