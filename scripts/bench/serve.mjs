#!/usr/bin/env node
/**
 * Swap service benchmark (issue 17): the HTTP API and its BullMQ workers under load, on the
 * shipped tiny set, all on this machine. It starts its own redis-server (free loopback port,
 * temporary folder, no persistence), one `fslsd-server serve` and the worker processes of each
 * configuration (by default 1 worker with 2 threads, then 2 workers with 1 thread each), and
 * measures in the same run:
 *
 * - N concurrent clients (fetch + FormData in this process), each looping POST /v1/swaps ->
 *   wait for a final status (the server-sent events of /events, or polling) -> GET the result,
 *   until a fixed number of jobs is done: throughput, p50/p95 end-to-end latency;
 * - a burst of jobs posted at once: queue wait (the swap's createdAt, when the POST stored it,
 *   to startedAt, when a worker took it) p50/p95/max, and how long the burst took;
 * - the ratios of each configuration to the first.
 *
 * Every result must be a PNG (signature checked); failed jobs are counted and reported.
 * Writes benchmarks/serve.json and rewrites the serve section of BENCHMARKS.md.
 *
 * Each job's source photo is made distinct by default (a JPEG comment with the job's number, the
 * same pixels), so that the workers' source-face cache finds nothing and every job encodes its
 * source as a new client's would; --sources same measures the cache instead.
 *
 *   node scripts/bench/serve.mjs [--jobs N] [--clients 1,4,8] [--burst N] [--workers 1x2,2x1] [--no-write]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root, writeBenchmarkSection } from './common.mjs';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '16' },
    clients: { type: 'string', default: '1,4,8' },
    burst: { type: 'string', default: '24' },
    workers: { type: 'string', default: '1x2,2x1' },
    warmup: { type: 'string', default: '1' },
    poll: { type: 'string' },
    sources: { type: 'string', default: 'distinct' },
    'redis-server': { type: 'string', default: process.env.FSLSD_REDIS_SERVER ?? '/usr/bin/redis-server' },
    out: { type: 'string' },
    note: { type: 'string' },
    'no-write': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`Usage: node scripts/bench/serve.mjs [--jobs N] [--clients LIST] [--burst N] [--workers LIST] [--no-write]

The swap service under load on this machine, tiny set, CPU: its own redis-server (needs
Debian's redis-server: apt-get install redis-server), one "fslsd-server serve" and the worker
processes of each configuration, started from packages/server/dist/cli.js (pnpm build first).

  --jobs N          jobs per client scenario, shared by the clients (default 16)
  --clients LIST    concurrent clients, one scenario each (default 1,4,8); each client loops
                    POST -> wait for the final status -> GET the result
  --burst N         jobs posted at once for the queue-wait scenario (default 24; 0 skips it)
  --workers LIST    worker configurations as COUNTxTHREADS (default 1x2,2x1: one worker with
                    2 intra-op threads, then two with 1 thread each); ratios are to the first
  --warmup N        unmeasured jobs per worker after the workers start (default 1)
  --poll MS         wait by polling GET /v1/swaps/:id every MS ms instead of the /events stream
  --sources distinct|same  distinct (default): every job's source photo differs by a JPEG
                    comment (same pixels), so the workers' source-face cache never hits and each
                    job encodes its source; same: one photo for all, encoded once and then cached
  --redis-server P  the redis-server binary (default $FSLSD_REDIS_SERVER or /usr/bin/redis-server)
  --out FILE        the JSON (default benchmarks/serve.json)
  --note TEXT       a sentence about the run's conditions, added to BENCHMARKS.md
  --no-write        print only; leave benchmarks/serve.json and BENCHMARKS.md alone

The service runs with --rate-limit and --quota far above the load, so that they never answer 429.
Throughput counts completed jobs over the scenario's wall time; latencies are nearest-rank
percentiles of the completed jobs (service time too); queue wait is the swap's startedAt - createdAt and service
time finishedAt - startedAt, as GET /v1/swaps/:id shows them (of the last attempt).`);
  process.exit(0);
}

function integers(name, text, min) {
  const list = String(text).split(',').map((part) => part.trim());
  if (!list.every((part) => /^\d+$/.test(part) && Number(part) >= min)) {
    console.error(`--${name} takes integers >= ${min} (comma-separated where a list), got "${text}"`);
    process.exit(2);
  }
  return list.map(Number);
}
const [jobsPerScenario] = integers('jobs', values.jobs, 1);
const clientCounts = integers('clients', values.clients, 1);
const [burstSize] = integers('burst', values.burst, 0);
const [warmupPerWorker] = integers('warmup', values.warmup, 0);
const pollMs = values.poll === undefined ? undefined : integers('poll', values.poll, 1)[0];
const configurations = values.workers.split(',').map((part) => {
  const match = /^\s*(\d+)x(\d+)\s*$/.exec(part);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    console.error(`--workers takes COUNTxTHREADS items such as 1x2,2x1, got "${values.workers}"`);
    process.exit(2);
  }
  return { workers: Number(match[1]), threads: Number(match[2]) };
});
if (values.sources !== 'distinct' && values.sources !== 'same') {
  console.error(`--sources takes distinct or same, got "${values.sources}"`);
  process.exit(2);
}
const distinctSources = values.sources === 'distinct';
const out = values.out ?? path.join(root, 'benchmarks', 'serve.json');

const CLI = path.join(root, 'packages/server/dist/cli.js');
if (!existsSync(CLI)) {
  console.error(`${path.relative(root, CLI)} is missing: build it first (pnpm --filter @fslsd/server... build)`);
  process.exit(1);
}
const REDIS_SERVER = values['redis-server'];
if (spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error(`${REDIS_SERVER} does not run: apt-get install redis-server (or --redis-server PATH)`);
  process.exit(1);
}

const photos = path.join(root, 'packages/models/assets/photos');
const SOURCE = 'hopper.jpg';
const TARGET = 'astronaut.png';
const sourceBytes = readFileSync(path.join(photos, SOURCE));
const targetBytes = readFileSync(path.join(photos, TARGET));
/**
 * The source photo with a JPEG comment segment naming job `n` after its APP0 segment: the same
 * pixels, other bytes (the workers cache source faces by the photo's sha256).
 */
