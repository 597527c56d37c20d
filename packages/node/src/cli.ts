/**
 * The `fslsd` command. Every command has --help; errors print one line naming the fix and
 * exit non-zero; the path of a written image is the last line on stdout.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Precision, FslsdError, type ProgressEvent, resolveLatentSplit } from '@fslsd/core';
import { MODEL_CONTRACTS, MODEL_IDS, type ModelProto, checkModelContract, decodeModel } from '@fslsd/core/graph';
import { MEGAFS_VARIANTS, importCheckpoints, modelSetFromDirectory, tinyModelsDirectory } from '@fslsd/models/node';
import { type Manifest } from '@fslsd/models';
import { createFaceAnalyzer } from './faces.js';
import { checkOutput, readImage, readMask, readPhoto, writeImage } from './image-io.js';
import { readLandmarks, sidecarLandmarks } from './landmarks-file.js';
import { createProgressBar } from './progress.js';
import { DEVICES, type Device } from './runtime.js';
import { createFaceSwapper } from './face-swapper.js';
import { checkVideoOutput, probeVideo } from './video.js';
import { prepareDataset } from './dataset/prepare-dataset.js';
import { AUGMENTATIONS, type Augmentation } from './dataset/layout.js';

/** The installed package's version, so --version never disagrees with npm. */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

