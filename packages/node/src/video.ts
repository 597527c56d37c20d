/**
 * Video through ffmpeg pipes (Debian's ffmpeg; nothing is downloaded): frames are decoded to raw
 * RGB on one process's stdout, swapped, and encoded on another's stdin, with the input's audio
 * (its packets copied where the container takes the codec). No frame touches the disk. The
 * output is written to a temporary name and renamed when complete; an abort or an error kills
 * both processes and removes it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { appendFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type FaceSwapper, type FrameSwapOptions, FslsdError, type RgbImage, type SourceFace, type VideoFrameResult, SYNTHETIC_LABEL, syntheticMediaXmp } from '@fslsd/core';
import { checkOutput } from './image-io.js';

/** What ffprobe says about a video. */
export interface VideoInfo {
  readonly width: number;
  readonly height: number;
  /** Frame rate as ffmpeg writes it, e.g. `30000/1001`. */
  readonly rate: string;
  readonly fps: number;
  /** Frame count (from the container, else duration x fps). */
  readonly frames: number;
  readonly duration: number;
  readonly hasAudio: boolean;
  /** ffmpeg's names of the audio streams' codecs, in stream order (`aac`, `opus`, …); empty without audio. */
  readonly audioCodecs: readonly string[];
}

/** Tools already found on the PATH by this process. */
const found = new Set<string>();

/** Whether `tool` is an executable file in one of the PATH's folders (with PATHEXT's extensions on Windows). */
function onPath(tool: string): boolean {
  const extensions = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)] : [''];
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!folder) continue;
    for (const extension of extensions) {
      try {
        accessSync(path.join(folder, tool + extension), constants.X_OK);
        return true;
      } catch {
        // not in this folder
      }
    }
  }
  return false;
}

/**
 * Fails early, with the fix, when ffmpeg or ffprobe is missing. A look along the PATH, not a run
 * of `tool -version`: that run took about 90 ms per call here, three times per video.
 */
function needFfmpeg(tool: 'ffmpeg' | 'ffprobe'): void {
  if (found.has(tool)) return;
  if (!onPath(tool)) {
    throw new FslsdError('IO', `${tool} is not installed; video needs it.`, { fix: 'Install it: sudo apt-get install ffmpeg (Debian/Ubuntu), brew install ffmpeg (macOS).' });
  }
  found.add(tool);
}

/** @throws FslsdError `IO` when `file` does not exist. */
async function needFile(file: string): Promise<void> {
  await stat(file).catch((error: unknown) => {
    throw new FslsdError('IO', `Cannot open ${file}: no such file.`, { fix: 'Check the path.', cause: error });
  });
}

/**
 * Reads a video's width, height, frame rate, frame count and audio presence with ffprobe,
 * without decoding a frame (to check limits before a long swap).
 * @throws FslsdError `IO` when ffprobe is missing or the file cannot be opened, `INVALID_IMAGE` when it is no video ffmpeg can read.
 */
export async function probeVideo(file: string): Promise<VideoInfo> {
  needFfmpeg('ffprobe');
  await needFile(file);
  return readVideoInfo(file);
}

