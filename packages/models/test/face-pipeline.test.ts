/**
 * End to end: @fslsd/core's detectFaces -> detectLandmarks68 -> faceDescriptor on the shipped
 * ONNX files, against face-api's own detectAllFaces(...).withFaceLandmarks()
 * .withFaceDescriptors() in TensorFlow.js on the same photo. (This lives in @fslsd/models
 * because that is where tfjs, face-api, onnxruntime-node and sharp are all installed.)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { FslsdError, type OrtRuntime, type Point, type RgbImage } from '@fslsd/core';
import { DESCRIPTOR_SIZE, type DetectedFace, IBUG_POINTS, descriptorDistance, detectFaces, detectLandmarks68, faceDescriptor } from '@fslsd/core/face';
import { faceModelsDirectory, samplesDirectory } from '../src/node.js';
import { type FaceApi, type Tf, loadFaceApi, readRgb } from './face-api-reference.js';

const runtime = ort as unknown as OrtRuntime;
const photoFile = path.join(samplesDirectory(), '..', 'photos', 'astronaut.png');

async function session(file: string): Promise<InferenceSession> {
  return ort.InferenceSession.create(await readFile(path.join(faceModelsDirectory(), file))) as unknown as Promise<InferenceSession>;
}

/** A mirrored copy (a different pixel grid of the same face). */
function mirrored(image: RgbImage): RgbImage {
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < image.height; y += 1) {
    for (let x = 0; x < image.width; x += 1) {
      for (let c = 0; c < 3; c += 1) data[(y * image.width + x) * 3 + c] = image.data[(y * image.width + (image.width - 1 - x)) * 3 + c]!;
    }
  }
  return { ...image, data };
}

/** The image moved right/down by (dx, dy) on a grey canvas of the same size. */
function shifted(image: RgbImage, dx: number, dy: number): RgbImage {
  const data = new Uint8Array(image.data.length).fill(128);
  for (let y = dy; y < image.height; y += 1) {
    for (let x = dx; x < image.width; x += 1) {
      for (let c = 0; c < 3; c += 1) data[(y * image.width + x) * 3 + c] = image.data[((y - dy) * image.width + (x - dx)) * 3 + c]!;
    }
  }
  return { ...image, data };
}

