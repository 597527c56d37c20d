/**
 * The face front-end models served over HTTP(S) (e.g. `@fslsd/models/faces/` copied to a static
 * site): fetched with progress, sha256-verified, cached, returned as the bytes core's
 * createFaceAnalyzer takes.
 */
import { FslsdError } from '@fslsd/core';
import { type FaceModelFiles } from '@fslsd/core/face';
import { type FaceModelId, parseFaceManifest } from './convert/face-manifest.js';
import { type ModelCache, download, fetchManifest } from './url.js';
import { sha256Hex } from './verify.js';

/** Progress of one face model. */
export interface FaceModelProgress {
  readonly id: FaceModelId;
  readonly status: 'initiate' | 'progress' | 'done';
  readonly loaded: number;
  readonly total: number;
}

/** Options of {@link faceModelsFromUrl}. */
export interface FaceModelsUrlOptions {
  readonly fetch?: typeof fetch;
  readonly cache?: ModelCache;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: FaceModelProgress) => void;
  /** Also load the 128-d descriptor (6.6 MB), needed only to choose faces by reference. Default true. */
  readonly descriptor?: boolean;
  /**
   * Also load the SSD detector (5.9 MB), the accurate path that finds small, turned and rotated
   * faces (see `DetectOptions.detector`). Default true; without it detection takes the fast path.
   */
  readonly accurateDetector?: boolean;
}

/** Loads the detectors, the 68-point landmarker and (by default) the descriptor from `<base>/manifest.json`. */
export async function faceModelsFromUrl(base: string, options: FaceModelsUrlOptions = {}): Promise<FaceModelFiles> {
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const root = base.endsWith('/') ? base : `${base}/`;
  const manifestUrl = new URL('manifest.json', root).href;
  const json = await fetchManifest(manifestUrl, fetcher, options.signal, 'Check the address; it must hold the manifest.json of @fslsd/models/faces.');
  const manifest = parseFaceManifest(json, manifestUrl);
  const load = async (id: FaceModelId): Promise<Uint8Array | undefined> => {
    const entry = manifest.models.find((m) => m.id === id);
    if (!entry) return undefined;
    options.onProgress?.({ id, status: 'initiate', loaded: 0, total: entry.bytes });
    const cached = await options.cache?.get(entry.sha256);
    let bytes = cached && cached.length === entry.bytes && (await sha256Hex(cached)) === entry.sha256 ? cached : undefined;
    if (!bytes) {
      const url = new URL(entry.file, root).href;
      bytes = await download(url, entry.bytes, id, { signal: options.signal, fetch: fetcher, onBytes: (loaded) => options.onProgress?.({ id, status: 'progress', loaded, total: entry.bytes }) });
      const digest = await sha256Hex(bytes);
      if (bytes.length !== entry.bytes || digest !== entry.sha256) {
        throw new FslsdError('MODEL_INTEGRITY', `Face model "${id}" from ${url} has ${bytes.length} bytes and sha256 ${digest}; the manifest says ${entry.bytes} and ${entry.sha256}.`, {
          fix: 'The server holds a different or damaged file; fslsd never runs an unverified model.',
        });
      }
      await options.cache?.put(entry.sha256, bytes);
    }
    options.onProgress?.({ id, status: 'done', loaded: bytes.length, total: entry.bytes });
    return bytes;
  };
  const detector = await load('face-detector');
  const landmarks68 = await load('face-landmarks-68');
  if (!detector || !landmarks68) {
    throw new FslsdError('MODEL_NOT_FOUND', `${manifestUrl} lists no ${detector ? 'face-landmarks-68' : 'face-detector'} model.`, { fix: 'Serve the face models folder of @fslsd/models.' });
  }
  const detectorSsd = options.accurateDetector === false ? undefined : await load('face-detector-ssd');
  const descriptor = options.descriptor === false ? undefined : await load('face-descriptor');
  return { detector, landmarks68, ...(detectorSsd ? { detectorSsd } : {}), ...(descriptor ? { descriptor } : {}) };
}
