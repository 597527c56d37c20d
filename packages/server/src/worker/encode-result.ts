/** The result as PNG bytes, labelled in its XMP as a synthetic face swap (as the SDK's writers do). */
import { type RgbImage, syntheticMediaXmp } from '@fslsd/core';
import sharp from 'sharp';

export async function encodeLabelledPng(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .removeAlpha()
    .withXmp(syntheticMediaXmp('fslsd-server'))
    .png()
    .toBuffer();
}
