/**
 * Video in the browser, on Mediabunny: the file is demuxed (MP4, MOV, WebM, MKV, MPEG-TS) and
 * every frame decoded in order by WebCodecs (no seeking, frame-exact), each frame is swapped in
 * the worker (with the temporal smoothing of @fslsd/core), then encoded and muxed with the
 * file's own timestamps, its audio and the synthetic-media label: MP4 (H.264) where the browser
 * encodes H.264, else WebM (VP9, or VP8). The output streams into a file in the origin private
 * file system (OPFS) where there is one, so no encoded frame is held in memory.
 *
 *   File ─BlobSource─> demux ─VideoDecoder─> frame ─worker: swap─> VideoEncoder ─mux─> OPFS file
 *                        └── audio packets (copied, or decoded and re-encoded) ──────────┘
 *
 * Runs wherever WebCodecs and OffscreenCanvas exist (a page or a worker); the networks stay in
 * the swap worker.
 */
import { AbortError, FslsdError, type RgbImage, SYNTHETIC_LABEL, syntheticMediaXmp } from '@fslsd/core';
import {
  type AudioCodec, BlobSource, BufferTarget, Conversion, type ConversionAudioOptions, type ConversionVideoOptions, type InputAudioTrack, type InputVideoTrack, Input,
  MATROSKA, MP4, MPEG_TS, Mp4OutputFormat, Output, QTFF, Quality, StreamTarget, type VideoCodec, VideoSample, WEBM, WebMOutputFormat, canEncodeAudio, canEncodeVideo,
} from 'mediabunny';
import { storageRoot } from './storage.js';

/** Whether this browser can swap video, and if not, why. */
export interface VideoSupport {
  /** True where WebCodecs (VideoDecoder, VideoEncoder, VideoFrame) and OffscreenCanvas exist. */
  readonly supported: boolean;
  /** Why not, when `supported` is false. */
  readonly reason?: string;
}

/**
 * Checks for what the face swapper's `swapVideo()` needs: WebCodecs' VideoDecoder, VideoEncoder
 * and VideoFrame, and OffscreenCanvas. Whether the browser decodes a given file's codec, and
 * which container it can write (MP4 needs an H.264 encoder, WebM a VP9 or VP8 one), is checked
 * per file by `swapVideo()`, which names what is missing.
 */
export function videoSupport(): VideoSupport {
  const scope = globalThis as { VideoDecoder?: unknown; VideoEncoder?: unknown; VideoFrame?: unknown; OffscreenCanvas?: unknown };
  if (typeof scope.VideoDecoder === 'undefined' || typeof scope.VideoEncoder === 'undefined' || typeof scope.VideoFrame === 'undefined') {
    return { supported: false, reason: 'this browser has no WebCodecs VideoDecoder/VideoEncoder/VideoFrame (Chrome and Edge 94+, Safari 16.4+ and Firefox 130+ have them)' };
  }
  if (typeof scope.OffscreenCanvas === 'undefined') return { supported: false, reason: 'this browser has no OffscreenCanvas (Chrome and Edge 69+, Safari 16.4+ and Firefox 105+ have it)' };
  return { supported: true };
}

/** The swap worker's video calls, as the face swapper gives them to {@link swapVideoFile}. */
export interface VideoChannel {
  /** Starts a video swap in the worker: `fps` is the file's frame rate (the tracker's time base). */
  start(options: { fps: number; smoothing?: number; faceIndex?: number }): Promise<void>;
  /** Swaps one frame; frames must arrive in presentation order, one call at a time. */
  frame(frame: ImageBitmap): Promise<{ image: RgbImage; swapped: boolean; index: number }>;
  /** Ends the video swap in the worker (also after a failure). */
  end(): Promise<void>;
}

/** Options of the face swapper's `swapVideo()`. */
export interface WebVideoOptions {
  /**
   * Ignored: the frame rate is read from the file's own timestamps, and every frame is swapped
   * once, at its own time.
   * @deprecated The rate comes from the file now; drop this option.
   */
  readonly fps?: number;
  /** Temporal smoothing 0..1 (default 0.6). */
  readonly smoothing?: number;
  /** Track face N of each frame (0 = largest). */
  readonly faceIndex?: number;
  /** Video bitrate in bits per second. Default: Mediabunny's `high` quality for the frame size and codec. */
  readonly bitrate?: number;
  /**
   * The container to write: `auto` (default) writes MP4 (H.264) where the browser can encode
   * H.264 at this size, else WebM (VP9, or VP8); `mp4` and `webm` insist (an `mp4` the browser
   * cannot encode is a `DEVICE_UNAVAILABLE` error).
   */
  readonly container?: 'auto' | 'mp4' | 'webm';
  /** Stops the swap: it rejects with `ABORTED` and the partial output file is deleted. */
  readonly signal?: AbortSignal;
  /** After each frame: frames done, and the track's frame count (from its packet table). */
  readonly onFrame?: (done: number, total: number) => void;
}

