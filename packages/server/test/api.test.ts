/**
 * The HTTP API against a real Redis, with no worker running (so jobs stay waiting): keys and
 * tenants, idempotency, upload limits and formats, cancellation, health, the OpenAPI document,
 * and the result written once. Every refusal is typed JSON with a fix, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageDirectory } from '@fslsd/models/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SwapJobResult, parseKeys, queueName } from '../src/index.js';
import { getResult, markCancelled, writeResultOnce } from '../src/queue/storage.js';
import { type RedisProcess, type RunningService, as, skipRedis, startRedis, startService, swapForm } from './harness.js';

const photos = path.join(packageDirectory(), 'assets', 'photos');
const hopper = readFileSync(path.join(photos, 'hopper.jpg'));
const astronaut = readFileSync(path.join(photos, 'astronaut.png'));

let redis: RedisProcess;
let running: RunningService;

/** A response's error body, checked for the one shape and for the absence of stack traces. */
async function errorOf(response: Response): Promise<{ code: string; message: string; fix: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await response.text();
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
  const body = JSON.parse(text) as { error: { code: string; message: string; fix: string } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'fix', 'message']);
  expect(body.error.fix.length).toBeGreaterThan(10);
  return body.error;
}

async function post(form: FormData, who = 'alice', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${running.base}/v1/swaps`, as(who, { method: 'POST', body: form, headers }));
}

describe.skipIf(skipRedis)('HTTP API v1 on a real Redis', () => {
  beforeAll(async () => {
    redis = await startRedis();
    // 600 kB per file and 0.6 megapixels: astronaut.png (791,555 bytes) is over the byte limit,
    // a 1000x1000 PNG of a few kB over the pixel limit; hopper.jpg (512x600, 61 kB) passes both.
    running = await startService(redis.url, { maxUploadBytes: 600_000, maxPixels: 600_000, ttlSeconds: 600 });
  });
  afterAll(async () => {
    await running?.service.close();
    await redis?.stop();
  });

  it('queues a swap (202), stores both inputs in Redis with a TTL, and the job waits', async () => {
    const response = await post(swapForm(hopper, hopper, { faceIndex: '0' }));
    expect(response.status).toBe(202);
    const view = (await response.json()) as { id: string; status: string; method: string };
    expect(view).toMatchObject({ status: 'waiting', method: 'fslsd', attempts: 0 });
    expect(response.headers.get('location')).toBe(`/v1/swaps/${view.id}`);
    const stored = await redis.client.getBuffer(`fslsd:swap:${view.id}:target`);
    expect(stored?.equals(hopper)).toBe(true);
    const ttl = await redis.client.ttl(`fslsd:swap:${view.id}:source`);
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await redis.client.hget(`fslsd:swap:${view.id}`, 'tenant')).toBe('alice');
    const job = JSON.parse((await redis.client.hget(`bull:${queueName('fslsd')}:${view.id}`, 'data'))!) as { options: unknown; tenant: string };
    expect(job).toMatchObject({ tenant: 'alice', options: { faceIndex: 0 } });
  });

  it('401 without a key and with a wrong key; 404 for another tenant\'s swap (GET, result, DELETE)', async () => {
    const form = () => swapForm(hopper, hopper);
    const none = await fetch(`${running.base}/v1/swaps`, { method: 'POST', body: form() });
    expect(none.status).toBe(401);
    expect((await errorOf(none)).code).toBe('UNAUTHORIZED');
    const wrong = await post(form(), 'fsk_not_a_key');
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).message).toBe('The API key is not valid.');
    const { id } = (await (await post(form())).json()) as { id: string };
    for (const [method, suffix] of [['GET', ''], ['GET', '/result'], ['DELETE', '']] as const) {
      const bob = await fetch(`${running.base}/v1/swaps/${id}${suffix}`, as('bob', { method }));
      expect(bob.status, `${method} ${suffix}`).toBe(404);
      expect((await errorOf(bob)).code).toBe('NOT_FOUND');
    }
    // The same answer as for an id that never existed: nothing tells them apart.
    const never = await fetch(`${running.base}/v1/swaps/00000000-0000-4000-8000-000000000000`, as('bob'));
    expect((await errorOf(never)).message).toBe('There is no swap 00000000-0000-4000-8000-000000000000 for this API key.');
    expect((await (await fetch(`${running.base}/v1/swaps/${id}`, as('alice'))).json()) as object).toMatchObject({ id, status: 'waiting' });
  });

  it('an Idempotency-Key returns the same job for a retried POST, one job in the queue; a different request with it is 422', async () => {
    const key = 'retry-me-7f3a';
    const first = await post(swapForm(hopper, hopper, { strength: '0.5' }), 'alice', { 'idempotency-key': key });
    const second = await post(swapForm(hopper, hopper, { strength: '0.5' }), 'alice', { 'idempotency-key': key });
    expect([first.status, second.status]).toEqual([202, 200]);
    expect(second.headers.get('idempotent-replay')).toBe('true');
    const a = (await first.json()) as { id: string };
    const b = (await second.json()) as { id: string; status: string };
    expect(b.id).toBe(a.id);
    expect(b.status).toBe('waiting');
    const jobs = await redis.client.keys(`bull:${queueName('fslsd')}:*-*-*-*-*`);
    const withStrength = [];
    for (const job of jobs.filter((k) => !k.includes(':', `bull:${queueName('fslsd')}:`.length))) {
      const data = await redis.client.hget(job, 'data');
      if (data?.includes('"strength":0.5')) withStrength.push(job);
    }
    expect(withStrength).toEqual([`bull:${queueName('fslsd')}:${a.id}`]);
    // Bob's key space is his own: the same Idempotency-Key makes a new job for him.
    const bob = await post(swapForm(hopper, hopper, { strength: '0.5' }), 'bob', { 'idempotency-key': key });
    expect(bob.status).toBe(202);
    expect(((await bob.json()) as { id: string }).id).not.toBe(a.id);
    const changed = await post(swapForm(hopper, hopper, { strength: '0.6' }), 'alice', { 'idempotency-key': key });
    expect(changed.status).toBe(422);
    expect((await errorOf(changed)).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses oversized uploads (bytes while streaming, pixels from the header) with 413', async () => {
    const big = await post(swapForm(hopper, astronaut));
    expect(big.status).toBe(413);
    expect((await errorOf(big)).code).toBe('PAYLOAD_TOO_LARGE');
    const wide = await sharp({ create: { width: 1000, height: 1000, channels: 3, background: '#808080' } }).png().toBuffer();
    expect(wide.byteLength).toBeLessThan(600_000);
    const pixels = await post(swapForm(hopper, wide));
    expect(pixels.status).toBe(413);
    const error = await errorOf(pixels);
    expect(error.code).toBe('TOO_MANY_PIXELS');
    expect(error.message).toBe('The target image is 1000x1000 (1.0 megapixels); this service takes at most 0.6.');
  });

  it('refuses SVG and PDF (415), a truncated PNG (422), no multipart (415), unknown and bad fields (400)', async () => {
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    const svgResponse = await post(swapForm(svg, hopper, {}, { source: 'face.png' }));
    expect(svgResponse.status).toBe(415);
    expect(await errorOf(svgResponse)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The source upload is an SVG image.' });
    const pdf = await post(swapForm(hopper, Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n')));
    expect(pdf.status).toBe(415);
    expect((await errorOf(pdf)).message).toBe('The target upload is a PDF document.');
    const truncated = await post(swapForm(hopper, astronaut.subarray(0, 40)));
    expect(truncated.status).toBe(422);
    expect(await errorOf(truncated)).toMatchObject({ code: 'INVALID_IMAGE', message: 'The target upload starts like PNG but its header cannot be read.' });
    const json = await fetch(`${running.base}/v1/swaps`, as('alice', { method: 'POST', body: '{"source":"/etc/passwd"}', headers: { 'content-type': 'application/json' } }));
    expect(json.status).toBe(415);
    expect((await errorOf(json)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const unknown = await post(swapForm(hopper, hopper, { path: '/etc/passwd' }));
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).message).toBe('Unknown field "path".');
    const bad = await post(swapForm(hopper, hopper, { faceIndex: '-1' }));
    expect((await errorOf(bad)).message).toBe('The field faceIndex must be an integer 0-255, got "-1".');
    const missing = new FormData();
    missing.append('source', new Blob([hopper]), 'a.jpg');
    const one = await post(missing);
    expect(one.status).toBe(400);
    expect((await errorOf(one)).message).toBe('The target file is missing.');
  });

  it('cancels a waiting swap: its job and inputs are gone, its status says cancelled, and a second DELETE is harmless', async () => {
    const { id } = (await (await post(swapForm(hopper, hopper))).json()) as { id: string };
    const early = await fetch(`${running.base}/v1/swaps/${id}/result`, as('alice'));
    expect(early.status).toBe(409);
    expect((await errorOf(early)).code).toBe('RESULT_NOT_READY');
    const cancel = await fetch(`${running.base}/v1/swaps/${id}`, as('alice', { method: 'DELETE' }));
    expect(cancel.status).toBe(200);
    expect((await cancel.json()) as object).toMatchObject({ id, status: 'cancelled' });
    expect(await redis.client.exists(`bull:${queueName('fslsd')}:${id}`, `fslsd:swap:${id}:source`, `fslsd:swap:${id}:target`)).toBe(0);
    expect(await redis.client.lrange(`bull:${queueName('fslsd')}:wait`, 0, -1)).not.toContain(id);
    expect((await (await fetch(`${running.base}/v1/swaps/${id}`, as('alice'))).json()) as object).toMatchObject({ status: 'cancelled' });
    const again = await fetch(`${running.base}/v1/swaps/${id}`, as('alice', { method: 'DELETE' }));
    expect(again.status).toBe(200);
  });

  it('writes a result once: a second write (a retried job) keeps the first bytes and description; a cancelled swap gets none', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    const info = (writtenBy: string): SwapJobResult => ({ contentType: 'image/png', width: 1, height: 1, bytes: 3, sha256: writtenBy, faces: 1, method: 'fslsd', models: 'tiny', writtenBy, writtenAt: 1, milliseconds: 1, sourceFace: 'encoded' });
    await redis.client.zadd(`fslsd:tenant:alice:open`, 1, id);
    const durations = { wait: 0.5, run: 3, total: 3.5 };
    const first = await writeResultOnce(redis.client, id, 'alice', Buffer.from('one'), info('worker-a'), 60, durations);
    const second = await writeResultOnce(redis.client, id, 'alice', Buffer.from('two'), info('worker-b'), 60, durations);
    expect(first).toMatchObject({ outcome: 'written', info: { writtenBy: 'worker-a' } });
    expect(second).toMatchObject({ outcome: 'exists', info: { writtenBy: 'worker-a' } });
    expect((await getResult(redis.client, id))?.toString()).toBe('one');
    // The one write counted its durations once, in the buckets at or above each.
    const histogram = await redis.client.hgetall('fslsd:metrics:durations:fslsd');
    expect(histogram).toMatchObject({ 'run:5': '1', 'run:1800': '1', 'run:count': '1', 'run:sum': '3', 'wait:0.5': '1', 'total:5': '1', 'total:count': '1' });
    expect(Object.keys(histogram).filter((field) => ['run:2', 'wait:0.25', 'total:2'].includes(field))).toEqual([]);
    expect(Object.keys(histogram)).toHaveLength(3 * 2 + 8 + 11 + 8); // count and sum of each phase; buckets from 5 s (run, total) and 0.5 s (wait) up
    // Written: no longer counted against the tenant's quota. A completed swap cannot be cancelled.
    expect(await redis.client.zscore('fslsd:tenant:alice:open', id)).toBeNull();
    expect(await markCancelled(redis.client, id, 'alice')).toBe(false);
    // Cancelled first: the write is refused and nothing is stored.
    const other = '11111111-2222-4333-8444-666666666666';
    expect(await markCancelled(redis.client, other, 'alice')).toBe(true);
    expect(await writeResultOnce(redis.client, other, 'alice', Buffer.from('three'), info('worker-c'), 60, durations)).toEqual({ outcome: 'cancelled' });
    expect(await getResult(redis.client, other)).toBeNull();
  });

  it('serves /healthz, /readyz, /openapi.json and typed 404s', async () => {
    expect(await (await fetch(`${running.base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${running.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');
    const openapi = (await (await fetch(`${running.base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths).sort()).toEqual(['/healthz', '/metrics', '/openapi.json', '/readyz', '/v1/swaps', '/v1/swaps/{id}', '/v1/swaps/{id}/events', '/v1/swaps/{id}/result', '/v1/videos', '/v1/videos/{id}', '/v1/videos/{id}/events', '/v1/videos/{id}/result']);
    const nowhere = await fetch(`${running.base}/v2/anything`);
    expect(nowhere.status).toBe(404);
    expect((await errorOf(nowhere)).message).toBe('There is no GET /v2/anything.');
  });

  it('limits each tenant\'s unfinished swaps (429 QUOTA_EXCEEDED, freed by a cancel) and each key\'s requests per minute (429 RATE_LIMITED with Retry-After), per key', async () => {
    const limited = await startService(redis.url, { ttlSeconds: 600, quota: 2, requestsPerMinute: 6 });
    try {
      const send = (who: string) => fetch(`${limited.base}/v1/swaps`, as(who, { method: 'POST', body: swapForm(hopper, hopper) }));
      // bob's earlier swaps and requests in this file must not count here.
      await redis.client.del('fslsd:tenant:bob:open', ...(await redis.client.keys('fslsd:rate:*')));
      const first = await send('bob');
      const second = await send('bob');
      expect([first.status, second.status]).toEqual([202, 202]);
      const third = await send('bob');
      expect(third.status).toBe(429);
      expect((await errorOf(third)).code).toBe('QUOTA_EXCEEDED');
      const { id } = (await first.json()) as { id: string };
      expect((await fetch(`${limited.base}/v1/swaps/${id}`, as('bob', { method: 'DELETE' }))).status).toBe(200);
      expect((await send('bob')).status).toBe(202); // the 5th request
      expect((await fetch(`${limited.base}/v1/swaps/${id}`, as('bob'))).status).toBe(200); // the 6th
      const seventh = await fetch(`${limited.base}/v1/swaps/${id}`, as('bob'));
      expect(seventh.status).toBe(429);
      expect(Number(seventh.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(seventh.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect((await errorOf(seventh)).code).toBe('RATE_LIMITED');
      // An upload over the limit is refused before its body is read.
      const eighth = await send('bob');
      expect(eighth.status).toBe(429);
      expect((await errorOf(eighth)).code).toBe('RATE_LIMITED');
      // Another key has its own count; probes outside /v1 are never limited.
      expect((await fetch(`${limited.base}/v1/swaps/${id}`, as('alice'))).status).toBe(404);
      for (let i = 0; i < 8; i += 1) expect((await fetch(`${limited.base}/healthz`)).status).toBe(200);
    } finally {
      await limited.service.close();
    }
  });

  it('fslsd serve | worker | api-key: the main CLI of @fslsd/node runs these commands', () => {
    const fslsd = fileURLToPath(new URL('../../node/dist/cli.js', import.meta.url));
    const made = spawnSync(process.execPath, [fslsd, 'api-key', 'carol'], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const [keyLine, hashLine] = made.stdout.trim().split('\n');
    const key = keyLine!.replace(/^key\s+/, '');
    expect(key).toMatch(/^fsk_[A-Za-z0-9_-]{43}$/);
    expect(parseKeys(hashLine!.replace(/^line\s+/, ''), 'output').tenantOf(key)).toBe('carol');
    const help = spawnSync(process.execPath, [fslsd, 'worker', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fslsd worker /);
    const wrong = spawnSync(process.execPath, [fslsd, 'serve', '--port', 'eighty'], { encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toBe('fslsd: error [USAGE]: --port must be an integer >= 0, got "eighty".\n');
  });

  it('closing a server ends its open event streams instead of waiting for their swaps (SIGTERM behind a load balancer)', async () => {
    const other = await startService(redis.url, { ttlSeconds: 600 });
    const created = await fetch(`${other.base}/v1/swaps`, as('alice', { method: 'POST', body: swapForm(hopper, hopper) }));
    const { id } = (await created.json()) as { id: string };
    const stream = await fetch(`${other.base}/v1/swaps/${id}/events`, as('alice'));
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: swap\ndata: \{.*"status":"waiting"/);
    // No worker runs here: the swap stays waiting, yet close() returns and the stream ends.
    const closing = other.service.close();
    let ended = false;
    for (;;) {
      const { done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
    }
    await closing;
    expect(ended).toBe(true);
    expect(((await (await fetch(`${running.base}/v1/swaps/${id}`, as('alice'))).json()) as { status: string }).status).toBe('waiting');
  });

  it('/readyz answers 503 REDIS_UNAVAILABLE once Redis is gone', async () => {
    await redis.stop();
    const ready = await fetch(`${running.base}/readyz`);
    expect(ready.status).toBe(503);
    expect((await errorOf(ready)).code).toBe('REDIS_UNAVAILABLE');
  });
});
