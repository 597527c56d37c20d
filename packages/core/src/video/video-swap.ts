/**
 * Video: a source face (encoded once) onto the faces of a stream of frames, with the temporal
 * constraints of temporal.ts. Frames come in as an async iterable (from ffmpeg, WebCodecs or the
 * caller's own decoder) and go out the same way; frames without the tracked face (see
 * FaceTracker) pass through unchanged.
 *
 *   frame -> detect + 68 points -> one-euro landmarks -> align -> masks (EMA) -> E_t/encoders
 *         -> W+_t (EMA) -> swap -> paste back with the smoothed alpha -> frame
 */
import { FslsdError, throwIfAborted } from '../errors.js';
import { type RgbImage, tensorToImage } from '../image/tensor.js';
import { WPlus } from '../latent/wplus.js';
import type { Point } from '../landmarks/maps.js';
import type { SourceFace } from '../source-face.js';
import type { SwapOptions, Swapper } from '../swapper.js';
import type { Quad } from '../face/alignment.js';
import { descriptorDistance } from '../face/descriptor.js';
import type { FaceAnalyzer, PreparedFace } from '../face/front-end.js';
import type { FoundFace } from '../face/found-face.js';
import { type TemporalFilters, temporalFilters } from './temporal.js';

/** Options of {@link FaceTracker} and {@link swapVideoFrames}. */
export interface FaceTrackOptions {
  /** Frames per second of the stream (the landmark filter and the track's memory work in seconds). */
  readonly fps: number;
  /** Temporal smoothing in [0, 1]; 0 is off. Default 0.6. */
  readonly smoothing?: number;
  /**
   * Which face to track: face N of the frame where the track begins (0 = largest, the default).
   * From then on the same face is followed by position and, with the descriptor model, by
   * identity, whatever its size rank; see {@link FaceTracker}.
   */
  readonly faceIndex?: number;
  readonly minScore?: number;
  /** Detector input side (multiple of 32, default 416); larger finds smaller faces, slower. */
  readonly detectorSize?: number;
  /**
   * While a face is tracked, let the fast detector look only at a square {@link SEARCH_SIDE}
   * face sizes wide around where the face is expected, at input {@link SEARCH_INPUT} whatever
   * `detectorSize` (a fraction of the whole frame's cost), and at the whole frame when it finds no
   * face there. Default true; false searches the whole frame on every frame. The accurate detector
   * always searches the whole frame.
   */
  readonly searchNearTrack?: boolean;
  /**
   * 'fast' (the default for video: the tiny detector, every frame) or 'accurate' (the SSD on the
   * whole frame and its tiles: finds small, turned and rotated faces, several times slower).
   */
  readonly detector?: 'fast' | 'accurate';
  readonly signal?: AbortSignal;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Where the tracked face was and how it moved: what each frame's faces are matched against. */
interface Track {
  /** Box centre when last seen, in frame pixels. */
  readonly x: number;
  readonly y: number;
  /** sqrt(box area) when last seen: the unit of every position threshold. */
  readonly size: number;
  /** Centre displacement per frame between its last two sightings (0 after a gap). */
  readonly velocityX: number;
  readonly velocityY: number;
  /** Frames since the face was last seen: 0 while it is seen in every frame. */
  readonly missed: number;
  /**
   * The face's descriptor, taken when the track began (or on the first frame where one could be
   * computed) and never updated: refreshing it from tracked frames would let one wrong match
   * rewrite who is being tracked.
   */
  readonly descriptor: Float32Array | undefined;
}

/**
 * A face is a match by position when its centre lies within this many face sizes (sqrt of the
 * box area) of the predicted centre, plus the log of its size change. A face moves far less than
 * its own size between frames; faces side by side are usually more than a face size apart.
 */
const POSITION_GATE = 1;
/**
 * How much the gate widens (face sizes) per second the face was not seen: the prediction grows
 * uncertain. In seconds, so that the gate after a given gap is the same at any frame rate.
 */
const POSITION_GATE_GROWTH = 2.5;
/**
 * Other faces within this many face sizes of the prediction make the choice ambiguous (faces
 * crossing, one hiding the other): then descriptors decide, where the model is loaded.
 */
const CROWD_RADIUS = 2;
/** Descriptor distance below which two faces are the same person (face-api's threshold). */
const SAME_PERSON = 0.6;
/**
 * Among crowded faces, the nearest descriptor above {@link SAME_PERSON} (a turned head) still
 * wins when it lies in the position gate and every other face is farther by at least this much;
 * a lone candidate above the threshold is rejected (it is likely another person where the
 * tracked face is hidden).
 */
const DESCRIPTOR_MARGIN = 0.15;
/**
 * Side of the square searched around a tracked face, in face sizes (sqrt of the box area), centred
 * where the last velocity puts the face: a face moves far less than half its size between frames.
 * Faces crossing it overlap it and are seen; a neighbour cut by the square's edge is dropped (its
 * box would be cut too), and position alone then decides, as it does for a neighbour more than
 * two face sizes away.
 */
export const SEARCH_SIDE = 2;
/**
 * Detector input side for that square, whatever its size in the frame: the face then spans about
 * half of it (80 px). Measured on the video benchmark's clip (400², face about 150 px): tracking
 * took 11 ms per frame against 43 ms with the whole frame at 416, and the landmarks jittered less
 * (raw 1.51e-2 against 1.73e-2 crop sides per frame; a third of the square at 160, or 224, gave
 * more jitter: 1.9e-2).
 */
export const SEARCH_INPUT = 160;
/** Without descriptors, a lost face is looked for near its predicted position this long. */
const POSITION_MEMORY_SECONDS = 0.5;
/** With descriptors, a lost face is looked for anywhere in the frame, by identity, this long. */
const IDENTITY_MEMORY_SECONDS = 2;

/**
 * Follows one face through frames, smoothing its landmarks.
 *
 * The face is chosen once, by `faceIndex`, on the frame where the track begins, then matched in
 * each frame by position: the face nearest to where the last velocity puts it, within
 * {@link POSITION_GATE} face sizes. The detector lists faces by size, so choosing by index in
 * every frame would trade identities whenever two faces of similar size change rank. When other
 * faces are near (crossing) or after the face was lost, the analyzer's 128-d descriptors decide
 * instead, compared with the descriptor taken when the track began.
 *
 * A frame without the tracked face resets the temporal filters (as a frame without any face did
 * before) and returns undefined, even when it has other faces. The track is remembered for
 * {@link IDENTITY_MEMORY_SECONDS} with descriptors (re-acquired by identity anywhere in the frame)
 * or {@link POSITION_MEMORY_SECONDS} without (re-acquired near its predicted position); after
 * that it is forgotten and begins again on face `faceIndex` of the next frame with faces, as
 * after a scene cut.
 */
export class FaceTracker {
  readonly filters: TemporalFilters;
  /** Face size when the track began: the landmark filter's unit, fixed for the whole track. */
  private scale: number | undefined;
  private track: Track | undefined;
  /** False once the analyzer said it has no descriptor model: position alone decides from then on. */
  private describing = true;

