/**
 * The test harness: a real redis-server on a free loopback port (Debian's, in a temporary
 * folder), the HTTP API in-process, and `fslsd-server worker` child processes on the shipped
 * tiny model set. Every test file starts its own and stops them after.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { skipWithout } from '../../../scripts/skips.mjs';
import { createService, parseKeys, hashKey, type Service, type ServiceLimits } from '../src/index.js';

export const REDIS_SERVER = process.env.FSLSD_REDIS_SERVER ?? '/usr/bin/redis-server';

/** True when the Redis tests must be skipped here (loudly; FSLSD_REQUIRE_REDIS=1 or CI=true fail instead). */
export const skipRedis = skipWithout(spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0, {
  group: 'swap service tests (@fslsd/server, redis-server)',
  missing: `${REDIS_SERVER} not found`,
  fix: 'apt-get install redis-server',
  require: 'FSLSD_REQUIRE_REDIS',
});

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  readonly folder: string;
  readonly client: Redis;
  /** Stops redis-server (SIGTERM: it flushes its append-only file), waits `downMs`, starts it again on the same port and folder. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port in a temporary folder, without persistence unless asked. */
export async function startRedis(options: { readonly appendonly?: boolean } = {}): Promise<RedisProcess> {
  const port = await freePort();
  const folder = mkdtempSync(path.join(tmpdir(), 'fslsd-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  // appendfsync always: every acknowledged write is on disk, so a restart loses nothing.
  const persistence = options.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', folder, '--daemonize', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    while (!/Ready to accept connections/.test(log)) {
      if (Date.now() > deadline || child.exitCode !== null) {
        // Never leave a redis-server behind for a failed start.
        child.kill('SIGKILL');
        rmSync(folder, { recursive: true, force: true });
        throw new Error(`redis-server did not start on ${port}: ${log}`);
      }
      await sleep(50);
    }
    return { child, exited };
  };
  let current = await launch();
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on('error', () => undefined);
  const halt = async () => {
    if (current.child.exitCode === null) current.child.kill('SIGTERM');
    await current.exited;
  };
  return {
    url,
    port,
    folder,
    client,
    async restart(downMs = 0) {
      await halt();
      await sleep(downMs);
      current = await launch();
    },
    async stop() {
      client.disconnect();
      await halt();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Two tenants and their keys. */
export const KEYS = { alice: 'fsk_test_alice_key', bob: 'fsk_test_bob_key' } as const;

export interface RunningService {
  readonly service: Service;
  readonly base: string;
}

/** The HTTP API in-process on a free port, knowing {@link KEYS}. */
export async function startService(redisUrl: string, limits?: ServiceLimits): Promise<RunningService> {
  const keys = parseKeys(Object.entries(KEYS).map(([tenant, key]) => `${tenant} sha256:${hashKey(key)}`).join('\n'), 'test keys');
  const service = await createService({ redis: redisUrl, keys, ...(limits ? { limits } : {}) });
  const base = await service.listen(0);
  return { service, base };
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed on stdout, line by line. */
  readonly lines: string[];
  /** Resolves when it has exited. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `fslsd-server worker` (tiny set, CPU) and waits for its ready line. */
export async function startWorker(redisUrl: string, extra: readonly string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', redisUrl, '--device', 'cpu', '--threads', '1', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (/ ready: /.test(line)) resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((code) => reject(new Error(`worker exited with ${code} before ready: ${stderr}`)));
  });
  await ready;
  return {
    child,
    pid: child.pid!,
    lines,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A multipart body of `POST /v1/swaps`. */
export function swapForm(source: Uint8Array, target: Uint8Array, fields: Readonly<Record<string, string>> = {}, names: { source?: string; target?: string } = {}): FormData {
  const form = new FormData();
  form.append('source', new Blob([source]), names.source ?? 'source.jpg');
  form.append('target', new Blob([target]), names.target ?? 'target.png');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

/** `fetch` with tenant `who`'s key. */
export function as(who: keyof typeof KEYS | string, init: RequestInit = {}): RequestInit {
  const key = who in KEYS ? KEYS[who as keyof typeof KEYS] : who;
  return { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${key}` } };
}

/** Polls `GET /v1/swaps/:id` until `until` holds (or the time is up). */
export async function pollSwap(base: string, id: string, until: (view: { status: string; [key: string]: unknown }) => boolean, timeoutMs = 90_000, intervalMs = 50, who: keyof typeof KEYS = 'alice'): Promise<{ status: string; [key: string]: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${base}/v1/swaps/${id}`, as(who));
    // 503 while Redis restarts: ask again.
    const view = response.status === 503 ? undefined : ((await response.json()) as { status: string });
    if (view && until(view)) return view;
    if (Date.now() > deadline) throw new Error(`swap ${id} is still ${JSON.stringify(view)}`);
    await sleep(intervalMs);
  }
}
