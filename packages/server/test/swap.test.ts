/**
 * Swaps end to end: the HTTP API in-process, `fslsd-server worker` child processes on the shipped
 * tiny set, a real redis-server. A swap returns a PNG of the target's size labelled synthetic in
 * its XMP; a worker SIGKILLed mid-job leaves a stalled job that another worker completes, and
 * the result is written exactly once, by the survivor.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { DIGITAL_SOURCE_TYPE, SYNTHETIC_LABEL } from '@fslsd/core';
import { packageDirectory } from '@fslsd/models/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwapJobResult } from '../src/index.js';
import { type RedisProcess, type RunningService, type WorkerProcess, as, pollSwap, skipRedis, startRedis, startService, startWorker, swapForm } from './harness.js';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const hopper = readFileSync(path.join(photos, 'hopper.jpg'));
const astronaut = readFileSync(path.join(photos, 'astronaut.png'));
// Short locks so a killed worker's job is found stalled within seconds, not BullMQ's 30 s.
const STALL = ['--lock-duration', '3000', '--stalled-interval', '1000'];

let redis: RedisProcess;
let running: RunningService;
let serviceClosed = false;
const workers: WorkerProcess[] = [];

describe.skipIf(skipRedis)('swaps through the service (HTTP -> Redis -> worker processes)', () => {
  beforeAll(async () => {
    redis = await startRedis();
    running = await startService(redis.url);
    workers.push(await startWorker(redis.url, STALL));
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    if (!serviceClosed) await running?.service.close();
    await redis?.stop();
  });

  it('swaps a photo: the result is a PNG of the target\'s size, labelled synthetic in its XMP, written once', async () => {
    const created = await fetch(`${running.base}/v1/swaps`, as('alice', { method: 'POST', body: swapForm(hopper, astronaut) }));
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const stages = new Set<string>();
    const done = await pollSwap(running.base, id, (view) => {
      if (view.progress) stages.add((view.progress as { stage: string }).stage);
      return view.status === 'completed' || view.status === 'failed';
    });
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('completed');
    const info = done.result as SwapJobResult & { url: string };
    expect(info).toMatchObject({ contentType: 'image/png', width: 512, height: 512, faces: 1, method: 'fslsd', url: `/v1/swaps/${id}/result`, writtenBy: `${hostname()}:${workers[0]!.pid}` });
    expect(info.models).toMatch(/tiny/);
    const response = await fetch(`${running.base}${info.url}`, as('alice'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await response.arrayBuffer());
    expect(png.byteLength).toBe(info.bytes);
    expect(createHash('sha256').update(png).digest('hex')).toBe(info.sha256);
    const metadata = await sharp(png).metadata();
    const target = await sharp(astronaut).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['png', target.width, target.height]);
    const xmp = metadata.xmp?.toString('utf8') ?? '';
    expect(xmp).toContain(DIGITAL_SOURCE_TYPE);
    expect(xmp).toContain(SYNTHETIC_LABEL);
    // The swap changed pixels of the target, only some of them (the face region).
    const [ours, theirs] = await Promise.all([sharp(png).removeAlpha().raw().toBuffer(), sharp(astronaut).removeAlpha().raw().toBuffer()]);
    let changed = 0;
    for (let i = 0; i < ours.length; i += 1) if (ours[i] !== theirs[i]) changed += 1;
    console.log(`swap ${id}: ${info.milliseconds} ms in the worker, ${changed} of ${ours.length} channel values changed, stages seen ${[...stages].join(', ')}`);
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(ours.length / 2);
    // The inputs are deleted once the result is written; the result and its description stay.
    expect(await redis.client.exists(`fslsd:swap:${id}:source`, `fslsd:swap:${id}:target`)).toBe(0);
    expect(workers[0]!.lines.filter((line) => line.startsWith(`completed ${id}`))).toHaveLength(1);
  });

  it('a worker SIGKILLed mid-job: the stalled job is completed by another worker, the result written once, by it', async () => {
    const victim = workers[0]!;
    const created = await fetch(`${running.base}/v1/swaps`, as('alice', { method: 'POST', body: swapForm(hopper, astronaut) }));
    const { id } = (await created.json()) as { id: string };
    const active = await pollSwap(running.base, id, (view) => view.status !== 'waiting', 60_000, 20);
    expect(active.status).toBe('active');
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    expect(await redis.client.exists(`fslsd:swap:${id}:result`)).toBe(0);
    // The survivor starts after the kill, so it can only have the job through stalled-job recovery.
    const survivor = await startWorker(redis.url, STALL);
    workers.push(survivor);
    const done = await pollSwap(running.base, id, (view) => view.status === 'completed' || view.status === 'failed', 90_000, 100);
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('completed');
    const info = done.result as SwapJobResult;
    expect(info.writtenBy).toBe(`${hostname()}:${survivor.pid}`);
    expect(info.writtenBy).not.toBe(`${hostname()}:${victim.pid}`);
    expect(done.attempts).toBe(2);
    expect(victim.lines.some((line) => line.includes(id))).toBe(false);
    // The worker prints its line just after the result is readable: wait for it (up to 10 s).
    for (let wait = 0; wait < 100 && !survivor.lines.some((line) => line.includes(id)); wait += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(survivor.lines.filter((line) => line.includes(id))).toEqual([expect.stringMatching(new RegExp(`^completed ${id} 512x512 in \\d+ ms by ${hostname()}:${survivor.pid}$`))]);
    const png = Buffer.from(await (await fetch(`${running.base}/v1/swaps/${id}/result`, as('alice'))).arrayBuffer());
    expect(createHash('sha256').update(png).digest('hex')).toBe(info.sha256);
    expect((await sharp(png).metadata()).xmp?.toString('utf8')).toContain(DIGITAL_SOURCE_TYPE);
    console.log(`stalled job ${id}: completed by the survivor ${Date.now() - killedAt} ms after the kill (worker start included), attempts ${String(done.attempts)}`);
  });

  it('streams the swap as server-sent events until it completes', async () => {
    const created = await fetch(`${running.base}/v1/swaps`, as('alice', { method: 'POST', body: swapForm(hopper, astronaut, { faceIndex: '0' }) }));
    const { id } = (await created.json()) as { id: string };
    const stream = await fetch(`${running.base}/v1/swaps/${id}/events`, as('alice'));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const text = await stream.text(); // ends after the final status
    const views = text.split('\n\n').filter((block) => block.startsWith('event: swap')).map((block) => JSON.parse(block.split('\ndata: ')[1]!) as { status: string; progress?: { stage: string } });
    const statuses = views.map((view) => view.status);
    console.log(`events of ${id}: ${views.map((view) => view.status + (view.progress ? `/${view.progress.stage}` : '')).join(' ')}`);
    expect(statuses.at(-1)).toBe('completed');
    expect(statuses.filter((status) => status === 'completed')).toHaveLength(1);
    expect(views.some((view) => view.status === 'active' && view.progress?.stage === 'synthesize')).toBe(true);
    const bob = await fetch(`${running.base}/v1/swaps/${id}/events`, as('bob'));
    expect(bob.status).toBe(404);
  });

  it('a worker told to stop after Redis is gone still exits (SIGTERM, exit 0), and so does the server', async () => {
    // "kill the worker; redis-cli shutdown", typed quickly: Redis goes while the worker closes.
    await redis.stop();
    const alive = workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
    expect(alive.length).toBeGreaterThan(0);
    expect(await Promise.all(alive.map((worker) => worker.stop('SIGTERM')))).toEqual(alive.map(() => 0));
    await running.service.close();
    serviceClosed = true;
  });
});
