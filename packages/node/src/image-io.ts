/**
 * Images in and out of files with sharp: EXIF orientation honoured on read, output written to
 * a temporary name and renamed (never half-written), and labelled as synthetic media.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { CROP_SIZE, FslsdError, type MaskImage, type RgbImage, syntheticMediaXmp } from '@fslsd/core';

/** Encoded image bytes (PNG, JPEG, WebP, …) or a file path: what sharp decodes. */
export type EncodedImage = string | Uint8Array;

const describeInput = (input: EncodedImage): string => (typeof input === 'string' ? input : `the image bytes (${input.byteLength} bytes)`);

/** Decoding refuses images with more pixels than this (decompression bombs). */
export const PIXEL_LIMIT = 100_000_000;

function decodeError(input: EncodedImage, error: unknown): FslsdError {
  const reason = (error as Error).message ?? String(error);
  const file = describeInput(input);
  if (typeof input === 'string' && /no such file|ENOENT|missing/i.test(reason)) return new FslsdError('IO', `Cannot open ${file}: no such file.`, { fix: 'Check the path.', cause: error });
  return new FslsdError('INVALID_IMAGE', `Cannot decode ${file}: ${reason}.`, { fix: 'Use a PNG, JPEG or WebP image that opens in an image viewer.', cause: error });
}

/** Reads any photo (a path or encoded bytes) as 8-bit sRGB RGB, rotated upright by its EXIF orientation. */
export async function readImage(file: EncodedImage): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file, { limitInputPixels: PIXEL_LIMIT, failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw decodeError(file, error);
  }
}

/** A photo as the pipeline reads it, with the colour profile it came with. */
export interface Photo {
  /** 8-bit sRGB pixels, upright. */
  readonly image: RgbImage;
  /** The embedded ICC profile of an RGB photo, if any: pass it to writeImage to keep it. */
  readonly icc?: Uint8Array;
}

/**
 * Reads a photo like {@link readImage} and keeps its embedded ICC profile (RGB photos only; CMYK
 * and grey photos are converted to sRGB and lose theirs).
 */
export async function readPhoto(file: EncodedImage): Promise<Photo> {
  const image = await readImage(file);
  const metadata = await sharp(file, { limitInputPixels: PIXEL_LIMIT }).metadata().catch(() => undefined);
  const icc = metadata?.icc && metadata.channels !== undefined && metadata.channels >= 3 && metadata.space !== 'cmyk' ? new Uint8Array(metadata.icc) : undefined;
  return icc ? { image, icc } : { image };
}

/**
 * Reads an aligned face crop and brings it to 1024^2 (lanczos3) when it is square but another size.
 * @throws FslsdError `INVALID_IMAGE` when it is not square: it cannot be an FFHQ-aligned crop.
 */
export async function readAlignedCrop(file: EncodedImage, size = CROP_SIZE): Promise<RgbImage> {
  return toAlignedCrop(await readImage(file), describeInput(file), size);
}

/**
 * A decoded image as an aligned crop: square, brought to `size`² (lanczos3) when it is another size.
 * @throws FslsdError `INVALID_IMAGE` when it is not square.
 */
export async function toAlignedCrop(image: RgbImage, file: string, size = CROP_SIZE): Promise<RgbImage> {
  if (image.width !== image.height) {
    throw new FslsdError('INVALID_IMAGE', `${file} is ${image.width}x${image.height}; an aligned face crop is square.`, {
      fix: 'Pass FFHQ-aligned square crops (as CelebA-HQ/FFHQ provide) to --aligned.',
    });
  }
  if (image.width === size) return image;
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .removeAlpha()
    .resize(size, size, { kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Reads a grayscale mask (white = swap) at 1024^2. */
export async function readMask(file: EncodedImage, size = CROP_SIZE): Promise<MaskImage> {
  try {
    const { data, info } = await sharp(file, { limitInputPixels: PIXEL_LIMIT, failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'fill' })
      .toColourspace('b-w')
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    throw decodeError(file, error);
  }
}

/**
 * @throws FslsdError `IO` when `file` exists; callers that must not overwrite check early,
 * before any expensive work.
 */
export async function refuseExisting(file: string): Promise<void> {
  if (await stat(file).then(() => true, () => false)) throw new FslsdError('IO', `${file} exists.`, { fix: 'Choose another name, or pass --force to overwrite it.' });
}

/**
 * The cheap checks of an output path, made before any expensive work: its folder exists and is
 * writable, and (with `overwrite: false`) the file does not exist yet.
 * @throws FslsdError `IO` naming the folder or the file.
 */
export async function checkOutput(file: string, options: { readonly overwrite?: boolean } = {}): Promise<string> {
  const target = path.resolve(file);
  const folder = path.dirname(target);
  const isFolder = await stat(folder).then((s) => s.isDirectory(), () => false);
  if (!isFolder) throw new FslsdError('IO', `Cannot write ${file}: the folder ${folder} does not exist.`, { fix: `Create it first (mkdir -p ${folder}) or choose another output path.` });
  await access(folder, constants.W_OK).catch((error: unknown) => {
    throw new FslsdError('IO', `Cannot write ${file}: the folder ${folder} is not writable.`, { fix: 'Choose a folder you may write to, or change its permissions.', cause: error });
  });
  if (options.overwrite === false) await refuseExisting(target);
  return target;
}

export interface WriteOptions {
  /** Overwrite an existing file. Default true for the library; the CLI asks for --force. */
  readonly overwrite?: boolean;
  /**
   * An ICC profile to keep (from {@link readPhoto}): the sRGB pixels are converted into it and it
   * is embedded, so the output shows the colours of the input. Without one, sRGB is written.
   */
  readonly icc?: Uint8Array;
}

/**
 * Writes an RGB image (format from the extension: .png, .jpg/.jpeg, .webp) with the
 * synthetic-media label, atomically.
 */
export async function writeImage(file: string, image: RgbImage, options: WriteOptions = {}): Promise<string> {
  const target = path.resolve(file);
  const extension = path.extname(target).toLowerCase();
  const formats: Record<string, 'png' | 'jpeg' | 'webp'> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
  const format = formats[extension];
  if (!format) throw new FslsdError('INVALID_ARGUMENT', `Cannot write "${extension || 'no extension'}" files: ${file}.`, { fix: 'End the output name with .png, .jpg or .webp.' });
  await checkOutput(target, options);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.partial${extension}`);
  const profile = options.icc ? `${temporary}.icc` : undefined;
  try {
    let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).removeAlpha();
    if (profile) {
      // sharp takes a profile by file name; the file lives only as long as this write.
      await writeFile(profile, options.icc!);
      pipeline = pipeline.withIccProfile(profile);
    }
    await pipeline
      .withXmp(syntheticMediaXmp())
      .toFormat(format)
      .toFile(temporary);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    if (profile) await rm(profile, { force: true });
    throw new FslsdError('IO', `Cannot write ${file}: ${(error as Error).message}.`, { fix: 'Check that the folder exists and is writable.', cause: error });
  }
  if (profile) await rm(profile, { force: true });
  return target;
}
