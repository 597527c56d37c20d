/**
 * Video through ffmpeg: a short clip made here from a shipped photo (pan, zoom, rotation, a tone
 * as audio) goes through `fslsd video`; the output keeps the frame count, duration, size and an
 * audio track and carries the synthetic-media label. Smoothing lowers the jitter metric, frames
 * without a face pass through, and Ctrl-C leaves no file behind.
 * Needs ffmpeg (apt-get install ffmpeg); skipped without it unless FSLSD_REQUIRE_VIDEO=1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../scripts/skips.mjs';
import { type RgbImage, composeFaceSwapper } from '@fslsd/core';
import { alignmentPointsFrom68, ffhqQuad } from '@fslsd/core/face';
import { FaceTracker, quadJitter, swapVideoFrames } from '@fslsd/core/video';
import { packageDirectory } from '@fslsd/models/node';
import { type NodeFaceAnalyzer, type NodeSwapper, createFaceAnalyzer, createSwapper, decodeVideo, encodeSourcePhoto, probeVideo, readImage, swapVideo } from './sdk.js';

const skipVideo = skipWithout(spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0, {
  group: 'video tests (fslsd video, ffmpeg)',
  missing: 'ffmpeg not found',
  fix: 'apt-get install ffmpeg',
  require: 'FSLSD_REQUIRE_VIDEO',
});

const photos = path.join(packageDirectory(), 'assets', 'photos');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-video-'));

/** A clip panning and slowly turning over the astronaut photo, with a 440 Hz tone. */
function makeClip(file: string, seconds: number, fps = 10, audio = 'aac'): void {
  const result = spawnSync('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-framerate', String(fps), '-i', path.join(photos, 'astronaut.png'),
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-filter_complex', `[0:v]scale=640:640,crop=w=400:h=400:x='80+40*t':y='20+10*t',rotate='0.06*sin(2*PI*t/${seconds})':fillcolor=gray,format=yuv420p[v]`,
    '-map', '[v]', '-map', '1:a', '-t', String(seconds), '-r', String(fps), '-c:v', 'libx264', '-crf', '18', '-c:a', audio, file,
  ], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
}

/** The XMP packet of an MP4: walks the top-level boxes for the XMP uuid box. */
function xmpOfMp4(bytes: Buffer): string {
  const uuid = 'be7acfcb97a942e89c71999491e3afac';
  for (let offset = 0; offset + 8 <= bytes.length;) {
    const size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'uuid' && bytes.toString('hex', offset + 8, offset + 24) === uuid) return bytes.toString('utf8', offset + 24, offset + size);
    if (size < 8) break;
    offset += size;
  }
  return '';
}

function probe(file: string): { frames: number; width: number; height: number; duration: number; audio: boolean; comment: string } {
  const out = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,width,height,nb_read_frames,duration:format_tags=comment', '-of', 'json', file], { encoding: 'utf8' });
  const json = JSON.parse(out.stdout) as { streams: { codec_type: string; width?: number; height?: number; nb_read_frames?: string; duration?: string }[]; format: { tags?: { comment?: string } } };
  const video = json.streams.find((s) => s.codec_type === 'video')!;
  return {
    frames: Number(video.nb_read_frames),
    width: video.width!,
    height: video.height!,
    duration: Number(video.duration),
    audio: json.streams.some((s) => s.codec_type === 'audio'),
    comment: json.format.tags?.comment ?? '',
  };
}

