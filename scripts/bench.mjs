#!/usr/bin/env node
// `pnpm bench`: every benchmark, one after the other, from a fresh clone: install + build when
// needed, Debian's packages when missing (as root with apt; FSLSD_NO_INSTALL=1 turns it off),
// then the swap benchmark (full-size graphs, PyTorch baseline), the face front end (OpenCV
// baseline), video, detector recall and the swap service under load (redis-server). Each prints its table and
// writes its JSON under benchmarks/; some also rewrite their section of BENCHMARKS.md (swap,
// import, serve). Not tests: medians and ratios of one run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, ensureInstall, installDebianPackages, log } from './ensure-install.mjs';

const BENCHES = ['swap.mjs', 'megafs.mjs', 'import.mjs', 'browser-import.mjs', 'front-end.mjs', 'video.mjs', 'recall.mjs', 'serve.mjs'];
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`Usage: pnpm bench [--only swap|megafs|import|browser-import|front-end|video|recall|serve] [options of that benchmark]

Runs scripts/bench/*.mjs (each has --help):
  swap       the FULL-size networks (random weights, exported into .bench/ on first use) on the
             CPU: per-stage and end-to-end time, FLOP/s against a GEMM peak measured in the same
             run, SDK vs raw session runs, PyTorch + OpenBLAS on the same inputs, per-target cost,
             peak RSS, float16; writes benchmarks/swap.json and the swap section of BENCHMARKS.md
  megafs     the FULL-size MegaFS networks: parity with the reference at full width, and one
             swap per stage beside FSLSD's full-size set; writes benchmarks/megafs.json
  import     FULL-size PyTorch checkpoints (written by torch into .bench/) made into a set by
             fslsd models import and by the Python exporter (fill and --trace): time, peak RSS,
             file-for-file equality, one swap compared; writes benchmarks/import.json
  browser-import  those checkpoints dropped on the demo in Chromium (WASM) and the full-size
             set over HTTP: import, load and swap times, renderer peak, second visits from OPFS
  front-end  align + mask + paste-back on a 1920x1080 frame, beside OpenCV
  video      end-to-end vs inference-only fps, jitter with and without smoothing
  recall     face detection on generated scenes with known boxes (the shipped faces at 20-400 px,
             rotated, turned): recall and precision per size band for each detector setting and
             face-api's own JavaScript; writes benchmarks/recall.json
  serve      the swap service (fslsd-server serve + BullMQ workers on its own redis-server,
             tiny set): throughput and p50/p95 latency for N concurrent clients with 1 and 2
             workers, queue wait under a burst, ratios; writes benchmarks/serve.json and the
             serve section of BENCHMARKS.md

Needs Debian's python3-torch, python3-onnx, libopenblas0-pthread, python3-opencv, ffmpeg and
redis-server; installs them when run as root with apt-get (FSLSD_NO_INSTALL=1 skips that).`);
  process.exit(0);
}
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
if (onlyIndex >= 0 && !BENCHES.includes(`${only}.mjs`)) {
  console.error(`--only takes one of ${BENCHES.map((b) => b.replace('.mjs', '')).join(', ')}`);
  process.exit(2);
}
const passOn = onlyIndex >= 0 ? args.filter((_, i) => i !== onlyIndex && i !== onlyIndex + 1) : [];

try {
  ensureInstall();
} catch (error) {
  log(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// Debian packages: the exporter and PyTorch baseline (torch, onnx, OpenBLAS), OpenCV, ffmpeg,
// and redis-server for the swap service.
const python = '/usr/bin/python3';
const pythonHas = (modules) => spawnSync(python, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
const missing = [];
if (!pythonHas('torch, onnx, numpy, PIL')) missing.push('python3-torch', 'python3-onnx', 'python3-numpy', 'python3-pil');
if (!existsSync('/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3') && process.arch === 'x64') missing.push('libopenblas0-pthread');
if (!pythonHas('cv2')) missing.push('python3-opencv');
if (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) missing.push('ffmpeg');
if (spawnSync('/usr/bin/redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) missing.push('redis-server');
const installed = installDebianPackages(missing, 'for the benchmarks');
if (installed === 'failed') log(`could not install ${missing.join(', ')}; the benchmarks that need them will fail.`);
else if (installed === 'not-allowed') log(`missing ${missing.join(', ')}: sudo apt-get install ${missing.join(' ')}`);

let failed = 0;
for (const bench of only ? [`${only}.mjs`] : BENCHES) {
  log(`benchmark ${bench.replace('.mjs', '')}...`);
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bench', bench), ...passOn], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