  constructor(
    private readonly analyzer: FaceAnalyzer,
    private readonly options: FaceTrackOptions,
  ) {
    this.filters = temporalFilters(options.smoothing ?? 0.6);
  }

  /**
   * The faces of a frame, for {@link follow}. While the face is tracked (seen in the last frame)
   * and the fast detector is used, only the faces near where it is expected (see
   * {@link FaceTrackOptions.searchNearTrack}); otherwise, or when none is there, every face of
   * the frame. Safe to run ahead, for the next frame, while this one is swapped: the search
   * region then comes from an older position, and the whole frame is searched when it misses.
   */
  async detect(frame: RgbImage): Promise<FoundFace[]> {
    const { signal, minScore, detectorSize, detector, searchNearTrack } = this.options;
    const mode = detector ?? 'fast';
    const common = { signal, detector: mode, ...(minScore !== undefined ? { minScore } : {}) };
    const track = this.track;
    if (mode === 'fast' && searchNearTrack !== false && track && track.missed === 0) {
      const side = SEARCH_SIDE * track.size;
      const region = { x: track.x + track.velocityX - side / 2, y: track.y + track.velocityY - side / 2, width: side, height: side };
      // The same input for any face size (a small face's square is enlarged): the face always
      // spans about half of it.
      const near = await this.analyzer.detect(frame, { ...common, region, inputSize: SEARCH_INPUT });
      if (near.length > 0) return near;
    }
    return this.analyzer.detect(frame, { ...common, ...(detectorSize !== undefined ? { inputSize: detectorSize } : {}) });
  }

