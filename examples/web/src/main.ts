// The demo page: pick a source and a target photo (or keep the bundled ones), swap on WebGPU or
// WASM (faces found, aligned, swapped, pasted back in the worker @fslsd/web ships: this app has
// no worker file of its own), show y_s, the swapped crop and the result photo, and offer the
// labelled PNG.
import * as fslsd from '@fslsd/web';
import { type ProgressEvent, type SourceFace, type WebFaceSwapper, createFaceSwapper, toImageData, videoSupport } from '@fslsd/web';

// The SDK on window, for the devtools console and the end-to-end tests.
(window as unknown as { fslsd: typeof fslsd }).fslsd = fslsd;

type Backend = 'auto' | 'webgpu' | 'wasm';

/** State the end-to-end tests read; also handy in the devtools console. */
interface DemoState {
  status: 'loading' | 'ready' | 'swapping' | 'done' | 'error';
  method?: string;
  backend?: string;
  fallbackReason?: string;
  precision?: string;
  precisionReason?: string;
  error?: string;
  loadMs?: number;
  swapMs?: number;
  /** y_f (the swapped crop) at rows/cols 3, 11, 19, ... of each plane: compared with the Node pipeline. */
  resultSample?: number[];
  resultMean?: number;
  /** The result photo: size and RGB bytes (base64), compared with the Node pipeline. */
  photo?: { width: number; height: number; rgb: string };
  detected?: number;
  swapped?: number;
  pngBytes?: number;
  video?: {
    status: 'swapping' | 'done' | 'error';
    error?: string;
    code?: string;
    frames?: number;
    swapped?: number;
    fps?: number;
    width?: number;
    height?: number;
    mimeType?: string;
    hasAudio?: boolean;
    bytes?: number;
    ms?: number;
    url?: string;
    /** onFrame's last (done, total). */
    progress?: [number, number];
  };
  /** The model set in use: 'tiny' or 'stored:NAME'. */
  models?: string;
  import?: { status: 'importing' | 'done' | 'error'; error?: string; code?: string; ms?: number; bytes?: number; name?: string };
}
const state: DemoState = { status: 'loading' };
(window as unknown as { fslsdDemo: DemoState }).fslsdDemo = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const select = $<HTMLSelectElement>('backend-select');
select.value = params.get('backend') ?? 'auto';
const methodSelect = $<HTMLSelectElement>('method-select');
methodSelect.value = params.get('method') ?? 'fslsd';
$<HTMLSelectElement>('video-container').value = params.get('videocontainer') ?? 'auto';

interface Photo {
  image: Blob;
  url: string;
}

async function bundled(file: string): Promise<Photo> {
  const image = await (await fetch(`photos/${file}`)).blob();
  return { image, url: URL.createObjectURL(image) };
}

const photos: { source?: Photo; target?: Photo } = {};
let videoFile: Blob | undefined;
let swapper: WebFaceSwapper | undefined;
let source: SourceFace | undefined;

function show(which: 'source' | 'target', photo: Photo) {
  photos[which] = photo;
  $<HTMLImageElement>(`${which}-view`).src = photo.url;
  if (which === 'source') source = undefined;
}

function status(text: string, value?: number) {
  $('status').textContent = text;
  if (value !== undefined) $<HTMLProgressElement>('progress').value = value;
}

function onProgress(event: ProgressEvent) {
  if (event.kind === 'warning') console.info(event.message);
  if (event.kind === 'model' && event.status !== 'initiate') status(`Loading ${event.id}: ${(event.loaded / 1e6).toFixed(1)} / ${(event.total / 1e6).toFixed(1)} MB`, event.loaded / event.total);
  if (event.kind === 'session') status(`Preparing ${event.name}…`);
  if (event.kind === 'stage' && event.status === 'start') status(`Running ${event.stage}…`);
}

async function load(backend: Backend) {
  state.status = 'loading';
  $<HTMLButtonElement>('swap').disabled = true;
  await swapper?.dispose();
  const started = performance.now();
  try {
    // 'tiny' (FSLSD's or MegaFS's) and the face models are served from models/ beside this page (fslsd-web-assets).
    // An imported set (stored in OPFS) is used until "Back to the tiny set"; it decides the method.
    const stored = localStorage.getItem(STORED_KEY);
    const method = methodSelect.value as 'fslsd' | 'megafs';
    swapper = stored
      ? await createFaceSwapper({ models: `stored:${stored}`, device: backend, descriptor: false, onProgress })
      : await createFaceSwapper({ method, models: 'tiny', device: backend, descriptor: false, onProgress });
    state.models = stored ? `stored:${stored}` : 'tiny';
    methodSelect.value = swapper.method;
    methodSelect.disabled = Boolean(stored);
    $('models-in-use').textContent = stored ? `models: your imported set "${stored}" (from this browser's storage)` : 'models: tiny (untrained)';
    $('use-tiny').hidden = !stored;
    state.backend = swapper.device;
    state.method = swapper.method;
    state.fallbackReason = swapper.fallbackReason;
    state.precision = swapper.precision;
    state.precisionReason = swapper.precisionReason;
    state.loadMs = performance.now() - started;
    source = undefined;
    $('backend').textContent = `running on ${swapper.device === 'webgpu' ? 'WebGPU' : 'WASM'}${swapper.fallbackReason ? ` (${swapper.fallbackReason})` : ''}, ${swapper.precision}${swapper.precisionReason ? ` (${swapper.precisionReason})` : ''}`;
    status(`Ready: "${swapper.models}" models and the face models loaded in ${(state.loadMs / 1000).toFixed(1)} s.`, 1);
    state.status = 'ready';
    $<HTMLButtonElement>('swap').disabled = false;
    $<HTMLButtonElement>('swap-video').disabled = !videoFile;
  } catch (error) {
    fail(error);
  }
}