/** md5 of a file's audio packets as stored (copied out, not decoded): equal only for copied audio. */
function audioHash(file: string): string {
  const result = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a', '-c', 'copy', '-f', 'md5', '-'], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe.skipIf(skipVideo)('fslsd video', () => {
  const clip = path.join(work, 'clip.mp4');
  let analyzer: NodeFaceAnalyzer;
  let swapper: NodeSwapper;

  beforeAll(async () => {
    makeClip(clip, 1.2);
    analyzer = await createFaceAnalyzer({ device: 'cpu' });
    swapper = await createSwapper({ device: 'cpu' });
  }, 120_000);

  afterAll(async () => {
    await analyzer?.dispose();
    await swapper?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps frame count, duration, size and audio, and labels the output', () => {
    const out = path.join(work, 'out.mp4');
    const result = spawnSync(process.execPath, [cli, 'video', '--source', path.join(photos, 'hopper.jpg'), '--target', clip, '--out', out, '--device', 'cpu', '--threads', '2'], { encoding: 'utf8', timeout: 300_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').pop()).toBe(out);
    expect(result.stderr).toMatch(/frame 12\/12, [\d.]+ fps/);
    const input = probe(clip);
    const output = probe(out);
    expect(input.frames).toBe(12);
    expect([output.frames, output.width, output.height, output.audio]).toEqual([input.frames, input.width, input.height, true]);
    expect(Math.abs(output.duration - input.duration)).toBeLessThan(0.01);
    expect(output.comment).toContain('Synthetic face swap made with fslsd');
    expect(output.comment).toContain('trainedAlgorithmicMedia');
    // The XMP packet in the top-level uuid box, as a reader of MP4 metadata finds it.
    const xmp = xmpOfMp4(readFileSync(out));
    expect(xmp).toContain('Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"');
    expect(xmp).toContain('Synthetic face swap made with fslsd');
    expect(readdirSync(work).filter((name) => name.includes('.partial'))).toEqual([]);
    // AAC fits MP4: the audio packets are copied, not encoded again.
    expect(audioHash(out)).toBe(audioHash(clip));
  }, 300_000);

  it('copies audio the container takes and encodes the rest to AAC', async () => {
    const { source } = await encodeSourcePhoto(swapper, analyzer, await readImage(path.join(photos, 'hopper.jpg')));
    const faceSwapper = composeFaceSwapper(swapper, analyzer);
    const flac = path.join(work, 'flac.mkv');
    makeClip(flac, 0.5, 10, 'flac');
    expect((await probeVideo(flac)).audioCodecs).toEqual(['flac']);
    const intoMkv = await swapVideo(faceSwapper, source, flac, path.join(work, 'flac-out.mkv'));
    const intoMp4 = await swapVideo(faceSwapper, source, flac, path.join(work, 'flac-out.mp4'));
    expect([intoMkv.frames, intoMp4.frames]).toEqual([5, 5]);
    expect((await probeVideo(intoMkv.file)).audioCodecs).toEqual(['flac']);
    expect(audioHash(intoMkv.file)).toBe(audioHash(flac));
    // MP4 takes no FLAC without -strict: encoded to AAC, about as long as the input's.
    const mp4 = await probeVideo(intoMp4.file);
    expect(mp4.audioCodecs).toEqual(['aac']);
    expect(Math.abs(mp4.duration - 0.5)).toBeLessThan(0.05);
  }, 300_000);

  it('smoothing lowers the jitter of the alignment track', async () => {
    const longer = path.join(work, 'longer.mp4');
    makeClip(longer, 3);
    const info = await probeVideo(longer);
    const frames: RgbImage[] = [];
    for await (const frame of decodeVideo(longer, info)) frames.push(frame);
    expect(frames).toHaveLength(30);
    const jitter = async (smoothing: number): Promise<number> => {
      const tracker = new FaceTracker(analyzer, { fps: info.fps, smoothing });
      const quads = [];
      for (const frame of frames) quads.push(ffhqQuad(alignmentPointsFrom68((await tracker.next(frame))!.landmarks68)));
      return quadJitter(quads);
    };
    const raw = await jitter(0);
    const smoothed = await jitter(0.6);
    console.log(`alignment jitter (crop sides per frame): raw ${raw.toExponential(2)}, smoothing 0.6 ${smoothed.toExponential(2)} (${(raw / smoothed).toFixed(2)}x lower)`);
    expect(raw).toBeGreaterThan(0);
    expect(smoothed).toBeLessThan(raw * 0.7);
  }, 300_000);

  it('passes frames without a face through unchanged', async () => {
    const { source } = await encodeSourcePhoto(swapper, analyzer, await readImage(path.join(photos, 'hopper.jpg')));
    const grey: RgbImage = { width: 320, height: 240, channels: 3, data: new Uint8Array(320 * 240 * 3).fill(120) };
    const astronaut = await readImage(path.join(photos, 'astronaut.png'));
    async function* frames() {
      yield grey;
      yield astronaut;
      yield grey;
    }
    const out = [];
    for await (const frame of swapVideoFrames(swapper, analyzer, source, frames(), { fps: 10 })) out.push(frame);
    expect(out.map((f) => f.swapped)).toEqual([false, true, false]);
    expect(out[0]!.image).toBe(grey);
    expect(out[2]!.image).toBe(grey);
    expect(Buffer.from(out[1]!.image.data).equals(Buffer.from(astronaut.data))).toBe(false);
  }, 120_000);

  it('Ctrl-C mid-way exits 130 and leaves no output file', async () => {
    const longer = path.join(work, 'abort.mp4');
    makeClip(longer, 4);
    const out = path.join(work, 'aborted.mp4');
    const child = spawn(process.execPath, [cli, 'video', '--source', path.join(photos, 'hopper.jpg'), '--target', longer, '--out', out, '--device', 'cpu'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (/frame 3\//.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code, stderr).toBe(130);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((name) => name.includes('.partial'))).toEqual([]);
  }, 300_000);

  it('a file that is no video: INVALID_IMAGE, no output, and no ffmpeg left running', async () => {
    // swapVideo starts the decoder while ffprobe reads the header; when ffprobe refuses the
    // file, that decoder must go too.
    const { source } = await encodeSourcePhoto(swapper, analyzer, await readImage(path.join(photos, 'hopper.jpg')));
    const faceSwapper = composeFaceSwapper(swapper, analyzer);
    const out = path.join(work, 'not-a-video.mp4');
    const notes = path.join(work, 'notes.mp4');
    writeFileSync(notes, 'not a video at all');
    const error = await swapVideo(faceSwapper, source, notes, out).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_IMAGE', fix: expect.stringMatching(/ffmpeg can decode/) });
    expect(existsSync(out)).toBe(false);
    const children = () => spawnSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' }).stdout.split('\n').filter((name) => name.startsWith('ffmpeg') || name.startsWith('ffprobe'));
    for (let wait = 0; wait < 40 && children().length > 0; wait += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(children()).toEqual([]);
  }, 120_000);

  it('names the fix for bad input', () => {
    const missing = spawnSync(process.execPath, [cli, 'video', '--source', path.join(photos, 'hopper.jpg'), '--target', path.join(work, 'nope.mp4'), '--out', path.join(work, 'x.mp4')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\[IO\]: Cannot open .*nope\.mp4: no such file/);
    const notVideo = spawnSync(process.execPath, [cli, 'video', '--source', path.join(photos, 'hopper.jpg'), '--target', path.join(photos, 'hopper.jpg'), '--out', path.join(work, 'x.gif')], { encoding: 'utf8' });
    expect(notVideo.status, notVideo.stderr).toBe(2);
    expect(notVideo.stderr).toMatch(/\[INVALID_ARGUMENT\]: Cannot write "\.gif" videos: .*End the output name with \.mp4, \.mov or \.mkv\./);
    expect(spawnSync(process.execPath, [cli, 'video', '--help'], { encoding: 'utf8' }).stdout).toContain('Usage: fslsd video');
  });
});