const HELP: Record<string, string> = {
  main: `fslsd ${VERSION}: FSLSD face swapping (CVPR 2022) on onnxruntime-node

Usage: fslsd <command> [options]

Commands:
  swap            Put the source face onto the target face (ordinary photos or aligned crops)
  video           Put the source face onto the face in every frame of a video (audio kept)
  detect          Find the faces in a photo; print boxes, scores and landmarks as JSON
  models list     List the networks of a model set, with sizes, digests and licence
  models verify   Check every model of a set: size, sha256 and input/output contract
  models import   Make a model set from PyTorch checkpoints (.pt/.pth), no Python needed
  dataset prepare Turn a folder of photos into a training dataset (aligned crops, landmarks,
                  masks, W+) with this front end, for the FSLSD trainer
  serve           The swap service's HTTP API on Redis (needs @fslsd/server installed)
  worker          A swap service worker: loads the networks once, runs queued swaps
  api-key         Make an API key for the service (its hashed line goes in the keys file)

Run "fslsd <command> --help" for a command's options.
Without --models, fslsd uses the tiny reference set shipped in @fslsd/models: untrained
random weights that exercise the real architecture. Real swaps need the official checkpoints
imported with "fslsd models import" (see the README).`,
  swap: `Usage: fslsd swap --source FILE --target FILE --out FILE [options]

Finds the faces, swaps the source face onto the target face and pastes the result back into the
target photo (same size; only pixels inside the feathered face region change). Writes PNG, JPEG
or WebP by extension, labelled in its XMP metadata as a synthetic face swap.

Required:
  --source FILE            photo with the face to transfer (identity); its largest face is used
  --target FILE            photo that receives it (pose, expression, background)
  --out FILE               where to write the result

Choosing faces (target photo):
  --face-index N           swap face N (0 = largest; "fslsd detect" lists them)
  --all                    swap every face
  --reference FILE         swap the face most like the person in this photo (128-d descriptor)
  --source-face-index N    take face N of the source photo (default 0, the largest)
  --min-score S            detector confidence threshold, 0..1 (default 0.5)
  --detector accurate|fast which detector: accurate (default; the SSD on the photo and its
                           tiles: small, turned and rotated faces) or fast (the tiny detector)
  --detector-size N        fast detector's input side, a multiple of 32 (default 416; implies
                           --detector fast unless --detector is given)

Aligned crops:
  --aligned                inputs are FFHQ-aligned square crops: no detection, no paste-back;
                           the output is the 1024x1024 swapped crop
  --source-landmarks FILE  with --aligned: JSON {"points": 106 x [x,y]} or {"points5": 5 x [x,y]}
                           in 256x256 crop pixels (default: SOURCE with .landmarks.json beside it)
  --target-landmarks FILE  likewise for the target
  --mask FILE              with --aligned: target inner-face mask, white = swap (default: ellipse)

Options:
  --method fslsd|megafs    the method: FSLSD (default) or MegaFS, the paper's baseline; by default
                           the model set's own (with no --models, megafs picks the tiny MegaFS set)
  --models DIR|URL         model set: a folder with manifest.json, or an http(s) address serving
                           one (downloaded once, sha256-verified, cached in $FSLSD_CACHE or
                           ~/.cache/fslsd/models); default: the shipped tiny set
  --offline                never touch the network: a URL model set must already be cached
  --face-models DIR        front-end models (detector, landmarks, descriptor); default: shipped
  --landmarker FILE        106-point landmarker ONNX for E_le (H3R from the exporter); default:
                           the model set's landmarker-106 if it has one, else the 68 shipped
                           points mapped into the 106-point layout
  --parser FILE            face parser ONNX for the inner-face mask (BiSeNet contract: [1,3,512,512]
                           ImageNet-normalised -> [1,19,512,512]); default: mask from landmarks
  --device auto|cpu|cuda|webgpu  execution provider (default auto: CUDA if it works, else CPU;
                           webgpu: onnxruntime's Dawn provider, Vulkan/Metal/D3D12, no CUDA install)
  --split NAME             FSLSD: official | paper | megafs | "source=0-10;direction=0-6" (default official)
  --strength N             FSLSD: scale of the landmark direction n (default 1)
  --no-editor              FSLSD: skip the latent editor stage
  --refine                 MegaFS: the released refine pass (re-encode the blended swap, regenerate)
  --side-output FILE       also write y_s (first swapped face), the generator's own rendering
  --threads N              threads per session (default: all cores)
  --precision float32|float16  network arithmetic (default float32; float16 is for CUDA GPUs,
                           slower on CPUs)
  --force                  overwrite existing output files
  --quiet                  no progress output
  -h, --help               this text`,
  video: `Usage: fslsd video --source PHOTO --target IN.mp4 --out OUT.mp4 [options]

Swaps the source face onto the tracked face of every frame (frames without a face pass
through), keeps the frame rate and the audio, and writes H.264 (.mp4, .mov or .mkv) labelled in
its metadata as a synthetic face swap. Frames stream through ffmpeg pipes (needs ffmpeg:
apt-get install ffmpeg); the source face is encoded once.

Required:
  --source PHOTO           photo with the face to transfer; its largest face is used
  --target FILE            the video
  --out FILE               where to write the result (.mp4, .mov, .mkv)

Options:
  --smoothing S            temporal smoothing 0..1 of landmarks, target codes and mask
                           (default 0.6; 0 = per-frame, as for stills)
  --face-index N           track face N of each frame (0 = largest, default)
  --source-face-index N    take face N of the source photo (default 0)
  --min-score S            detector confidence threshold, 0..1 (default 0.5)
  --detector fast|accurate which detector runs on each frame (default fast, the tiny detector;
                           accurate finds small and turned faces, about ten times slower)
  --detector-size N        fast detector's input side, a multiple of 32 (default 416)
  --crf N                  x264 quality 0..51 (default 18)
  --method, --models DIR|URL, --face-models DIR, --landmarker FILE, --parser FILE, --device, --split,
  --strength, --no-editor, --threads, --precision, --offline   as for "fslsd swap"
  --force                  overwrite an existing output
  --quiet                  no progress output
  -h, --help               this text`,
  detect: `Usage: fslsd detect PHOTO [options]

Prints the faces found in PHOTO as JSON: index (0 = largest), score, box {x, y, width, height}
and the 68 landmarks (iBUG order) in pixels of the upright photo (EXIF orientation applied).

Options:
  --min-score S            detector confidence threshold, 0..1 (default 0.5)
  --detector accurate|fast which detector (default accurate: the SSD on the photo and its tiles;
                           fast: the tiny detector at --detector-size)
  --detector-size N        fast detector's input side, a multiple of 32 (default 416; implies
                           --detector fast unless --detector is given)
  --descriptors            also print each face's 128-d descriptor
  --face-models DIR        front-end models folder (default: shipped)
  --device auto|cpu|cuda|webgpu  execution provider (default auto)
  -h, --help               this text`,
  dataset: `Usage: fslsd dataset prepare --in PHOTOS --out DATA [options]

Runs fslsd's own face front end over every photo under PHOTOS (.jpg .jpeg .png .webp, any case,
any depth, in sorted order) and writes a training dataset for the FSLSD trainer, so training
sees exactly the preprocessing fslsd swaps with. For each photo (and its mirror with
--augment flip): the largest face, aligned to the FFHQ 1024x1024 crop, the 106 points E_le
takes, the inner-face mask, and pSp's W+ of the crop with the model set's psp-encoder. A photo
that cannot be decoded or has no face large enough is skipped with its reason; the run goes on.
Resumable: finished faces and skips are kept, so run it again after Ctrl-C (or with more
photos); a dataset made with another psp-encoder, landmark or mask source is refused.

Layout (docs/dataset.md; the trainer reads it):
  DATA/dataset.json            manifest: models, sources, augment, counts, face ids, skips
  DATA/faces/<id>/crop.png     1024x1024 8-bit sRGB RGB, the aligned crop
  DATA/faces/<id>/mask.png     1024x1024 8-bit grey, inner-face mask, 255 = face
  DATA/faces/<id>/wplus.f32    W+ [18,512] float32 little-endian, 36,864 bytes, no header
  DATA/faces/<id>/face.json    photo, variant, box, score, landmarks (106, 256x256 crop px),
                               landmarks68 (1024x1024 crop px), sources; written last
  DATA/skipped/<id>.json       photo, variant, code, reason
  <id> is the photo's path under PHOTOS with '/' as '__' and characters outside
  [A-Za-z0-9._-] as '_' (extension kept), plus '@flip' for the mirrored photo.

Required:
  --in PHOTOS              folder of photos
  --out DATA               dataset folder: created, or an earlier one resumed

Options:
  --augment LIST           comma list of extra entries per photo: flip (mirror left-right);
                           default none
  --models DIR|URL         model set whose psp-encoder gives the W+ codes (default: the shipped
                           tiny set, untrained: for tests only); a full FSLSD set, or the
                           encoder-only one "fslsd models import --psp FILE --out DIR" writes
  --offline                never touch the network: a URL model set must already be cached
  --face-models DIR        front-end models (detector, landmarks); default: shipped
  --landmarker FILE        106-point landmarker ONNX (H3R); default: the set's landmarker-106,
                           else the 68 points mapped into the 106-point layout
  --parser FILE            face parser ONNX for the mask (BiSeNet contract); default: landmarks
  --min-score S            detector confidence threshold, 0..1 (default 0.5)
  --min-face N             skip faces whose detector box is shorter than N pixels (default 64)
  --detector-size N        detector input side, a multiple of 32 (default 416)
  --retry-skipped          compute the photos an earlier run skipped again
  --jobs N                 photos in flight at once (default min(4, cores))
  --device auto|cpu|cuda|webgpu  execution provider (default auto)
  --threads N              threads per session (default: all cores)
  --quiet                  no progress output
  -h, --help               this text`,
  models: `Usage: fslsd models list|verify [--models DIR]
       fslsd models import --fslsd FILE --psp FILE [--h3r FILE] --out DIR
       fslsd models import --psp FILE [--h3r FILE] --out DIR
       fslsd models import --megafs FILE --stylegan2 FILE [--h3r FILE] --out DIR

  list     print each network of the set: id, file, size, sha256, parameters, description
  verify   load every network, check its size and sha256 against the manifest and its
           inputs/outputs against the pipeline's contract; exit 1 if any check fails. An
           encoder-only set is checked for what it holds: its psp-encoder
  import   read PyTorch checkpoints (zip or legacy format, float32/float16/bfloat16, DDP
           "module." keys) and write a model set: every key and shape is checked first, tensors
           are streamed one at a time, and the folder appears only when complete. Unpickling
           resolves only torch's tensor types and OrderedDict: a file that calls code is refused.
           --psp without --fslsd writes an encoder-only set: the psp-encoder alone (manifest
           "purpose": "latent-encoder"), for "fslsd dataset prepare --models DIR" when there is
           no FSLSD checkpoint (training from scratch); it cannot swap.

Options:
  --models DIR         model set folder with manifest.json (default: shipped tiny set)
  --fslsd FILE         FSLSD's CELEBA-HQ-1024.pt
  --psp FILE           pSp's psp_ffhq_encode.pt (alone: the encoder-only set)
  --megafs FILE        MegaFS's ftm_final.pth, injection_final.pth or lcr_final.pth
  --stylegan2 FILE     rosinality's stylegan2-ffhq-config-f.pt (for MegaFS)
  --h3r FILE           H3R's LaPa hrnet18 model.pth: adds the 106-point landmarker
  --megafs-variant ftm|injection|lcr
                       MegaFS transfer module (default: the one the checkpoint's keys match)
  --out DIR            folder to create (must not exist, or be empty)
  --set-name NAME      name recorded in the manifest (default: imported)
  --architectures DIR  architecture folders to fill (default: the full-size ones shipped)
  -h, --help           this text`,
};

