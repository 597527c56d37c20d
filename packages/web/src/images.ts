/**
 * Browser image types in and out: File/Blob, ImageBitmap, HTMLImageElement,
 * HTMLCanvasElement, OffscreenCanvas and ImageData become an 8-bit RGBA crop at 1024^2;
 * results become ImageData or a labelled PNG Blob. Works on the main thread and in workers.
 */
import { CROP_SIZE, FslsdError, type ImageTensor, type RgbImage, syntheticMediaXmp, tensorToImage } from '@fslsd/core';
import { withXmpChunk } from './png.js';

/** Anything the browser can draw. */
export type ImageInput = Blob | ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas;

function sizeOf(input: ImageInput): { width: number; height: number } {
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) return { width: input.naturalWidth, height: input.naturalHeight };
  return input as { width: number; height: number };
}

/**
 * Decodes and, for square inputs of another size, resizes to `size`^2 (the browser's
 * high-quality resampling). Aligned crops are square; anything else is refused.
 * @throws FslsdError `INVALID_IMAGE`
 */
export async function toRgbImage(input: ImageInput, which = 'input', size = CROP_SIZE): Promise<RgbImage> {
  let source: ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas;
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    try {
      source = await createImageBitmap(input);
    } catch (error) {
      throw new FslsdError('INVALID_IMAGE', `Cannot decode the ${which} image: ${(error as Error).message}.`, { fix: 'Use a PNG, JPEG or WebP file.', cause: error });
    }
  } else {
    source = input as Exclude<ImageInput, Blob>;
  }
  const { width, height } = sizeOf(source);
  if (!width || !height) throw new FslsdError('INVALID_IMAGE', `The ${which} image has no pixels (not loaded yet?).`, { fix: 'Wait for the image to load before swapping.' });
  if (width !== height) {
    throw new FslsdError('INVALID_IMAGE', `The ${which} image is ${width}x${height}; an aligned face crop is square.`, { fix: 'Use FFHQ-aligned square face crops.' });
  }
  if (typeof ImageData !== 'undefined' && source instanceof ImageData && width === size) {
    return { width, height, channels: 4, data: source.data };
  }
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new FslsdError('RUNTIME_FAILURE', 'No 2D canvas context is available.');
  context.imageSmoothingQuality = 'high';
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) source = await createImageBitmap(source);
  context.drawImage(source as CanvasImageSource, 0, 0, size, size);
  const pixels = context.getImageData(0, 0, size, size);
  return { width: size, height: size, channels: 4, data: pixels.data };
}

/** Photos with more pixels than this are refused (decompression bombs), as in @fslsd/node. */
export const PIXEL_LIMIT = 100_000_000;

/**
 * Decodes a whole photo at its own size (no crop, no resize), 8-bit RGBA. Blobs are decoded
 * with their EXIF orientation applied, as the browser displays them.
 * @throws FslsdError `INVALID_IMAGE`
 */
export async function toPhoto(input: ImageInput, which = 'input'): Promise<RgbImage> {
  let source: ImageBitmap | ImageData | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas;
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    try {
      source = await createImageBitmap(input, { imageOrientation: 'from-image' });
    } catch (error) {
      throw new FslsdError('INVALID_IMAGE', `Cannot decode the ${which} photo: ${(error as Error).message}.`, { fix: 'Use a PNG, JPEG or WebP file.', cause: error });
    }
  } else {
    source = input as Exclude<ImageInput, Blob>;
  }
  const { width, height } = sizeOf(source);
  if (!width || !height) throw new FslsdError('INVALID_IMAGE', `The ${which} photo has no pixels (not loaded yet?).`, { fix: 'Wait for the image to load before swapping.' });
  if (width * height > PIXEL_LIMIT) {
    throw new FslsdError('INVALID_IMAGE', `The ${which} photo has ${width}x${height} pixels, more than ${PIXEL_LIMIT}.`, { fix: 'Scale the photo down first.' });
  }
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) return { width, height, channels: 4, data: source.data };
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new FslsdError('RUNTIME_FAILURE', 'No 2D canvas context is available.');
  context.drawImage(source as CanvasImageSource, 0, 0);
  return { width, height, channels: 4, data: context.getImageData(0, 0, width, height).data };
}

function isTensor(image: ImageTensor | RgbImage): image is ImageTensor {
  return image.data instanceof Float32Array;
}

/** A result (planar float tensor, or an 8-bit photo) as ImageData (8-bit RGBA, opaque). */
export function toImageData(image: ImageTensor | RgbImage): ImageData {
  const rgb = isTensor(image) ? tensorToImage(image) : image;
  if (rgb.channels === 4) return new ImageData(new Uint8ClampedArray(rgb.data), rgb.width, rgb.height);
  const rgba = new Uint8ClampedArray(rgb.width * rgb.height * 4);
  for (let p = 0, q = 0; p < rgb.data.length; p += 3, q += 4) {
    rgba[q] = rgb.data[p]!;
    rgba[q + 1] = rgb.data[p + 1]!;
    rgba[q + 2] = rgb.data[p + 2]!;
    rgba[q + 3] = 255;
  }
  return new ImageData(rgba, rgb.width, rgb.height);
}

/** A result (tensor or photo) as a PNG Blob carrying the synthetic-media XMP label. */
export async function toPngBlob(image: ImageTensor | RgbImage): Promise<Blob> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext('2d')!.putImageData(toImageData(image), 0, 0);
  const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  return new Blob([withXmpChunk(png, syntheticMediaXmp()) as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}
