/**
 * The accurate detection path: face-api's SSD on the whole photo, and again on overlapping
 * 512-pixel tiles when the photo is larger, so that a small face in a large photo reaches the
 * network at full resolution instead of shrunk with the rest of the photo; and the tiny
 * detector once at 1.25x the photo's size, which finds some turned faces the SSD misses.
 *
 *   photo -> SSD (whole, resized to 512) ----------------------------\
 *         -> 512^2 tiles, 128 px overlap -> SSD each -> drop boxes cut  \
 *                                              by a tile's inner edge   -> merge -> faces
 *         -> tiny detector at 1.25x the longer side (416..2048) -------/
 *
 * Merging keeps the best-scoring box first and drops any box that overlaps a kept one by an IoU
 * above 0.3 or lies more than 60 % inside it (the same face seen whole and from a tile, or a
 * part of a face). A face cut by one tile's inner edge lies whole in its neighbour (it is
 * smaller than the overlap) or is found by the whole-photo pass.
 *
 * The tile size and the thresholds were chosen on `pnpm bench --only recall` (generated scenes
 * with known boxes; BENCHMARKS.md has the table).
 */
import { throwIfAborted } from '../errors.js';
import type { RgbImage } from '../image/tensor.js';
import type { InferenceSession, OrtRuntime } from '../runtime.js';
import { type Box, type DetectedFace, detectFaces } from './detector.js';
import { SSD_INPUT_SIZE, detectFacesSsd } from './detector-ssd.js';

/** Tile side in photo pixels: the SSD's own input, so a tile reaches the network unscaled. */
export const TILE_SIZE = SSD_INPUT_SIZE;
/** Overlap of neighbouring tiles, in photo pixels. */
export const TILE_OVERLAP = 128;
/** A box overlapping a kept one by more than this IoU is the same face. */
const SAME_FACE_IOU = 0.3;
/** A box lying more than this share inside a kept one is the same face (or a part of it). */
const SAME_FACE_INSIDE = 0.6;
/** A tile box within this many pixels of an inner tile edge is taken as cut by it. */
const EDGE_MARGIN = 2;
/** The tiny detector's pass: input side = this times the photo's longer side, in 416..2048. */
const TINY_SCALE = 1.25;

/** Options of {@link detectAccurately}. */
export interface AccurateDetectOptions {
  readonly minScore?: number;
  readonly maxFaces?: number;
  readonly signal?: AbortSignal;
}

/** The tiles covering a `width` x `height` photo (none when it fits one SSD input). */
export function photoTiles(width: number, height: number, tile = TILE_SIZE, overlap = TILE_OVERLAP): Box[] {
  if (Math.max(width, height) <= tile) return [];
  const starts = (extent: number): number[] => {
    if (extent <= tile) return [0];
    const out: number[] = [];
    for (let start = 0; ; start += tile - overlap) {
      if (start + tile >= extent) {
        out.push(extent - tile);
        return out;
      }
      out.push(start);
    }
  };
  const boxes: Box[] = [];
  for (const y of starts(height)) for (const x of starts(width)) boxes.push({ x, y, width: Math.min(tile, width), height: Math.min(tile, height) });
  return boxes;
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return w * h;
}

/** Best score first; a box that is the same face as a kept one (see the header) is dropped. */
export function mergeDetections(lists: ReadonlyArray<readonly DetectedFace[]>): DetectedFace[] {
  const all = lists.flat().sort((p, q) => q.score - p.score);
  const kept: DetectedFace[] = [];
  for (const face of all) {
    const same = kept.some((k) => {
      const shared = overlapArea(k.box, face.box);
      const areaK = k.box.width * k.box.height;
      const areaF = face.box.width * face.box.height;
      return shared / (areaK + areaF - shared) > SAME_FACE_IOU || shared / Math.min(areaK, areaF) > SAME_FACE_INSIDE;
    });
    if (!same) kept.push(face);
  }
  return kept;
}

/** Whether `box`, found in `tile`, touches one of the tile's edges that is not the photo's. */
function cutByTile(box: Box, tile: Box, width: number, height: number): boolean {
  return (tile.x > 0 && box.x <= tile.x + EDGE_MARGIN) || (tile.y > 0 && box.y <= tile.y + EDGE_MARGIN)
    || (tile.x + tile.width < width && box.x + box.width >= tile.x + tile.width - EDGE_MARGIN)
    || (tile.y + tile.height < height && box.y + box.height >= tile.y + tile.height - EDGE_MARGIN);
}

/**
 * Every face the SSD finds in the whole photo and its tiles and the tiny detector finds at 1.25x,
 * merged, best score first.
 * @throws FslsdError as {@link detectFacesSsd}, `ABORTED` between tiles.
 */
export async function detectAccurately(runtime: OrtRuntime, sessions: { readonly ssd: InferenceSession; readonly tiny: InferenceSession }, photo: RgbImage, options: AccurateDetectOptions = {}): Promise<DetectedFace[]> {
  const { signal } = options;
  const { ssd, tiny } = sessions;
  const base = { ...(options.minScore !== undefined ? { minScore: options.minScore } : {}) };
  const inputSize = Math.min(2048, Math.max(416, Math.ceil((Math.max(photo.width, photo.height) * TINY_SCALE) / 32) * 32));
  const lists: DetectedFace[][] = [await detectFacesSsd(runtime, ssd, photo, base), await detectFaces(runtime, tiny, photo, { ...base, inputSize })];
  for (const tile of photoTiles(photo.width, photo.height)) {
    throwIfAborted(signal, 'face detection');
    const found = await detectFacesSsd(runtime, ssd, photo, { ...base, region: tile });
    lists.push(found.filter((face) => !cutByTile(face.box, tile, photo.width, photo.height)));
  }
  const merged = mergeDetections(lists);
  return options.maxFaces !== undefined ? merged.slice(0, options.maxFaces) : merged;
}
