import { FslsdError } from '../errors.js';
import { tensorKernelsWasm } from './tensor-kernels.js';

/** 8-bit pixels, row-major, interleaved RGB or RGBA (alpha ignored). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** A float image as the networks produce it: planar RGB (CHW), nominal range [-1, 1]. */
export interface ImageTensor {
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  /** 3 x height x width values, red plane first. */
  readonly data: Float32Array;
}

/** Side of the aligned face crops the networks work on. */
export const CROP_SIZE = 1024;

/** @throws FslsdError `INVALID_IMAGE` unless `image` is a well-formed `size`^2 RGB(A) image. */
export function checkCrop(image: RgbImage, which: string, size = CROP_SIZE): void {
  const { width, height, channels, data } = image ?? ({} as RgbImage);
  if (!Number.isInteger(width) || !Number.isInteger(height) || (channels !== 3 && channels !== 4) || !data || data.length !== width * height * channels) {
    throw new FslsdError('INVALID_IMAGE', `The ${which} image is malformed (width ${width}, height ${height}, channels ${channels}, ${data?.length ?? 0} bytes).`, {
      fix: 'Pass { width, height, channels: 3 | 4, data } with width*height*channels bytes.',
    });
  }
  if (width !== size || height !== size) {
    throw new FslsdError('INVALID_IMAGE', `The ${which} image is ${width}x${height}; the networks need an aligned ${size}x${size} face crop.`, {
      fix: `Resize the aligned crop to ${size}x${size} (@fslsd/node does this for square crops).`,
    });
  }
}

/** uint8 RGB(A) -> planar float in [-1, 1], computed as torchvision's ToTensor + Normalize(0.5, 0.5). */
export function imageToTensor(image: RgbImage): ImageTensor {
  const { width, height, channels, data } = image;
  const plane = width * height;
  const kernels = tensorKernelsWasm();
  if (kernels && plane > 0) {
    const [pixels, table, planes] = kernels.reserve([data.length, UNIT_RANGE.byteLength, 12 * plane]);
    const memory = kernels.buffer();
    new Uint8Array(memory, pixels!, data.length).set(data);
    new Float32Array(memory, table!, 256).set(UNIT_RANGE);
    kernels.exports.bytesToPlanes(pixels!, channels, plane, table!, planes!);
    return { width, height, channels: 3, data: new Float32Array(memory, planes!, 3 * plane).slice() };
  }
  const out = new Float32Array(3 * plane);
  // One table lookup per value (the same float32 values as computing each): this runs twice
  // per swap on 1024^2 crops, and the arithmetic per value cost ~30 ms.
  for (let c = 0; c < 3; c += 1) {
    const offset = c * plane;
    for (let p = 0, i = c; p < plane; p += 1, i += channels) out[offset + p] = UNIT_RANGE[data[i]!]!;
  }
  return { width, height, channels: 3, data: out };
}

/** Byte value -> (v / 255 - 0.5) / 0.5, as torchvision's ToTensor + Normalize(0.5, 0.5) in float32. */
const UNIT_RANGE = Float32Array.from({ length: 256 }, (_, v) => (Math.fround(v / 255) - 0.5) / 0.5);

/**
 * Planar float in [-1, 1] -> 8-bit RGB, rounded as torchvision's `save_image(normalize=True,
 * range=(-1, 1))`: clamp, map to [0, 1], then floor(x * 255 + 0.5).
 */
export function tensorToImage(tensor: ImageTensor): RgbImage {
  const { width, height, data } = tensor;
  const plane = width * height;
  const kernels = tensorKernelsWasm();
  if (kernels && plane > 0 && data.length === 3 * plane) {
    const [planes, pixels] = kernels.reserve([12 * plane, 3 * plane]);
    const memory = kernels.buffer();
    new Float32Array(memory, planes!, 3 * plane).set(data);
    kernels.exports.planesToBytes(planes!, plane, pixels!);
    return { width, height, channels: 3, data: new Uint8Array(memory, pixels!, 3 * plane).slice() };
  }
  const out = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p += 1) {
    for (let c = 0; c < 3; c += 1) {
      const value = Math.min(1, Math.max(-1, data[c * plane + p]!));
      out[p * 3 + c] = Math.min(255, Math.max(0, Math.floor(((value + 1) / 2) * 255 + 0.5)));
    }
  }
  return { width, height, channels: 3, data: out };
}