describe('face front-end (detector, 68 landmarks, descriptor) agrees with face-api', () => {
  let detector: InferenceSession;
  let landmarker: InferenceSession;
  let describer: InferenceSession;
  let photo: RgbImage;
  let reference: { tf: Tf; faceapi: FaceApi };

  /** Our whole chain for the best face of `image`. */
  async function analyse(image: RgbImage): Promise<{ faces: DetectedFace[]; points: Point[]; descriptor: Float32Array }> {
    const faces = await detectFaces(runtime, detector, image);
    const points = await detectLandmarks68(runtime, landmarker, image, faces[0]!.box);
    return { faces, points, descriptor: await faceDescriptor(runtime, describer, image, points) };
  }

  /** face-api's whole chain on the same pixels (an int32 tensor, as decoded images are). */
  async function faceApi(image: RgbImage): Promise<Awaited<ReturnType<ReturnType<ReturnType<FaceApi['detectAllFaces']>['withFaceLandmarks']>['withFaceDescriptors']>>> {
    const { tf, faceapi } = reference;
    const tensor = tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 3], 'int32');
    const results = await faceapi.detectAllFaces(tensor, new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 })).withFaceLandmarks().withFaceDescriptors();
    tensor.dispose();
    return results;
  }

  beforeAll(async () => {
    [detector, landmarker, describer] = await Promise.all([session('face-detector.onnx'), session('face-landmarks-68.onnx'), session('face-descriptor.onnx')]);
    photo = await readRgb(photoFile);
    reference = await loadFaceApi();
  }, 120_000);

  it('finds the one face in the astronaut photo where face-api finds it', async () => {
    const ours = await analyse(photo);
    const theirs = await faceApi(photo);
    expect(ours.faces).toHaveLength(1);
    expect(theirs).toHaveLength(1);
    const { box, score } = ours.faces[0]!;
    // Checked by eye (crop written and viewed): Eileen Collins's face, brow to chin.
    expect(box.x).toBeGreaterThan(160);
    expect(box.x + box.width).toBeLessThan(300);
    expect(box.y).toBeGreaterThan(40);
    expect(box.y + box.height).toBeLessThan(200);
    const expected = theirs[0]!.detection;
    console.log('box ours', box, 'face-api', expected.box, 'score', score, expected.score);
    for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(box[key] - expected.box[key])).toBeLessThan(0.01);
    expect(Math.abs(score - expected.score)).toBeLessThan(1e-5);

    // Landmarks: the same crop, resize and mapping back, so within a hundredth of a pixel.
    expect(ours.points).toHaveLength(IBUG_POINTS);
    const landmarkError = Math.max(...ours.points.map(([x, y], i) => Math.max(Math.abs(x - theirs[0]!.landmarks.positions[i]!.x), Math.abs(y - theirs[0]!.landmarks.positions[i]!.y))));
    console.log('landmarks max |diff| (px):', landmarkError);
    expect(landmarkError).toBeLessThan(0.01);
    // Sanity of the layout: the right eye (image left, points 36-41) is left of the left eye (42-47), the nose tip (30) between them.
    expect(ours.points[36]![0]).toBeLessThan(ours.points[45]![0]);
    expect(ours.points[30]![0]).toBeGreaterThan(ours.points[39]![0]);
    expect(ours.points[30]![0]).toBeLessThan(ours.points[42]![0]);

    expect(ours.descriptor).toHaveLength(DESCRIPTOR_SIZE);
    const descriptorError = Math.max(...ours.descriptor.map((v, i) => Math.abs(v - theirs[0]!.descriptor[i]!)));
    console.log('descriptor max |diff|:', descriptorError, 'distance to face-api:', descriptorDistance(ours.descriptor, theirs[0]!.descriptor));
    expect(descriptorError).toBeLessThan(1e-4);
  }, 120_000);

  it('tells the astronaut from Grace Hopper, and recognises her mirrored, resampled and shifted', async () => {
    const astronaut = await analyse(photo);
    const hopper = await analyse(await readRgb(path.join(samplesDirectory(), 'hopper.png'), { width: 512, height: 512 }));
    const flipped = await analyse(mirrored(photo));
    // Resampled to 448 px by sharp and moved 37 px right, 23 px down: a different pixel grid.
    const moved = await analyse(shifted(await readRgb(photoFile, { width: 448, height: 448 }), 37, 23));
    const distances = {
      hopper: descriptorDistance(astronaut.descriptor, hopper.descriptor),
      mirrored: descriptorDistance(astronaut.descriptor, flipped.descriptor),
      resampledAndShifted: descriptorDistance(astronaut.descriptor, moved.descriptor),
    };
    console.log('descriptor distances from the astronaut photo:', distances);
    expect(distances.hopper).toBeGreaterThan(0.6);
    expect(distances.mirrored).toBeLessThan(0.6);
    expect(distances.resampledAndShifted).toBeGreaterThan(0);
    expect(distances.resampledAndShifted).toBeLessThan(0.6);
    // And the detector follows the face: 448/512 of its place plus the shift. Within 10 px: a
    // 13x13-cell YOLO box moves by several pixels when the face moves across cells (measured
    // 6.8 px in y here), unlike the landmarks, which are refined on the crop.
    expect(Math.abs(moved.faces[0]!.box.x - (astronaut.faces[0]!.box.x * 448 / 512 + 37))).toBeLessThan(10);
    expect(Math.abs(moved.faces[0]!.box.y - (astronaut.faces[0]!.box.y * 448 / 512 + 23))).toBeLessThan(10);
  }, 120_000);

  it('rejects bad input with FslsdErrors', async () => {
    await expect(detectFaces(runtime, detector, photo, { inputSize: 400 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(detectFaces(runtime, detector, { width: 2, height: 2, channels: 3, data: new Uint8Array(5) })).rejects.toBeInstanceOf(FslsdError);
    await expect(detectLandmarks68(runtime, landmarker, photo, { x: 600, y: 600, width: 10, height: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(faceDescriptor(runtime, describer, photo, [[1, 2]])).rejects.toMatchObject({ code: 'INVALID_LANDMARKS' });
    expect(() => descriptorDistance(new Float32Array(2), new Float32Array(3))).toThrow(FslsdError);
  });
});
