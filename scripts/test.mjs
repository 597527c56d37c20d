#!/usr/bin/env node
// `npm test`: install + build if needed, then run every package's tests, one package at a time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, childEnv, ensureInstall, installDebianPackages, log, runPnpm } from './ensure-install.mjs';
import { skipWithout } from './skips.mjs';

// Every group that skips for a missing tool writes a line here (scripts/skips.mjs); the summary
// at the end prints them all, so a green run says what it did not run. CI=true turns each skip
// into a failure instead.
const skipFolder = mkdtempSync(path.join(tmpdir(), 'fslsd-skips-'));
process.env.FSLSD_SKIP_LOG = path.join(skipFolder, 'skipped.txt');
function finish(status) {
  const skipped = existsSync(process.env.FSLSD_SKIP_LOG) ? readFileSync(process.env.FSLSD_SKIP_LOG, 'utf8').trim().split('\n').filter(Boolean) : [];
  rmSync(skipFolder, { recursive: true, force: true });
  if (skipped.length) {
    log(`${skipped.length} test group(s) did not run:`);
    for (const line of [...new Set(skipped)]) log(`  skipped: ${line}`);
  } else if (status === 0) {
    log('every test group ran (nothing skipped).');
  }
  process.exit(status);
}

let pnpm;
try {
  pnpm = ensureInstall();
} catch (error) {
  log(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// The browser tests need Chromium, the video tests ffmpeg. Where we may (root on Debian/Ubuntu,
// FSLSD_NO_INSTALL unset), install Debian's packages; elsewhere say how, and those tests skip.
const missing = [];
if (!existsSync(process.env.FSLSD_CHROMIUM ?? '/usr/bin/chromium') && !process.env.FSLSD_CHROMIUM) missing.push('chromium');
if (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) missing.push('ffmpeg');
// The service tests start Debian's redis-server on a free loopback port (never a mock).
if (!existsSync(process.env.FSLSD_REDIS_SERVER ?? '/usr/bin/redis-server')) missing.push('redis-server');
const installed = installDebianPackages(missing, 'for the browser, video and service tests');
if (installed === 'failed') log(`could not install ${missing.join(' and ')}: those tests will be skipped.`);
else if (installed === 'not-allowed') {
  const group = { ffmpeg: 'video', chromium: 'browser', 'redis-server': 'service' };
  log(`${missing.join(' and ')} not found: the ${missing.map((m) => group[m]).join(' and ')} tests will be skipped (sudo apt-get install ${missing.join(' ')}).`);
}
log('type-checking sources and tests (pnpm -r typecheck)...');
const typecheck = runPnpm(pnpm, ['-r', '--workspace-concurrency=1', 'typecheck'], { stdio: 'inherit' });
if (typecheck !== 0) finish(typecheck);
// The public surface must match the reviewed API reports in api/ (API Extractor).
log('checking the public API against api/*.api.md...');
const api = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'api-report.mjs'), '--check'], { cwd: ROOT, stdio: 'inherit', env: childEnv({}) });
if (api.status !== 0) finish(api.status ?? 1);
log('running tests (pnpm -r test)...');
const status = runPnpm(pnpm, ['-r', '--workspace-concurrency=1', 'test', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (status !== 0) finish(status);

// The README code blocks (main and per package), pasted into a fresh project that installs the
// packed tarballs: Node blocks with node, browser blocks built with Vite and run in Chromium.
log('running the README code blocks against the packed tarballs (scripts/doc-test.mjs)...');
const docs = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'doc-test.mjs')], { cwd: ROOT, stdio: 'inherit', env: childEnv({}) });
if (docs.status !== 0) finish(docs.status ?? 1);

// The shipped tiny models and parity fixtures must be exactly what the PyTorch reference
// exports today. Needs Debian's python3-torch + python3-onnx; CI sets FSLSD_REQUIRE_REFERENCE=1
// so a missing PyTorch fails instead of skipping.
const python = '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import torch, onnx, PIL, numpy'], { stdio: 'ignore' });
let skipReference;
try {
  skipReference = skipWithout(probe.status === 0, {
    group: 'PyTorch reference drift check (tiny --check)',
    missing: '/usr/bin/python3 lacks torch/onnx',
    fix: 'apt-get install python3-torch python3-onnx python3-pil',
    require: 'FSLSD_REQUIRE_REFERENCE',
  });
} catch (error) {
  log(`error: ${error.message}`);
  finish(1);
}
if (skipReference) finish(0);
// The trainer's building blocks (issue 16), against straightforward implementations.
log('running the training unit tests (python3 -m unittest, packages/models/python/fslsd_train)...');
const training = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'fslsd_train/tests', '-t', '.'], {
  cwd: path.join(ROOT, 'packages', 'models', 'python'),
  env: childEnv({ PYTHONDONTWRITEBYTECODE: '1' }),
  stdio: 'inherit',
});
if (training.status !== 0) finish(training.status ?? 1);
log('checking the tiny set and fixtures against the PyTorch reference...');
// Whichever BLAS libblas.so.3 is here (reference or OpenBLAS) and however many threads: the check
// compares numbers within the spread measured across those (tiny.py SPREAD_TOLERANCE) and the
// ONNX files byte for byte, so a CPU it has never seen passes and a changed reference fails.
const check = spawnSync(python, ['-m', 'fslsd_reference.tiny', '--check'], {
  cwd: path.join(ROOT, 'packages', 'models', 'python'),
  env: childEnv({ PYTHONDONTWRITEBYTECODE: '1' }),
  stdio: 'inherit',
});
finish(check.status ?? 1);