/** What the face swapper's `swapVideo()` returns. */
export interface WebVideoResult {
  /**
   * The swapped video, labelled as a synthetic face swap in its metadata: comment and
   * description tags with the text of `SYNTHETIC_LABEL`, and in MP4 also the XMP packet of
   * `syntheticMediaXmp()` (IPTC DigitalSourceType) in a top-level `uuid` box. Where the browser has OPFS with
   * writable files, this is a File in the origin private file system (folder `fslsd-video`,
   * read from disk when used); results older than a day are deleted when a later swap starts.
   * Elsewhere (no OPFS, a private window that refuses it) the file is built in memory.
   */
  readonly blob: Blob;
  /** The blob's type with its codecs, e.g. `video/mp4; codecs="avc1.640028, mp4a.40.2"` or `video/webm; codecs="vp09.00.31.08, opus"`. */
  readonly mimeType: string;
  /** Width of the frames as displayed: a rotation in the input's metadata is applied to the pixels, and the output has none. */
  readonly width: number;
  /** Height of the frames as displayed (see `width`). */
  readonly height: number;
  /** The input's frame rate, read from its frame timestamps; the output keeps every frame at its input time. */
  readonly fps: number;
  /** Frames written: every frame of the input's video track. */
  readonly frames: number;
  /** Frames in which a face was found and swapped (the others pass through unchanged). */
  readonly swappedFrames: number;
  /**
   * Whether the output has the input's audio: its encoded packets copied where the container
   * takes the codec (AAC, Opus, MP3, FLAC, AC-3 into MP4; Opus, Vorbis into WebM), else decoded
   * and re-encoded (AAC or Opus into MP4, Opus or Vorbis into WebM). False when the input has
   * no audio, or this browser can neither copy nor re-encode it.
   */
  readonly hasAudio: boolean;
}

/** The label in the container's comment and description tags, as @fslsd/node writes it. */
const VIDEO_LABEL = `${SYNTHETIC_LABEL} (IPTC DigitalSourceType trainedAlgorithmicMedia)`;
/** The containers read; what they hold must still be decodable by this browser's WebCodecs. */
const INPUT_FORMATS = [MP4, QTFF, WEBM, MATROSKA, MPEG_TS];
/** Audio copied as it is, per output container. */
const COPIED_AUDIO: Readonly<Record<'mp4' | 'webm', readonly AudioCodec[]>> = { mp4: ['aac', 'opus', 'mp3', 'flac', 'ac3', 'eac3'], webm: ['opus', 'vorbis'] };
/** Audio re-encoded to, in order of preference, when the input's codec cannot be copied. */
const ENCODED_AUDIO: Readonly<Record<'mp4' | 'webm', readonly AudioCodec[]>> = { mp4: ['aac', 'opus'], webm: ['opus', 'vorbis'] };
const RESULTS_FOLDER = 'fslsd-video';
/** Results older than this are removed from OPFS when a swap starts. */
const KEEP_RESULTS_MS = 24 * 60 * 60 * 1000;

const STAGE = 'the video swap';

/** The ABORTED error of this call, with a fix; an AbortError like every other abort of the SDK. */
function aborted(signal: AbortSignal | undefined): FslsdError {
  const error = new FslsdError('ABORTED', 'Aborted during the video swap; the partial output was deleted.', {
    fix: 'Call swapVideo() again to start over.',
    cause: signal?.reason,
  });
  Object.setPrototypeOf(error, AbortError.prototype);
  error.name = 'AbortError';
  return error;
}

/** The XMP UUID of ISO base media files, BE7ACFCB-97A9-42E8-9C71-999491E3AFAC (XMP specification, part 3). */
const XMP_UUID = [0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac];

/** A top-level MP4 `uuid` box with the synthetic-media XMP packet, as @fslsd/node appends it. */
function xmpBox(): Uint8Array<ArrayBuffer> {
  const packet = new TextEncoder().encode(syntheticMediaXmp());
  const box = new Uint8Array(24 + packet.length);
  new DataView(box.buffer).setUint32(0, box.length);
  box.set([0x75, 0x75, 0x69, 0x64], 4); // 'uuid'
  box.set(XMP_UUID, 8);
  box.set(packet, 24);
  return box;
}