class UsageError extends FslsdError {
  constructor(message: string, command: string) {
    super('INVALID_ARGUMENT', message, { fix: `Run "fslsd ${command} --help".` });
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
type Values = Record<string, string | boolean | undefined>;

function parse(command: string, args: string[], options: OptionSpec): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/s, '.'), command);
  }
}

async function landmarksFor(image: string, given: string | undefined, which: string) {
  const file = given ?? (await sidecarLandmarks(image));
  if (!file) {
    throw new FslsdError('INVALID_LANDMARKS', `No landmarks for the ${which} face: ${image} has no .landmarks.json beside it.`, {
      fix: `Pass --${which}-landmarks FILE with {"points": [...106 points]} or {"points5": [...5 points]} in 256x256 crop pixels.`,
    });
  }
  return readLandmarks(file);
}

const DETECTOR_SIZE_OK = (n: number): boolean => Number.isInteger(n) && n % 32 === 0 && n >= 128 && n <= 2048;

function numberOption(values: Values, name: string, command: string, check: (n: number) => boolean, what: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${what}, got "${String(raw)}".`, command);
  return value;
}

function precisionOption(values: Values, command: string): Precision | undefined {
  const raw = values.precision;
  if (raw === undefined) return undefined;
  if (raw !== 'float32' && raw !== 'float16') throw new UsageError(`--precision must be float32 or float16, got "${String(raw)}".`, command);
  return raw;
}

/** The options `swap` and `video` share: device, network settings and face choice. */
function swapOptions(values: Values, command: 'swap' | 'video') {
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw new UsageError(`Unknown --device "${values.device}".`, command);
  const faceNumber = (n: number) => Number.isInteger(n) && n >= 0;
  return {
    device,
    strength: numberOption(values, 'strength', command, () => true, 'a number'),
    threads: numberOption(values, 'threads', command, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    precision: precisionOption(values, command),
    faceIndex: numberOption(values, 'face-index', command, faceNumber, 'a face number (0 = largest)'),
    sourceFaceIndex: numberOption(values, 'source-face-index', command, faceNumber, 'a face number (0 = largest)'),
    minScore: numberOption(values, 'min-score', command, (n) => n >= 0 && n <= 1, 'between 0 and 1'),
    detectorSize: numberOption(values, 'detector-size', command, DETECTOR_SIZE_OK, 'a multiple of 32 from 128 to 2048'),
    detector: detectorOption(values, command),
    split: resolveLatentSplit(values.split as string | undefined),
  };
}

/** --detector: 'fast' or 'accurate', or undefined for the command's default. */
function detectorOption(values: Record<string, unknown>, command: string): 'fast' | 'accurate' | undefined {
  const value = values.detector;
  if (value === undefined) return undefined;
  if (value !== 'fast' && value !== 'accurate') throw new UsageError(`--detector takes "fast" or "accurate", not "${String(value)}".`, command);
  return value;
}

async function swapCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse('swap', args, {
    source: { type: 'string' }, target: { type: 'string' }, out: { type: 'string' }, aligned: { type: 'boolean' },
    models: { type: 'string' }, method: { type: 'string' }, device: { type: 'string' }, split: { type: 'string' }, strength: { type: 'string' },
    'no-editor': { type: 'boolean' }, refine: { type: 'boolean' }, 'source-landmarks': { type: 'string' }, 'target-landmarks': { type: 'string' },
    mask: { type: 'string' }, 'side-output': { type: 'string' }, threads: { type: 'string' }, precision: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' },
    'face-index': { type: 'string' }, all: { type: 'boolean' }, reference: { type: 'string' }, 'source-face-index': { type: 'string' },
    'min-score': { type: 'string' }, 'face-models': { type: 'string' }, landmarker: { type: 'string' }, parser: { type: 'string' },
    offline: { type: 'boolean' }, 'detector-size': { type: 'string' }, detector: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP.swap);
    return 0;
  }
  if (positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}".`, 'swap');
  for (const name of ['source', 'target', 'out'] as const) if (!values[name]) throw new UsageError(`Missing --${name}.`, 'swap');
  const aligned = Boolean(values.aligned);
  const photoOnly = ['face-index', 'all', 'reference', 'source-face-index', 'min-score', 'detector-size', 'detector', 'face-models', 'landmarker', 'parser'].filter((name) => values[name] !== undefined);
  if (aligned && photoOnly.length) throw new UsageError(`--${photoOnly[0]} chooses or finds faces in photos; it has no meaning with --aligned.`, 'swap');
  const alignedOnly = ['mask', 'source-landmarks', 'target-landmarks'].filter((name) => values[name] !== undefined);
  if (!aligned && alignedOnly.length) throw new UsageError(`--${alignedOnly[0]} applies to aligned crops; add --aligned, or leave it out (photos get their landmarks and mask from the front end).`, 'swap');
  const choices = ['face-index', 'all', 'reference'].filter((name) => values[name] !== undefined);
  if (choices.length > 1) throw new UsageError(`Pass one of --face-index, --all and --reference, not ${choices.map((c) => `--${c}`).join(' and ')}.`, 'swap');
  const { device, strength, threads, precision, faceIndex, sourceFaceIndex, minScore, detectorSize, detector, split } = swapOptions(values, 'swap');
  const out = path.resolve(values.out as string);
  const sideOut = values['side-output'] ? path.resolve(values['side-output'] as string) : undefined;
  // The cheap checks first: both outputs' folders (and no overwrite without --force), before any decoding.
  for (const file of [out, sideOut]) if (file) await checkOutput(file, { overwrite: Boolean(values.force) });

  const bar = createProgressBar(process.stderr, !values.quiet);
  const log = (message: string) => !values.quiet && process.stderr.write(`fslsd: ${message}\n`);
  // Rough shares of the wall time, so the bar moves evenly: loading, then the stages.
  let modelsLoaded = 0;
  const onProgress = (event: ProgressEvent) => {
    if (event.kind === 'model' && event.status === 'progress') {
      bar.step(`downloading ${event.id} ${(event.loaded / 1e6).toFixed(1)}/${(event.total / 1e6).toFixed(1)} MB`, (0.3 * (modelsLoaded + event.loaded / event.total)) / MODEL_IDS.length);
    }
    if (event.kind === 'model' && event.status === 'done') bar.step(`loaded ${event.id}`, (0.3 * ++modelsLoaded) / MODEL_IDS.length);
    if (event.kind === 'session') bar.step(`opened ${event.name}`, 0.3 + 0.1 * ['encode-latent', 'landmark-direction', 'edit-latent', 'synthesize'].indexOf(event.name) / 3);
    if (event.kind === 'stage' && event.status === 'start') {
      const share: Record<string, number> = { 'encode-latent': 0.45, 'landmark-direction': 0.6, 'fuse-latents': 0.65, 'edit-latent': 0.67, synthesize: 0.7 };
      bar.step(event.stage, share[event.stage] ?? 0.5);
    }
  };

  const models = modelsFromOption(values.models as string | undefined);
  // One after the other, so the first problem in argument order is the one reported, every time.
  const sourcePhoto = await readPhoto(values.source as string);
  const targetPhoto = await readPhoto(values.target as string);
  const referenceImage = values.reference ? await readImage(values.reference as string) : undefined;
  const sourceLandmarks = aligned ? await landmarksFor(values.source as string, values['source-landmarks'] as string | undefined, 'source') : undefined;
  const targetLandmarks = aligned ? await landmarksFor(values.target as string, values['target-landmarks'] as string | undefined, 'target') : undefined;
  const mask = values.mask ? await readMask(values.mask as string) : undefined;
  // Ctrl-C stops between stages; outputs are written through temporary names, so nothing
  // half-written is left behind.
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  const { signal } = controller;
  const swapper = await createFaceSwapper({
    models, ...methodOption(values, 'swap'), device, precision, split: values.split as string | undefined, strength, ...(values['no-editor'] ? { editor: false } : {}), signal, offline: Boolean(values.offline),
    onProgress: (event) => (event.kind === 'warning' ? log(event.message) : onProgress(event)),
    faces: { ...(values['face-models'] ? { models: path.resolve(values['face-models'] as string) } : {}), ...(values.landmarker ? { landmarker: values.landmarker as string } : {}), ...(values.parser ? { parser: values.parser as string } : {}) },
    ...(threads ? { threads } : {}),
  });
  try {
    const finding = { minScore, detectorSize, ...(detector ? { detector } : {}) };
    const refine = values.refine ? { refine: true } : {};
    bar.step('finding the source face', 0.4);
    const source = aligned
      ? await swapper.encodeSource(sourcePhoto.image, { aligned, landmarks: sourceLandmarks!, signal })
      : await swapper.encodeSource(sourcePhoto.image, { signal, faceIndex: sourceFaceIndex, ...finding });
    let reference: Float32Array | undefined;
    if (referenceImage) {
      bar.step('describing the reference face', 0.55);
      reference = await swapper.describe(referenceImage, { signal, ...finding });
    }
    bar.step('finding the target face', 0.6);
    const result = aligned
      ? await swapper.swap(source, targetPhoto.image, { aligned, landmarks: targetLandmarks!, ...(mask ? { mask } : {}), ...refine, signal })
      : await swapper.swap(source, targetPhoto.image, { signal, faceIndex, ...(values.all ? { all: true } : {}), reference, ...refine, ...finding });
    if (!aligned) log(`swapped ${result.faces.length} of ${result.detected.length} face(s) found in the target (E_le landmarks: ${result.faces[0]!.landmarkSource}; mask: ${result.faces[0]!.maskSource})`);
    bar.step('writing', 0.95);
    if (sideOut) await writeImage(sideOut, result.faces[0]!.sideOutput);
    const written = await writeImage(out, result.image, targetPhoto.icc && !aligned ? { icc: targetPhoto.icc } : {});
    bar.done(`fslsd: swapped with the "${swapper.models}" set (${swapper.method}) on ${swapper.device.device}${swapper.method === 'fslsd' ? `, split ${resolveLatentSplit(values.split as string | undefined).name}` : ''}`);
    if (sideOut) console.log(sideOut);
    console.log(written);
  } finally {
    process.off('SIGINT', interrupt);
    await swapper.dispose();
  }
  return 0;
}