function distinctJpeg(jpeg, n) {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('the source photo is not a JPEG');
  const at = jpeg[2] === 0xff && jpeg[3] === 0xe0 ? 4 + jpeg.readUInt16BE(4) : 2;
  const text = Buffer.from(`fslsd serve benchmark job ${n} ${process.pid}`, 'latin1');
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, at), segment, jpeg.subarray(at)]);
}
let jobNumber = 0;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);
const JOB_TIMEOUT_MS = 180_000;

/** A free TCP port on 127.0.0.1 (redis-server takes no port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

/** Nearest-rank percentile p (0-100) of xs; undefined when xs is empty. */
function percentile(xs, p) {
  if (!xs.length) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is remembered, and killed (with the temporary folder removed) on
// any way out: the end, an error, Ctrl-C or SIGTERM.

const work = mkdtempSync(path.join(tmpdir(), 'fslsd-bench-serve-'));
const children = new Set();
let cleanedUp = false;

/** Starts a child; resolves once a line of its stdout or stderr matches `ready` (with the match). */
function startChild(name, command, args, ready, timeoutMs = 120_000) {
  const child = spawn(command, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  const entry = { name, child, log: '', exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal))) };
  children.add(entry);
  void entry.exited.then(() => children.delete(entry));
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${name} was not ready after ${timeoutMs / 1000} s:\n${entry.log.slice(-2000)}`)), timeoutMs);
    const finish = (error, match) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve({ ...entry, match });
    };
    const onData = (chunk) => {
      // Keep the tail only: a worker logs nothing per job with --quiet, serve nothing per request.
      entry.log = (entry.log + chunk.toString()).slice(-20_000);
      const match = ready.exec(entry.log);
      if (match) finish(undefined, match);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => finish(error));
    void entry.exited.then((code) => finish(new Error(`${name} exited (${code}) before it was ready:\n${entry.log.slice(-2000)}`)));
  });
}

/** SIGTERM (a worker finishes its running job), then SIGKILL after `graceMs`. */
async function stopChild(entry, graceMs = 15_000) {
  if (entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill('SIGTERM');
  const timer = setTimeout(() => entry.child.kill('SIGKILL'), graceMs);
  await entry.exited;
  clearTimeout(timer);
}

function killEverythingNow() {
  for (const { child } of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  if (!cleanedUp) {
    cleanedUp = true;
    rmSync(work, { recursive: true, force: true });
  }
}
process.once('exit', killEverythingNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping redis-server, the service and the workers`);
    killEverythingNow();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------