/** Where the output goes: a file in OPFS where the browser has one, else memory. */
interface Destination {
  readonly target: StreamTarget | BufferTarget;
  /** The finished file, typed, with `trailer` appended (a top-level box after Mediabunny's). */
  finish(type: string, trailer?: Uint8Array<ArrayBuffer>): Promise<Blob>;
  /** Removes a partial file (after a failure). */
  discard(): Promise<void>;
}

async function removeOldResults(folder: FileSystemDirectoryHandle): Promise<void> {
  const now = Date.now();
  try {
    for await (const [name, handle] of (folder as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind !== 'file') continue;
      const file = await (handle as FileSystemFileHandle).getFile().catch(() => undefined);
      if (file && now - file.lastModified > KEEP_RESULTS_MS) await folder.removeEntry(name).catch(() => undefined);
    }
  } catch {
    // Best effort: a folder that cannot be listed keeps its files.
  }
}

async function destination(extension: string): Promise<Destination> {
  const root = await storageRoot();
  const folder = root ? await root.getDirectoryHandle(RESULTS_FOLDER, { create: true }).catch(() => undefined) : undefined;
  if (folder) {
    await removeOldResults(folder);
    const name = `swap-${new Date().toISOString().replace(/[:.]/g, '-')}-${crypto.randomUUID().slice(0, 8)}${extension}`;
    const handle = await folder.getFileHandle(name, { create: true }).catch(() => undefined);
    // A browser whose OPFS files have no createWritable on this thread (older Safari): memory then.
    if (handle && typeof handle.createWritable === 'function') {
      const writable = await handle.createWritable().catch(() => undefined);
      if (writable) {
        return {
          // Mediabunny writes { type: 'write', position, data }, which a FileSystemWritableFileStream takes as is.
          target: new StreamTarget(writable, { chunked: true, chunkSize: 4 * 1024 * 1024 }),
          async finish(type, trailer) {
            if (trailer) {
              const size = (await handle.getFile()).size;
              const append = await handle.createWritable({ keepExistingData: true });
              try {
                await append.write({ type: 'write', position: size, data: trailer });
                await append.close();
              } catch (error) {
                await append.abort().catch(() => undefined);
                throw error;
              }
            }
            const file = await handle.getFile();
            return file.slice(0, file.size, type);
          },
          async discard() {
            await writable.abort().catch(() => undefined);
            await folder.removeEntry(name).catch(() => undefined);
          },
        };
      }
    }
    if (handle) await folder.removeEntry(name).catch(() => undefined);
  }
  const target = new BufferTarget();
  return {
    target,
    finish: async (type, trailer) => new Blob(trailer ? [target.buffer!, trailer] : [target.buffer!], { type }),
    discard: async () => undefined,
  };
}

/** MP4 with H.264 where the browser encodes it at this size, else WebM with VP9 or VP8. */
async function chooseVideo(container: 'auto' | 'mp4' | 'webm', width: number, height: number, fps: number, quality: Quality): Promise<{ container: 'mp4' | 'webm'; codec: VideoCodec }> {
  const options = { width, height, frameRate: fps, quality };
  // 4:2:0 H.264 needs even sides; VP9 and VP8 take any.
  if (container !== 'webm' && width % 2 === 0 && height % 2 === 0 && await canEncodeVideo('avc', options)) return { container: 'mp4', codec: 'avc' };
  if (container === 'mp4') {
    throw new FslsdError('DEVICE_UNAVAILABLE', `This browser cannot encode H.264 at ${width}x${height}, so it cannot write MP4.`, {
      fix: 'Use container: "auto" or "webm" (VP9/VP8), or a browser with an H.264 encoder (Chrome, Edge, Safari).',
    });
  }
  for (const codec of ['vp9', 'vp8'] as const) if (await canEncodeVideo(codec, options)) return { container: 'webm', codec };
  throw new FslsdError('DEVICE_UNAVAILABLE', `This browser can encode neither H.264, VP9 nor VP8 video at ${width}x${height}.`, { fix: 'Use a current Chrome, Edge, Safari or Firefox, or fslsd video in Node.' });
}

