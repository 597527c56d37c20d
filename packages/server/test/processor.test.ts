/**
 * The swap processor against a real redis-server, with the interleavings a fleet only hits now
 * and then made deterministic: the job's first progress report (between the worker's cancel
 * check and its read of the inputs) is where the other side acts.
 */
import type { FaceSwapper } from '@fslsd/node';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_VERSION, type SwapJobData, type SwapJobResult } from '../src/index.js';
import { deleteInputs, markCancelled, putInputs } from '../src/queue/storage.js';
import { createSourceFaceCache } from '../src/worker/source-cache.js';
import { createSwapProcessor } from '../src/worker/processor.js';
import { type RedisProcess, skipRedis, startRedis } from './harness.js';

let redis: RedisProcess;

const DATA: SwapJobData = { version: JOB_VERSION, kind: 'photo', tenant: 'alice', method: 'fslsd', options: {}, createdAt: Date.now(), ttlSeconds: 60 };

/** A job whose first progress report runs `during` (BullMQ's job, reduced to what the processor reads). */
function jobWith(id: string, during: () => Promise<void>): Job<SwapJobData, SwapJobResult> {
  let reports = 0;
  return {
    id,
    data: DATA,
    async updateProgress() {
      reports += 1;
      if (reports === 1) await during();
    },
  } as unknown as Job<SwapJobData, SwapJobResult>;
}

/** Runs the processor on `job`; the error it threw, parsed (it fails with the error body as JSON). */
async function failureOf(job: Job<SwapJobData, SwapJobResult>): Promise<{ code?: string }> {
  // The swapper is never reached in these cases: an empty one makes reaching it fail loudly.
  const processor = createSwapProcessor({ swapper: {} as FaceSwapper, redis: redis.client, sourceCache: createSourceFaceCache({ redis: redis.client, ttlSeconds: 0 }), workerName: 'test' });
  try {
    await processor(job);
  } catch (error) {
    return JSON.parse((error as Error).message) as { code?: string };
  }
  throw new Error('the processor did not fail');
}

describe.skipIf(skipRedis)('the swap processor', () => {
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a swap cancelled while its worker reads the inputs fails as CANCELLED, not INPUT_EXPIRED', async () => {
    await putInputs(redis.client, 'raced', new Uint8Array([1]), new Uint8Array([2]), 60);
    // What DELETE does (cancel-swap.ts): mark, then remove the inputs.
    const failure = await failureOf(jobWith('raced', async () => {
      expect(await markCancelled(redis.client, 'raced', 'alice')).toBe(true);
      await deleteInputs(redis.client, 'raced');
    }));
    expect(failure.code).toBe('CANCELLED');
  });

  it('inputs gone without a cancellation: INPUT_EXPIRED', async () => {
    await putInputs(redis.client, 'expired', new Uint8Array([1]), new Uint8Array([2]), 60);
    const failure = await failureOf(jobWith('expired', () => deleteInputs(redis.client, 'expired')));
    expect(failure.code).toBe('INPUT_EXPIRED');
  });
});