/** {@link probeVideo} after its checks (ffprobe on the PATH, the file there), which the caller made. */
async function readVideoInfo(file: string): Promise<VideoInfo> {
  // Not spawnSync: swapVideo starts the decoder while ffprobe reads the header (each takes about
  // 0.1 s to start), and a blocked event loop would hold both up.
  const result = await collect('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,r_frame_rate,avg_frame_rate,nb_frames,duration:stream_side_data=rotation:format=duration', '-of', 'json', file]);
  if (result.error) {
    throw new FslsdError('IO', `ffprobe failed to start: ${result.error.message}.`, { fix: 'Install ffmpeg (it brings ffprobe): sudo apt-get install ffmpeg (Debian/Ubuntu), brew install ffmpeg (macOS).', cause: result.error });
  }
  if (result.status !== 0) {
    throw new FslsdError('INVALID_IMAGE', `Cannot read ${file} as a video: ${result.stderr.trim().split('\n').pop()}.`, { fix: 'Use a video file ffmpeg can decode (MP4, MOV, MKV, WebM).' });
  }
  type Stream = { codec_type?: string; codec_name?: string; width?: number; height?: number; r_frame_rate?: string; avg_frame_rate?: string; nb_frames?: string; duration?: string; side_data_list?: { rotation?: number }[] };
  const json = JSON.parse(result.stdout) as { streams?: Stream[]; format?: { duration?: string } };
  const video = json.streams?.find((s) => s.codec_type === 'video');
  if (!video?.width || !video.height) throw new FslsdError('INVALID_IMAGE', `${file} has no video stream.`, { fix: 'Pass a video file with a picture track.' });
  const rate = video.avg_frame_rate && video.avg_frame_rate !== '0/0' ? video.avg_frame_rate : (video.r_frame_rate ?? '25/1');
  const [num, den] = rate.split('/').map(Number);
  const fps = num! / (den || 1);
  const duration = Number(video.duration ?? json.format?.duration ?? 0);
  const frames = Number(video.nb_frames) || Math.round(duration * fps);
  // ffmpeg turns frames upright on decode; a 90-degree rotation swaps the sides.
  const rotation = Math.abs(video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0) % 180;
  const [width, height] = rotation === 90 ? [video.height, video.width] : [video.width, video.height];
  const audioCodecs = (json.streams ?? []).filter((s) => s.codec_type === 'audio').map((s) => s.codec_name ?? 'unknown');
  return { width, height, rate, fps, frames, duration, hasAudio: audioCodecs.length > 0, audioCodecs };
}

/** A tool's exit status and output, read without blocking the event loop (spawnSync's shape). */
function collect(tool: string, args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', (error) => resolve({ status: null, stdout, stderr, error }));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function failure(tool: string, child: ChildProcess, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new FslsdError('IO', `${tool} failed to start: ${error.message}.`, { fix: 'Install ffmpeg.', cause: error })));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new FslsdError('IO', `${tool} stopped (${signal ?? `exit ${code}`}): ${stderr().trim().split('\n').slice(-2).join(' ')}`, { fix: 'Check that the video decodes (ffprobe FILE) and that the output folder is writable.' }));
    });
  });
}

/** A decoding ffmpeg, started: its raw RGB frames wait in the pipe until they are read. */
interface Decoder {
  readonly child: ChildProcess;
  /** Settles when ffmpeg ends: resolved on exit 0, else rejected with its last words. */
  readonly finished: Promise<void>;
}

/** Starts ffmpeg decoding `file` to upright 8-bit RGB on its stdout (frame size is the reader's business). */
function startDecoder(file: string): Decoder {
  needFfmpeg('ffmpeg');
  const child = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // Listened to from the start: the process may end (killed, or a bad file) before it is read.
  const finished = failure('ffmpeg (decoding)', child, () => stderr);
  finished.catch(() => undefined);
  return { child, finished };
}

/**
 * Decodes `file` to upright 8-bit RGB frames, reading ahead up to `readAhead` frames so the
 * networks never wait for the decoder.
 */
export async function* decodeVideo(file: string, info: VideoInfo, options: { readonly signal?: AbortSignal; readonly readAhead?: number } = {}): AsyncGenerator<RgbImage> {
  yield* framesOf(startDecoder(file), info, options);
}

