/**
 * Video in the browser: frames taken from a <video> element by seeking, swapped in the worker
 * (with the temporal smoothing of @fslsd/core), encoded with WebCodecs (VP8) and written as WebM.
 * Runs on the page (it needs a video element); the networks stay in the worker. The audio track
 * is not carried over in this version: the WebM has video only.
 */
import { FslsdError, type RgbImage, SYNTHETIC_LABEL } from '@fslsd/core';
import { throwIfAborted } from '@fslsd/core/pipeline';
import { type WebmFrame, writeWebm } from './webm.js';

/** Whether this browser can swap video, and if not, why. */
export interface VideoSupport {
  readonly supported: boolean;
  readonly reason?: string;
}

/** Checks for what {@link swapVideo} needs: a DOM video element, WebCodecs' VideoEncoder and VideoFrame. */
export function videoSupport(): VideoSupport {
  if (typeof document === 'undefined') return { supported: false, reason: 'video frames are read from a <video> element, which exists only on a page (not in a worker or Node)' };
  if (typeof (globalThis as { VideoEncoder?: unknown }).VideoEncoder === 'undefined' || typeof (globalThis as { VideoFrame?: unknown }).VideoFrame === 'undefined') {
    return { supported: false, reason: 'this browser has no WebCodecs VideoEncoder/VideoFrame (Chrome and Edge 94+, Safari 16.4+ and Firefox 130+ have them)' };
  }
  return { supported: true };
}

/** The swap worker's video calls, as the face swapper gives them to {@link swapVideoFile}. */
export interface VideoChannel {
  start(options: { fps: number; smoothing?: number; faceIndex?: number }): Promise<void>;
  frame(frame: ImageBitmap): Promise<{ image: RgbImage; swapped: boolean; index: number }>;
  end(): Promise<void>;
}

/** Options of the face swapper's `swapVideo()`. */
export interface WebVideoOptions {
  /** Frames per second to take from the video; the browser does not expose the file's own rate. Default 25. */
  readonly fps?: number;
  /** Temporal smoothing 0..1 (default 0.6). */
  readonly smoothing?: number;
  /** Track face N of each frame (0 = largest). */
  readonly faceIndex?: number;
  /** VP8 bitrate in bits per second. Default 6 Mbit/s. */
  readonly bitrate?: number;
  readonly signal?: AbortSignal;
  readonly onFrame?: (done: number, total: number) => void;
}

/** What the face swapper's `swapVideo()` returns. */
export interface WebVideoResult {
  /** `video/webm`, VP8, labelled as a synthetic face swap (COMMENT tag). */
  readonly blob: Blob;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly frames: number;
  readonly swappedFrames: number;
}

function once(target: EventTarget, type: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = () => reject(new FslsdError('INVALID_IMAGE', 'The browser cannot decode this video.', { fix: 'Use a WebM (VP8/VP9/AV1) or an MP4 the browser plays.' }));
    target.addEventListener(type, () => {
      target.removeEventListener('error', fail);
      resolve();
    }, { once: true });
    target.addEventListener('error', fail, { once: true });
    signal?.addEventListener('abort', () => reject(new FslsdError('ABORTED', 'Aborted during the video swap.')), { once: true });
  });
}

/**
 * Swaps the channel's source onto the face in every frame of `video` and returns a WebM.
 * @throws FslsdError `DEVICE_UNAVAILABLE` where {@link videoSupport} says no, naming why.
 */
export async function swapVideoFile(channel: VideoChannel, video: Blob, options: WebVideoOptions = {}): Promise<WebVideoResult> {
  const support = videoSupport();
  if (!support.supported) throw new FslsdError('DEVICE_UNAVAILABLE', `Cannot swap video here: ${support.reason}.`, { fix: 'Use a current Chrome, Edge, Safari or Firefox, or fslsd video in Node.' });
  const fps = options.fps ?? 25;
  const element = document.createElement('video');
  element.muted = true;
  element.preload = 'auto';
  const url = URL.createObjectURL(video);
  const chunks: WebmFrame[] = [];
  let encoderError: unknown;
  const encoder = new VideoEncoder({
    output: (chunk) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      chunks.push({ data, timestamp: chunk.timestamp, key: chunk.type === 'key' });
    },
    error: (error) => (encoderError = error),
  });
  try {
    element.src = url;
    await once(element, 'loadedmetadata', options.signal);
    const { videoWidth: width, videoHeight: height, duration } = element;
    if (!width || !height || !Number.isFinite(duration)) throw new FslsdError('INVALID_IMAGE', 'The video has no picture or no known duration.', { fix: 'Use a complete video file.' });
    const total = Math.max(1, Math.floor(duration * fps + 1e-6));
    encoder.configure({ codec: 'vp8', width, height, bitrate: options.bitrate ?? 6_000_000, framerate: fps });
    await channel.start({ fps, ...(options.smoothing !== undefined ? { smoothing: options.smoothing } : {}), ...(options.faceIndex !== undefined ? { faceIndex: options.faceIndex } : {}) });
    let swappedFrames = 0;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d')!;
    for (let i = 0; i < total; i += 1) {
      throwIfAborted(options.signal, 'the video swap');
      // The middle of frame i's interval shows frame i.
      element.currentTime = Math.min(duration, (i + 0.5) / fps);
      await once(element, 'seeked', options.signal);
      const frame = await createImageBitmap(element);
      const result = await channel.frame(frame);
      frame.close();
      if (result.swapped) swappedFrames += 1;
      const rgba = new Uint8ClampedArray(width * height * 4);
      const { data, channels } = result.image;
      for (let p = 0; p < width * height; p += 1) {
        rgba[p * 4] = data[p * channels]!;
        rgba[p * 4 + 1] = data[p * channels + 1]!;
        rgba[p * 4 + 2] = data[p * channels + 2]!;
        rgba[p * 4 + 3] = 255;
      }
      context.putImageData(new ImageData(rgba, width, height), 0, 0);
      const videoFrame = new VideoFrame(canvas, { timestamp: Math.round((i * 1e6) / fps), duration: Math.round(1e6 / fps) });
      encoder.encode(videoFrame, { keyFrame: i % Math.max(1, Math.round(fps * 2)) === 0 });
      videoFrame.close();
      if (encoderError) throw encoderError;
      options.onFrame?.(i + 1, total);
    }
    await encoder.flush();
    if (encoderError) throw encoderError;
    const file = writeWebm(chunks, { width, height, codec: 'V_VP8', duration: (total * 1e6) / fps, comment: `${SYNTHETIC_LABEL} (IPTC DigitalSourceType trainedAlgorithmicMedia)` });
    return { blob: new Blob([file as Uint8Array<ArrayBuffer>], { type: 'video/webm' }), width, height, fps, frames: total, swappedFrames };
  } finally {
    await channel.end().catch(() => undefined);
    if (encoder.state !== 'closed') encoder.close();
    URL.revokeObjectURL(url);
    element.removeAttribute('src');
  }
}