// The client side.

let base;
let authorization;

function swapForm() {
  const form = new FormData();
  jobNumber += 1;
  form.append('source', new Blob([distinctSources ? distinctJpeg(sourceBytes, jobNumber) : sourceBytes]), SOURCE);
  form.append('target', new Blob([targetBytes]), TARGET);
  return form;
}

/** POST /v1/swaps; the swap's id. */
async function submit() {
  const response = await fetch(`${base}/v1/swaps`, { method: 'POST', headers: { authorization }, body: swapForm(), signal: AbortSignal.timeout(JOB_TIMEOUT_MS) });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 202) throw new Error(`POST /v1/swaps answered ${response.status}: ${JSON.stringify(body.error ?? body).slice(0, 300)}`);
  return body.id;
}

/** Reads `GET /v1/swaps/:id/events` until a final status; that view. */
async function waitByEvents(id) {
  const response = await fetch(`${base}/v1/swaps/${id}/events`, { headers: { authorization }, signal: AbortSignal.timeout(JOB_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET /v1/swaps/${id}/events answered ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = '';
  let last;
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let cut;
    while ((cut = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, cut);
      buffered = buffered.slice(cut + 2);
      const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
      if (data) last = JSON.parse(data);
    }
    if (last && FINAL.has(last.status)) break;
  }
  if (!last || !FINAL.has(last.status)) throw new Error(`the events of ${id} ended without a final status (last: ${JSON.stringify(last)})`);
  return last;
}

/** Polls `GET /v1/swaps/:id` every pollMs until a final status. */
async function waitByPolling(id) {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${base}/v1/swaps/${id}`, { headers: { authorization } });
    const view = await response.json();
    if (!response.ok) throw new Error(`GET /v1/swaps/${id} answered ${response.status}: ${JSON.stringify(view).slice(0, 300)}`);
    if (FINAL.has(view.status)) return view;
    if (Date.now() > deadline) throw new Error(`swap ${id} is still ${view.status} after ${JOB_TIMEOUT_MS / 1000} s`);
    await sleep(pollMs);
  }
}
const waitFinal = (id) => (pollMs === undefined ? waitByEvents(id) : waitByPolling(id));

/** The result's bytes; PNG or not. */
async function fetchResult(id) {
  const response = await fetch(`${base}/v1/swaps/${id}/result`, { headers: { authorization }, signal: AbortSignal.timeout(JOB_TIMEOUT_MS) });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`GET /v1/swaps/${id}/result answered ${response.status}`);
  return bytes;
}

/**
 * One job from the client's side: submit, wait, fetch. Never throws: a failure is recorded with
 * its reason. `submitted` lets a burst post everything before anyone waits.
 */
async function clientJob(submitted) {
  const record = { id: undefined, ok: false, startedAt: now() };
  try {
    record.id = await (submitted ?? submit());
    record.postedAt = now();
    const view = await waitFinal(record.id);
    record.finalAt = now();
    record.status = view.status;
    record.attempts = view.attempts;
    const at = (iso) => (iso ? Date.parse(iso) : undefined);
    if (view.startedAt) record.queueWaitMs = at(view.startedAt) - at(view.createdAt);
    if (view.startedAt && view.finishedAt) record.serviceMs = at(view.finishedAt) - at(view.startedAt);
    record.sourceFace = view.result?.sourceFace;
    if (view.status !== 'completed') throw new Error(`${view.status}${view.error ? `: ${view.error.code}: ${view.error.message}` : ''}`);
    const bytes = await fetchResult(record.id);
    record.doneAt = now();
    record.bytes = bytes.length;
    if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error(`the result is not a PNG (starts ${bytes.subarray(0, 8).toString('hex')})`);
    record.ok = true;
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
  }
  return record;
}

function summarise(records, wallMs) {
  const completed = records.filter((r) => r.ok);
  const failures = records.filter((r) => !r.ok);
  const latencies = completed.map((r) => r.doneAt - r.startedAt);
  const waits = records.filter((r) => r.queueWaitMs !== undefined).map((r) => r.queueWaitMs);
  const services = completed.filter((r) => r.serviceMs !== undefined).map((r) => r.serviceMs);
  return {
    jobs: records.length,
    completed: completed.length,
    failed: failures.length,
    failures: failures.map((r) => ({ id: r.id, error: r.error })),
    retried: records.filter((r) => r.attempts > 1).length,
    sourceFromCache: completed.filter((r) => r.sourceFace === 'cache').length,
    wallSeconds: wallMs / 1000,
    throughput: completed.length / (wallMs / 1000),
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: percentile(latencies, 100) },
    queueWaitMs: { p50: percentile(waits, 50), p95: percentile(waits, 95), max: percentile(waits, 100) },
    serviceMs: { p50: percentile(services, 50), p95: percentile(services, 95) },
    resultBytes: completed[0]?.bytes,
    latenciesMs: latencies.map(Math.round),
    queueWaitsMs: waits,
    servicesMs: services,
  };
}

/** N clients, each looping submit -> wait -> fetch until `jobs` have been taken. */
async function clientsScenario(clients, jobs) {
  let taken = 0;
  const records = [];
  const started = now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (taken < jobs) {
      taken += 1;
      records.push(await clientJob());
    }
  }));
  const wallMs = now() - started;
  return summarise(records, wallMs);
}

/** `size` POSTs at once, then every client waits for its swap and fetches the result. */
async function burstScenario(size) {
  const started = now();
  const posts = Array.from({ length: size }, () => submit());
  // Every POST is on its way before anyone waits; each waits on its own swap.
  const settled = Promise.allSettled(posts);
  const records = await Promise.all(posts.map((post) => clientJob(post)));
  for (const record of records) record.startedAt = started;
  const submittedMs = Math.max(...(await settled).map((_, i) => (records[i].postedAt ?? started) - started));
  const wallMs = now() - started;
  return { ...summarise(records, wallMs), submitSeconds: submittedMs / 1000 };
}

// ---------------------------------------------------------------------------------------------

const fmt = (ms) => (ms === undefined ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const ratio = (a, b) => (a === undefined || b === undefined || !b ? '-' : `${(a / b).toFixed(2)}x`);
const nth = (n) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
const label = (c) => `${c.workers} worker${c.workers === 1 ? '' : 's'} x ${c.threads} thread${c.threads === 1 ? '' : 's'}`;

const benchStarted = Date.now();
const loadBefore = loadavg();
let redisUrl;
let fatal;
const results = [];
try {
  // redis-server, a key, the service.
  const redisPort = await freePort();
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  await startChild('redis-server', REDIS_SERVER, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work, '--daemonize', 'no', '--protected-mode', 'yes'], /Ready to accept connections/, 20_000);
  const keysFile = path.join(work, 'keys.txt');
  const made = spawnSync(process.execPath, [CLI, 'key', 'bench', '--keys', keysFile], { cwd: work, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`fslsd-server key failed: ${made.stderr}`);
  authorization = `Bearer ${made.stdout.trim()}`;
  // Limits far above the load (where this build has them): the benchmark measures the workers.
  const serveHelp = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' }).stdout;
  const limits = [...(/--rate-limit/.test(serveHelp) ? ['--rate-limit', '1000000'] : []), ...(/--quota/.test(serveHelp) ? ['--quota', '1000000'] : [])];
  const service = await startChild('fslsd-server serve', process.execPath, [CLI, 'serve', '--redis', redisUrl, '--port', '0', '--keys', keysFile, '--quiet', ...limits], /serving (http:\/\/[^\s]+)/, 60_000);
  base = service.match[1];
  console.log(`serve benchmark: ${SOURCE} onto ${TARGET} (${(targetBytes.length / 1024).toFixed(0)} KiB), tiny set, CPU; ${jobsPerScenario} jobs per client scenario, burst of ${burstSize}; waiting by ${pollMs === undefined ? 'the /events stream' : `polling every ${pollMs} ms`}; ${distinctSources ? 'a distinct source photo per job' : 'one source photo (cached)'}`);

  const entries = configurations.map((configuration) => ({ ...configuration, label: label(configuration), loadSeconds: [], warmupFailed: 0, clients: [], burst: undefined }));
  const scenarios = [...clientCounts.map((clients) => ({ clients })), ...(burstSize ? [{ burst: burstSize }] : [])];
  // Scenario by scenario, each configuration in turn on fresh workers: the machine's other load
  // drifts over minutes, and the figures compared in a ratio are then measured close together.
  for (const scenario of scenarios) {
    for (const entry of entries) {
      const started = now();
      const workers = await Promise.all(Array.from({ length: entry.workers }, (_, i) => startChild(`worker ${i + 1}`, process.execPath, [CLI, 'worker', '--redis', redisUrl, '--concurrency', '1', '--threads', String(entry.threads), '--device', 'cpu', '--quiet'], / ready: /)));
      entry.loadSeconds.push((now() - started) / 1000);
      // Warm-up: jobs posted at once, so that every worker runs some before the clock starts.
      if (warmupPerWorker) {
        const warmup = await burstScenario(warmupPerWorker * entry.workers);
        entry.warmupFailed += warmup.failed;
        if (warmup.failed) console.log(`  warm-up: ${warmup.failed} of ${warmup.jobs} FAILED: ${warmup.failures[0].error}`);
      }
      if (scenario.clients) {
        const result = { clients: scenario.clients, ...(await clientsScenario(scenario.clients, jobsPerScenario)) };
        entry.clients.push(result);
        console.log(`  ${entry.label}, ${scenario.clients} client${scenario.clients === 1 ? '' : 's'}: ${result.throughput.toFixed(2)} swaps/s, p50 ${fmt(result.latencyMs.p50)}, p95 ${fmt(result.latencyMs.p95)}${result.failed ? `, ${result.failed} FAILED` : ''}`);
      } else {
        const b = (entry.burst = await burstScenario(scenario.burst));
        console.log(`  ${entry.label}, burst of ${scenario.burst}: queue wait p50 ${fmt(b.queueWaitMs.p50)}, p95 ${fmt(b.queueWaitMs.p95)}, max ${fmt(b.queueWaitMs.max)}; all done in ${fmt(b.wallSeconds * 1000)}${b.failed ? `, ${b.failed} FAILED` : ''}`);
      }
      await Promise.all(workers.map((worker) => stopChild(worker)));
    }
  }
  results.push(...entries);
} catch (error) {
  fatal = error;
  console.error(`serve benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...children].map((entry) => stopChild(entry, 5_000)));
  killEverythingNow();
}

