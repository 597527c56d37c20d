/**
 * The service as a fleet: three `fslsd-server worker` processes on one real redis-server with
 * append-only persistence, the HTTP API in-process. Sixty swaps spread over the workers, each
 * result correct and labelled; the source-face cache encodes each photo once for the fleet;
 * Redis restarted mid-run loses nothing; SIGTERM drains a worker; an active swap is cancelled;
 * /metrics counts what happened.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { DIGITAL_SOURCE_TYPE, SYNTHETIC_LABEL } from '@fslsd/core';
import { packageDirectory } from '@fslsd/models/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SwapJobResult, queueName } from '../src/index.js';
import { type RedisProcess, type RunningService, type WorkerProcess, as, pollSwap, skipRedis, startRedis, startService, startWorker, swapForm } from './harness.js';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const hopper = readFileSync(path.join(photos, 'hopper.jpg'));
const astronaut = readFileSync(path.join(photos, 'astronaut.png'));
const PHOTOS = { hopper, astronaut } as const;
type Photo = keyof typeof PHOTOS;
/** Every (source, target) pair of the two photos. */
const PAIRS: readonly (readonly [Photo, Photo])[] = [['hopper', 'astronaut'], ['astronaut', 'hopper'], ['hopper', 'hopper'], ['astronaut', 'astronaut']];
// Locks long enough for a loaded 2-core machine (a lock that lapses while its worker still swaps
// makes BullMQ hand the job to a second worker), short enough to recover within the test.
const STALL = ['--lock-duration', '15000', '--stalled-interval', '5000'];
const FINAL = new Set(['completed', 'failed', 'cancelled', 'expired']);

let redis: RedisProcess;
let running: RunningService;
let workers: WorkerProcess[] = [];
/** sha256 of the result of each pair, from the first test: a swap is deterministic on the CPU. */
const expected = new Map<string, string>();
/** Width and height of each photo: a result has its target's. */
const sizes: Record<Photo, [number, number]> = { hopper: [0, 0], astronaut: [0, 0] };
/** Ids of every swap that completed, over all tests. */
const completed = new Set<string>();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const nameOf = (worker: WorkerProcess) => `${hostname()}:${worker.pid}`;

