/**
 * Browser image types in and out: File/Blob, ImageBitmap, HTMLImageElement,
 * HTMLCanvasElement, OffscreenCanvas and ImageData become an 8-bit RGBA crop at 1024^2;
 * results become ImageData or a labelled PNG Blob. Works on the main thread and in workers.
 */
import { CROP_SIZE, FslsdError, type ImageTensor, type RgbImage, syntheticMediaXmp, tensorToImage } from '@fslsd/core';
import { withXmpSegment } from './jpeg.js';
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

/** What relative addresses resolve against: the page (or, in a worker, the worker's own location). */
export function pageBase(): string | undefined {
  return typeof document !== 'undefined' ? document.baseURI : globalThis.location?.href;
}

/**
 * An image as the browser face swapper takes it: a URL (string, relative to the page, or URL),
 * a Blob or File, encoded bytes (Uint8Array, ArrayBuffer), anything the browser draws
 * (ImageBitmap, ImageData, <img>, <canvas>, OffscreenCanvas), or decoded 8-bit pixels.
 */
export type WebImageInput = string | URL | Uint8Array | ArrayBuffer | RgbImage | ImageInput;

function isRgbImage(input: unknown): input is RgbImage {
  return typeof input === 'object' && input !== null && 'channels' in input && 'width' in input && 'height' in input && 'data' in input && !(typeof ImageData !== 'undefined' && input instanceof ImageData);
}

/**
 * The input funnel of the face swapper: any {@link WebImageInput} becomes 8-bit pixels that the
 * caller may transfer (never the caller's own buffer). Aligned crops are brought to 1024².
 * @throws FslsdError `INVALID_ARGUMENT` for what is no image, `IO` for a failed fetch, `INVALID_IMAGE`.
 */
export async function decodeInput(input: WebImageInput, which: string, options: { readonly aligned?: boolean; readonly signal?: AbortSignal } = {}): Promise<RgbImage> {
  if (typeof input === 'string' || input instanceof URL) {
    let url: URL;
    try {
      url = new URL(input, pageBase());
    } catch (error) {
      throw new FslsdError('INVALID_ARGUMENT', `The ${which} image "${String(input)}" is not a URL.`, { fix: 'Pass an address (absolute, or relative to the page), a File or Blob, or an image element.', cause: error });
    }
    const response = await fetch(url, { signal: options.signal }).catch((error: unknown) => {
      throw new FslsdError('IO', `Cannot fetch the ${which} image ${url.href}: ${(error as Error).message}.`, { fix: 'Check the address, and that the server allows this origin (CORS).', cause: error });
    });
    if (!response.ok) throw new FslsdError('IO', `Fetching the ${which} image ${url.href} answered HTTP ${response.status}.`, { fix: 'Check the address.' });
    return decodeInput(await response.blob(), which, options);
  }
  if (input instanceof ArrayBuffer) return decodeInput(new Blob([input]), which, options);
  if (input instanceof Uint8Array) return decodeInput(new Blob([input.slice() as Uint8Array<ArrayBuffer>]), which, options);
  if (isRgbImage(input)) {
    const { width, height, channels, data } = input;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && (channels === 3 || channels === 4) && data?.length === width * height * channels)) {
      throw new FslsdError('INVALID_IMAGE', `The ${which} image is malformed (width ${width}, height ${height}, channels ${channels}, ${data?.length ?? 0} bytes).`, {
        fix: 'Pass { width, height, channels: 3 | 4, data } with width*height*channels bytes, or a File, Blob or URL.',
      });
    }
    if (!options.aligned || width === CROP_SIZE) return { width, height, channels, data: data.slice() };
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let p = 0; p < width * height; p += 1) {
      for (let c = 0; c < 3; c += 1) rgba[p * 4 + c] = data[p * channels + c]!;
      rgba[p * 4 + 3] = 255;
    }
    return toRgbImage(new ImageData(rgba, width, height), `${which} crop`);
  }
  const drawable = typeof Blob !== 'undefined' && input instanceof Blob
    || typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap
    || typeof ImageData !== 'undefined' && input instanceof ImageData
    || typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement
    || typeof HTMLCanvasElement !== 'undefined' && input instanceof HTMLCanvasElement
    || typeof OffscreenCanvas !== 'undefined' && input instanceof OffscreenCanvas;
  if (!drawable) {
    throw new FslsdError('INVALID_ARGUMENT', `The ${which} image must be a URL, File/Blob, bytes, ImageBitmap, ImageData, <img>, canvas or decoded { width, height, channels, data }, got ${input === null ? 'null' : typeof input}.`, {
      fix: 'Pass a File from an <input type="file">, a Blob, or an image URL.',
    });
  }
  const decoded = options.aligned ? await toRgbImage(input, `${which} crop`) : await toPhoto(input, which);
  // ImageData comes back as the caller's own buffer: copy it, since results are transferred.
  return typeof ImageData !== 'undefined' && input instanceof ImageData && decoded.data === input.data ? { ...decoded, data: decoded.data.slice() } : decoded;
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
  return toLabelledBlob(image, 'image/png');
}

/**
 * A result (tensor or photo) encoded by the browser as PNG or JPEG, with the synthetic-media XMP
 * label added to the file (an iTXt chunk in PNG, an APP1 segment in JPEG).
 * @throws FslsdError `INVALID_ARGUMENT` for another type (WebP's container has no label writer here yet).
 */
export async function toLabelledBlob(image: ImageTensor | RgbImage, type: 'image/png' | 'image/jpeg' = 'image/png', quality = 0.92): Promise<Blob> {
  if (type !== 'image/png' && type !== 'image/jpeg') {
    throw new FslsdError('INVALID_ARGUMENT', `toBlob() writes image/png or image/jpeg, not ${JSON.stringify(type)}.`, { fix: 'Use "image/png" (default) or "image/jpeg": both carry the synthetic-media label.' });
  }
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext('2d')!.putImageData(toImageData(image), 0, 0);
  const encoded = new Uint8Array(await (await canvas.convertToBlob({ type, quality })).arrayBuffer());
  const labelled = type === 'image/png' ? withXmpChunk(encoded, syntheticMediaXmp()) : withXmpSegment(encoded, syntheticMediaXmp());
  return new Blob([labelled as Uint8Array<ArrayBuffer>], { type });
}