if (fatal || !results.length) process.exit(1);

// ---------------------------------------------------------------------------------------------
// The report.

const redisVersion = /v=(\S+)/.exec(spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).stdout)?.[1];
const report = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, memoryGiB: totalmem() / 1024 ** 3, node: process.version, redis: redisVersion, loadAverageBefore: loadBefore, loadAverageAfter: loadavg() },
  setup: {
    models: 'tiny (shipped, untrained)', device: 'cpu', source: SOURCE, target: TARGET, jobsPerClientScenario: jobsPerScenario, clients: clientCounts, burst: burstSize,
    warmupPerWorker, sources: values.sources, waiting: pollMs === undefined ? 'events' : `poll ${pollMs} ms`, workerConcurrency: 1, wallSeconds: (Date.now() - benchStarted) / 1000,
  },
  configurations: results,
};
const first = results[0];
const retriedTotal = results.reduce((sum, r) => sum + r.clients.reduce((s2, c) => s2 + c.retried, 0) + (r.burst?.retried ?? 0), 0);
const cachedTotal = results.reduce((sum, r) => sum + r.clients.reduce((s2, c) => s2 + c.sourceFromCache, 0) + (r.burst?.sourceFromCache ?? 0), 0);
const failedTotal = results.reduce((sum, r) => sum + r.warmupFailed + r.clients.reduce((s2, c) => s2 + c.failed, 0) + (r.burst?.failed ?? 0), 0);

