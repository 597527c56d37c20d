/**
 * `POST /v1/swaps` (target: a photo) and `POST /v1/videos` (target: a video): multipart `source`
 * and `target` files and option fields. The uploads are checked (bytes while streaming, then
 * magic bytes, and a photo's pixels from its header) before anything decodes them, stored in
 * Redis with a TTL, and a job is queued for the method's workers. An `Idempotency-Key` header
 * makes a retried POST answer the job the first one created.
 */
import { createHash, randomUUID } from 'node:crypto';
import { METHODS, type Method, resolveLatentSplit } from '@fslsd/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import { ServiceError } from '../errors.js';
import { JOB_VERSION, SWAP_KINDS, type SwapJobData, type SwapKind, type SwapRequestOptions } from '../queue/contract.js';
import { redisKeys } from '../queue/names.js';
import { claimQuota, putInputs, releaseQuota } from '../queue/storage.js';
import type { ServiceContext } from './context.js';
import { checkImage, checkVideo } from './image-check.js';
import { COLLECTIONS, viewOf } from './swap-view.js';

const invalid = (message: string, fix: string) => new ServiceError('INVALID_REQUEST', 400, message, fix);

function integer(name: string, value: string, max: number): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) > max) throw invalid(`The field ${name} must be an integer 0-${max}, got "${value.slice(0, 20)}".`, `Send ${name}=0 for the largest face, 1 for the next, …`);
  return Number(value);
}

function boolean(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') throw invalid(`The field ${name} must be true or false, got "${value.slice(0, 20)}".`, `Send ${name}=true or ${name}=false.`);
  return value === 'true';
}

function number(name: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max) throw invalid(`The field ${name} must be a number in [${min}, ${max}], got "${value.slice(0, 20)}".`, `Send a number such as ${name}=${max <= 1 ? 0.5 : 1}.`);
  return parsed;
}

const PHOTO_FIELDS = 'method, faceIndex, all, sourceFaceIndex, split, strength, editor, minScore';
const VIDEO_FIELDS = 'method, faceIndex, sourceFaceIndex, split, strength, editor, minScore, smoothing';

/** The request's fields as swap options, each checked; an unknown field is refused by name. */
export function parseFields(fields: ReadonlyMap<string, string>, kind: SwapKind = 'photo'): { readonly method: Method; readonly options: SwapRequestOptions } {
  const allowed = kind === 'video' ? VIDEO_FIELDS : PHOTO_FIELDS;
  let method: Method = 'fslsd';
  const options: { -readonly [K in keyof SwapRequestOptions]: SwapRequestOptions[K] } = {};
  for (const [name, value] of fields) {
    switch (name) {
      case 'method':
        if (!(METHODS as readonly string[]).includes(value)) throw invalid(`The field method must be one of ${METHODS.join(', ')}, got "${value.slice(0, 20)}".`, 'Send method=fslsd (default) or method=megafs.');
        method = value as Method;
        break;
      case 'faceIndex': options.faceIndex = integer(name, value, 255); break;
      case 'sourceFaceIndex': options.sourceFaceIndex = integer(name, value, 255); break;
      case 'all':
        if (kind === 'video') throw invalid('A video swap follows one face through the frames; the field all is for photos.', 'Leave all out; pick the face with faceIndex.');
        options.all = boolean(name, value);
        break;
      case 'smoothing':
        if (kind !== 'video') throw invalid('The field smoothing is for videos.', `Send only ${allowed}.`);
        options.smoothing = number(name, value, 0, 1);
        break;
      case 'editor': options.editor = boolean(name, value); break;
      case 'strength': options.strength = number(name, value, -10, 10); break;
      case 'minScore': options.minScore = number(name, value, 0, 1); break;
      case 'split':
        try {
          resolveLatentSplit(value.slice(0, 200));
        } catch (error) {
          throw invalid(`The field split is not a split: ${(error as Error).message}`, 'Send split=official, paper, megafs or a text form such as "source=0-10;direction=0-6".');
        }
        options.split = value;
        break;
      default:
        throw invalid(`Unknown field "${name.slice(0, 40)}".`, `Send only source, target (files) and ${allowed}.`);
    }
  }
  if (options.all && options.faceIndex !== undefined) throw invalid('The fields all and faceIndex contradict each other.', 'Send one of them.');
  if (method === 'megafs' && (options.split !== undefined || options.strength !== undefined || options.editor !== undefined)) {
    throw invalid('split, strength and editor are FSLSD options; MegaFS has none of them.', 'Leave them out with method=megafs.');
  }
  return { method, options };
}