/** The frames of a started decoder, `info`'s size each; ends (and kills ffmpeg if it still runs) when the reader stops. */
async function* framesOf(decoder: Decoder, info: VideoInfo, options: Parameters<typeof decodeVideo>[2] & object): AsyncGenerator<RgbImage> {
  const { child, finished } = decoder;
  const frameBytes = info.width * info.height * 3;
  const queue: RgbImage[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let ended = false;
  let wake: (() => void) | undefined;
  const limit = Math.max(1, options.readAhead ?? 4);
  const stdout = child.stdout!;
  stdout.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= frameBytes) {
      const all = Buffer.concat(pending);
      const data = new Uint8Array(frameBytes);
      data.set(all.subarray(0, frameBytes));
      queue.push({ width: info.width, height: info.height, channels: 3, data });
      pending = [all.subarray(frameBytes)];
      pendingBytes = all.length - frameBytes;
    }
    if (queue.length >= limit) stdout.pause();
    wake?.();
  });
  stdout.on('end', () => {
    ended = true;
    wake?.();
  });
  const abort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      if (queue.length) {
        const frame = queue.shift()!;
        if (queue.length < limit) stdout.resume();
        yield frame;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await finished;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The XMP UUID of ISO base media files, BE7ACFCB-97A9-42E8-9C71-999491E3AFAC. */
const XMP_UUID = Uint8Array.from([0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac]);

/** A top-level `uuid` box holding an XMP packet. */
export function xmpUuidBox(xmp: string): Uint8Array {
  const packet = new TextEncoder().encode(xmp);
  const box = new Uint8Array(8 + 16 + packet.length);
  new DataView(box.buffer).setUint32(0, box.length);
  box.set(new TextEncoder().encode('uuid'), 4);
  box.set(XMP_UUID, 8);
  box.set(packet, 24);
  return box;
}

function dropAlpha(image: RgbImage): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p += 1) for (let c = 0; c < 3; c += 1) out[p * 3 + c] = image.data[p * image.channels + c]!;
  return out;
}

/** Options of {@link swapVideo}. */
export interface SwapVideoOptions extends Omit<FrameSwapOptions, 'fps'> {
  /** x264 quality, 0 (lossless) .. 51; default 18 (visually lossless). */
  readonly crf?: number;
  /** Overwrite an existing output. Default true for the library; the CLI asks for --force. */
  readonly overwrite?: boolean;
  /** Called after every frame. */
  readonly onFrame?: (frame: VideoFrameResult, info: VideoInfo) => void;
}

/** The result of {@link swapVideo}. */
export interface SwapVideoResult {
  readonly file: string;
  readonly info: VideoInfo;
  readonly frames: number;
  readonly swappedFrames: number;
  /** Wall time of the whole job and the time inside the front end + networks, in ms. */
  readonly milliseconds: { readonly total: number; readonly frontEnd: number; readonly networks: number; readonly paste: number };
}

/** Video containers fslsd writes. */
const VIDEO_EXTENSIONS = ['.mp4', '.mov', '.mkv'];

/**
 * Audio codecs each container takes as they are (ffmpeg's muxers, without -strict): their
 * packets are copied, not decoded and encoded again. Anything else is encoded to AAC.
 */
const COPYABLE_AUDIO: Readonly<Record<string, readonly string[]>> = {
  '.mp4': ['aac', 'mp3', 'alac', 'ac3', 'eac3', 'opus'],
  '.mov': ['aac', 'mp3', 'alac', 'ac3', 'pcm_s16le', 'pcm_s16be', 'pcm_s24le', 'pcm_s24be', 'pcm_f32le'],
  '.mkv': ['aac', 'mp3', 'alac', 'ac3', 'eac3', 'opus', 'vorbis', 'flac', 'pcm_s16le', 'pcm_s24le', 'pcm_f32le'],
};

/** ffmpeg's audio arguments: copy when every audio stream's codec fits the container, else AAC. */
function audioArguments(extension: string, codecs: readonly string[]): string[] {
  const copyable = COPYABLE_AUDIO[extension] ?? [];
  return codecs.length > 0 && codecs.every((codec) => copyable.includes(codec)) ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '192k'];
}

/**
 * The cheap checks of a video output path: a container fslsd writes, a writable folder, and no
 * existing file unless overwriting.
 * @throws FslsdError `INVALID_ARGUMENT`, `IO`
 */
export async function checkVideoOutput(output: string, options: { readonly overwrite?: boolean } = {}): Promise<string> {
  const extension = path.extname(output).toLowerCase();
  if (!VIDEO_EXTENSIONS.includes(extension)) {
    throw new FslsdError('INVALID_ARGUMENT', `Cannot write "${extension || 'no extension'}" videos: ${output}.`, { fix: 'End the output name with .mp4, .mov or .mkv.' });
  }
  return checkOutput(output, options);
}

/**
 * Swaps `source` onto the face in every frame of `input` and writes `output` (H.264 in the
 * container the extension names; the audio copied where the container takes its codec, else
 * encoded to AAC), labelled as a synthetic face swap in its metadata. The source face is encoded
 * once by the caller.
 */