/** Copy the audio where the container takes its codec, else re-encode to one it takes, else drop it. */
async function audioPlan(track: InputAudioTrack, container: 'mp4' | 'webm'): Promise<ConversionAudioOptions> {
  const codec = await track.getCodec();
  if (codec && COPIED_AUDIO[container].includes(codec)) return {};
  const numberOfChannels = await track.getNumberOfChannels();
  const sampleRate = await track.getSampleRate();
  for (const candidate of ENCODED_AUDIO[container]) {
    // Mediabunny resamples to 48 kHz stereo when an encoder refuses the track's own layout.
    if (await canEncodeAudio(candidate, { numberOfChannels, sampleRate }) || await canEncodeAudio(candidate, { numberOfChannels: 2, sampleRate: 48_000 })) return { codec: candidate };
  }
  return { discard: true };
}

/** The frame rate from the timestamps: Mediabunny's estimate, else packets per second, else 25. */
async function frameRateOf(track: InputVideoTrack): Promise<{ fps: number; total: number }> {
  const stats = await track.computePacketStats().catch(() => undefined);
  const metrics = await track.computeFrameRateMetrics().catch(() => undefined);
  const fps = [metrics?.bestGuessFrameRate, stats?.averagePacketRate].find((rate): rate is number => typeof rate === 'number' && Number.isFinite(rate) && rate > 0 && rate <= 1000) ?? 25;
  return { fps, total: stats?.packetCount ?? 0 };
}

function unreadable(error: unknown): FslsdError {
  return new FslsdError('INVALID_IMAGE', `The video is in no container this browser can read${error instanceof Error ? ` (${error.message})` : ''}.`, {
    fix: 'Use an MP4, MOV, WebM or MKV file.',
    cause: error,
  });
}

/**
 * Swaps the channel's source onto the face in every frame of `video` (a File or Blob: MP4, MOV,
 * WebM, MKV or MPEG-TS) and returns the labelled video, with the input's frames, timestamps
 * and audio: MP4 (H.264) where the browser encodes H.264, else WebM (VP9 or VP8). A rotation
 * in the input's metadata is applied to the pixels (the networks see upright faces), so the
 * output is upright with no rotation metadata.
 * @throws FslsdError `DEVICE_UNAVAILABLE` where {@link videoSupport} says no or no encoder fits,
 *   `INVALID_IMAGE` for a file in no readable container, with no video track or with a codec the
 *   browser cannot decode, `ABORTED` (the partial file is deleted), `IO` when storage is full,
 *   `RUNTIME_FAILURE` for a decoder or encoder failure.
 */
