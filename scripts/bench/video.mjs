#!/usr/bin/env node
/**
 * Video benchmark: one clip (3 s, 10 fps, 400x400, made from the astronaut photo) through
 * `swapVideo` with the shipped tiny set; end-to-end fps beside inference-only fps, with the jitter
 * of the alignment track with and without smoothing. Inference-only is the networks alone on the
 * same frames' prepared faces, one after another with nothing else running: the fps the clip would
 * reach if the front end, paste-back and I/O were free. (Inside swapVideo the next frame's front
 * end runs in the gaps between the networks' runs: onnxruntime-node runs a session synchronously
 * on the JavaScript thread.)
 *
 * After one unmeasured run (every session's first run, reported apart), end-to-end and
 * inference-only take turns for --rounds rounds, so that each ratio compares runs made moments
 * apart: this VM's speed drifts by tens of percent within a minute. The ratio reported is the
 * median of the rounds' ratios; beside it the steady state's (first to last output frame: a long
 * video's ratio, without the start-up and the encoder's flush). Writes benchmarks/video.json.
 *
 *   node scripts/bench/video.mjs [--seconds N] [--rounds N] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: node scripts/bench/video.mjs [--seconds N] [--rounds N] [--out FILE]\n\nEnd-to-end vs inference-only fps of fslsd video on a generated clip (needs ffmpeg), taking turns for N rounds (default 3).');
  process.exit(0);
}
const seconds = Number(values.seconds);
const roundCount = Number(values.rounds);
const out = values.out ?? path.join(root, 'benchmarks', 'video.json');
const node = await (await import('../sdk.mjs')).loadSdk();
const photos = path.join(root, 'packages/models/assets/photos');
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-bench-video-'));
try {
  const clip = path.join(work, 'clip.mp4');
  const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '10', '-i', path.join(photos, 'astronaut.png'),
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-filter_complex', `[0:v]scale=640:640,crop=w=400:h=400:x='80+40*t':y='20+10*t',rotate='0.06*sin(2*PI*t/${seconds})':fillcolor=gray,format=yuv420p[v]`,
    '-map', '[v]', '-map', '1:a', '-t', String(seconds), '-r', '10', '-c:v', 'libx264', '-crf', '18', '-c:a', 'aac', clip], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ffmpeg failed (apt-get install ffmpeg?): ${made.stderr}`);
  const swapper = await node.createSwapper({ device: 'cpu' });
  const analyzer = await node.createFaceAnalyzer({ device: 'cpu' });
  const { source } = await node.encodeSourcePhoto(swapper, analyzer, await node.readImage(path.join(photos, 'hopper.jpg')));
  const faceSwapper = node.composeFaceSwapper(swapper, analyzer);
  // Also the steady state: from the first output frame to the last, without the start (ffprobe,
  // two ffmpeg processes, the first frame's whole-frame search) and the end (the encoder's flush).
  const endToEnd = async () => {
    let first;
    let last;
    const result = await node.swapVideo(faceSwapper, source, clip, path.join(work, 'out.mp4'), { smoothing: 0.6, overwrite: true, onFrame: () => {
      last = performance.now();
      first ??= last;
    } });
    return { ...result, steadyFps: (result.frames - 1) / ((last - first) / 1000) };
  };
  const first = await endToEnd(); // every session's first run: reported apart, not in the rounds
  const { info } = first;
  // Jitter of the alignment track, raw and smoothed, on the decoded frames.
  const frames = [];
  for await (const frame of node.decodeVideo(clip, info)) frames.push(frame);
  const jitter = async (smoothing) => {
    const tracker = new node.FaceTracker(analyzer, { fps: info.fps, smoothing });
    const quads = [];
    for (const frame of frames) {
      const face = await tracker.next(frame);
      if (face) quads.push(node.ffhqQuad(node.alignmentPointsFrom68(face.landmarks68)));
    }
    return node.quadJitter(quads);
  };
  const raw = await jitter(0);
  const smoothed = await jitter(0.6);
  // Inference only: the same frames' faces, prepared first, then only the networks, timed.
  const tracker = new node.FaceTracker(analyzer, { fps: info.fps, smoothing: 0.6 });
  const prepared = [];
  for (const frame of frames) {
    const face = await tracker.next(frame);
    if (face) prepared.push(await analyzer.prepare(frame, face));
  }
  const networksOnly = async () => {
    const start = performance.now();
    for (const face of prepared) {
      const size = face.masks.size;
      const target = await swapper.encodeTarget({ image: face.crop, landmarks: face.landmarks, mask: { width: size, height: size, data: face.masks.inner } });
      await swapper.swap(source, target);
    }
    return performance.now() - start;
  };
  await networksOnly(); // warm-up
  const rounds = [];
  for (let round = 0; round < roundCount; round += 1) {
    const result = await endToEnd();
    const inferenceMs = await networksOnly();
    const endToEndFps = result.frames / (result.milliseconds.total / 1000);
    const inferenceFps = prepared.length / (inferenceMs / 1000);
    rounds.push({ endToEndFps, inferenceFps, ratio: endToEndFps / inferenceFps, steadyRatio: result.steadyFps / inferenceFps, milliseconds: result.milliseconds, frames: result.frames });
    console.log(`round ${round + 1}: end to end ${endToEndFps.toFixed(2)} fps (steady state ${result.steadyFps.toFixed(2)}), inference only ${inferenceFps.toFixed(2)} fps, ratio ${(endToEndFps / inferenceFps).toFixed(2)} (steady state ${(result.steadyFps / inferenceFps).toFixed(2)})`);
  }
  await swapper.dispose();
  await analyzer.dispose();
  // The middle round's value itself (not common.mjs's median, which averages two for an even
  // count): the typical round is found by it.
  const middleOf = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const middle = middleOf(rounds.map((r) => r.ratio));
  const steadyMiddle = middleOf(rounds.map((r) => r.steadyRatio));
  const typical = rounds.find((r) => r.ratio === middle);
  const { total, frontEnd, networks, paste } = typical.milliseconds;
  const report = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    clip: `${info.width}x${info.height}, ${info.fps} fps, ${first.frames} frames, tiny set`,
    firstRun: { endToEndFps: first.frames / (first.milliseconds.total / 1000) },
    rounds: rounds.map(({ endToEndFps, inferenceFps, ratio, steadyRatio }) => ({ endToEndFps, inferenceFps, ratio, steadyRatio })),
    fps: { endToEnd: typical.endToEndFps, inferenceOnly: typical.inferenceFps, networksInRun: typical.frames / (networks / 1000) },
    ratio: middle,
    steadyRatio: steadyMiddle,
    perFrameMs: { total: total / typical.frames, networksInRun: networks / typical.frames, frontEndOverlapped: frontEnd / typical.frames, paste: paste / typical.frames },
    jitter: { raw, smoothed, ratio: raw / smoothed },
  };
  console.log(`video: ${report.clip} (${report.machine.model}, ${report.machine.cpus} cores); the round with the median ratio of ${rounds.length}`);
  console.log('| measure | value |\n|---|---:|');
  console.log(`| end-to-end fps | ${report.fps.endToEnd.toFixed(2)} |`);
  console.log(`| inference-only fps (the networks alone, same faces) | ${report.fps.inferenceOnly.toFixed(2)} |`);
  console.log(`| end-to-end / inference-only (median of the rounds) | ${middle.toFixed(2)} (rounds: ${rounds.map((r) => r.ratio.toFixed(2)).join(', ')}) |`);
  console.log(`| steady state (first to last output frame) / inference-only (median) | ${steadyMiddle.toFixed(2)} (rounds: ${rounds.map((r) => r.steadyRatio.toFixed(2)).join(', ')}) |`);
  console.log(`| first run, sessions cold: end-to-end fps | ${report.firstRun.endToEndFps.toFixed(2)} |`);
  const ms = report.perFrameMs;
  console.log(`| per frame: wall / networks in the run / front end (overlapped with the networks) / paste-back | ${ms.total.toFixed(0)} / ${ms.networksInRun.toFixed(0)} / ${ms.frontEndOverlapped.toFixed(0)} / ${ms.paste.toFixed(0)} ms |`);
  console.log(`| alignment jitter raw / smoothed (crop sides per frame) | ${raw.toExponential(2)} / ${smoothed.toExponential(2)} (${report.jitter.ratio.toFixed(2)}x) |`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${out}.partial`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${out}.partial`, out);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