/** --method: fslsd or megafs; absent, the model set decides (and the tiny set is FSLSD's). */
function methodOption(values: Record<string, unknown>, command: string): { method?: 'fslsd' | 'megafs' } {
  const method = values.method as string | undefined;
  if (method === undefined) return {};
  if (method !== 'fslsd' && method !== 'megafs') throw new UsageError(`--method must be fslsd or megafs, got "${method}".`, command);
  return { method };
}

/** --models: a folder (made absolute), an http(s) address, or the shipped tiny set when absent. */
function modelsFromOption(option: string | undefined): string {
  if (!option) return 'tiny';
  return /^https?:\/\//i.test(option) ? option : path.resolve(option);
}

async function videoCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse('video', args, {
    source: { type: 'string' }, target: { type: 'string' }, out: { type: 'string' }, smoothing: { type: 'string' }, crf: { type: 'string' },
    'face-index': { type: 'string' }, 'source-face-index': { type: 'string' }, 'min-score': { type: 'string' },
    models: { type: 'string' }, method: { type: 'string' }, 'face-models': { type: 'string' }, landmarker: { type: 'string' }, parser: { type: 'string' },
    device: { type: 'string' }, split: { type: 'string' }, strength: { type: 'string' }, 'no-editor': { type: 'boolean' }, threads: { type: 'string' }, precision: { type: 'string' },
    force: { type: 'boolean' }, quiet: { type: 'boolean' }, offline: { type: 'boolean' }, 'detector-size': { type: 'string' }, detector: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP.video);
    return 0;
  }
  if (positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}".`, 'video');
  for (const name of ['source', 'target', 'out'] as const) if (!values[name]) throw new UsageError(`Missing --${name}.`, 'video');
  const { device, strength, threads, precision, faceIndex, sourceFaceIndex, minScore, detectorSize, detector, split } = swapOptions(values, 'video');
  const smoothing = numberOption(values, 'smoothing', 'video', (n) => n >= 0 && n <= 1, 'between 0 and 1') ?? 0.6;
  const crf = numberOption(values, 'crf', 'video', (n) => Number.isInteger(n) && n >= 0 && n <= 51, 'an integer from 0 to 51');
  // The cheap checks first: the output's container and folder, then the input, then the networks.
  const out = await checkVideoOutput(values.out as string, { overwrite: Boolean(values.force) });
  const info = await probeVideo(values.target as string);
  const sourceImage = await readImage(values.source as string);

  const bar = createProgressBar(process.stderr, !values.quiet);
  const log = (message: string) => !values.quiet && process.stderr.write(`fslsd: ${message}\n`);
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  const { signal } = controller;
  bar.step('loading models', 0);
  const swapper = await createFaceSwapper({
    models: modelsFromOption(values.models as string | undefined), ...methodOption(values, 'video'), device, precision, split: values.split as string | undefined, strength, ...(values['no-editor'] ? { editor: false } : {}), signal, offline: Boolean(values.offline),
    onProgress: (event) => event.kind === 'warning' && log(event.message),
    faces: { ...(values['face-models'] ? { models: path.resolve(values['face-models'] as string) } : {}), ...(values.landmarker ? { landmarker: values.landmarker as string } : {}), ...(values.parser ? { parser: values.parser as string } : {}) },
    ...(threads ? { threads } : {}),
  });
  try {
    bar.step('encoding the source face', 0);
    // The source is a photo: the accurate detector unless asked otherwise.
    const source = await swapper.encodeSource(sourceImage, { signal, faceIndex: sourceFaceIndex, minScore, detectorSize, ...(detector ? { detector } : {}) });
    const started = performance.now();
    const result = await swapper.swapVideo(source, values.target as string, out, {
      signal, smoothing, faceIndex, minScore, detectorSize, ...(detector ? { detector } : {}), overwrite: true, ...(crf !== undefined ? { crf } : {}),
      onFrame: (frame) => {
        const done = frame.index + 1;
        const seconds = (performance.now() - started) / 1000;
        const fps = done / seconds;
        const eta = info.frames > done ? (info.frames - done) / fps : 0;
        bar.step(`frame ${done}/${info.frames}, ${fps.toFixed(2)} fps, ETA ${eta.toFixed(0)} s`, Math.min(0.99, done / Math.max(1, info.frames)));
      },
    });
    const seconds = result.milliseconds.total / 1000;
    bar.done(`fslsd: ${result.frames} frames (${result.swappedFrames} with a face) in ${seconds.toFixed(1)} s, ${(result.frames / seconds).toFixed(2)} fps; smoothing ${smoothing}`);
    console.log(result.file);
  } finally {
    process.off('SIGINT', interrupt);
    await swapper.dispose();
  }
  return 0;
}