  /**
   * Takes the tracked face from a frame's faces (as {@link detect} returns them) and smooths its
   * landmarks; undefined, with a reset of the filters, when the tracked face is not among them.
   */
  async follow(frame: RgbImage, faces: readonly FoundFace[]): Promise<FoundFace | undefined> {
    const memory = this.describing && this.track?.descriptor ? IDENTITY_MEMORY_SECONDS : POSITION_MEMORY_SECONDS;
    if (this.track && this.track.missed > Math.max(1, Math.round(memory * this.options.fps))) this.track = undefined;
    let face: FoundFace | undefined;
    let crowded = false;
    if (this.track) {
      ({ face, crowded } = await this.match(frame, faces, this.track));
    } else {
      face = faces[this.options.faceIndex ?? 0];
      // A new track (first frame, or the old one forgotten) owes nothing to the last one.
      this.filters.reset();
      this.scale = undefined;
    }
    if (!face) {
      if (this.track) this.track = { ...this.track, missed: this.track.missed + 1 };
      this.filters.reset();
      this.scale = undefined;
      return undefined;
    }
    await this.remember(frame, face, crowded);
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
    return this.follow(frame, await this.detect(frame));
  }

  /** Which of `faces` is the tracked face (undefined: none), and whether another face was near it. */
  private async match(frame: RgbImage, faces: readonly FoundFace[], track: Track): Promise<{ face: FoundFace | undefined; crowded: boolean }> {
    const steps = track.missed + 1;
    const predictedX = track.x + track.velocityX * steps;
    const predictedY = track.y + track.velocityY * steps;
    const gate = POSITION_GATE + (POSITION_GATE_GROWTH * track.missed) / this.options.fps;
    const scored = faces
      .map((face) => {
        const { x, y, size } = centreOf(face);
        return { face, cost: Math.hypot(x - predictedX, y - predictedY) / track.size + Math.abs(Math.log(size / track.size)) };
      })
      .sort((p, q) => p.cost - q.cost);
    // Identity decides after a gap (the face may come back anywhere) and when another face is
    // near enough to be mistaken for it; otherwise position alone is reliable and costs nothing.
    const pool = track.missed > 0 ? scored : scored.filter((candidate) => candidate.cost < CROWD_RADIUS);
    const crowded = pool.length > 1;
    if (track.descriptor && this.describing && (track.missed > 0 || crowded)) {
      const described: { face: FoundFace; cost: number; distance: number }[] = [];
      for (const candidate of pool) {
        const descriptor = await this.describe(frame, candidate.face);
        if (descriptor) described.push({ ...candidate, distance: descriptorDistance(track.descriptor, descriptor) });
      }
      if (described.length > 0) {
        described.sort((p, q) => p.distance - q.distance);
        const [best, runnerUp] = described;
        const confirmed = best!.distance < SAME_PERSON || (best!.cost < gate && runnerUp !== undefined && runnerUp.distance >= best!.distance + DESCRIPTOR_MARGIN);
        return { face: confirmed ? best!.face : undefined, crowded };
      }
      // No candidate could be described (faces at the frame edge): position decides.
    }
    const nearest = scored[0];
    return { face: nearest && nearest.cost < gate ? nearest.face : undefined, crowded };
  }

