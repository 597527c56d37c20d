#!/usr/bin/env node
/**
 * Front-end benchmark: align + mask + paste-back of one face in a 1920x1080 frame, fslsd
 * (TypeScript and its WebAssembly mask kernels, one thread) beside the same operations in OpenCV
 * (Debian python3-opencv) measured in the same run, the two taking turns round by round. Paste-back is timed twice: into a new copy of
 * the frame, and into the frame itself (what video does with decoded frames; OpenCV likewise).
 * The total adds align, mask and the in-place paste. Prints a table of medians and ratios;
 * writes benchmarks/front-end.json.
 *
 *   node scripts/bench/front-end.mjs [--runs N] [--out FILE]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { frontEndFrame, median, medianTime } from './common.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: node scripts/bench/front-end.mjs [--runs N] [--out FILE]\n\nTimes align + mask + paste-back on a 1920x1080 frame, fslsd vs OpenCV, medians of N runs (default 21).');
  process.exit(0);
}
const runs = Number(values.runs);
const out = values.out ?? path.join(root, 'benchmarks', 'front-end.json');

const node = await (await import('../sdk.mjs')).loadSdk();
// sharp is a dependency of @fslsd/node; resolve it from there (the root has no node_modules of its own).
const { createRequire } = await import('node:module');
const sharp = createRequire(path.join(root, 'packages/node/package.json'))('sharp');
const { alignFace, alignmentPointsFrom68, landmarkFaceMasks, mapPoints, pasteBack, createFaceAnalyzer, readImage } = node;

const work = mkdtempSync(path.join(tmpdir(), 'fslsd-bench-'));
try {
  // The frame: the astronaut photo, enlarged 1.5x, on a 1920x1080 background.
  const framePath = path.join(work, 'frame.png');
  const photo = path.join(root, 'packages/models/assets/photos/astronaut.png');
  writeFileSync(framePath, await frontEndFrame(sharp, photo));
  const frame = await readImage(framePath);
  const analyzer = await createFaceAnalyzer({ device: 'cpu' });
  const [found] = await analyzer.detect(frame);
  await analyzer.dispose();
  if (!found) throw new Error('no face in the benchmark frame');

  const points = alignmentPointsFrom68(found.landmarks68);
  const aligned = alignFace(frame, points);
  const cropLandmarks68 = mapPoints(found.landmarks68, aligned.toCrop);
  const masks = landmarkFaceMasks(cropLandmarks68);
  const scratchFrame = { ...frame, data: Uint8Array.from(frame.data) }; // pasted into again and again
  const time = (fn) => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  };
  const fslsdRound = () => ({
    align: time(() => alignFace(frame, points)),
    mask: time(() => landmarkFaceMasks(cropLandmarks68)),
    pasteBack: time(() => pasteBack({ photo: frame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto })),
    pasteBackInPlace: time(() => pasteBack({ photo: scratchFrame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto, inPlace: true })),
  });
  // The same operations as ONNX graphs on onnxruntime-node's CPU provider, one thread (what the
  // front end runs on a GPU provider; on the CPU it uses the TypeScript above).
  const ort = createRequire(path.join(root, 'packages/node/package.json'))('onnxruntime-node');
  const graphs = node.createFrontEndGraphs(ort, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const kernels = node.maskKernels();
  const medianAsync = (fn) => medianTime(fn, runs);
  const onGraphs = {
    align: await medianAsync(() => graphs.align(frame, points, 1024)),
    mask: await medianAsync(() => graphs.masks(node.landmarkRegion(cropLandmarks68), 1024, kernels)),
    pasteBack: await medianAsync(() => graphs.paste({ photo: frame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto })),
    pasteBackInPlace: await medianAsync(() => graphs.paste({ photo: scratchFrame, face: aligned.crop, alpha: masks.paste, toPhoto: aligned.toPhoto, inPlace: true })),
  };
  await graphs.dispose();

  // The same operations in OpenCV, on the same frame, map and polygon.
  const brows = cropLandmarks68.slice(17, 27);
  const browCentre = [brows.reduce((s, p) => s + p[0], 0) / 10, brows.reduce((s, p) => s + p[1], 0) / 10];
  const chin = cropLandmarks68[8];
  const job = {
    frame: framePath, size: 1024, toPhoto: aligned.toPhoto, cropLandmarks68,
    dilation: 50, radius: 6, narrow: 24, lift: [(browCentre[0] - chin[0]) * 0.2, (browCentre[1] - chin[1]) * 0.2],
  };
  // fslsd and OpenCV (one thread, then all) take turns, one round each of every operation, so
  // that each ratio compares times taken moments apart; each column is the median of its rounds.
  const python = spawn('/usr/bin/python3', [path.join(root, 'scripts/bench/front_end_opencv.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  python.stderr.on('data', (chunk) => (stderr += chunk));
  const replies = createInterface({ input: python.stdout })[Symbol.asyncIterator]();
  const ask = async (threads) => {
    python.stdin.write(`${threads}\n`);
    const { value, done } = await replies.next();
    if (done) throw new Error(`OpenCV baseline failed (apt-get install python3-opencv?): ${stderr}`);
    return JSON.parse(value);
  };
  python.stdin.write(`${JSON.stringify(job)}\n`);
  const OPERATIONS = ['align', 'mask', 'pasteBack', 'pasteBackInPlace'];
  const rounds = { fslsd: [], 1: [], [cpus().length]: [] };
  fslsdRound(); // warm-up, both sides
  await ask(1);
  for (let round = 0; round < runs; round += 1) {
    rounds.fslsd.push(fslsdRound());
    rounds[1].push(await ask(1));
    rounds[cpus().length].push(await ask(cpus().length));
  }
  python.stdin.end();
  const medians = (list) => Object.fromEntries(OPERATIONS.map((op) => [op, median(list.map((r) => r[op]))]));
  const fslsd = medians(rounds.fslsd);
  const opencv = { 1: { ...medians(rounds[1]), opencv: rounds[1][0].opencv }, [cpus().length]: medians(rounds[cpus().length]) };
  const total = (r) => r.align + r.mask + r.pasteBackInPlace;
  const rows = ['align', 'mask', 'pasteBack', 'pasteBackInPlace'].map((op) => ({ op, fslsd: fslsd[op], graphsCpu: onGraphs[op], opencv1: opencv[1][op], opencvN: opencv[cpus().length][op] }));
  rows.push({ op: 'total', fslsd: total(fslsd), graphsCpu: total(onGraphs), opencv1: total(opencv[1]), opencvN: total(opencv[cpus().length]) });
  const report = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, opencv: opencv[1].opencv },
    frame: '1920x1080, one face, 1024^2 crop',
    runs,
    rows: rows.map((r) => ({ ...r, ratioVsOpencv1: r.fslsd / r.opencv1, ratioVsOpencvN: r.fslsd / r.opencvN })),
  };
  console.log(`front end on a 1920x1080 frame (median of ${runs}; ${report.machine.model}, ${report.machine.cpus} cores)`);
  console.log('| operation | fslsd, TypeScript + WebAssembly (1 thread) ms | fslsd graphs, ORT CPU (1 thread) ms | OpenCV 1 thread ms | OpenCV ' + cpus().length + ' threads ms | fslsd / OpenCV-1 | graphs / OpenCV-1 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of report.rows) console.log(`| ${r.op} | ${r.fslsd.toFixed(1)} | ${r.graphsCpu.toFixed(1)} | ${r.opencv1.toFixed(1)} | ${r.opencvN.toFixed(1)} | ${r.ratioVsOpencv1.toFixed(2)}x | ${(r.graphsCpu / r.opencv1).toFixed(2)}x |`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${out}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  (await import('node:fs')).renameSync(`${out}.partial`, out);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
