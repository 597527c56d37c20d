/**
 * The on-disk layout of a training dataset: a contract with the Python trainer
 * (packages/models/python/fslsd_train), which reads these names and shapes exactly. Change
 * nothing here without changing docs/dataset.md, the trainer's reader and DATASET_VERSION.
 *
 *   DATA/dataset.json              the manifest (DatasetManifest)
 *   DATA/faces/<id>/crop.png       1024x1024 8-bit sRGB RGB, the FFHQ-aligned crop
 *   DATA/faces/<id>/mask.png       1024x1024 8-bit grey, the inner-face mask (255 = face)
 *   DATA/faces/<id>/wplus.f32      pSp W+ [18, 512] float32 little-endian, no header
 *   DATA/faces/<id>/face.json      FaceRecord, written last: the face is complete
 *   DATA/skipped/<id>.json         SkipRecord: this photo variant gave no face
 */
import path from 'node:path';
import { CODE_COUNT, CODE_SIZE, CROP_SIZE, type Point } from '@fslsd/core';

/** `format` of dataset.json. */
export const DATASET_FORMAT = 'fslsd-dataset';
/** `version` of dataset.json; a reader refuses versions it does not know. */
export const DATASET_VERSION = 1;
/** Bytes of a wplus.f32 file: 18 x 512 float32. */
export const WPLUS_BYTES = CODE_COUNT * CODE_SIZE * 4;
/** Side of crop.png and mask.png. */
export const DATASET_CROP_SIZE = CROP_SIZE;

/** The ways a photo can be augmented; each adds one face entry per photo. */
export const AUGMENTATIONS = ['flip'] as const;
/** A kind of augmentation: `flip` mirrors the photo left-right. */
export type Augmentation = (typeof AUGMENTATIONS)[number];
/** Which copy of a photo an entry was computed from: as it is, or mirrored left-right. */
export type Variant = 'original' | Augmentation;

/** Where E_le's 106 points came from: a 106-point landmarker (H3R), or the 68 points mapped into the 106-point layout. */
export type LandmarkSource = 'landmarker-106' | 'mapped-68';
/** Where the inner-face mask came from: a face parser, or the 68 landmarks. */
export type MaskSource = 'landmarks' | 'parser';

/** Why a photo variant gave no face: a stable code, and a sentence in `reason`. */
export type SkipCode = 'unreadable' | 'no-face' | 'face-too-small' | 'unusable';

/** faces/<id>/face.json. */
export interface FaceRecord {
  /** The entry's id, also its folder's name. */
  readonly id: string;
  /** Path relative to the photos folder, '/' separators. */
  readonly photo: string;
  /** The photo as it is, or mirrored. */
  readonly variant: Variant;
  /** Width and height of the (upright, possibly mirrored) photo the face was found in. */
  readonly photoSize: readonly [number, number];
  /** Detector box [x0, y0, x1, y1] in photo pixels (of the mirrored photo for `flip`). */
  readonly box: readonly [number, number, number, number];
  /** Detector confidence in [0, 1]. */
  readonly score: number;
  /** The 106 points E_le takes, in 256x256 crop pixels; [-1, -1] marks a point with no value. */
  readonly landmarks: readonly Point[];
  /** Where `landmarks` came from. */
  readonly landmarkSource: LandmarkSource;
  /** Where mask.png came from. */
  readonly maskSource: MaskSource;
  /** The 68 iBUG points in 1024x1024 crop pixels. */
  readonly landmarks68: readonly Point[];
}

/** skipped/<id>.json, and one entry of dataset.json's `skipped`. */
export interface SkipRecord {
  /** The entry's id, also the record's file name. */
  readonly id: string;
  /** Path relative to the photos folder, '/' separators. */
  readonly photo: string;
  /** The photo as it is, or mirrored. */
  readonly variant: Variant;
  /** Why, for programs. */
  readonly code: SkipCode;
  /** Why, for people. */
  readonly reason: string;
}

/** dataset.json. */
export interface DatasetManifest {
  /** `fslsd-dataset`. */
  readonly format: typeof DATASET_FORMAT;
  /** 1; a reader refuses versions it does not know. */
  readonly version: typeof DATASET_VERSION;
  /** Side of crop.png and mask.png: 1024. */
  readonly cropSize: number;
  /** How the crops are cut: FFHQ's alignment from the eyes and mouth. */
  readonly alignment: 'ffhq';
  /** The model set whose psp-encoder gave the W+ codes. */
  readonly models: {
    /** The model set's name, from its manifest. */
    readonly name: string;
    /** The set's folder, when it is on this disk. */
    readonly folder?: string;
    /** The address it was fetched from, for a set served over http(s). */
    readonly url?: string;
    /** sha256 of the psp-encoder file, as the set's manifest lists it: the W+ codes depend on it. */
    readonly pspEncoderSha256: string;
  };
  /** Where every face's E_le points came from (one source per dataset). */
  readonly landmarkSource: LandmarkSource;
  /** Where every face's mask came from (one source per dataset). */
  readonly maskSource: MaskSource;
  /** The augmentation kinds of the last run. */
  readonly augment: readonly Augmentation[];
  /** The face-finding settings of the last run. */
  readonly settings: { readonly minScore: number; readonly minFace: number; readonly detectorSize: number };
  /** Photo files found, complete faces, skipped entries. */
  readonly counts: { readonly photos: number; readonly faces: number; readonly skipped: number };
  /** Ids of the complete faces, sorted. */
  readonly faces: readonly string[];
  /** The skipped entries, sorted by id. */
  readonly skipped: readonly SkipRecord[];
  /** True once every photo variant of the last run is a face or a skip. */
  readonly complete: boolean;
  /** ISO 8601 time of the first run. */
  readonly created: string;
  /** ISO 8601 time of this write. */
  readonly updated: string;
}

/**
 * The id of a photo variant: its path relative to the photos folder, with every character
 * outside [A-Za-z0-9._-] replaced by '_' (per code point) and '/' by '__', the extension kept
 * (a.jpg and a.png differ), plus '@flip' for the mirrored variant. '@' never survives the
 * replacement, so the suffix cannot be confused with a name.
 */
export function faceId(photo: string, variant: Variant): string {
  const base = photo
    .split('/')
    .map((part) => part.replace(/[^A-Za-z0-9._-]/gu, '_'))
    .join('__');
  return variant === 'original' ? base : `${base}@${variant}`;
}

/** The files of one face. */
export interface FaceFiles {
  readonly folder: string;
  readonly crop: string;
  readonly mask: string;
  readonly wplus: string;
  readonly record: string;
}

export function faceFiles(out: string, id: string): FaceFiles {
  const folder = path.join(out, 'faces', id);
  return { folder, crop: path.join(folder, 'crop.png'), mask: path.join(folder, 'mask.png'), wplus: path.join(folder, 'wplus.f32'), record: path.join(folder, 'face.json') };
}

export function skipFile(out: string, id: string): string {
  return path.join(out, 'skipped', `${id}.json`);
}

export function manifestFile(out: string): string {
  return path.join(out, 'dataset.json');
}
