/**
 * An upload is checked before anything decodes it: its magic bytes must be a raster format
 * (JPEG, PNG, WebP, TIFF, GIF, HEIF/AVIF), never SVG or PDF (whose renderers are attack surface
 * a face swap does not need), and its header's width x height must be within the pixel limit.
 * sharp reads only the header here (metadata), so a decompression bomb is refused unopened.
 */
import sharp from 'sharp';
import { ServiceError } from '../errors.js';

/** The raster formats the service takes, by their magic bytes. */
export const RASTER_FORMATS = ['jpeg', 'png', 'webp', 'tiff', 'gif', 'heif'] as const;
/** One of {@link RASTER_FORMATS}. */
export type RasterFormat = (typeof RASTER_FORMATS)[number];

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis']);

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean => prefix.every((value, index) => bytes[at + index] === value);
const ascii = (bytes: Uint8Array, from: number, to: number): string => Buffer.from(bytes.subarray(from, to)).toString('latin1');

/** The raster format of `bytes` by magic number, or undefined. */
export function sniffRaster(bytes: Uint8Array): RasterFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(bytes, 4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(bytes, 8, 12))) return 'heif';
  return undefined;
}

/** A few words for what a refused upload looks like, for the error message. */
function describeRefused(bytes: Uint8Array): string {
  const head = ascii(bytes, 0, Math.min(bytes.length, 512)).trimStart().toLowerCase();
  if (head.startsWith('%pdf')) return 'a PDF document';
  if (head.includes('<svg') || (head.startsWith('<?xml') && head.includes('svg'))) return 'an SVG image';
  if (head.startsWith('<')) return 'XML or HTML text';
  if (bytes.length === 0) return 'empty';
  return 'not an image format the service takes';
}

/** What the check learned from an accepted upload's header. */
export interface CheckedImage {
  readonly format: RasterFormat;
  readonly width: number;
  readonly height: number;
}

/**
 * @throws ServiceError `UNSUPPORTED_MEDIA_TYPE` (415) for anything but the raster formats,
 * `TOO_MANY_PIXELS` (413) over `maxPixels`, `INVALID_IMAGE` (422) for a header sharp cannot read.
 */
export async function checkImage(bytes: Uint8Array, which: string, maxPixels: number): Promise<CheckedImage> {
  const format = sniffRaster(bytes);
  if (!format) {
    throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', 415, `The ${which} upload is ${describeRefused(bytes)}.`, 'Send a raster photo: JPEG, PNG, WebP, TIFF, GIF or HEIF/AVIF (never SVG or PDF).');
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    width = metadata.autoOrient?.width ?? metadata.width;
    height = metadata.autoOrient?.height ?? metadata.height;
  } catch (error) {
    const unsupported = format === 'heif' && /heif|unsupported|no decoder|codec/i.test((error as Error).message);
    if (unsupported) {
      throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', 415, `The ${which} upload is HEIF with a codec this server's image library cannot decode.`, 'Send it as JPEG, PNG, WebP or AVIF.', { cause: error });
    }
    throw new ServiceError('INVALID_IMAGE', 422, `The ${which} upload starts like ${format.toUpperCase()} but its header cannot be read.`, 'Send a complete image file that opens in an image viewer.', { cause: error });
  }
  if (!width || !height) {
    throw new ServiceError('INVALID_IMAGE', 422, `The ${which} upload has no readable size.`, 'Send a complete image file that opens in an image viewer.');
  }
  if (width * height > maxPixels) {
    throw new ServiceError('TOO_MANY_PIXELS', 413, `The ${which} image is ${width}x${height} (${(width * height / 1e6).toFixed(1)} megapixels); this service takes at most ${(maxPixels / 1e6).toFixed(1)}.`, 'Downscale it before uploading.');
  }
  return { format, width, height };
}

/** The video containers the service takes, by their magic bytes. */
export const VIDEO_FORMATS = ['mp4', 'matroska'] as const;
/** One of {@link VIDEO_FORMATS}: `mp4` covers ISO base media (MP4, MOV, M4V), `matroska` MKV and WebM. */
export type VideoFormat = (typeof VIDEO_FORMATS)[number];

/** The container of `bytes` by magic number, or undefined. */
export function sniffVideo(bytes: Uint8Array): VideoFormat | undefined {
  if (ascii(bytes, 4, 8) === 'ftyp' && !HEIF_BRANDS.has(ascii(bytes, 8, 12))) return 'mp4';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'matroska';
  return undefined;
}

/**
 * A target video is checked by its container's magic bytes here; its frame count and size are
 * checked by the worker with ffprobe before any frame is swapped (this server decodes nothing).
 * @throws ServiceError `UNSUPPORTED_MEDIA_TYPE` (415) for anything but MP4/MOV and MKV/WebM.
 */
export function checkVideo(bytes: Uint8Array): VideoFormat {
  const format = sniffVideo(bytes);
  if (!format) {
    const what = sniffRaster(bytes) ? `a ${sniffRaster(bytes)!.toUpperCase()} image, not a video` : describeRefused(bytes);
    throw new ServiceError('UNSUPPORTED_MEDIA_TYPE', 415, `The target upload is ${what}.`, 'Send the target video as MP4, MOV, MKV or WebM (or a photo to POST /v1/swaps).');
  }
  return format;
}