  /**
   * Moves the track to `face`, starting it (with its descriptor) when there is none. A track
   * without a descriptor yet takes one from a frame where no other face was near, where position
   * alone cannot have picked the wrong face.
   */
  private async remember(frame: RgbImage, face: FoundFace, crowded: boolean): Promise<void> {
    const { x, y, size } = centreOf(face);
    const previous = this.track;
    // The velocity is only meaningful between consecutive frames; after a gap the face may have
    // come back anywhere.
    const seenLastFrame = previous !== undefined && previous.missed === 0;
    const descriptor = previous?.descriptor ?? (previous && crowded ? undefined : await this.describe(frame, face));
    this.track = {
      x,
      y,
      size,
      velocityX: seenLastFrame ? x - previous.x : 0,
      velocityY: seenLastFrame ? y - previous.y : 0,
      missed: 0,
      descriptor,
    };
  }

  /** The face's descriptor; undefined without the descriptor model or where none can be computed. */
  private async describe(frame: RgbImage, face: FoundFace): Promise<Float32Array | undefined> {
    if (!this.describing) return undefined;
    throwIfAborted(this.options.signal, 'face tracking');
    try {
      return await this.analyzer.describe(frame, face);
    } catch (error) {
      if (error instanceof FslsdError && error.code === 'MODEL_NOT_FOUND') {
        this.describing = false;
        return undefined;
      }
      // A face cut by the frame edge may have no aligned descriptor box; position decides for it.
      if (error instanceof FslsdError && (error.code === 'INVALID_ARGUMENT' || error.code === 'INVALID_LANDMARKS')) return undefined;
      throw error;
    }
  }
}

/** A face's box centre and size (sqrt of its area). */
function centreOf(face: FoundFace): { x: number; y: number; size: number } {
  const { x, y, width, height } = face.box;
  return { x: x + width / 2, y: y + height / 2, size: Math.sqrt(width * height) || 1 };
}

/** One output frame. */
export interface VideoFrameResult {
  /** Position in the stream, from 0. */
  readonly index: number;
  readonly image: RgbImage;
  /** False when the frame did not have the tracked face and passed through unchanged. */
  readonly swapped: boolean;
  /** The alignment quad used (after smoothing), when a face was swapped. */
  readonly quad?: Quad;
  /** Milliseconds spent in the front end, the networks and the paste-back. */
  readonly timings: { readonly frontEnd: number; readonly networks: number; readonly paste: number };
}

/** Whether {@link swapVideoFrames} may change the frames it is given. */
export interface FramePasteOptions {
  /**
   * Paste each swapped face into its frame's own pixels instead of a copy of the frame. Set it
   * when the frames are yours to change (freshly decoded ones, as `@fslsd/node`'s video decoder
   * passes): it saves a whole-frame copy per frame, which at 1080p costs more than the paste.
   * Default false: the frames you pass are never changed.
   */
  readonly pasteInPlace?: boolean;
}

/** Options of {@link swapVideoFrames}. */
export interface VideoSwapOptions extends FaceTrackOptions, FramePasteOptions, Omit<SwapOptions, 'signal'> {}

/** One frame after the front end: the tracked face aligned and masked (smoothed), if there is one. */
interface FrontEndResult {
  readonly frame: RgbImage;
  /** Milliseconds of the front end, waits for the detector included. */
  readonly frontEnd: number;
  readonly face?: { readonly prepared: PreparedFace; readonly inner: Float32Array; readonly alpha: Float32Array };
}

/**
 * `alpha` with zeros wherever `mask` is zero: the paste alpha must stay zero outside this frame's
 * dilated mask, so that no pixel outside the face changes. Its own small function, with the
 * arrays in locals: inline in the front end's async function the loop cost 14 ms per 1024²
 * frame in a profile, against about 1 ms here.
 */
function zeroOutside(alpha: Float32Array, mask: Float32Array): Float32Array {
  const n = alpha.length;
  for (let i = 0; i < n; i += 1) if (!mask[i]) alpha[i] = 0;
  return alpha;
}

/** Swaps `source` onto the tracked face of every frame; yields frames in order. */
export async function* swapVideoFrames(swapper: Swapper, analyzer: FaceAnalyzer, source: SourceFace, frames: AsyncIterable<RgbImage>, options: VideoSwapOptions): AsyncGenerator<VideoFrameResult> {
  const tracker = new FaceTracker(analyzer, options);
  const { filters } = tracker;
  const { split, strength, editor, refine, signal } = options;
  let index = 0;
  // Two frames are in flight: while frame t is in the networks (their own sessions, their own
  // threads), frame t+1 is requested, detected, tracked, aligned and masked. The front end is
  // JavaScript on this thread, so it runs in the networks' await instead of between frames.
  // That overlaps only where a session's run gives the thread back while it computes
  // (onnxruntime-web's proxy worker, GPU providers). onnxruntime-node 1.30 runs a session
  // synchronously on this thread (a blocking call inside setImmediate), so there the front end
  // fills the gaps between the networks' runs and the two alternate; real overlap in Node needs a
  // worker thread.
  // Tracking stays in frame order: frame t+1's front end starts only after frame t's finished.
  // The request is not awaited before frame t is yielded, so a source that delivers a frame only
  // after the previous result (a worker, a live feed) still works.
  const iterator = frames[Symbol.asyncIterator]();
  const frontEnd = async (): Promise<FrontEndResult | undefined> => {
    const result = await iterator.next();
    if (result.done) return undefined;
    const frame = result.value;
    const started = now();
    const faces = await tracker.detect(frame);
    const face = await tracker.follow(frame, faces);
    if (!face) return { frame, frontEnd: now() - started };
    const prepared = await analyzer.prepare(frame, face, { signal });
    // The masks were made for this frame alone: averaged in place. The alpha is zeroed outside
    // this frame's own inner mask first, before that mask is averaged with the last frames'.
    const alpha = zeroOutside(filters.paste.update(prepared.masks.paste), prepared.masks.inner);
    const inner = filters.mask.update(prepared.masks.inner);
    return { frame, frontEnd: now() - started, face: { prepared, inner, alpha } };
  };
  let upcoming = frontEnd();
  try {
    for (;;) {
      const current = await upcoming;
      if (!current) break;
      throwIfAborted(signal, `video frame ${index}`);
      upcoming = frontEnd();
      upcoming.catch(() => undefined); // awaited on the next turn; this only silences an early rejection
      const { frame, face } = current;
      if (!face) {
        yield { index, image: frame, swapped: false, timings: { frontEnd: current.frontEnd, networks: 0, paste: 0 } };
        index += 1;
        continue;
      }
      const { prepared, inner, alpha } = face;
      const size = prepared.masks.size;
      const started = now();
      const target = await swapper.encodeTarget({ image: prepared.crop, landmarks: prepared.landmarks, mask: { width: size, height: size, data: inner } }, { signal });
      const wplus = WPlus.from(filters.latent.next(target.wplus.data), false);
      const result = await swapper.swap(source, { ...target, wplus }, { signal, ...(split !== undefined ? { split } : {}), ...(strength !== undefined ? { strength } : {}), ...(editor !== undefined ? { editor } : {}), ...(refine !== undefined ? { refine } : {}) });
      const networks = now() - started;
      const image = await analyzer.pasteBack({ photo: frame, face: tensorToImage(result.image), alpha, toPhoto: prepared.toPhoto, inPlace: options.pasteInPlace === true });
      yield { index, image, swapped: true, quad: prepared.quad, timings: { frontEnd: current.frontEnd, networks, paste: now() - started - networks } };
      index += 1;
    }
  } finally {
    await iterator.return?.();
  }
}