const lines = [];
lines.push('| workers | clients | jobs | failed | swaps/s | end-to-end p50 | p95 | queue wait p50 | service p50 |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  for (const c of r.clients) lines.push(`| ${r.label} | ${c.clients} | ${c.jobs} | ${c.failed} | ${c.throughput.toFixed(2)} | ${fmt(c.latencyMs.p50)} | ${fmt(c.latencyMs.p95)} | ${fmt(c.queueWaitMs.p50)} | ${fmt(c.serviceMs.p50)} |`);
}
const clientsTable = lines.splice(0);
if (burstSize) {
  lines.push('| workers | jobs posted at once | failed | all posted after | all done after | swaps/s | queue wait p50 | p95 | max | service p50 |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const b = r.burst;
    lines.push(`| ${r.label} | ${b.jobs} | ${b.failed} | ${fmt(b.submitSeconds * 1000)} | ${fmt(b.wallSeconds * 1000)} | ${b.throughput.toFixed(2)} | ${fmt(b.queueWaitMs.p50)} | ${fmt(b.queueWaitMs.p95)} | ${fmt(b.queueWaitMs.max)} | ${fmt(b.serviceMs.p50)} |`);
  }
}
const burstTable = lines.splice(0);
if (results.length > 1) {
  lines.push(`| ratio to ${first.label} | clients | swaps/s | end-to-end p50 | p95 | service p50 |`);
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const r of results.slice(1)) {
    r.clients.forEach((c, i) => {
      const b = first.clients[i];
      lines.push(`| ${r.label} | ${c.clients} | ${ratio(c.throughput, b.throughput)} | ${ratio(c.latencyMs.p50, b.latencyMs.p50)} | ${ratio(c.latencyMs.p95, b.latencyMs.p95)} | ${ratio(c.serviceMs.p50, b.serviceMs.p50)} |`);
    });
  }
  if (burstSize) {
    lines.push('');
    lines.push(`| burst of ${burstSize}, ratio to ${first.label} | swaps/s | queue wait p50 | p95 | max | service p50 |`);
    lines.push('|---|---:|---:|---:|---:|---:|');
    for (const r of results.slice(1)) {
      const [b, f] = [r.burst, first.burst];
      lines.push(`| ${r.label} | ${ratio(b.throughput, f.throughput)} | ${ratio(b.queueWaitMs.p50, f.queueWaitMs.p50)} | ${ratio(b.queueWaitMs.p95, f.queueWaitMs.p95)} | ${ratio(b.queueWaitMs.max, f.queueWaitMs.max)} | ${ratio(b.serviceMs.p50, f.serviceMs.p50)} |`);
    }
  }
}
const ratioTable = lines.splice(0);

