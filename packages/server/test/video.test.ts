/**
 * Video swaps through the service: `POST /v1/videos` with a source photo and a target clip made
 * here by ffmpeg from a shipped photo (with a tone), a `fslsd-server worker` process, a real
 * redis-server. The result is an MP4 with every frame and the audio, labelled synthetic in its
 * XMP; limits are checked before any frame is swapped; a video id is not a photo swap's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DIGITAL_SOURCE_TYPE, SYNTHETIC_LABEL } from '@fslsd/core';
import { packageDirectory } from '@fslsd/models/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../scripts/skips.mjs';
import type { SwapJobResult } from '../src/index.js';
import { type RedisProcess, type RunningService, type WorkerProcess, as, skipRedis, startRedis, startService, startWorker, swapForm } from './harness.js';

const skipVideo = skipRedis || skipWithout(spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0, {
  group: 'video swap service tests (@fslsd/server, ffmpeg)',
  missing: 'ffmpeg not found',
  fix: 'apt-get install ffmpeg',
  require: 'FSLSD_REQUIRE_VIDEO',
});

const photos = path.join(packageDirectory(), 'assets', 'photos');
const hopper = readFileSync(path.join(photos, 'hopper.jpg'));
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-service-video-'));
const FRAMES = 8;

/** A 1 s clip at 8 fps over the astronaut photo, slowly panning, with a 440 Hz tone. */
function makeClip(file: string): Buffer {
  const result = spawnSync('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-framerate', String(FRAMES), '-i', path.join(photos, 'astronaut.png'),
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=1',
    '-filter_complex', "[0:v]scale=400:400,crop=w=320:h=320:x='20+40*t':y=20,format=yuv420p[v]",
    '-map', '[v]', '-map', '1:a', '-t', '1', '-r', String(FRAMES), '-c:v', 'libx264', '-crf', '18', '-c:a', 'aac', file,
  ], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return readFileSync(file);
}

/** The XMP packet of an MP4: the top-level uuid box of XMP. */
function xmpOfMp4(bytes: Buffer): string {
  const uuid = 'be7acfcb97a942e89c71999491e3afac';
  for (let offset = 0; offset + 8 <= bytes.length;) {
    const size = bytes.readUInt32BE(offset);
    if (bytes.toString('latin1', offset + 4, offset + 8) === 'uuid' && bytes.toString('hex', offset + 8, offset + 24) === uuid) return bytes.toString('utf8', offset + 24, offset + size);
    if (size < 8) break;
    offset += size;
  }
  return '';
}

let redis: RedisProcess;
let running: RunningService;
let worker: WorkerProcess;
let clip: Buffer;

