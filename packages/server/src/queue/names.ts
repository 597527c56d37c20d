/**
 * Where everything lives in Redis. BullMQ keeps its jobs under `bull:<queue>:*`; the service's
 * own keys (inputs, results, job records, idempotency keys) are under `fslsd:*`, each with a TTL.
 */
import { createHash } from 'node:crypto';
import type { Method } from '@fslsd/core';

/** One queue per method: a worker holds one method's networks and serves only its queue. */
export function queueName(method: Method): string {
  return `fslsd-swap-${method}`;
}

/** The service's Redis keys for a swap `id`. */
export const redisKeys = {
  /** Hash: tenant, method, createdAt, cancelledAt: who owns the job, kept as long as its data. */
  record: (id: string) => `fslsd:swap:${id}`,
  /** The uploaded image bytes, binary. */
  input: (id: string, which: 'source' | 'target') => `fslsd:swap:${id}:${which}`,
  /** The labelled PNG, binary; written once (SET NX). */
  result: (id: string) => `fslsd:swap:${id}:result`,
  /** JSON {@link SwapJobResult} of the result, written in the same step as the bytes. */
  resultInfo: (id: string) => `fslsd:swap:${id}:result-info`,
  /** An Idempotency-Key of a tenant -> the job it created (the key itself is stored hashed). */
  idempotency: (tenant: string, key: string) => `fslsd:idempotency:${tenant}:${createHash('sha256').update(key, 'utf8').digest('hex')}`,
  /** Sorted set: the ids of a tenant's swaps not yet finished, by claim time (its quota counts them). */
  open: (tenant: string) => `fslsd:tenant:${tenant}:open`,
  /** An encoded source face (SourceFace JSON) by model set, photo digest and face index. */
  sourceFace: (models: string, digest: string, faceIndex: number) => `fslsd:source-face:${models}:${digest}:${faceIndex}`,
  /** Hash: the fleet's swap durations as histogram buckets, per method (workers write, /metrics reads). */
  durations: (method: Method) => `fslsd:metrics:durations:${method}`,
  /** Hash: `<method>:<code>` -> swaps that failed for good with that error code. */
  failures: 'fslsd:metrics:failures',
} as const;

/** Pub/sub channel: the id of a swap cancelled while a worker may be running it. */
export const CANCEL_CHANNEL = 'fslsd:cancel';