async function submit(pair: readonly [Photo, Photo]): Promise<string> {
  const response = await fetch(`${running.base}/v1/swaps`, as('alice', { method: 'POST', body: swapForm(PHOTOS[pair[0]], PHOTOS[pair[1]]) }));
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** Waits for swap `id` to end; checks a completed one's PNG against its description and label. */
async function finish(id: string, timeoutMs = 240_000): Promise<{ status: string; result?: SwapJobResult; error?: { code: string } }> {
  const view = (await pollSwap(running.base, id, (v) => FINAL.has(v.status), timeoutMs, 100)) as { status: string; result?: SwapJobResult; error?: { code: string } };
  if (view.status === 'completed') {
    const png = Buffer.from(await (await fetch(`${running.base}/v1/swaps/${id}/result`, as('alice'))).arrayBuffer());
    expect(sha256(png)).toBe(view.result!.sha256);
    const xmp = (await sharp(png).metadata()).xmp?.toString('utf8') ?? '';
    expect(xmp).toContain(DIGITAL_SOURCE_TYPE);
    expect(xmp).toContain(SYNTHETIC_LABEL);
    completed.add(id);
  }
  return view;
}

describe.skipIf(skipRedis)('a fleet of workers on one Redis', () => {
  beforeAll(async () => {
    for (const photo of ['hopper', 'astronaut'] as const) {
      const { width, height } = await sharp(PHOTOS[photo]).metadata();
      sizes[photo] = [width!, height!];
    }
    redis = await startRedis({ appendonly: true });
    running = await startService(redis.url, { quota: 1000, requestsPerMinute: 100_000 });
    workers = await Promise.all([startWorker(redis.url, STALL), startWorker(redis.url, STALL), startWorker(redis.url, STALL)]);
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await running?.service.close();
    await redis?.stop();
  });

  it('60 swaps over 3 workers: every one completes once, correct and labelled; each source photo is encoded once for the fleet', async () => {
    const started = Date.now();
    const jobs = await Promise.all(Array.from({ length: 60 }, async (_, index) => ({ pair: PAIRS[index % PAIRS.length]!, id: await submit(PAIRS[index % PAIRS.length]!) })));
    const views = await Promise.all(jobs.map(({ id }) => finish(id)));
    const byWorker = new Map<string, number>();
    views.forEach((view, index) => {
      expect(view.error).toBeUndefined();
      expect(view.status).toBe('completed');
      const result = view.result!;
      expect([result.width, result.height]).toEqual(sizes[jobs[index]!.pair[1]]);
      byWorker.set(result.writtenBy, (byWorker.get(result.writtenBy) ?? 0) + 1);
      // The same pair gives the same bytes whichever worker swapped it, from a cached face or not.
      const key = jobs[index]!.pair.join('->');
      if (!expected.has(key)) expected.set(key, result.sha256);
      expect(result.sha256).toBe(expected.get(key));
    });
    // Every worker took part, and every result was written by one of them.
    expect([...byWorker.keys()].sort()).toEqual(workers.map(nameOf).sort());
    // Two source photos: two encodings in the whole fleet, 58 faces read from the cache.
    expect(views.filter((view) => view.result!.sourceFace === 'encoded')).toHaveLength(2);
    expect(await redis.client.keys('fslsd:source-face:*')).toHaveLength(2);
    // Each job ran once: no retries, one "completed" line for it in all the workers' logs (a
    // worker prints it just after the result is readable: wait for the lines).
    const linesOf = (id: string) => workers.flatMap((worker) => worker.lines).filter((line) => line.startsWith(`completed ${id} `));
    for (let wait = 0; wait < 100 && jobs.some(({ id }) => linesOf(id).length === 0); wait += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const { id } of jobs) expect(linesOf(id)).toHaveLength(1);
    console.log(`60 swaps over 3 workers in ${Date.now() - started} ms; per worker ${[...byWorker.values()].join(', ')}; ${expected.size} distinct results`);
    expect(expected.size).toBe(4);
  });

  it('Redis restarted mid-run (append-only file): every queued and running swap still completes, with the same results', async () => {
    const jobs = await Promise.all(Array.from({ length: 12 }, async (_, index) => ({ pair: PAIRS[index % PAIRS.length]!, id: await submit(PAIRS[index % PAIRS.length]!) })));
    // Restart once the first swap (whichever it is: the twelve are queued concurrently) has
    // completed, while the rest still wait or run.
    const statuses = () => Promise.all(jobs.map(async ({ id }) => ((await (await fetch(`${running.base}/v1/swaps/${id}`, as('alice'))).json()) as { status: string }).status));
    let before = await statuses();
    for (const deadline = Date.now() + 120_000; !before.includes('completed') && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      before = await statuses();
    }
    await redis.restart(1_000);
    const queued = before.filter((status) => status === 'waiting' || status === 'active').length;
    const views = await Promise.all(jobs.map(({ id }) => finish(id)));
    views.forEach((view, index) => {
      expect(view.error).toBeUndefined();
      expect(view.status).toBe('completed');
      expect(view.result!.sha256).toBe(expected.get(jobs[index]!.pair.join('->')));
    });
    console.log(`Redis restarted with ${queued} of 12 swaps waiting or active; all 12 completed after it`);
    expect(queued).toBeGreaterThan(0);
  });

  it('SIGTERM drains a worker: it finishes its running swap, takes no new one, and exits 0', async () => {
    // Two workers leave (idle: they exit at once); one remains.
    expect(await Promise.all(workers.slice(1).map((worker) => worker.stop('SIGTERM')))).toEqual([0, 0]);
    const draining = workers[0]!;
    workers = [draining];
    const first = await submit(['hopper', 'astronaut']);
    const active = await pollSwap(running.base, first, (view) => view.status !== 'waiting', 60_000, 20);
    expect(active.status).toBe('active');
    draining.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await submit(['astronaut', 'hopper']);
    expect(await draining.exited).toBe(0);
    const view = await finish(first);
    expect(view.status).toBe('completed');
    expect(view.result!.writtenBy).toBe(nameOf(draining));
    // Nobody took the second: it waits, intact, for the next worker.
    expect(((await (await fetch(`${running.base}/v1/swaps/${second}`, as('alice'))).json()) as { status: string }).status).toBe('waiting');
    const next = await startWorker(redis.url, STALL);
    workers = [next];
    const later = await finish(second);
    expect(later.status).toBe('completed');
    expect(later.result!.writtenBy).toBe(nameOf(next));
  });

  it('DELETE cancels an active swap: its worker aborts it, no result is ever written, the quota is freed', async () => {
    const worker = workers[0]!;
    const id = await submit(['hopper', 'astronaut']);
    const active = await pollSwap(running.base, id, (view) => view.status !== 'waiting', 60_000, 10);
    expect(active.status).toBe('active');
    const cancel = await fetch(`${running.base}/v1/swaps/${id}`, as('alice', { method: 'DELETE' }));
    expect(cancel.status).toBe(200);
    expect(((await cancel.json()) as { status: string }).status).toBe('cancelled');
    const deadline = Date.now() + 30_000;
    while (!worker.lines.some((line) => line.startsWith(`failed ${id}`)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(worker.lines.filter((line) => line.includes(id))).toEqual([expect.stringMatching(new RegExp(`^failed ${id}: .*"code":"CANCELLED"`))]);
    const job = await redis.client.hgetall(`bull:${queueName('fslsd')}:${id}`);
    expect(JSON.parse(job.failedReason ?? '{}')).toMatchObject({ code: 'CANCELLED' });
    // Aborted mid-swap: it never reached the result (a worker not told would swap to the end,
    // and only the write would be refused).
    expect((JSON.parse(job.progress ?? '{}') as { stage?: string }).stage).not.toBe('writing-result');
    expect(await redis.client.exists(`fslsd:swap:${id}:result`, `fslsd:swap:${id}:result-info`, `fslsd:swap:${id}:source`, `fslsd:swap:${id}:target`)).toBe(0);
    expect(await redis.client.zscore('fslsd:tenant:alice:open', id)).toBeNull();
    expect(((await (await fetch(`${running.base}/v1/swaps/${id}`, as('alice'))).json()) as { status: string }).status).toBe('cancelled');
    const completedSwap = [...completed][0]!;
    const late = await fetch(`${running.base}/v1/swaps/${completedSwap}`, as('alice', { method: 'DELETE' }));
    expect(late.status).toBe(409);
  });

  it('/metrics: the fleet\'s completed swaps in the duration histograms, the cancellation among the failures, the queue by state', async () => {
    // A worker marks its job completed in BullMQ just after writing the result: let the last
    // ones land before comparing counts.
    let text = '';
    for (let wait = 0; wait < 100; wait += 1) {
      text = await (await fetch(`${running.base}/metrics`)).text();
      if (text.includes(`fslsd_queue_jobs{method="fslsd",state="completed"} ${completed.size}\n`)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      expect(line, series).toBeDefined();
      return Number(line!.slice(series.length + 1));
    };
    for (const phase of ['wait', 'run', 'total']) {
      expect(value(`fslsd_swap_duration_seconds_count{method="fslsd",phase="${phase}"}`)).toBe(completed.size);
      expect(value(`fslsd_swap_duration_seconds_bucket{method="fslsd",phase="${phase}",le="+Inf"}`)).toBe(completed.size);
      expect(value(`fslsd_swap_duration_seconds_sum{method="fslsd",phase="${phase}"}`)).toBeGreaterThan(0);
    }
    // Cumulative buckets never decrease.
    const buckets = text.split('\n').filter((l) => l.startsWith('fslsd_swap_duration_seconds_bucket{method="fslsd",phase="run"')).map((l) => Number(l.split(' ')[1]));
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(value('fslsd_swaps_failed_total{method="fslsd",code="CANCELLED"}')).toBe(1);
    expect(value('fslsd_queue_jobs{method="fslsd",state="completed"}')).toBe(completed.size);
    expect(value('fslsd_queue_jobs{method="fslsd",state="failed"}')).toBe(1);
    expect(value('fslsd_queue_jobs{method="fslsd",state="waiting"}')).toBe(0);
    expect(value('fslsd_queue_workers{method="fslsd"}')).toBe(1);
    expect(value('fslsd_queue_workers{method="megafs"}')).toBe(0);
    console.log(`/metrics after ${completed.size} swaps: total p-sum ${value('fslsd_swap_duration_seconds_sum{method="fslsd",phase="total"}').toFixed(1)} s`);
  });
});