/** Reads the multipart body: two files (none over `fileSize` bytes) and the option fields. */
async function readParts(request: FastifyRequest, kind: SwapKind, fileSize: number): Promise<{ readonly files: Map<string, Buffer>; readonly fields: Map<string, string> }> {
  if (!request.isMultipart()) {
    throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', 415, `POST /v1/${COLLECTIONS[kind]} takes multipart/form-data, got ${String(request.headers['content-type'] ?? 'no content type').slice(0, 60)}.`, `Send the files as multipart form files source and target (curl -F source=@face.jpg -F target=@${kind === 'video' ? 'clip.mp4' : 'photo.jpg'}).`);
  }
  const files = new Map<string, Buffer>();
  const fields = new Map<string, string>();
  for await (const part of request.parts({ limits: { fileSize } })) {
    if (part.type === 'file') {
      if (part.fieldname !== 'source' && part.fieldname !== 'target') {
        part.file.resume();
        throw invalid(`Unknown file field "${part.fieldname.slice(0, 40)}".`, 'Send exactly two files, named source and target.');
      }
      if (files.has(part.fieldname)) throw invalid(`Two files named ${part.fieldname}.`, 'Send one source and one target.');
      // toBuffer() stops at the plugin's fileSize limit (RequestFileTooLargeError, 413).
      files.set(part.fieldname, await part.toBuffer());
    } else {
      if (fields.has(part.fieldname)) throw invalid(`The field ${part.fieldname.slice(0, 40)} is given twice.`, 'Send each field once.');
      fields.set(part.fieldname, typeof part.value === 'string' ? part.value : String(part.value));
    }
  }
  for (const which of ['source', 'target']) {
    if (!files.has(which)) throw invalid(`The ${which} file is missing.`, `Send both as multipart files: -F source=@face.jpg -F target=@${kind === 'video' ? 'clip.mp4' : 'photo.jpg'}.`);
  }
  return { files, fields };
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Drops from `tenant`'s open set the swaps that are finished for good by a path that did not
 * remove them (a job that expired, or failed when no worker saw it: a stalled job given up).
 * Runs only when the quota is full, so its cost (one lookup per open swap) is rare.
 * @returns how many were dropped.
 */
async function pruneOpen(context: ServiceContext, tenant: string): Promise<number> {
  // Claims younger than a minute may be POSTs still queueing their job: never dropped.
  const ids = await context.redis.zrangebyscore(redisKeys.open(tenant), '-inf', String(Date.now() - 60_000));
  let dropped = 0;
  for (const id of ids) {
    const fields = await context.redis.hgetall(redisKeys.record(id));
    const method = fields.method as Method | undefined;
    const job = method ? await context.queues.get(method)?.getJob(id) : undefined;
    const state = job ? await job.getState() : 'unknown';
    if (!method || fields.cancelledAt || !job || state === 'completed' || state === 'failed' || state === 'unknown') {
      dropped += await context.redis.zrem(redisKeys.open(tenant), id);
    }
  }
  return dropped;
}

/** Registers `POST /v1/swaps` and `POST /v1/videos`. */
export function registerCreateSwap(app: FastifyInstance, context: ServiceContext): void {
  for (const kind of SWAP_KINDS) registerCreateOf(kind, app, context);
}

function registerCreateOf(kind: SwapKind, app: FastifyInstance, context: ServiceContext): void {
  const collection = COLLECTIONS[kind];
  app.post(`/v1/${collection}`, async (request, reply) => {
    const tenant = authenticate(request, context.keys);
    const idempotencyHeader = request.headers['idempotency-key'];
    const idempotencyKey = typeof idempotencyHeader === 'string' ? idempotencyHeader : undefined;
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw invalid('The Idempotency-Key header must be 1-255 printable ASCII characters without spaces.', 'Send a UUID, for example.');
    }
    const { limits } = context;
    const { files, fields } = await readParts(request, kind, kind === 'video' ? Math.max(limits.maxVideoBytes, limits.maxUploadBytes) : limits.maxUploadBytes);
    const source = files.get('source')!;
    const target = files.get('target')!;
    const { method, options } = parseFields(fields, kind);
    if (source.byteLength > limits.maxUploadBytes) {
      throw new ServiceError('PAYLOAD_TOO_LARGE', 413, `The source image is over this service's limit (${(limits.maxUploadBytes / 1024 / 1024).toFixed(1)} MiB).`, 'Send a smaller source photo (downscale or recompress it).');
    }
    await checkImage(source, 'source', limits.maxPixels);
    if (kind === 'video') checkVideo(target);
    else await checkImage(target, 'target', limits.maxPixels);
    const queue = context.queues.get(method);
    if (!queue) throw invalid(`This service has no queue for method ${method}.`, 'Send another method.');

    const ttl = context.limits.ttlSeconds;
    const id = randomUUID();
    let idempotencyRedisKey: string | undefined;
    if (idempotencyKey !== undefined) {
      // The first POST with a key claims it (SET NX); a retry finds the claim and answers its job,
      // provided it sends the same request.
      idempotencyRedisKey = redisKeys.idempotency(tenant, idempotencyKey);
      const fingerprint = sha256(`${kind}:${sha256(source)}:${sha256(target)}:${method}:${JSON.stringify(Object.entries(options).sort())}`);
      const claimed = await context.redis.set(idempotencyRedisKey, JSON.stringify({ id, fingerprint }), 'EX', ttl, 'NX');
      if (claimed !== 'OK') {
        const existing = JSON.parse((await context.redis.get(idempotencyRedisKey)) ?? '{}') as { id?: string; fingerprint?: string };
        if (existing.id && existing.fingerprint === fingerprint) {
          const record = { tenant, kind, method, createdAt: Date.now() };
          const fields = await context.redis.hgetall(redisKeys.record(existing.id));
          const view = await viewOf(context, existing.id, { ...record, createdAt: Number(fields.createdAt ?? record.createdAt), ...(fields.cancelledAt ? { cancelledAt: Number(fields.cancelledAt) } : {}) });
          return reply.code(200).header('location', `/v1/${collection}/${existing.id}`).header('idempotent-replay', 'true').send(view);
        }
        throw new ServiceError('IDEMPOTENCY_KEY_REUSED', 422, 'This Idempotency-Key was used for a different request.', 'Use a new key for a new request; a retry must send the same files and fields.');
      }
    }
    let claimed = false;
    try {
      claimed = await claimQuota(context.redis, tenant, id, context.limits.quota, ttl);
      if (!claimed && (await pruneOpen(context, tenant)) > 0) claimed = await claimQuota(context.redis, tenant, id, context.limits.quota, ttl);
      if (!claimed) {
        throw new ServiceError('QUOTA_EXCEEDED', 429, `This API key's tenant has ${context.limits.quota} swaps waiting or running, its quota.`, `Wait for some to finish (GET /v1/${collection}/:id), or cancel some (DELETE), then send it again.`);
      }
      const createdAt = Date.now();
      await putInputs(context.redis, id, source, target, ttl);
      await context.redis.multi().hset(redisKeys.record(id), { tenant, kind, method, createdAt: String(createdAt) }).expire(redisKeys.record(id), ttl).exec();
      const data: SwapJobData = {
        version: JOB_VERSION,
        kind,
        tenant,
        method,
        options,
        createdAt,
        ttlSeconds: ttl,
        ...(kind === 'video' ? { videoLimits: { maxFrames: limits.maxVideoFrames, maxPixels: limits.maxPixels } } : {}),
      };
      await queue.add(kind, data, {
        jobId: id,
        // A worker that throws an unexpected error gets two more tries; bad inputs fail at once.
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: ttl },
        removeOnFail: { age: ttl },
      });
      return reply.code(202).header('location', `/v1/${collection}/${id}`).send(await viewOf(context, id, { tenant, kind, method, createdAt }));
    } catch (error) {
      if (idempotencyRedisKey) await context.redis.del(idempotencyRedisKey).catch(() => undefined);
      if (claimed) await releaseQuota(context.redis, tenant, id).catch(() => undefined);
      throw error;
    }
  });
}
