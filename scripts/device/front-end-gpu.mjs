// The face front end on a lent GPU machine (scripts/device/gpu-figures.sh), bundled by
// prepare.mjs: the frame of `pnpm bench --only front-end` (the astronaut photo, 768² on a
// 1920x1080 background, made again here with sharp), the face's 68 landmarks found by
// prepare.mjs on this machine (the lent one carries no face models), then align, masks and
// paste-back timed as TypeScript + WebAssembly on its CPU, as ONNX graphs on onnxruntime-node's
// CPU provider (one thread) and on its WebGPU provider, and by OpenCV (scripts/bench/
// front_end_opencv.py, one thread and all). Medians of --runs after a warm-up; graph results are
// compared with the TypeScript ones (max abs difference in grey levels).
//
//   node front-end-gpu.mjs --landmarks FILE --out FILE [--runs 15] [--python python3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import ort from 'onnxruntime-node';
import { alignFace, alignmentPointsFrom68, createFrontEndGraphs, landmarkFaceMasks, landmarkRegion, mapPoints, maskKernels, pasteBack } from '../../packages/core/dist/face.js';
import { readImage } from '../../packages/node/dist/index.js';
import { differences, frontEndFrame, medianTime } from '../bench/common.mjs';

const { values } = parseArgs({ options: { landmarks: { type: 'string' }, out: { type: 'string' }, runs: { type: 'string', default: '15' }, python: { type: 'string', default: 'python3' } } });
if (!values.landmarks || !values.out) {
  console.error('Usage: node front-end-gpu.mjs --landmarks FILE --out FILE [--runs 15] [--python python3]');
  process.exit(2);
}
const runs = Number(values.runs);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const landmarks68 = JSON.parse(readFileSync(values.landmarks, 'utf8'));
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-front-end-'));
const report = { date: new Date().toISOString(), cpu: cpus()[0]?.model, cpus: cpus().length, runs, rows: {} };
const save = () => {
  writeFileSync(`${values.out}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${values.out}.partial`, values.out);
};
const median = (fn) => medianTime(fn, runs);
const maxDifference = (a, b) => differences(a, b).max;

try {
  const framePath = path.join(work, 'frame.png');
  writeFileSync(framePath, await frontEndFrame(sharp, path.join(root, 'packages/models/assets/photos/astronaut.png')));
  const frame = await readImage(framePath);
  const points = alignmentPointsFrom68(landmarks68);
  const aligned = alignFace(frame, points);
  const cropLandmarks68 = mapPoints(landmarks68, aligned.toCrop);
  const masks = landmarkFaceMasks(cropLandmarks68);
  const pasted = pasteBack({ photo: frame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto });
  const scratch = { ...frame, data: Uint8Array.from(frame.data) };
  report.rows.typescript = {
    align: await median(() => alignFace(frame, points)),
    mask: await median(() => landmarkFaceMasks(cropLandmarks68)),
    pasteBack: await median(() => pasteBack({ photo: frame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto })),
    pasteBackInPlace: await median(() => pasteBack({ photo: scratch, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto, inPlace: true })),
  };
  save();
  const kernels = maskKernels();
  for (const [name, options] of [['graphsCpu', { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' }], ['graphsWebGpu', { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' }]]) {
    try {
      const graphs = createFrontEndGraphs(ort, options);
      const crop = await graphs.align(frame, points, 1024);
      const graphMasks = await graphs.masks(landmarkRegion(cropLandmarks68), 1024, kernels);
      const graphPaste = await graphs.paste({ photo: frame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto });
      report.rows[name] = {
        align: await median(() => graphs.align(frame, points, 1024)),
        mask: await median(() => graphs.masks(landmarkRegion(cropLandmarks68), 1024, kernels)),
        pasteBack: await median(() => graphs.paste({ photo: frame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto })),
        pasteBackInPlace: await median(() => graphs.paste({ photo: scratch, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto, inPlace: true })),
        maxGreyDifference: {
          align: maxDifference(crop.crop?.data ?? crop.data, aligned.crop.data),
          paste: maxDifference(graphPaste.data, pasted.data),
          innerMask: maxDifference(graphMasks.inner, masks.inner) * 255,
          pasteAlpha: maxDifference(graphMasks.paste, masks.paste) * 255,
        },
      };
      await graphs.dispose();
    } catch (error) {
      report.rows[name] = { error: String(error?.message ?? error) };
    }
    save();
  }
  const brows = cropLandmarks68.slice(17, 27);
  const browCentre = [brows.reduce((s, p) => s + p[0], 0) / 10, brows.reduce((s, p) => s + p[1], 0) / 10];
  const chin = cropLandmarks68[8];
  const job = { frame: framePath, size: 1024, toPhoto: aligned.toPhoto, cropLandmarks68, runs, dilation: 50, radius: 6, narrow: 24, lift: [(browCentre[0] - chin[0]) * 0.2, (browCentre[1] - chin[1]) * 0.2] };
  for (const threads of [1, cpus().length]) {
    const result = spawnSync(values.python, [path.join(root, 'scripts/bench/front_end_opencv.py')], { input: JSON.stringify({ ...job, threads }), encoding: 'utf8' });
    report.rows[`opencv${threads === 1 ? '1' : 'N'}`] = result.status === 0 ? JSON.parse(result.stdout) : { error: result.stderr.slice(-500) };
    save();
  }
  for (const [name, row] of Object.entries(report.rows)) console.log(name, JSON.stringify(row));
} finally {
  rmSync(work, { recursive: true, force: true });
}