function fail(error: unknown) {
  state.status = 'error';
  state.error = (error as Error).message ?? String(error);
  status(`Error: ${state.error}`);
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function swap() {
  if (!swapper || !photos.source || !photos.target) return;
  state.status = 'swapping';
  $<HTMLButtonElement>('swap').disabled = true;
  const started = performance.now();
  try {
    status('Finding the source face…');
    source ??= await swapper.encodeSource(photos.source.image, { onProgress });
    status('Finding the target face…');
    const result = await swapper.swap(source, photos.target.image, { all: $<HTMLInputElement>('all-faces').checked, onProgress });
    state.swapMs = performance.now() - started;
    const first = result.faces[0]!;
    for (const [id, image] of [['side-view', first.sideOutput], ['crop-view', first.crop]] as const) {
      $<HTMLCanvasElement>(id).getContext('2d')!.putImageData(toImageData(image), 0, 0);
    }
    const canvas = $<HTMLCanvasElement>('result-view');
    canvas.width = result.image.width;
    canvas.height = result.image.height;
    canvas.getContext('2d')!.putImageData(result.toImageData(), 0, 0);
    $('result-caption').textContent = `result: ${result.faces.length} of ${result.detected.length} face(s) swapped and pasted back (${result.image.width}×${result.image.height})`;
    const plane = 1024 * 1024;
    const picked: number[] = [];
    const crop = first.networkOutput.image;
    for (let c = 0; c < 3; c += 1) for (let y = 3; y < 1024; y += 8) for (let x = 3; x < 1024; x += 8) picked.push(crop.data[c * plane + y * 1024 + x]!);
    state.resultSample = picked;
    state.resultMean = crop.data.reduce((sum, v) => sum + v, 0) / crop.data.length;
    const rgb = new Uint8Array(result.image.width * result.image.height * 3);
    for (let p = 0; p < result.image.width * result.image.height; p += 1) for (let c = 0; c < 3; c += 1) rgb[p * 3 + c] = result.image.data[p * result.image.channels + c]!;
    state.photo = { width: result.image.width, height: result.image.height, rgb: base64(rgb) };
    state.detected = result.detected.length;
    state.swapped = result.faces.length;
    const png = await result.toBlob('image/png');
    state.pngBytes = png.size;
    const link = $<HTMLAnchorElement>('download');
    link.href = URL.createObjectURL(png);
    link.hidden = false;
    status(`Swapped (${swapper.method}) on ${swapper.device} in ${(state.swapMs / 1000).toFixed(1)} s (${Object.entries(result.timings).map(([k, v]) => `${k} ${Math.round(v!)} ms`).join(', ')}).`, 1);
    state.status = 'done';
  } catch (error) {
    fail(error);
  } finally {
    $<HTMLButtonElement>('swap').disabled = false;
  }
}

function pick(which: 'source' | 'target') {
  $<HTMLInputElement>(`${which}-file`).addEventListener('change', (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) show(which, { image: file, url: URL.createObjectURL(file) });
  });
}