const m = report.machine;
const load = (xs) => xs.map((x) => x.toFixed(2)).join(' / ');
console.log(`\nswap service on ${m.cpu}, ${m.cores} cores, Node ${m.node}, redis-server ${m.redis}; load average (1/5/15 min) ${load(m.loadAverageBefore)} before, ${load(m.loadAverageAfter)} after; ${report.setup.wallSeconds.toFixed(0)} s in all`);
for (const table of [clientsTable, burstTable, ratioTable]) if (table.length) console.log(`\n${table.join('\n')}`);
const failures = results.flatMap((r) => [...r.clients.flatMap((c) => c.failures), ...(r.burst?.failures ?? [])]);
console.log(failedTotal ? `\n${failedTotal} jobs FAILED, e.g. ${failures[0]?.id}: ${failures[0]?.error}` : '\nevery job completed, and every result was a PNG');
if (retriedTotal) console.log(`${retriedTotal} jobs completed only on a retry (attempts > 1)`);
console.log(`measured jobs whose source face came from the workers' cache: ${cachedTotal}`);

if (!values['no-write']) {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${out}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${out}.partial`, out);
  // The command as run, less the options that change no figure.
  const argv = process.argv.slice(2);
  const shown = argv.filter((arg, i) => !['--note', '--out', '--no-write'].includes(arg) && !['--note', '--out'].includes(argv[i - 1]) && !/^--(note|out)=/.test(arg));
  const command = ['node scripts/bench/serve.mjs', ...shown].join(' ');
  const threadsOf = results.map((r) => `${r.label} (\`--threads ${r.threads}\`)`).join(', then ');
  const section = [
    '<!-- serve-benchmark:start -->',
    `Measured by \`pnpm bench --only serve\` (\`${command}\`) on ${m.cpu}, ${m.cores} cores, no GPU, ${report.date.slice(0, 10)}, Node ${m.node}, redis-server ${m.redis}: its own redis-server (loopback, no persistence), one \`fslsd-server serve\` and worker processes (\`--concurrency 1\`, tiny set, CPU) on the same machine: ${threadsOf}. ` +
      `Each swap puts ${SOURCE}'s face onto ${TARGET} (${(targetBytes.length / 1024).toFixed(0)} KiB); each client POSTs, waits on ${pollMs === undefined ? 'the `/events` stream' : `\`GET /v1/swaps/:id\` every ${pollMs} ms`} and GETs the PNG, then starts the next. ${distinctSources ? 'Every source photo differs by a JPEG comment (same pixels), so the workers\' source-face cache never hits and each job encodes its source' : 'One source photo for every job: the workers\' source-face cache encodes it once'}; \`serve\` runs with \`--rate-limit\` and \`--quota\` far above the load. ` +
      `${jobsPerScenario} jobs per client scenario, shared by the clients; ${warmupPerWorker} unmeasured job${warmupPerWorker === 1 ? '' : 's'} per worker first, on fresh workers for every scenario and configuration (the configurations take turns scenario by scenario). Load average (1/5/15 min) ${load(m.loadAverageBefore)} before, ${load(m.loadAverageAfter)} after; ${report.setup.wallSeconds.toFixed(0)} s in all.${values.note ? ` ${values.note}` : ''}`,
    '',
    ...clientsTable,
    '',
    ...(burstSize ? [`A burst: ${burstSize} jobs POSTed at once, then each waited on and fetched. Queue wait is the swap's \`startedAt - createdAt\` (stored by the POST to taken by a worker; BullMQ's processedOn), service time \`finishedAt - startedAt\`, both as \`GET /v1/swaps/:id\` shows them.`, '', ...burstTable, ''] : []),
    ...(ratioTable.length ? ['Ratios measured in the same run (above 1 is more swaps per second or a longer time):', '', ...ratioTable, ''] : []),
    `End-to-end latency runs from the POST to the last byte of the result; percentiles are nearest-rank over the completed jobs (with ${jobsPerScenario} jobs, p95 is the ${nth(Math.ceil(0.95 * jobsPerScenario))} of ${jobsPerScenario}). ` +
      `${failedTotal ? `**${failedTotal} jobs failed** (first: ${failures[0]?.error}).` : 'Every job completed and every result was a PNG (signature checked).'}${retriedTotal ? ` ${retriedTotal} completed only on a retry.` : ''} Measured jobs whose source face came from the cache: ${cachedTotal}. The raw JSON is \`${path.relative(root, out)}\`.`,
    '<!-- serve-benchmark:end -->',
  ].join('\n');
  writeBenchmarkSection('serve-benchmark', 'Swap service (HTTP API + BullMQ workers, tiny set, CPU) (issue 17)', section);
  console.log(`wrote ${path.relative(process.cwd(), out)} and the serve section of BENCHMARKS.md`);
}
// Failed jobs are in the tables and the JSON; the exit status says so too.
if (failedTotal) process.exitCode = 1;