export async function swapVideoFile(channel: VideoChannel, video: Blob, options: WebVideoOptions = {}): Promise<WebVideoResult> {
  const support = videoSupport();
  if (!support.supported) throw new FslsdError('DEVICE_UNAVAILABLE', `Cannot swap video here: ${support.reason}.`, { fix: 'Use a current Chrome, Edge, Safari or Firefox, or fslsd video in Node.' });
  if (!(typeof Blob !== 'undefined' && video instanceof Blob)) throw new FslsdError('INVALID_ARGUMENT', 'swapVideo() takes the video as a File or Blob.', { fix: 'Pass the File of an <input type="file"> or a fetched Blob.' });
  const { signal } = options;
  if (signal?.aborted) throw aborted(signal);
  const input = new Input({ source: new BlobSource(video), formats: INPUT_FORMATS });
  let output: Output | undefined;
  let written: Destination | undefined;
  try {
    await input.getFormat().catch((error: unknown) => {
      throw unreadable(error);
    });
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new FslsdError('INVALID_IMAGE', 'The file has no video track.', { fix: 'Pass a video file with a picture track.' });
    const codec = await track.getCodec();
    if (!codec || !(await track.canDecode())) {
      throw new FslsdError('INVALID_IMAGE', `This browser cannot decode the video's ${codec ? `${codec.toUpperCase()} ` : 'unknown '}codec.`, {
        fix: 'Convert the video to H.264 (MP4) or VP9 (WebM), which every WebCodecs browser decodes.',
      });
    }
    const width = await track.getDisplayWidth();
    const height = await track.getDisplayHeight();
    const { fps, total } = await frameRateOf(track);
    const quality = options.bitrate !== undefined ? new Quality({ bitrate: options.bitrate }) : new Quality('high');
    const chosen = await chooseVideo(options.container ?? 'auto', width, height, fps, quality);
    const format = chosen.container === 'mp4' ? new Mp4OutputFormat() : new WebMOutputFormat();
    written = await destination(format.fileExtension);
    output = new Output({ format, target: written.target });
    const audioTrack = await input.getPrimaryAudioTrack();

    // Frames cross to the worker one at a time, in presentation order: Mediabunny awaits each.
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    const result = new OffscreenCanvas(width, height);
    const resultContext = result.getContext('2d');
    if (!context || !resultContext) throw new FslsdError('RUNTIME_FAILURE', 'No 2D canvas context is available.');
    const pixels = new ImageData(width, height);
    let frames = 0;
    let swappedFrames = 0;
    const process = async (sample: VideoSample): Promise<VideoSample> => {
      if (signal?.aborted) throw aborted(signal);
      // The sample is upright here (Mediabunny renders a rotated track before this call).
      sample.draw(context, 0, 0, width, height);
      const bitmap = canvas.transferToImageBitmap();
      let swapped: Awaited<ReturnType<VideoChannel['frame']>>;
      try {
        swapped = await channel.frame(bitmap);
      } finally {
        bitmap.close();
      }
      if (swapped.swapped) swappedFrames += 1;
      const { image } = swapped;
      if (image.width !== width || image.height !== height) throw new FslsdError('RUNTIME_FAILURE', `The worker returned a ${image.width}x${image.height} frame for a ${width}x${height} video.`);
      const rgba = pixels.data;
      for (let p = 0, q = 0; q < rgba.length; p += image.channels, q += 4) {
        rgba[q] = image.data[p]!;
        rgba[q + 1] = image.data[p + 1]!;
        rgba[q + 2] = image.data[p + 2]!;
        rgba[q + 3] = 255;
      }
      resultContext.putImageData(pixels, 0, 0);
      frames += 1;
      options.onFrame?.(frames, Math.max(total, frames));
      return new VideoSample(result, { timestamp: sample.timestamp, duration: sample.duration });
    };
    const videoOptions: ConversionVideoOptions = { codec: chosen.codec, quality, process, processedWidth: width, processedHeight: height, allowTransformationMetadata: false };
    const conversion = await Conversion.init({
      input,
      output,
      tracks: 'primary',
      video: (candidate) => (candidate === track ? videoOptions : { discard: true }),
      audio: (candidate) => (candidate === audioTrack ? audioPlan(candidate, chosen.container) : { discard: true }),
      // The label replaces the input's tags (which may name people, places, devices). MP4: the
      // iTunes ©cmt, ©des and desc atoms (ffprobe reads ©cmt and desc); WebM: COMMENT and DESCRIPTION.
      tags: { comment: VIDEO_LABEL, description: VIDEO_LABEL, ...(chosen.container === 'mp4' ? { raw: { desc: VIDEO_LABEL } } : {}) },
      showWarnings: false,
    });
    const droppedVideo = conversion.discardedTracks.find((discarded) => discarded.track === track);
    if (droppedVideo || !conversion.isValid) {
      throw new FslsdError('DEVICE_UNAVAILABLE', `Cannot convert the video track (${droppedVideo?.reason ?? 'invalid conversion'}).`, { fix: 'Convert the video to H.264 (MP4) or VP9 (WebM) first, or use fslsd video in Node.' });
    }
    const hasAudio = audioTrack !== null && conversion.utilizedTracks.includes(audioTrack);

    await channel.start({ fps, ...(options.smoothing !== undefined ? { smoothing: options.smoothing } : {}), ...(options.faceIndex !== undefined ? { faceIndex: options.faceIndex } : {}) });
    const cancel = () => void conversion.cancel().catch(() => undefined);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      await conversion.execute();
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    if (frames === 0) throw new FslsdError('INVALID_IMAGE', 'The video track has no frames.', { fix: 'Use a complete video file.' });
    const mimeType = await output.getMimeType();
    // MP4 also carries the label as XMP (IPTC DigitalSourceType), like @fslsd/node's MP4.
    const blob = await written.finish(mimeType, chosen.container === 'mp4' ? xmpBox() : undefined);
    return { blob, mimeType, width, height, fps, frames, swappedFrames, hasAudio };
  } catch (error) {
    if (output && output.state !== 'finalized') await output.cancel().catch(() => undefined);
    await written?.discard();
    if (signal?.aborted) throw aborted(signal);
    if (error instanceof FslsdError) throw error;
    if (error instanceof DOMException && error.name === 'QuotaExceededError') {
      throw new FslsdError('IO', 'The browser\'s storage is full: the swapped video does not fit.', { fix: 'Free disk space or delete site data, or swap a shorter or smaller video.', cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new FslsdError('RUNTIME_FAILURE', `The video swap failed: ${message}`, { fix: 'Try another browser or convert the video to H.264 (MP4) or VP9 (WebM); fslsd video in Node takes any file ffmpeg reads.', cause: error });
  } finally {
    await channel.end().catch(() => undefined);
    input.dispose();
  }
}
