/**
 * The front end's pixel work (alignment, masks, paste-back) run by the execution provider that
 * runs the networks, as small ONNX graphs (align.ts, masks.ts, paste.ts). Sessions open on first
 * use, one per graph and crop size (per kernel set for the masks).
 *
 * Where it pays: on a GPU provider (CUDA, WebGPU) these are a few cheap kernels. On the CPU
 * provider onnxruntime's GridSample and MaxPool are slower than the TypeScript (measured in
 * `pnpm bench --only front-end`), so {@link createFaceAnalyzer} uses the graphs only when asked
 * or when the session options name a GPU provider.
 */
import { FslsdError } from '../../errors.js';
import { encodeModel } from '../../graph/onnx.js';
import type { RgbImage } from '../../image/tensor.js';
import type { InferenceSession, OrtRuntime, Tensor } from '../../runtime.js';
import { type Affine, affineScale, invertAffine } from '../affine.js';
import { type AlignedFace, type AlignmentPoints, alignFace, ffhqQuad, quadToPhoto } from '../alignment.js';
import type { FaceMasks } from '../face-mask.js';
import { type PasteBackInput, checkPasteInput, pasteFootprint } from '../paste-back.js';
import { alignGraph, mapInput } from './align.js';
import { type MaskKernels, masksGraph } from './masks.js';
import { pasteGraph } from './paste.js';

/** Alignment, masks and paste-back on the execution provider. */
export interface FrontEndGraphs {
  /** As {@link alignFace}; faces larger than the crop (which need box-shrinking and supersampling) take the TypeScript path. */
  align(photo: RgbImage, points: AlignmentPoints, size: number): Promise<AlignedFace>;
  /** As regionFaceMasks with the given kernels. */
  masks(region: Uint8Array, size: number, kernels: MaskKernels): Promise<FaceMasks>;
  /** As {@link pasteBack}. */
  paste(input: PasteBackInput): Promise<RgbImage>;
  dispose(): Promise<void>;
}

/** RGB bytes of an RGB or RGBA image (the graphs take three channels). */
function rgbBytes(image: RgbImage): Uint8Array {
  if (image.channels === 3) return image.data instanceof Uint8Array ? image.data : Uint8Array.from(image.data);
  const out = new Uint8Array(image.width * image.height * 3);
  for (let p = 0, q = 0; q < out.length; p += 4, q += 3) {
    out[q] = image.data[p]!;
    out[q + 1] = image.data[p + 1]!;
    out[q + 2] = image.data[p + 2]!;
  }
  return out;
}

export function createFrontEndGraphs(runtime: OrtRuntime, sessionOptions?: InferenceSession.SessionOptions): FrontEndGraphs {
  const sessions = new Map<string, Promise<InferenceSession>>();
  const open = (key: string, build: () => Uint8Array): Promise<InferenceSession> => {
    let session = sessions.get(key);
    if (!session) {
      session = runtime.InferenceSession.create(build(), sessionOptions);
      sessions.set(key, session);
    }
    return session;
  };
  const run = async (session: InferenceSession, feeds: Record<string, Tensor>, what: string): Promise<InferenceSession.OnnxValueMapType> => {
    try {
      return await session.run(feeds);
    } catch (error) {
      throw new FslsdError('RUNTIME_FAILURE', `The ${what} graph failed: ${(error as Error).message}.`, {
        fix: 'Use the TypeScript front end (frontEnd: "typescript"), or an execution provider that supports GridSample, MaxPool and AveragePool.',
        cause: error,
      });
    }
  };
  const bytes = (value: Tensor): Uint8Array => value.data as Uint8Array;

  return {
    async align(photo, points, size) {
      const quad = ffhqQuad(points);
      const toPhoto = quadToPhoto(quad, size);
      // A face larger than the crop is box-shrunk and supersampled by the TypeScript path.
      if (affineScale(toPhoto) > 1 + 1e-6) return alignFace(photo, points, size);
      const session = await open(`align:${size}`, () => encodeModel(alignGraph(size)));
      const results = await run(session, {
        photo: new runtime.Tensor('uint8', rgbBytes(photo), [photo.height, photo.width, 3]),
        map: new runtime.Tensor('float32', mapInput(toPhoto), [6]),
      }, 'align');
      const crop: RgbImage = { width: size, height: size, channels: 3, data: new Uint8Array(bytes(results.crop as Tensor)) };
      return { crop, toPhoto, toCrop: invertAffine(toPhoto), quad };
    },
    async masks(region, size, kernels) {
      const session = await open(`masks:${size}:${kernels.dilation}:${kernels.narrow}:${kernels.radius}`, () => encodeModel(masksGraph(size, kernels)));
      const results = await run(session, { region: new runtime.Tensor('uint8', region, [size, size]) }, 'masks');
      return { inner: (results.inner as Tensor).data as Float32Array, paste: (results.paste as Tensor).data as Float32Array, size };
    },
    async paste(input) {
      checkPasteInput(input);
      const { photo, face, alpha, toPhoto } = input;
      const size = face.width;
      const { x0, x1, y0, y1 } = pasteFootprint(photo, size, toPhoto);
      const inPlace = input.inPlace === true;
      const out = inPlace ? photo.data : new Uint8Array(photo.data);
      if (x1 < x0 || y1 < y0) return inPlace ? photo : { ...photo, data: out };
      const width = x1 - x0 + 1;
      const height = y1 - y0 + 1;
      const channels = photo.channels;
      const patch = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y += 1) {
        for (let x = 0; x < width; x += 1) {
          const p = ((y + y0) * photo.width + x + x0) * channels;
          const q = (y * width + x) * 3;
          patch[q] = photo.data[p]!;
          patch[q + 1] = photo.data[p + 1]!;
          patch[q + 2] = photo.data[p + 2]!;
        }
      }
      // Patch pixel (x, y) is photo pixel (x + x0, y + y0).
      const toCrop = invertAffine(toPhoto);
      const map: Affine = { ...toCrop, c: toCrop.a * x0 + toCrop.b * y0 + toCrop.c, f: toCrop.d * x0 + toCrop.e * y0 + toCrop.f };
      const session = await open(`paste:${size}`, () => encodeModel(pasteGraph(size)));
      const results = await run(session, {
        photo: new runtime.Tensor('uint8', patch, [height, width, 3]),
        face: new runtime.Tensor('uint8', rgbBytes(face), [size, size, 3]),
        alpha: new runtime.Tensor('float32', alpha, [size, size]),
        map: new runtime.Tensor('float32', mapInput(map), [6]),
      }, 'paste-back');
      const pasted = bytes(results.pasted as Tensor);
      for (let y = 0; y < height; y += 1) {
        for (let x = 0; x < width; x += 1) {
          const p = ((y + y0) * photo.width + x + x0) * channels;
          const q = (y * width + x) * 3;
          out[p] = pasted[q]!;
          out[p + 1] = pasted[q + 1]!;
          out[p + 2] = pasted[q + 2]!;
        }
      }
      return inPlace ? photo : { width: photo.width, height: photo.height, channels, data: out };
    },
    async dispose() {
      for (const session of sessions.values()) await (await session).release();
      sessions.clear();
    },
  };
}
