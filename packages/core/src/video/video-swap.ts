/**
 * Video: a source face (encoded once) onto the faces of a stream of frames, with the temporal
 * constraints of temporal.ts. Frames come in as an async iterable (from ffmpeg, WebCodecs or the
 * caller's own decoder) and go out the same way; frames without a face pass through unchanged.
 *
 *   frame -> detect + 68 points -> one-euro landmarks -> align -> masks (EMA) -> E_t/encoders
 *         -> W+_t (EMA) -> swap -> paste back with the smoothed alpha -> frame
 */
import { throwIfAborted } from '../errors.js';
import { type RgbImage, tensorToImage } from '../image/tensor.js';
import { WPlus } from '../latent/wplus.js';
import type { Point } from '../landmarks/maps.js';
import type { SourceFace, SwapOptions, Swapper } from '../swapper.js';
import type { Quad } from '../face/alignment.js';
import type { FaceAnalyzer } from '../face/front-end.js';
import type { FoundFace } from '../face/found-face.js';
import { pasteBack } from '../face/paste-back.js';
import { type TemporalFilters, temporalFilters } from './temporal.js';

/** Options of {@link trackFace} and {@link swapVideoFrames}. */
export interface FaceTrackOptions {
  /** Frames per second of the stream (the landmark filter works in seconds). */
  readonly fps: number;
  /** Temporal smoothing in [0, 1]; 0 is off. Default 0.6. */
  readonly smoothing?: number;
  /** Track face N of each frame (0 = largest, the default). */
  readonly faceIndex?: number;
  readonly minScore?: number;
  /** Detector input side (multiple of 32, default 416); larger finds smaller faces, slower. */
  readonly detectorSize?: number;
  readonly signal?: AbortSignal;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Follows one face through frames, smoothing its landmarks. */
export class FaceTracker {
  readonly filters: TemporalFilters;
  /** Face size when the track began: the landmark filter's unit, fixed for the whole track. */
  private scale: number | undefined;

  constructor(
    private readonly analyzer: FaceAnalyzer,
    private readonly options: FaceTrackOptions,
  ) {
    this.filters = temporalFilters(options.smoothing ?? 0.6);
  }

  /** The faces of a frame: safe to run ahead, for the next frame, while this one is swapped. */
  detect(frame: RgbImage): Promise<FoundFace[]> {
    const { signal, minScore, detectorSize } = this.options;
    return this.analyzer.detect(frame, { signal, ...(minScore !== undefined ? { minScore } : {}), ...(detectorSize !== undefined ? { inputSize: detectorSize } : {}) });
  }

  /** Takes the tracked face from a frame's faces (in frame order) and smooths its landmarks. */
  follow(faces: readonly FoundFace[]): FoundFace | undefined {
    const face = faces[this.options.faceIndex ?? 0];
    if (!face) {
      this.filters.reset();
      this.scale = undefined;
      return undefined;
    }
    const filter = this.filters.landmarks;
    if (!filter) return face;
    // Filter in face sizes, so the same strength suits small and large faces; the unit is fixed
    // when the track begins (a per-frame box size would feed its own noise back in).
    this.scale ??= Math.sqrt(face.box.width * face.box.height) || 1;
    const { scale } = this;
    const smoothed = filter.next(face.landmarks68.flatMap(([x, y]) => [x / scale, y / scale]), this.options.fps);
    const landmarks68 = face.landmarks68.map((_, i): Point => [smoothed[2 * i]! * scale, smoothed[2 * i + 1]! * scale]);
    return { ...face, landmarks68 };
  }

  /** The tracked face in `frame` with smoothed landmarks, or undefined (and a reset) when there is none. */
  async next(frame: RgbImage): Promise<FoundFace | undefined> {
    return this.follow(await this.detect(frame));
  }
}

/** One output frame. */
export interface VideoFrameResult {
  /** Position in the stream, from 0. */
  readonly index: number;
  readonly image: RgbImage;
  /** False when the frame had no face and passed through unchanged. */
  readonly swapped: boolean;
  /** The alignment quad used (after smoothing), when a face was swapped. */
  readonly quad?: Quad;
  /** Milliseconds spent in the front end, the networks and the paste-back. */
  readonly timings: { readonly frontEnd: number; readonly networks: number; readonly paste: number };
}

/** Options of {@link swapVideoFrames}. */
export interface VideoSwapOptions extends FaceTrackOptions, Omit<SwapOptions, 'signal'> {}

/** Swaps `source` onto the tracked face of every frame; yields frames in order. */
export async function* swapVideoFrames(swapper: Swapper, analyzer: FaceAnalyzer, source: SourceFace, frames: AsyncIterable<RgbImage>, options: VideoSwapOptions): AsyncGenerator<VideoFrameResult> {
  const tracker = new FaceTracker(analyzer, options);
  const { filters } = tracker;
  const { split, strength, editor, signal } = options;
  let index = 0;
  // Frame t+1 is requested, and detected as soon as it arrives, while frame t goes through the
  // networks (separate sessions): the networks do not wait for the front end's slowest part.
  // The request is not awaited before frame t is yielded, so a source that delivers a frame only
  // after the previous result (a worker, a live feed) still works.
  const iterator = frames[Symbol.asyncIterator]();
  const pull = () => iterator.next().then((result) => {
    const faces = result.done ? undefined : tracker.detect(result.value);
    faces?.catch(() => undefined); // awaited below; this only silences an early rejection
    return { result, faces };
  });
  let upcoming = pull();
  try {
    for (;;) {
      const { result: current, faces: detected } = await upcoming;
      if (current.done) break;
      const frame = current.value;
      throwIfAborted(signal, `video frame ${index}`);
      const started = now();
      const faces = await detected!;
      upcoming = pull();
      upcoming.catch(() => undefined);
      const face = tracker.follow(faces);
      if (!face) {
        yield { index, image: frame, swapped: false, timings: { frontEnd: now() - started, networks: 0, paste: 0 } };
        index += 1;
        continue;
      }
      const prepared = await analyzer.prepare(frame, face, { signal });
      const size = prepared.masks.size;
      const inner = filters.mask.next(prepared.masks.inner);
      const alpha = filters.paste.next(prepared.masks.paste);
      // The paste alpha must stay zero outside this frame's dilated mask: no pixel outside the face changes.
      for (let i = 0; i < alpha.length; i += 1) if (!prepared.masks.inner[i]) alpha[i] = 0;
      const frontEnd = now() - started;
      const target = await swapper.encodeTarget({ image: prepared.crop, landmarks: prepared.landmarks, mask: { width: size, height: size, data: inner } }, { signal });
      const wplus = WPlus.from(filters.latent.next(target.wplus.data), false);
      const result = await swapper.swap(source, { ...target, wplus }, { signal, ...(split !== undefined ? { split } : {}), ...(strength !== undefined ? { strength } : {}), ...(editor !== undefined ? { editor } : {}) });
      const networks = now() - started - frontEnd;
      const image = pasteBack({ photo: frame, face: tensorToImage(result.image), alpha, toPhoto: prepared.toPhoto });
      yield { index, image, swapped: true, quad: prepared.quad, timings: { frontEnd, networks, paste: now() - started - frontEnd - networks } };
      index += 1;
    }
  } finally {
    await iterator.return?.();
  }
}
