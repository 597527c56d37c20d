#!/usr/bin/env node
// Regenerates docs/images/video-strip.png: every sixth frame of a generated clip (top) and of
// `fslsd video`'s output (bottom), with the shipped tiny set. Needs ffmpeg and a build.
// Usage: node scripts/video-figure.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './ensure-install.mjs';

const run = (command, args) => {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: ROOT });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
};
const work = mkdtempSync(path.join(tmpdir(), 'fslsd-video-figure-'));
try {
  const photos = path.join(ROOT, 'packages/models/assets/photos');
  const clip = path.join(work, 'clip.mp4');
  const out = path.join(work, 'out.mp4');
  run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '10', '-i', path.join(photos, 'astronaut.png'),
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=3',
    '-filter_complex', "[0:v]scale=640:640,crop=w=400:h=400:x='80+40*t':y='20+10*t',rotate='0.06*sin(2*PI*t/3)':fillcolor=gray,format=yuv420p[v]",
    '-map', '[v]', '-map', '1:a', '-t', '3', '-r', '10', '-c:v', 'libx264', '-crf', '18', '-c:a', 'aac', clip]);
  run(process.execPath, ['packages/node/dist/cli.js', 'video', '--source', path.join(photos, 'hopper.jpg'), '--target', clip, '--out', out, '--quiet', '--force']);
  const strip = "select='not(mod(n\\,6))',scale=200:200,tile=5x1";
  run('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-i', out, '-filter_complex', `[0:v]${strip}[a];[1:v]${strip}[b];[a][b]vstack`, '-frames:v', '1', path.join(ROOT, 'docs/images/video-strip.png')]);
  console.log(path.join(ROOT, 'docs/images/video-strip.png'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
