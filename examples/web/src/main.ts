// The demo page: pick two aligned face crops (or keep the samples), swap them in a worker on
// WebGPU or WASM, show source, target, y_s and y_f, and offer the labelled PNG.
import {
  type Landmarks, MISSING_POINT, type ProgressEvent, type RemoteSwapper, type SourceFaceJSON, connectSwapper, fivePointLandmarks, toImageData, toPngBlob,
} from '@fslsd/web';

type Backend = 'auto' | 'webgpu' | 'wasm';

/** State the end-to-end tests read; also handy in the devtools console. */
interface DemoState {
  status: 'loading' | 'ready' | 'swapping' | 'done' | 'error';
  backend?: string;
  fallbackReason?: string;
  error?: string;
  loadMs?: number;
  swapMs?: number;
  /** y_f values at rows/cols 3, 11, 19, ... of each plane: compared with the Node pipeline. */
  resultSample?: number[];
  resultMean?: number;
  pngBytes?: number;
}
const state: DemoState = { status: 'loading' };
(window as unknown as { fslsdDemo: DemoState }).fslsdDemo = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const select = $<HTMLSelectElement>('backend-select');
select.value = params.get('backend') ?? 'wasm';

interface Face {
  image: Blob;
  landmarks: Landmarks;
  url: string;
}

async function sample(name: string): Promise<Face> {
  const image = await (await fetch(`samples/${name}.png`)).blob();
  const json = (await (await fetch(`samples/${name}.landmarks.json`)).json()) as { points5: [number, number][] };
  return { image, landmarks: fivePointLandmarks(json.points5), url: URL.createObjectURL(image) };
}

const faces: { source?: Face; target?: Face } = {};
let swapper: RemoteSwapper | undefined;
let source: SourceFaceJSON | undefined;

function show(which: 'source' | 'target', face: Face) {
  faces[which] = face;
  $<HTMLImageElement>(`${which}-view`).src = face.url;
  if (which === 'source') source = undefined;
}

function status(text: string, value?: number) {
  $('status').textContent = text;
  if (value !== undefined) $<HTMLProgressElement>('progress').value = value;
}

function onProgress(event: ProgressEvent) {
  if (event.kind === 'model' && event.status !== 'initiate') status(`Loading ${event.id}: ${(event.loaded / 1e6).toFixed(1)} / ${(event.total / 1e6).toFixed(1)} MB`, event.loaded / event.total);
  if (event.kind === 'session') status(`Preparing ${event.name}…`);
  if (event.kind === 'stage' && event.status === 'start') status(`Running ${event.stage}…`);
}

async function load(backend: Backend) {
  state.status = 'loading';
  $<HTMLButtonElement>('swap').disabled = true;
  await swapper?.dispose();
  const started = performance.now();
  const worker = new Worker(new URL('./swap-worker.ts', import.meta.url), { type: 'module' });
  try {
    swapper = await connectSwapper(worker, { models: new URL('models/tiny/', location.href).href, backend, onProgress });
    state.backend = swapper.backend;
    state.fallbackReason = swapper.fallbackReason;
    state.loadMs = performance.now() - started;
    source = undefined;
    $('backend').textContent = `running on ${swapper.backend === 'webgpu' ? 'WebGPU' : 'WASM'}${swapper.fallbackReason ? ` (${swapper.fallbackReason})` : ''}`;
    status(`Ready: "${swapper.models}" models loaded in ${(state.loadMs / 1000).toFixed(1)} s.`, 1);
    state.status = 'ready';
    $<HTMLButtonElement>('swap').disabled = false;
  } catch (error) {
    fail(error);
  }
}

function fail(error: unknown) {
  state.status = 'error';
  state.error = (error as Error).message ?? String(error);
  status(`Error: ${state.error}`);
}

async function swap() {
  if (!swapper || !faces.source || !faces.target) return;
  state.status = 'swapping';
  $<HTMLButtonElement>('swap').disabled = true;
  const started = performance.now();
  try {
    source ??= await swapper.encodeSource(faces.source, { onProgress });
    const result = await swapper.swap(source, faces.target, { onProgress });
    state.swapMs = performance.now() - started;
    for (const [id, tensor] of [['side-view', result.sideOutput], ['result-view', result.image]] as const) {
      $<HTMLCanvasElement>(id).getContext('2d')!.putImageData(toImageData(tensor), 0, 0);
    }
    const plane = 1024 * 1024;
    const picked: number[] = [];
    for (let c = 0; c < 3; c += 1) for (let y = 3; y < 1024; y += 8) for (let x = 3; x < 1024; x += 8) picked.push(result.image.data[c * plane + y * 1024 + x]!);
    state.resultSample = picked;
    state.resultMean = result.image.data.reduce((sum, v) => sum + v, 0) / result.image.data.length;
    const png = await toPngBlob(result.image);
    state.pngBytes = png.size;
    const link = $<HTMLAnchorElement>('download');
    link.href = URL.createObjectURL(png);
    link.hidden = false;
    status(`Swapped on ${swapper.backend} in ${(state.swapMs / 1000).toFixed(1)} s (${Object.entries(result.timings).map(([k, v]) => `${k} ${Math.round(v!)} ms`).join(', ')}).`, 1);
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
    if (!file) return;
    // Landmarks of user crops are unknown until face detection lands: every point is missing.
    show(which, { image: file, landmarks: Array.from({ length: 106 }, () => MISSING_POINT), url: URL.createObjectURL(file) });
  });
}

pick('source');
pick('target');
$('swap').addEventListener('click', () => void swap());
select.addEventListener('change', () => void load(select.value as Backend));
show('source', await sample('astronaut'));
show('target', await sample('hopper'));
await load(select.value as Backend);
if (params.has('autoswap')) await swap();