async function detectCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse('detect', args, {
    'min-score': { type: 'string' }, descriptors: { type: 'boolean' }, 'face-models': { type: 'string' }, device: { type: 'string' },
    'detector-size': { type: 'string' }, detector: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP.detect);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `detect takes one photo, got ${positionals.length}.` : 'Missing the photo to search.', 'detect');
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw new UsageError(`Unknown --device "${values.device}".`, 'detect');
  const minScore = numberOption(values, 'min-score', 'detect', (n) => n >= 0 && n <= 1, 'between 0 and 1');
  const detectorSize = numberOption(values, 'detector-size', 'detect', DETECTOR_SIZE_OK, 'a multiple of 32 from 128 to 2048');
  const detector = detectorOption(values, 'detect') ?? (detectorSize !== undefined ? 'fast' : undefined);
  const file = positionals[0]!;
  const photo = await readImage(file);
  const analyzer = await createFaceAnalyzer({ models: values['face-models'] ? path.resolve(values['face-models'] as string) : undefined, device });
  try {
    const faces = await analyzer.detect(photo, { ...(detector ? { detector } : {}), ...(minScore !== undefined ? { minScore } : {}), ...(detectorSize !== undefined ? { inputSize: detectorSize } : {}) });
    const round = (n: number) => Math.round(n * 100) / 100;
    const listed = [];
    for (const face of faces) {
      listed.push({
        index: face.index,
        score: Math.round(face.score * 10000) / 10000,
        box: { x: round(face.box.x), y: round(face.box.y), width: round(face.box.width), height: round(face.box.height) },
        landmarks68: face.landmarks68.map(([x, y]) => [round(x), round(y)]),
        ...(values.descriptors ? { descriptor: Array.from(await analyzer.describe(photo, face), (v) => Math.round(v * 1e6) / 1e6) } : {}),
      });
    }
    console.log(JSON.stringify({ file: path.resolve(file), width: photo.width, height: photo.height, faces: listed }, null, 2));
  } finally {
    await analyzer.dispose();
  }
  return 0;
}

