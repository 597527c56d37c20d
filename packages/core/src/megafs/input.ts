/**
 * MegaFS's input: the 1024² aligned crop reduced to 256² as the released inference.py does it,
 * `cv2.resize(img, (256, 256))` (INTER_LINEAR on 8-bit pixels), then `/255` and
 * `Normalize(0.5, 0.5)`. For a 4x reduction OpenCV's bilinear samples at 4x + 1.5, so each output
 * pixel is the mean of the middle 2x2 pixels of its 4x4 cell, rounded half up by its fixed-point
 * arithmetic; the reference checks this against cv2 itself.
 */
import { FslsdError } from '../errors.js';
import { CROP_SIZE, type ImageTensor, type RgbImage } from '../image/tensor.js';
import { MEGAFS_INPUT_SIZE } from './contracts.js';

/** The 8-bit 256² RGB image the encoder sees, interleaved. */
export function reduceForMegaFS(crop: RgbImage): Uint8Array {
  const { width, height, channels, data } = crop;
  if (width !== CROP_SIZE || height !== CROP_SIZE) {
    throw new FslsdError('INVALID_IMAGE', `MegaFS takes a ${CROP_SIZE}x${CROP_SIZE} aligned crop, got ${width}x${height}.`, { fix: 'Pass the crop the face front end makes, or resize the aligned face to 1024x1024.' });
  }
  const size = MEGAFS_INPUT_SIZE;
  const out = new Uint8Array(size * size * 3);
  const row = width * channels;
  for (let y = 0; y < size; y += 1) {
    const top = (4 * y + 1) * row;
    for (let x = 0; x < size; x += 1) {
      const left = (4 * x + 1) * channels;
      for (let c = 0; c < 3; c += 1) {
        const a = top + left + c;
        const sum = data[a]! + data[a + channels]! + data[a + row]! + data[a + row + channels]!;
        out[(y * size + x) * 3 + c] = (sum + 2) >> 2;
      }
    }
  }
  return out;
}

/** Byte -> v * (1/255) then (x - 0.5) / 0.5, in float32 as torch computes `mul_(1/255.0)` and Normalize. */
const INPUT_RANGE = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(Math.fround(v * Math.fround(1 / 255)) - 0.5) / 0.5));

/** The encoder's input tensor [1, 3, 256, 256] in [-1, 1], planar. */
export function megafsInput(crop: RgbImage): ImageTensor {
  const small = reduceForMegaFS(crop);
  const size = MEGAFS_INPUT_SIZE;
  const plane = size * size;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p += 1) for (let c = 0; c < 3; c += 1) data[c * plane + p] = INPUT_RANGE[small[p * 3 + c]!]!;
  return { width: size, height: size, channels: 3, data };
}
