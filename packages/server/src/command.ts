/**
 * The service's commands: `fslsd-server serve | worker | key`, and the same as `fslsd serve`,
 * `fslsd worker` and `fslsd api-key` (the CLI of @fslsd/node loads this module when
 * @fslsd/server is installed; the commands live here so @fslsd/node needs no Redis or HTTP
 * stack). Every command has --help; errors print one line naming the fix and return non-zero.
 */
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { DEVICES, type Device, FslsdError, METHODS, type Method } from '@fslsd/node';
import { createKey, loadKeys } from './auth/keys.js';
import { ServiceError } from './errors.js';
import { createService } from './http/app.js';
import { DEFAULT_LIMITS } from './http/context.js';
import { startWorker } from './worker/worker.js';

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

function helpTexts(program: string, keyCommand: string): Record<string, string> {
  return {
  main: `${program} ${VERSION}: the fslsd swap service (HTTP API + BullMQ workers on Redis)

Usage: ${program} <command> [options]

Commands:
  serve    The HTTP API: takes photos, queues swaps in Redis, serves the labelled results
  worker   Loads the networks once and runs queued swaps (start one or more per machine)
  ${keyCommand.padEnd(8)} Make an API key for a tenant and its hashed line for the keys file

Run "${program} <command> --help" for a command's options.
One machine: redis-server, one "${program} serve", one "${program} worker" (see the README).`,
  serve: `Usage: ${program} serve [--redis URL] [--port N] [--keys FILE] [options]

Answers the HTTP API v1: POST /v1/swaps (photos) and /v1/videos (videos); GET .../:id,
.../:id/result, .../:id/events (server-sent); DELETE .../:id; /healthz, /readyz, /metrics
(Prometheus), /openapi.json. It runs no network: workers do. SIGTERM stops taking requests, finishes those
in flight and exits.

Options:
  --redis URL            Redis to queue in (default ${DEFAULT_REDIS})
  --port N               port to listen on (default 8080; 0 picks a free one)
  --host ADDRESS         address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --keys FILE            API keys, one "TENANT sha256:HEX" per line (${program} ${keyCommand} makes
                         them); default: the same lines in $FSLSD_SERVER_KEYS, comma-separated
  --max-upload-mb N      largest upload per file in MiB (default ${DEFAULT_LIMITS.maxUploadBytes / 1024 / 1024})
  --max-megapixels N     largest image (or video frame), width x height from its header (default ${DEFAULT_LIMITS.maxPixels / 1e6})
  --max-video-mb N       largest target video in MiB (default ${DEFAULT_LIMITS.maxVideoBytes / 1024 / 1024}; kept in Redis: size its maxmemory)
  --max-video-frames N   most frames of a target video, checked by the worker (default ${DEFAULT_LIMITS.maxVideoFrames})
  --ttl SECONDS          how long inputs, results and jobs are kept (default ${DEFAULT_LIMITS.ttlSeconds})
  --rate-limit N         requests per minute per API key on /v1, counted in Redis across every
                         server (default ${DEFAULT_LIMITS.requestsPerMinute}); over it: 429 RATE_LIMITED with Retry-After
  --quota N              swaps a tenant may have waiting or running at once (default ${DEFAULT_LIMITS.quota});
                         over it: 429 QUOTA_EXCEEDED
  --quiet                no request log
  -h, --help             this text`,
  worker: `Usage: ${program} worker [--redis URL] [--concurrency K] [--models DIR|URL] [options]

Loads a method's networks once and runs that method's queued swaps, photos and videos (videos
need ffmpeg on this machine); results are PNGs or MP4s labelled as synthetic face swaps, written
once into Redis. SIGTERM finishes the running jobs, takes no
new ones and exits. Start as many workers as you like, on any machine that reaches Redis.

Options:
  --redis URL            Redis to take jobs from (default ${DEFAULT_REDIS})
  --concurrency K        jobs at once in this process, sharing the loaded networks (default 1)
  --models DIR|URL       model set: a folder with manifest.json or an http(s) address serving one
                         (default: the shipped tiny set, untrained: it runs but paints no real face)
  --method fslsd|megafs  which method (default: the set's); the worker serves that method's queue
  --device auto|cpu|cuda|webgpu execution provider (default auto)
  --threads N            threads per network session (default: all cores)
  --lock-duration MS     how long a job's lock lasts unrenewed (default 30000); a worker that
                         dies holding a job frees it after this
  --stalled-interval MS  how often stalled jobs are looked for (default 30000)
  --source-cache-ttl S   seconds an encoded source face stays in Redis, shared by every worker
                         of this model set: a photo used for many targets is encoded once
                         (default 86400; 0 turns the cache off)
  --quiet                no per-job lines
  -h, --help             this text`,
  [keyCommand]: `Usage: ${program} ${keyCommand} TENANT [--keys FILE]

Makes a random API key for TENANT. With --keys FILE, appends "TENANT sha256:HEX" to FILE and
prints only the key; otherwise prints the key and the line. The service stores only the hash:
keep the key, it cannot be shown again.`,
  };
}

