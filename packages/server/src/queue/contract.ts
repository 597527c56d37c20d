/**
 * The job contract between `fslsd-server serve` and `fslsd-server worker`: what a job carries
 * (never the images themselves: they are in Redis under the job's id) and what it returns.
 * A worker of another version refuses a job whose `version` it does not know.
 */
import type { Method } from '@fslsd/core';

/** The version of {@link SwapJobData}; a worker refuses jobs of another. 2: videos (`kind`). */
export const JOB_VERSION = 2;

/** What a swap works on: a photo (`POST /v1/swaps`) or a video (`POST /v1/videos`). */
export type SwapKind = 'photo' | 'video';

/** Every {@link SwapKind}. */
export const SWAP_KINDS: readonly SwapKind[] = ['photo', 'video'];

/** Swap options a request may set (the multipart fields of `POST /v1/swaps`). */
export interface SwapRequestOptions {
  /** Which target face to swap (0 = largest). */
  readonly faceIndex?: number;
  /** Swap every face of the target. */
  readonly all?: boolean;
  /** Which face of the source photo to take (0 = largest). */
  readonly sourceFaceIndex?: number;
  /** FSLSD: the structure/appearance split (a preset name or a text form). */
  readonly split?: string;
  /** FSLSD: the scale of the landmark direction. */
  readonly strength?: number;
  /** FSLSD: run the latent editor. */
  readonly editor?: boolean;
  /** Minimum detector score in [0, 1]. */
  readonly minScore?: number;
  /** Videos: temporal smoothing of the tracked face, 0 (off) .. 1 (strongest). */
  readonly smoothing?: number;
}

/** The data of a swap job in the queue. */
export interface SwapJobData {
  /** The contract version ({@link JOB_VERSION}). */
  readonly version: typeof JOB_VERSION;
  /** A photo swap (the target is an image) or a video swap (the target is a video). */
  readonly kind: SwapKind;
  /** For videos: the most frames, and pixels per frame, the worker accepts (checked with ffprobe before any frame is swapped). */
  readonly videoLimits?: { readonly maxFrames: number; readonly maxPixels: number };
  /** Who created it: only this tenant's key sees it. */
  readonly tenant: string;
  /** `fslsd` or `megafs`: the queue it is in. */
  readonly method: Method;
  /** The request's checked options. */
  readonly options: SwapRequestOptions;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** How long inputs and the result are kept, in seconds. */
  readonly ttlSeconds: number;
}

/** What a finished swap job returns (and what `GET /v1/swaps/:id` shows as `result`). */
export interface SwapJobResult {
  /** A PNG for photos; an MP4 (H.264, the target's audio kept) for videos. Both labelled synthetic in their XMP. */
  readonly contentType: 'image/png' | 'video/mp4';
  /** Width in pixels, equal to the target's. */
  readonly width: number;
  /** Height in pixels, equal to the target's. */
  readonly height: number;
  /** Size of the result file. */
  readonly bytes: number;
  /** sha256 hex of the result file. */
  readonly sha256: string;
  /** How many faces were swapped (videos: in how many frames a face was swapped). */
  readonly faces: number;
  /** Videos: the frames written. */
  readonly frames?: number;
  /** The method that swapped. */
  readonly method: Method;
  /** Id of the model set that swapped (name and fingerprint). */
  readonly models: string;
  /** Which worker wrote the result (`host:pid`). */
  readonly writtenBy: string;
  /** When it was written, in ms since the epoch. */
  readonly writtenAt: number;
  /** Milliseconds of the swap itself. */
  readonly milliseconds: number;
  /**
   * `cache`: the source face was encoded earlier (by any worker, for any job with the same
   * source photo, face index and model set) and read from Redis; `encoded`: this job encoded it.
   */
  readonly sourceFace: 'encoded' | 'cache';
}

/** The progress a worker reports while it swaps. */
export interface SwapProgress {
  /** `reading-inputs`, a network stage (`encode-latent`, `synthesize`, …) or `writing-result`. */
  readonly stage: string;
  /** Network stages finished so far (videos: frames). */
  readonly stagesDone: number;
  /** Videos: the frame count of the target. */
  readonly frames?: number;
}
