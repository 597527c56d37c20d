/** Float images to bytes, rounded as torchvision's save_image(normalize=True, range=(-1, 1)). */
import { describe, expect, it } from 'vitest';
import { tensorToImage } from '../src/index.js';

describe('tensorToImage', () => {
  it('clamps, maps [-1, 1] to [0, 255] and rounds half up: floor(x * 255 + 0.5)', () => {
    // -2 and 2 clamp; 0 maps to 127.5 -> 128 and -0.996 to 0.51 -> 1, where truncation gives 127 and 0.
    const values = [-2, -1, 0, 1, 2, -0.996, 0.5, 2 / 255 - 1 + 0.001];
    const plane = values.length;
    const data = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c += 1) data.set(values, c * plane);
    const image = tensorToImage({ width: plane, height: 1, data } as Parameters<typeof tensorToImage>[0]);
    const red = Array.from({ length: plane }, (_, p) => image.data[p * 3]);
    expect(red).toEqual([0, 0, 128, 255, 255, 1, 191, 1]);
    expect([image.width, image.height, image.channels, image.data.length]).toEqual([plane, 1, 3, 3 * plane]);
  });
});
