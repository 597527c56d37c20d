/**
 * One photo -> its dataset entries: decoded once (upright, sRGB, as createFaceSwapper decodes
 * it), mirrored for the `flip` variant, then for each variant the front end's largest face,
 * aligned to the FFHQ 1024² crop with its E_le landmarks and inner-face mask, and the crop's pSp
 * W+. A photo that cannot give a face becomes a skip record with the reason, never an error of
 * the run; failures of the machinery itself (the runtime, the disk, an abort) are errors.
 */
import path from 'node:path';
import sharp from 'sharp';
import { FslsdError, type RgbImage } from '@fslsd/core';
import { readImage } from '../image-io.js';
import { writeFaceEntry, writeSkipEntry } from './entry-files.js';
import { type FaceRecord, type SkipCode, type SkipRecord, type Variant, faceId } from './layout.js';
import type { DatasetNetworks } from './models.js';

/** How faces are found; dataset.json records them. */
export interface FaceSettings {
  /** Detector confidence a face must pass, in [0, 1). */
  readonly minScore: number;
  /** Shortest side, in photo pixels, of the detector box of an accepted face. */
  readonly minFace: number;
  /** Detector input side, a multiple of 32. */
  readonly detectorSize: number;
}

/** What a photo's work needs. */
export interface PhotoContext {
  /** The photos folder (absolute). */
  readonly root: string;
  /** The dataset folder (absolute). */
  readonly out: string;
  readonly networks: DatasetNetworks;
  readonly settings: FaceSettings;
  readonly signal: AbortSignal;
}

/** One finished entry. */
export type EntryOutcome = { readonly outcome: 'face'; readonly record: FaceRecord } | { readonly outcome: 'skipped'; readonly record: SkipRecord };

/** The photo mirrored left-right (sharp's flop): every pixel, exactly. */
async function mirror(image: RgbImage): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .flop()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: image.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

const skip = (photo: string, variant: Variant, code: SkipCode, reason: string): EntryOutcome => ({ outcome: 'skipped', record: { id: faceId(photo, variant), photo, variant, code, reason } });

/** The entry of one variant of a decoded photo; writes its files. */
async function variantEntry(context: PhotoContext, image: RgbImage, photo: string, variant: Variant): Promise<EntryOutcome> {
  const { analyzer, encoder } = context.networks;
  const { minScore, minFace, detectorSize } = context.settings;
  const { signal } = context;
  let outcome: EntryOutcome;
  try {
    const faces = await analyzer.detect(image, { minScore, inputSize: detectorSize, signal });
    // detect() lists faces largest first, as the face swapper's default choice takes them.
    const face = faces[0];
    if (!face) {
      outcome = skip(photo, variant, 'no-face', `no face scored above ${minScore} in the ${image.width}x${image.height} photo`);
    } else if (Math.min(face.box.width, face.box.height) < minFace) {
      const side = Math.min(face.box.width, face.box.height);
      outcome = skip(photo, variant, 'face-too-small', `the largest face is ${side.toFixed(1)} px on its shorter side, below --min-face ${minFace}`);
    } else {
      const prepared = await analyzer.prepare(image, face, { signal });
      const wplus = await encoder.encode(prepared.crop, { signal });
      const { box } = face;
      const record: FaceRecord = {
        id: faceId(photo, variant),
        photo,
        variant,
        photoSize: [image.width, image.height],
        box: [box.x, box.y, box.x + box.width, box.y + box.height],
        score: face.score,
        landmarks: prepared.landmarks.map(([x, y]) => [x, y] as const),
        landmarkSource: prepared.landmarkSource,
        maskSource: prepared.maskSource,
        landmarks68: prepared.cropLandmarks68.map(([x, y]) => [x, y] as const),
      };
      await writeFaceEntry(context.out, { record, crop: prepared.crop, mask: prepared.masks.inner, wplus });
      return { outcome: 'face', record };
    }
  } catch (error) {
    // A picture the front end cannot work on (degenerate size, say) is the photo's problem.
    if (!(error instanceof FslsdError) || error.code !== 'INVALID_IMAGE') throw error;
    outcome = skip(photo, variant, 'unusable', error.message);
  }
  await writeSkipEntry(context.out, outcome.record as SkipRecord);
  return outcome;
}

/**
 * Computes and writes the `variants` of `photo` (relative to the photos folder), one after the
 * other, reporting each as it is written.
 * @throws FslsdError `ABORTED`, `IO` (writing), `RUNTIME_FAILURE`: problems of the run, not the photo.
 */
export async function preparePhoto(context: PhotoContext, photo: string, variants: readonly Variant[], onEntry: (entry: EntryOutcome) => void): Promise<void> {
  let image: RgbImage;
  try {
    image = await readImage(path.join(context.root, ...photo.split('/')));
  } catch (error) {
    if (!(error instanceof FslsdError)) throw error;
    const reason = error.message;
    for (const variant of variants) {
      const outcome = skip(photo, variant, 'unreadable', reason);
      await writeSkipEntry(context.out, outcome.record as SkipRecord);
      onEntry(outcome);
    }
    return;
  }
  for (const variant of variants) {
    const upright = variant === 'flip' ? await mirror(image) : image;
    onEntry(await variantEntry(context, upright, photo, variant));
  }
}