async function datasetCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse('dataset', args, {
    in: { type: 'string' }, out: { type: 'string' }, augment: { type: 'string' }, models: { type: 'string' }, offline: { type: 'boolean' },
    'face-models': { type: 'string' }, landmarker: { type: 'string' }, parser: { type: 'string' }, 'min-score': { type: 'string' }, 'min-face': { type: 'string' },
    'detector-size': { type: 'string' }, 'retry-skipped': { type: 'boolean' }, jobs: { type: 'string' }, device: { type: 'string' }, threads: { type: 'string' }, quiet: { type: 'boolean' },
  });
  const action = positionals[0];
  if (values.help || !action) {
    console.log(HELP.dataset);
    return action || values.help ? 0 : 2;
  }
  if (action !== 'prepare') throw new UsageError(`Unknown dataset action "${action}".`, 'dataset');
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}".`, 'dataset');
  for (const name of ['in', 'out'] as const) if (!values[name]) throw new UsageError(`Missing --${name}.`, 'dataset');
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw new UsageError(`Unknown --device "${values.device}".`, 'dataset');
  const augment = String(values.augment ?? '').split(',').map((kind) => kind.trim()).filter(Boolean);
  const unknown = augment.find((kind) => !(AUGMENTATIONS as readonly string[]).includes(kind));
  if (unknown !== undefined) throw new UsageError(`Unknown --augment kind "${unknown}"; fslsd knows ${AUGMENTATIONS.join(', ')}.`, 'dataset');
  const minScore = numberOption(values, 'min-score', 'dataset', (n) => n >= 0 && n < 1, 'at least 0 and below 1');
  const minFace = numberOption(values, 'min-face', 'dataset', (n) => n >= 0, 'a number of pixels >= 0');
  const detectorSize = numberOption(values, 'detector-size', 'dataset', DETECTOR_SIZE_OK, 'a multiple of 32 from 128 to 2048');
  const jobs = numberOption(values, 'jobs', 'dataset', (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'a whole number from 1 to 64');
  const threads = numberOption(values, 'threads', 'dataset', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');

  const bar = createProgressBar(process.stderr, !values.quiet);
  const log = (message: string) => !values.quiet && process.stderr.write(`fslsd: ${message}\n`);
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  try {
    const summary = await prepareDataset({
      photos: values.in as string,
      out: values.out as string,
      augment: augment as Augmentation[],
      models: modelsFromOption(values.models as string | undefined),
      faces: { ...(values['face-models'] ? { models: path.resolve(values['face-models'] as string) } : {}), ...(values.landmarker ? { landmarker: values.landmarker as string } : {}), ...(values.parser ? { parser: values.parser as string } : {}) },
      device, offline: Boolean(values.offline), retrySkipped: Boolean(values['retry-skipped']),
      ...(minScore !== undefined ? { minScore } : {}), ...(minFace !== undefined ? { minFace } : {}), ...(detectorSize !== undefined ? { detectorSize } : {}),
      ...(jobs !== undefined ? { jobs } : {}), ...(threads !== undefined ? { threads } : {}),
      signal: controller.signal,
      onProgress: (event) => {
        if (event.kind === 'warning') log(event.message);
        else if (event.kind === 'plan') {
          log(`${event.photos} photo(s), ${event.entries} entries, ${event.pending} to compute`);
          if (event.pending) bar.step('loading models', 0);
        }
        else if (event.kind === 'photo') bar.step(`photo ${event.done}/${event.total} ${event.photo}`, event.done / event.total);
      },
    });
    const { counts } = summary.manifest;
    const codes = new Map<string, number>();
    for (const skip of summary.manifest.skipped) codes.set(skip.code, (codes.get(skip.code) ?? 0) + 1);
    const why = [...codes].map(([code, n]) => `${n} ${code}`).join(', ');
    bar.done(`fslsd: ${counts.faces} face(s), ${counts.skipped} skipped${why ? ` (${why}; reasons in dataset.json)` : ''} from ${counts.photos} photo(s); ${summary.computed} computed, ${summary.reused} kept (${summary.manifest.landmarkSource} landmarks, ${summary.manifest.maskSource} masks, models "${summary.manifest.models.name}")`);
    console.log(summary.out);
  } finally {
    process.off('SIGINT', interrupt);
  }
  return 0;
}

async function importCommand(values: Values): Promise<number> {
  if (!values.out) throw new UsageError('models import needs --out DIR.', 'models');
  const variant = values['megafs-variant'] as string | undefined;
  if (variant !== undefined && !(MEGAFS_VARIANTS as readonly string[]).includes(variant)) {
    throw new UsageError(`--megafs-variant must be one of ${MEGAFS_VARIANTS.join(', ')}, got "${variant}".`, 'models');
  }
  const file = (name: string) => (values[name] === undefined ? {} : { [name]: path.resolve(values[name] as string) });
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  const bar = createProgressBar();
  try {
    const manifest = await importCheckpoints({
      ...file('fslsd'), ...file('psp'), ...file('megafs'), ...file('stylegan2'), ...file('h3r'),
      ...(variant ? { megafsVariant: variant as (typeof MEGAFS_VARIANTS)[number] } : {}),
      out: path.resolve(values.out as string),
      ...(values.architectures ? { architectures: path.resolve(values.architectures as string) } : {}),
      ...(values['set-name'] ? { setName: values['set-name'] as string } : {}),
      signal: controller.signal,
      onProgress: (event) => bar.step(`${event.model}.onnx ${(event.written / 1e6).toFixed(1)}/${(event.total / 1e6).toFixed(1)} MB`, event.setWritten / event.setTotal),
    });
    const total = manifest.models.reduce((sum, entry) => sum + entry.bytes, 0);
    bar.done(`fslsd: imported ${manifest.models.length} network${manifest.models.length === 1 ? '' : 's'} (${(total / 1e6).toFixed(1)} MB, ${manifest.licence.spdx}) into ${path.resolve(values.out as string)}`);
    if (manifest.purpose === 'latent-encoder') {
      process.stderr.write('fslsd: an encoder-only set (psp-encoder): for "fslsd dataset prepare --models DIR", not for swapping; a full set needs --fslsd CELEBA-HQ-1024.pt as well.\n');
    }
    return 0;
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/** What `models list` and `models verify` say about a set's manifest purpose. */
const PURPOSES: Readonly<Record<NonNullable<Manifest['purpose']>, string>> = {
  'latent-encoder': 'an encoder-only set (the psp-encoder alone) for W+ codes (fslsd dataset prepare), not for swapping',
};

async function modelsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse('models', args, {
    models: { type: 'string' }, fslsd: { type: 'string' }, psp: { type: 'string' }, megafs: { type: 'string' }, stylegan2: { type: 'string' },
    h3r: { type: 'string' }, 'megafs-variant': { type: 'string' }, out: { type: 'string' }, 'set-name': { type: 'string' }, architectures: { type: 'string' },
  });
  const action = positionals[0];
  if (values.help || !action) {
    console.log(HELP.models);
    return action || values.help ? 0 : 2;
  }
  if (action === 'import') return importCommand(values);
  if (action !== 'list' && action !== 'verify') throw new UsageError(`Unknown models action "${action}".`, 'models');
  const set = await modelSetFromDirectory(values.models ? path.resolve(values.models as string) : tinyModelsDirectory());
  const { manifest } = set;
  if (action === 'list') {
    console.log(`set ${manifest.set} (${set.directory})`);
    console.log(`licence ${manifest.licence.spdx}: ${manifest.licence.note}`);
    if (manifest.purpose) console.log(`purpose ${manifest.purpose}: ${PURPOSES[manifest.purpose]}`);
    console.log(`provenance ${JSON.stringify(manifest.provenance)}`);
    for (const entry of manifest.models) {
      const params = (entry as { parameters?: number }).parameters;
      console.log(`${entry.id.padEnd(17)} ${entry.file.padEnd(22)} ${(entry.bytes / 1e6).toFixed(2).padStart(8)} MB  ${entry.sha256.slice(0, 16)}  ${params === undefined ? '' : `${params.toLocaleString('en-US')} params  `}${entry.description ?? ''}`);
    }
    return 0;
  }
  let failures = 0;
  const bindings = new Map<string, number>();
  // An encoder-only set is checked for what it holds; swapping with it fails before any check.
  const ids = manifest.purpose === 'latent-encoder' ? (['psp-encoder'] as const) : MODEL_IDS;
  if (manifest.purpose) console.log(`purpose ${manifest.purpose}: ${PURPOSES[manifest.purpose]}; checking ${ids.join(', ')}`);
  for (const id of ids) {
    try {
      const bytes = await set.load(id);
      const model: ModelProto = decodeModel(bytes);
      checkModelContract(MODEL_CONTRACTS[id], model, bindings);
      console.log(`ok    ${id}: ${bytes.length} bytes, sha256 verified, contract holds`);
    } catch (error) {
      failures += 1;
      console.log(`FAIL  ${id}: ${(error as Error).message}`);
    }
  }
  console.log(`${ids.length - failures} passed, ${failures} failed`);
  return failures ? 1 : 0;
}

/** The module @fslsd/server exports as `@fslsd/server/command`. */
interface ServiceCommandModule {
  runServiceCommand(argv: readonly string[], names: { program: string; keyCommand: string }): Promise<number>;
}

/**
 * `fslsd serve | worker | api-key`: the commands of @fslsd/server, which this package does not
 * depend on (it would bring Fastify, BullMQ and ioredis to every SDK user). It is looked up
 * beside this package, then from the current folder's project.
 */
async function serviceCommand(command: string, rest: string[]): Promise<number> {
  const specifier = '@fslsd/server/command';
  let loaded: ServiceCommandModule | undefined;
  for (const base of [import.meta.url, pathToFileURL(path.join(process.cwd(), 'package.json')).href]) {
    try {
      const resolved = createRequire(base).resolve(specifier);
      loaded = (await import(pathToFileURL(resolved).href)) as ServiceCommandModule;
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  if (!loaded) {
    throw new FslsdError('INVALID_ARGUMENT', `"fslsd ${command}" is part of the swap service, @fslsd/server, which is not installed here.`, {
      fix: 'Install it beside @fslsd/node (npm install @fslsd/server) and run the command again from that project.',
    });
  }
  return loaded.runServiceCommand([command, ...rest], { program: 'fslsd', keyCommand: 'api-key' });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    console.log(HELP[topic ?? 'main'] ?? HELP.main);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    console.log(VERSION);
    return 0;
  }
  if (command === 'swap') return swapCommand(rest);
  if (command === 'detect') return detectCommand(rest);
  if (command === 'video') return videoCommand(rest);
  if (command === 'models') return modelsCommand(rest);
  if (command === 'dataset') return datasetCommand(rest);
  if (command === 'serve' || command === 'worker' || command === 'api-key') return serviceCommand(command, rest);
  throw new UsageError(`Unknown command "${command}".`, '');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof FslsdError;
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}fslsd: error${known ? ` [${error.code}]` : ''}: ${known ? error.message : ((error as Error)?.stack ?? String(error))}\n`);
    process.exitCode = known && error.code === 'INVALID_ARGUMENT' ? 2 : known && error.code === 'ABORTED' ? 130 : 1;
  },
);