export async function swapVideo(swapper: FaceSwapper, source: SourceFace, input: string, output: string, options: SwapVideoOptions = {}): Promise<SwapVideoResult> {
  const started = performance.now();
  // The cheap checks first: the output's name and folder, before ffprobe and the networks.
  const target = await checkVideoOutput(output, options);
  const extension = path.extname(target).toLowerCase();
  needFfmpeg('ffprobe');
  await needFile(input);
  // The decoder starts while ffprobe reads the header: each process takes about 0.1 s to start,
  // which on a short clip is a few frames' time. Its frames wait in the pipe until read.
  const decoder = startDecoder(input);
  let info: VideoInfo;
  try {
    info = await readVideoInfo(input);
  } catch (error) {
    decoder.child.kill('SIGKILL');
    throw error;
  }
  const temporary = path.join(path.dirname(target), `.${path.basename(target, extension)}.${randomBytes(6).toString('hex')}.partial${extension}`);
  const crf = options.crf ?? 18;
  const label = `${SYNTHETIC_LABEL} (IPTC DigitalSourceType trainedAlgorithmicMedia)`;
  const encoder = spawn('ffmpeg', [
    '-v', 'error', '-nostdin', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${info.width}x${info.height}`, '-r', info.rate, '-i', '-',
    '-i', input,
    '-map', '0:v:0', '-map', '1:a?',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(crf), '-pix_fmt', 'yuv420p',
    ...audioArguments(extension, info.audioCodecs),
    '-metadata', `comment=${label}`, '-metadata', `description=${label}`, '-metadata', 'encoder=fslsd',
    ...(extension === '.mkv' ? [] : ['-movflags', '+faststart']),
    temporary,
  ], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  encoder.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const encoded = failure('ffmpeg (encoding)', encoder, () => stderr);
  encoded.catch(() => undefined);
  const signal = options.signal;
  const abort = () => encoder.kill('SIGKILL');
  signal?.addEventListener('abort', abort, { once: true });
  let frames = 0;
  let swappedFrames = 0;
  const spent = { frontEnd: 0, networks: 0, paste: 0 };
  try {
    const stdin = encoder.stdin!;
    const write = (data: Uint8Array) => new Promise<void>((resolve, reject) => {
      stdin.write(data, (error) => (error ? reject(new FslsdError('IO', `ffmpeg (encoding) refused a frame: ${error.message}.`, { cause: error })) : resolve()));
    });
    const { crf: _crf, overwrite: _overwrite, onFrame: _onFrame, ...frameOptions } = options;
    // decodeVideo hands out a fresh buffer per frame, so the paste may write into it.
    for await (const frame of swapper.swapFrames(source, framesOf(decoder, info, { signal }), { ...frameOptions, fps: info.fps, pasteInPlace: true })) {
      spent.frontEnd += frame.timings.frontEnd;
      spent.networks += frame.timings.networks;
      spent.paste += frame.timings.paste;
      if (frame.swapped) swappedFrames += 1;
      frames += 1;
      const { data, channels } = frame.image;
      await write(channels === 3 ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : dropAlpha(frame.image));
      options.onFrame?.(frame, info);
    }
    stdin.end();
    await encoded;
    // MP4 and MOV carry XMP in a top-level 'uuid' box (XMP specification, part 3); ffmpeg has no
    // option for it, so it is appended before the file gets its real name. MKV keeps the tags.
    if (extension !== '.mkv') await appendFile(temporary, xmpUuidBox(syntheticMediaXmp()));
    await rename(temporary, target);
  } catch (error) {
    encoder.kill('SIGKILL');
    await rm(temporary, { force: true });
    if (signal?.aborted && !(error instanceof FslsdError && error.code === 'ABORTED')) throw new FslsdError('ABORTED', 'Aborted during the video swap.', { cause: error });
    throw error;
  } finally {
    signal?.removeEventListener('abort', abort);
    // Unread when the swap failed before its first frame (the encoder did not start, say).
    if (decoder.child.exitCode === null && decoder.child.signalCode === null) decoder.child.kill('SIGKILL');
  }
  return { file: target, info, frames, swappedFrames, milliseconds: { total: performance.now() - started, ...spent } };
}