async function swapVideoFile(file: Blob) {
  const support = videoSupport();
  if (!support.supported) {
    $('video-status').textContent = `Video is not available in this browser: ${support.reason}.`;
    return;
  }
  if (!swapper || !photos.source) return;
  state.video = { status: 'swapping' };
  $<HTMLButtonElement>('swap-video').disabled = true;
  const started = performance.now();
  try {
    source ??= await swapper.encodeSource(photos.source.image, { onProgress });
    // The frame rate comes from the file; the container is MP4 (H.264) where this browser encodes
    // H.264, else WebM, unless the select insists on one.
    const container = $<HTMLSelectElement>('video-container').value as 'auto' | 'mp4' | 'webm';
    const result = await swapper.swapVideo(source, file, {
      container,
      onFrame: (done, total) => {
        const seconds = (performance.now() - started) / 1000;
        if (state.video) state.video.progress = [done, total];
        $('video-status').textContent = `frame ${done}/${total}, ${(done / seconds).toFixed(2)} fps`;
      },
    });
    const url = URL.createObjectURL(result.blob);
    const mp4 = result.mimeType.startsWith('video/mp4');
    state.video = {
      status: 'done', frames: result.frames, swapped: result.swappedFrames, fps: result.fps, width: result.width, height: result.height,
      mimeType: result.mimeType, hasAudio: result.hasAudio, bytes: result.blob.size, ms: performance.now() - started, url, progress: state.video?.progress,
    };
    $<HTMLVideoElement>('video-result').src = url;
    $('video-figure').hidden = false;
    $('video-caption').textContent = `video result (${mp4 ? 'MP4' : 'WebM'}: ${result.mimeType.replace(/^[^;]*;\s*/, '')}${result.hasAudio ? '' : ', no audio'})`;
    const link = $<HTMLAnchorElement>('download-video');
    link.href = url;
    link.download = `fslsd-swap.${mp4 ? 'mp4' : 'webm'}`;
    link.textContent = `Download ${mp4 ? 'MP4' : 'WebM'}`;
    link.hidden = false;
    $('video-status').textContent = `${result.frames} frames at ${Number(result.fps.toFixed(3))} fps (${result.swappedFrames} with a face) in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  } catch (error) {
    state.video = { status: 'error', error: (error as Error).message ?? String(error), code: (error as { code?: string }).code };
    $('video-status').textContent = `Error: ${state.video.error}`;
  } finally {
    $<HTMLButtonElement>('swap-video').disabled = false;
  }
}

$<HTMLInputElement>('video-file').addEventListener('change', (event) => {
  videoFile = (event.target as HTMLInputElement).files?.[0];
  $<HTMLButtonElement>('swap-video').disabled = !videoFile || !swapper;
});
$('swap-video').addEventListener('click', () => videoFile && void swapVideoFile(videoFile));

// ---- Your own checkpoints: dropped or picked, imported in the worker into OPFS. ----
const STORED_KEY = 'fslsd-demo-stored-set';
/** Which checkpoint a file is, by its released name. */
function roleOf(file: File): fslsd.CheckpointRole | undefined {
  const name = file.name.toLowerCase();
  if (name.startsWith('celeba-hq')) return 'fslsd';
  if (name.startsWith('psp')) return 'psp';
  if (/^(ftm|injection|lcr)_/.test(name)) return 'megafs';
  if (name.startsWith('stylegan2')) return 'stylegan2';
  if (name === 'model.pth' || name.includes('h3r') || name.includes('hrnet')) return 'h3r';
  return undefined;
}

async function importFiles(list: FileList | File[]) {
  const files: Partial<Record<fslsd.CheckpointRole, File>> = {};
  for (const file of Array.from(list)) {
    const role = roleOf(file);
    if (!role) {
      status(`Error: "${file.name}" is not a checkpoint this demo knows by name (CELEBA-HQ-1024.pt, psp_ffhq_encode.pt, ftm_final.pth, stylegan2-ffhq-config-f.pt, model.pth).`);
      return;
    }
    files[role] = file;
  }
  const name = files.megafs ? 'megafs' : 'fslsd';
  state.import = { status: 'importing', name };
  const started = performance.now();
  try {
    await swapper?.dispose();
    swapper = undefined;
    await fslsd.deleteStoredModelSet(name);
    const { manifest } = await fslsd.importCheckpoints(files, {
      name,
      ...(params.get('architectures') ? { architectures: params.get('architectures')! } : {}),
      onProgress: (event) => status(`Importing ${event.model}: ${(event.written / 1e6).toFixed(1)} / ${(event.total / 1e6).toFixed(1)} MB`, event.setWritten / event.setTotal),
    });
    state.import = { status: 'done', name, ms: performance.now() - started, bytes: manifest.models.reduce((sum, entry) => sum + entry.bytes, 0) };
    localStorage.setItem(STORED_KEY, name);
    await load(select.value as Backend);
  } catch (error) {
    state.import = { status: 'error', name, error: (error as Error).message, code: (error as fslsd.FslsdError).code };
    fail(error);
  }
}

const zone = $('drop-zone');
zone.addEventListener('dragover', (event) => {
  event.preventDefault();
  zone.classList.add('over');
});
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', (event) => {
  event.preventDefault();
  zone.classList.remove('over');
  if (event.dataTransfer?.files.length) void importFiles(event.dataTransfer.files);
});
$<HTMLInputElement>('checkpoint-files').addEventListener('change', (event) => {
  const list = (event.target as HTMLInputElement).files;
  if (list?.length) void importFiles(list);
});
$('use-tiny').addEventListener('click', () => {
  localStorage.removeItem(STORED_KEY);
  void load(select.value as Backend);
});

pick('source');
pick('target');
$('swap').addEventListener('click', () => void swap());
select.addEventListener('change', () => void load(select.value as Backend));
methodSelect.addEventListener('change', () => void load(select.value as Backend));
show('source', await bundled('hopper.jpg'));
show('target', await bundled('astronaut.png'));
await load(select.value as Backend);
if (params.has('autoswap')) await swap();
