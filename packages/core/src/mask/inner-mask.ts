import { FslsdError } from '../errors.js';
import { CROP_SIZE } from '../image/tensor.js';

/** A single-channel mask, row-major; values in [0, 1] (Float32Array) or [0, 255] (bytes). */
export interface MaskImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array | Uint8Array | Uint8ClampedArray;
}

/**
 * The default inner-face mask m_t for an FFHQ-aligned 1024^2 crop: a feathered ellipse over
 * brows, eyes, nose, mouth and cheeks (centre (0.5, 0.55), semi-axes (0.30, 0.38) of the crop,
 * a 10% feather), quantised to 8 bits. It stands in for the official face parser + 50x50
 * dilation until a parser is plugged in; the parity fixture uses the very same mask.
 */
export function defaultInnerMask(size = CROP_SIZE): Float32Array {
  // Computed once per size: a million square roots per swap showed up in the SDK's overhead.
  // Sessions only read their feeds, so the cached array is never written.
  const cached = DEFAULT_MASKS.get(size);
  if (cached) return cached;
  const mask = computeInnerMask(size);
  DEFAULT_MASKS.set(size, mask);
  return mask;
}

const DEFAULT_MASKS = new Map<number, Float32Array>();

function computeInnerMask(size: number): Float32Array {
  const centreX = 0.5 * size;
  const centreY = 0.55 * size;
  const axisX = 0.3 * size;
  const axisY = 0.38 * size;
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y += 1) {
    const dy = (y + 0.5 - centreY) / axisY;
    for (let x = 0; x < size; x += 1) {
      const dx = (x + 0.5 - centreX) / axisX;
      const radius = Math.sqrt(dx * dx + dy * dy);
      const value = Math.min(1, Math.max(0, 0.5 + (1 - radius) * 10));
      out[y * size + x] = roundHalfEven(value * 255) / 255;
    }
  }
  return out;
}

// numpy.round rounds halves to even; match it so the mask equals the reference's bit for bit.
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Normalises a mask to float [0, 1] at 1024^2.
 * @throws FslsdError `INVALID_MASK` for a wrong size or values outside the range.
 */
export function maskToTensor(mask: MaskImage, size = CROP_SIZE): Float32Array {
  if (!mask || mask.width !== size || mask.height !== size || mask.data?.length !== size * size) {
    throw new FslsdError('INVALID_MASK', `The target mask must be a single-channel ${size}x${size} image, got ${mask?.width}x${mask?.height} with ${mask?.data?.length} values.`, {
      fix: `Resize the mask to ${size}x${size} (@fslsd/node does this), one value per pixel.`,
    });
  }
  if (mask.data instanceof Float32Array) {
    for (let i = 0; i < mask.data.length; i += 1) {
      const v = mask.data[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new FslsdError('INVALID_MASK', `Mask value ${i} is ${v}; float masks must lie in [0, 1].`, { fix: 'Scale the mask to [0, 1], or pass bytes 0..255.' });
      }
    }
    return mask.data;
  }
  // A plain loop over a table: Float32Array.from with a map function took ~130 ms at 1024^2.
  const out = new Float32Array(mask.data.length);
  const bytes = mask.data;
  for (let i = 0; i < bytes.length; i += 1) out[i] = BYTE_TO_UNIT[bytes[i]!]!;
  return out;
}

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);