/** Set by {@link runServiceCommand}: one process runs one command. */
let program = 'fslsd-server';
let keyCommand = 'key';
let HELP = helpTexts(program, keyCommand);

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;

function parse(command: string, args: string[], options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see ${program} ${command} --help)`);
  }
}

function positiveInteger(name: string, value: string | boolean | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || parsed < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${String(value)}".`);
  return parsed;
}

function positiveNumber(name: string, value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(parsed) || parsed <= 0) throw new UsageError(`--${name} must be a positive number, got "${String(value)}".`);
  return parsed;
}

/**
 * After a server or worker has closed, a client that still tries to reconnect to a Redis that is
 * gone would keep the process alive: exit with `code` in a second unless it has ended by then.
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 1000).unref();
}

/** Resolves on the first SIGTERM/SIGINT; a second one exits at once. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const first = (signal: string) => {
      process.once(signal as NodeJS.Signals, () => process.exit(130));
      resolve(signal);
    };
    process.once('SIGTERM', () => first('SIGTERM'));
    process.once('SIGINT', () => first('SIGINT'));
  });
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse('serve', args, {
    redis: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, keys: { type: 'string' },
    'max-upload-mb': { type: 'string' }, 'max-megapixels': { type: 'string' }, ttl: { type: 'string' }, 'rate-limit': { type: 'string' }, quota: { type: 'string' }, 'max-video-mb': { type: 'string' }, 'max-video-frames': { type: 'string' }, quiet: { type: 'boolean' },
  });
  if (values.help) return console.log(HELP.serve), 0;
  const port = positiveInteger('port', values.port, 8080, 0);
  const keys = loadKeys(values.keys as string | undefined);
  const service = await createService({
    redis: (values.redis as string | undefined) ?? DEFAULT_REDIS,
    keys,
    logger: !values.quiet,
    limits: {
      maxUploadBytes: Math.round(positiveNumber('max-upload-mb', values['max-upload-mb'], DEFAULT_LIMITS.maxUploadBytes / 1024 / 1024) * 1024 * 1024),
      maxPixels: Math.round(positiveNumber('max-megapixels', values['max-megapixels'], DEFAULT_LIMITS.maxPixels / 1e6) * 1e6),
      ttlSeconds: positiveInteger('ttl', values.ttl, DEFAULT_LIMITS.ttlSeconds),
      requestsPerMinute: positiveInteger('rate-limit', values['rate-limit'], DEFAULT_LIMITS.requestsPerMinute),
      quota: positiveInteger('quota', values.quota, DEFAULT_LIMITS.quota),
      maxVideoBytes: Math.round(positiveNumber('max-video-mb', values['max-video-mb'], DEFAULT_LIMITS.maxVideoBytes / 1024 / 1024) * 1024 * 1024),
      maxVideoFrames: positiveInteger('max-video-frames', values['max-video-frames'], DEFAULT_LIMITS.maxVideoFrames),
    },
  });
  const address = await service.listen(port, (values.host as string | undefined) ?? '127.0.0.1');
  process.stderr.write(`${program}: serving ${address} (${keys.size} API key${keys.size === 1 ? '' : 's'})\n`);
  await untilSignal();
  await service.close();
  exitSoon(0);
  return 0;
}

async function worker(args: string[]): Promise<number> {
  const { values } = parse('worker', args, {
    redis: { type: 'string' }, concurrency: { type: 'string' }, models: { type: 'string' }, method: { type: 'string' }, device: { type: 'string' },
    threads: { type: 'string' }, 'lock-duration': { type: 'string' }, 'stalled-interval': { type: 'string' }, 'source-cache-ttl': { type: 'string' }, quiet: { type: 'boolean' },
  });
  if (values.help) return console.log(HELP.worker), 0;
  const method = values.method as string | undefined;
  if (method !== undefined && !(METHODS as readonly string[]).includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got "${method}".`);
  const device = values.device as string | undefined;
  if (device !== undefined && !(DEVICES as readonly string[]).includes(device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got "${device}".`);
  const quiet = Boolean(values.quiet);
  const running = await startWorker({
    redis: (values.redis as string | undefined) ?? DEFAULT_REDIS,
    concurrency: positiveInteger('concurrency', values.concurrency, 1),
    models: (values.models as string | undefined) ?? 'tiny',
    ...(method ? { method: method as Method } : {}),
    ...(device ? { device: device as Device } : {}),
    ...(values.threads !== undefined ? { threads: positiveInteger('threads', values.threads, 1) } : {}),
    ...(values['lock-duration'] !== undefined ? { lockDuration: positiveInteger('lock-duration', values['lock-duration'], 30_000) } : {}),
    ...(values['stalled-interval'] !== undefined ? { stalledInterval: positiveInteger('stalled-interval', values['stalled-interval'], 30_000) } : {}),
    ...(values['source-cache-ttl'] !== undefined ? { sourceCacheTtl: positiveInteger('source-cache-ttl', values['source-cache-ttl'], 86_400, 0) } : {}),
    onProgress: (event) => {
      if (event.kind === 'warning') process.stderr.write(`${program}: warning [${event.code}]: ${event.message}\n`);
    },
    onError: (() => {
      // At most one line per 10 s: BullMQ may retry a refused command thousands of times a second.
      let last = 0;
      let suppressed = 0;
      return (error: Error) => {
        const now = Date.now();
        if (now - last < 10_000) {
          suppressed += 1;
          return;
        }
        process.stderr.write(`${program}: Redis error${suppressed ? ` (and ${suppressed} more since the last line)` : ''}: ${error.message.split('\n')[0]}\n`);
        last = now;
        suppressed = 0;
      };
    })(),
    onJob: (event) => {
      if (quiet) return;
      if (event.kind === 'completed') console.log(`completed ${event.id} ${event.result.width}x${event.result.height} in ${event.result.milliseconds} ms by ${event.result.writtenBy}`);
      else console.log(`failed ${event.id}${event.willRetry ? ' (will retry)' : ''}: ${event.reason}`);
    },
  });
  console.log(`${program}: worker ${running.name} ready: method ${running.method}, models ${running.models}`);
  const signal = await untilSignal();
  process.stderr.write(`${program}: ${signal}: finishing running jobs, taking no new ones\n`);
  await running.close();
  exitSoon(0);
  return 0;
}

function key(args: string[]): number {
  const { values, positionals } = parse('key', args, { keys: { type: 'string' } });
  if (values.help) return console.log(HELP[keyCommand]), 0;
  if (positionals.length !== 1) throw new UsageError(`${keyCommand} takes one TENANT name (see ${program} ${keyCommand} --help).`);
  const { key: secret, line } = createKey(positionals[0]!);
  if (values.keys) {
    appendFileSync(values.keys as string, `${line}\n`, { mode: 0o600 });
    console.log(secret);
  } else {
    console.log(`key  ${secret}`);
    console.log(`line ${line}`);
  }
  return 0;
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP[command === 'help' ? (rest[0] ?? 'main') : 'main'] ?? HELP.main);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') return console.log(VERSION), 0;
  if (command === 'serve') return serve(rest);
  if (command === 'worker') return worker(rest);
  if (command === keyCommand) return key(rest);
  throw new UsageError(`Unknown command "${command}" (see ${program} --help).`);
}

/** How {@link runServiceCommand} names itself in help and errors. */
export interface ServiceCommandNames {
  /** `fslsd-server` (default) or `fslsd`. */
  readonly program?: string;
  /** The name of the key command: `key` (default) or `api-key`. */
  readonly keyCommand?: string;
}

/**
 * Runs `serve`, `worker` or the key command with `argv` (without the program name), until the
 * command ends (a server or worker: its first SIGTERM/SIGINT). Errors are printed as one line,
 * `PROGRAM: error [CODE]: message fix`, never thrown.
 * @returns the exit code: 0, 1 (an error), 2 (bad usage).
 */
export async function runServiceCommand(argv: readonly string[], names: ServiceCommandNames = {}): Promise<number> {
  program = names.program ?? 'fslsd-server';
  keyCommand = names.keyCommand ?? 'key';
  HELP = helpTexts(program, keyCommand);
  try {
    return await dispatch(argv);
  } catch (error) {
    const known = error instanceof FslsdError || error instanceof ServiceError;
    const code = error instanceof UsageError ? 'USAGE' : known ? error.code : undefined;
    const message = error instanceof ServiceError ? `${error.message} ${error.fix}` : error instanceof Error ? (known || error instanceof UsageError ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`${program}: error${code ? ` [${code}]` : ''}: ${message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