describe.skipIf(skipVideo)('video swaps through the service', () => {
  beforeAll(async () => {
    clip = makeClip(path.join(work, 'clip.mp4'));
    redis = await startRedis();
    running = await startService(redis.url);
    worker = await startWorker(redis.url);
  });
  afterAll(async () => {
    await worker?.stop();
    await running?.service.close();
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('swaps a video: an MP4 with every frame, the audio, the target\'s size, labelled synthetic in its XMP', async () => {
    const created = await fetch(`${running.base}/v1/videos`, as('alice', { method: 'POST', body: swapForm(hopper, clip, { smoothing: '0.5' }, { target: 'clip.mp4' }) }));
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toMatch(/^\/v1\/videos\/[0-9a-f-]{36}$/);
    const { id, kind } = (await created.json()) as { id: string; kind: string };
    expect(kind).toBe('video');
    let framesSeen = 0;
    // A video's id is not a photo swap's.
    const swaps = await fetch(`${running.base}/v1/swaps/${id}`, as('alice'));
    expect(swaps.status).toBe(404);
    const deadline = Date.now() + 180_000;
    let view: { status: string; result?: SwapJobResult & { url: string }; error?: unknown; progress?: { stage: string; stagesDone: number; frames?: number } };
    for (;;) {
      view = (await (await fetch(`${running.base}/v1/videos/${id}`, as('alice'))).json()) as typeof view;
      if (view.progress?.stage === 'frames') {
        expect(view.progress.frames).toBe(FRAMES);
        framesSeen = Math.max(framesSeen, view.progress.stagesDone);
      }
      if (view.status === 'completed' || view.status === 'failed' || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(view.error).toBeUndefined();
    expect(view.status).toBe('completed');
    const result = view.result!;
    expect(result).toMatchObject({ contentType: 'video/mp4', width: 320, height: 320, frames: FRAMES, method: 'fslsd', url: `/v1/videos/${id}/result`, sourceFace: 'encoded' });
    expect(result.faces).toBeGreaterThan(0);
    expect(result.faces).toBeLessThanOrEqual(FRAMES);
    const response = await fetch(`${running.base}${result.url}`, as('alice'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('video/mp4');
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="fslsd-swap-${id}.mp4"`);
    const mp4 = Buffer.from(await response.arrayBuffer());
    expect(mp4.byteLength).toBe(result.bytes);
    const xmp = xmpOfMp4(mp4);
    expect(xmp).toContain(DIGITAL_SOURCE_TYPE);
    expect(xmp).toContain(SYNTHETIC_LABEL);
    const file = path.join(work, 'result.mp4');
    rmSync(file, { force: true });
    writeFileSync(file, mp4);
    const probe = JSON.parse(spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,width,height,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' }).stdout) as { streams: { codec_type: string; width?: number; height?: number; nb_read_frames?: string }[] };
    const video = probe.streams.find((stream) => stream.codec_type === 'video')!;
    expect([video.width, video.height, Number(video.nb_read_frames)]).toEqual([320, 320, FRAMES]);
    expect(probe.streams.some((stream) => stream.codec_type === 'audio')).toBe(true);
    console.log(`video ${id}: ${FRAMES} frames, ${result.faces} swapped, ${result.milliseconds} ms in the worker, progress seen up to frame ${framesSeen}`);
  });

  it('refuses a photo as the target video and a video as a photo target (415), and a field for photos only (400)', async () => {
    const photoAsVideo = await fetch(`${running.base}/v1/videos`, as('alice', { method: 'POST', body: swapForm(hopper, hopper) }));
    expect(photoAsVideo.status).toBe(415);
    expect(((await photoAsVideo.json()) as { error: { message: string } }).error.message).toBe('The target upload is a JPEG image, not a video.');
    const videoAsPhoto = await fetch(`${running.base}/v1/swaps`, as('alice', { method: 'POST', body: swapForm(hopper, clip) }));
    expect(videoAsPhoto.status).toBe(415);
    const all = await fetch(`${running.base}/v1/videos`, as('alice', { method: 'POST', body: swapForm(hopper, clip, { all: 'true' }) }));
    expect(all.status).toBe(400);
    expect(((await all.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
  });

  it('a video over the frame limit fails at once with VIDEO_TOO_LONG, before any frame is swapped', async () => {
    const strict = await startService(redis.url, { maxVideoFrames: FRAMES - 1 });
    try {
      const created = await fetch(`${strict.base}/v1/videos`, as('alice', { method: 'POST', body: swapForm(hopper, clip) }));
      expect(created.status).toBe(202);
      const { id } = (await created.json()) as { id: string };
      let view: { status: string; attempts: number; error?: { code: string; message: string } };
      for (;;) {
        view = (await (await fetch(`${strict.base}/v1/videos/${id}`, as('alice'))).json()) as typeof view;
        if (view.status !== 'waiting' && view.status !== 'active') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(view.status).toBe('failed');
      expect(view.attempts).toBe(1);
      expect(view.error).toEqual({ code: 'VIDEO_TOO_LONG', message: `The target video has ${FRAMES} frames; this service takes at most ${FRAMES - 1}.`, fix: 'Trim the video (or lower its frame rate) and send it again.' });
    } finally {
      await strict.service.close();
    }
  });
});
