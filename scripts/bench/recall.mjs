#!/usr/bin/env node
/**
 * Detector recall benchmark on generated scenes with known face boxes.
 *
 * Scenes: the two shipped public-domain faces (packages/models/assets/samples) cut out with a
 * feathered oval, mirrored or not, squeezed sideways (a face partly turned), rotated up to 35
 * degrees and scaled so the face box is 20 to 400 px tall, pasted without overlap onto generated
 * backgrounds (gradients, low-frequency texture, coloured blocks) of common photo sizes. Every
 * scene is made from a seed, so the set is the same on every run; `--write DIR` saves the scenes
 * and their boxes to look at.
 *
 * The reference box of a face is the fast detector's own box on the upright source crop, carried
 * through the same scale, squeeze and rotation (the box of its four turned corners). A detection
 * finds a face when its centre lies within half the face's size of the reference centre and its
 * height is within a factor 2; each face is found at most once; other detections are false
 * positives. Recall and precision are reported per size band for each detector setting, beside
 * face-api's own JavaScript (TensorFlow.js CPU) on the same images. Writes benchmarks/recall.json.
 *
 *   node scripts/bench/recall.mjs [--scenes N] [--seed S] [--write DIR] [--out FILE] [--no-faceapi] [--faceapi-ssd]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    scenes: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    write: { type: 'string' },
    out: { type: 'string' },
    settings: { type: 'string' },
    'no-faceapi': { type: 'boolean', default: false },
    'faceapi-ssd': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`Usage: node scripts/bench/recall.mjs [--scenes N] [--seed S] [--write DIR] [--out FILE] [--settings a,b] [--no-faceapi] [--faceapi-ssd]

Generates N scenes (default 60) of the shipped faces at 20-400 px, rotated and turned, with known
boxes; reports recall and precision per face size for each detector setting and for face-api's
own JavaScript (tiny detector; --faceapi-ssd adds its SSD, 15-25 s per image on tfjs's CPU backend).
--write DIR saves the scenes (PNG) and boxes (JSON).`);
  process.exit(0);
}
const sceneCount = Number(values.scenes);
const out = values.out ?? path.join(root, 'benchmarks', 'recall.json');
const node = await (await import('../sdk.mjs')).loadSdk();
const requireFromNode = createRequire(path.join(root, 'packages/node/package.json'));
const sharp = requireFromNode('sharp');

/** Size bands of the face box height, px. */
const BANDS = [[20, 32], [32, 48], [48, 80], [80, 160], [160, 401]];
const CANVASES = [[548, 342], [640, 480], [1024, 768], [1280, 720], [1920, 1080]];

function mulberry(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A background: two-colour gradient, low-frequency texture and a few flat blocks. */
function background(width, height, random) {
  const data = new Uint8Array(width * height * 3);
  const a = [random() * 255, random() * 255, random() * 255];
  const b = [random() * 255, random() * 255, random() * 255];
  const angle = random() * Math.PI * 2;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const waves = Array.from({ length: 4 }, () => ({ fx: (random() - 0.5) * 0.05, fy: (random() - 0.5) * 0.05, phase: random() * 6.28, amplitude: 10 + random() * 25 }));
  const blocks = Array.from({ length: 3 + Math.floor(random() * 5) }, () => ({
    x: random() * width, y: random() * height, w: 20 + random() * width * 0.3, h: 20 + random() * height * 0.3, colour: [random() * 255, random() * 255, random() * 255],
  }));
  const diagonal = Math.abs(dx) * width + Math.abs(dy) * height;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const t = Math.min(1, Math.max(0, ((x - width / 2) * dx + (y - height / 2) * dy) / diagonal + 0.5));
      let texture = 0;
      for (const w of waves) texture += w.amplitude * Math.sin(w.fx * x + w.fy * y + w.phase);
      let colour = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
      for (const block of blocks) if (x >= block.x && x < block.x + block.w && y >= block.y && y < block.y + block.h) colour = block.colour;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c += 1) data[o + c] = Math.max(0, Math.min(255, Math.round(colour[c] + texture)));
    }
  }
  return data;
}

/** The source faces: each crop, its reference box (the fast detector on the upright crop), a cut-out with a feathered oval. */
async function sourceFaces(analyzer) {
  const faces = [];
  for (const name of ['astronaut.png', 'hopper.png']) {
    const file = path.join(root, 'packages/models/assets/samples', name);
    const crop = await node.readImage(file);
    const [found] = await analyzer.detect(crop, { detector: 'fast' });
    if (!found) throw new Error(`no face found in ${name}`);
    const { x, y, width, height } = found.box;
    const side = Math.round(Math.max(width, height) * 1.7);
    const left = Math.round(x + width / 2 - side / 2);
    const top = Math.round(y + height / 2 - side / 2);
    // Region clamped to the crop; the oval alpha fades over the outer 25 %.
    const region = { left: Math.max(0, left), top: Math.max(0, top) };
    region.width = Math.min(crop.width, left + side) - region.left;
    region.height = Math.min(crop.height, top + side) - region.top;
    const rgba = new Uint8Array(region.width * region.height * 4);
    for (let row = 0; row < region.height; row += 1) {
      for (let col = 0; col < region.width; col += 1) {
        const s = ((row + region.top) * crop.width + col + region.left) * crop.channels;
        const o = (row * region.width + col) * 4;
        rgba[o] = crop.data[s];
        rgba[o + 1] = crop.data[s + 1];
        rgba[o + 2] = crop.data[s + 2];
        const u = (col + region.left - (x + width / 2)) / (side / 2);
        const v = (row + region.top - (y + height / 2)) / (side / 2);
        const r = Math.hypot(u, v);
        rgba[o + 3] = Math.round(255 * Math.min(1, Math.max(0, (1 - r) / 0.25)));
      }
    }
    faces.push({ name, rgba, region, box: { x: x - region.left, y: y - region.top, width, height } });
  }
  return faces;
}

/** One scene: background plus 1-6 faces; returns the RGB image and the reference boxes. */
async function makeScene(index, seed, faces) {
  const random = mulberry(seed * 100003 + index);
  const [width, height] = CANVASES[index % CANVASES.length];
  const base = background(width, height, random);
  const placed = [];
  const boxes = [];
  const composites = [];
  const wanted = 1 + Math.floor(random() * 6);
  for (let attempt = 0; attempt < 60 && placed.length < wanted; attempt += 1) {
    const face = faces[Math.floor(random() * faces.length)];
    // Face height log-uniform in 20..400, capped so it fits the canvas.
    const faceHeight = Math.min(Math.exp(Math.log(20) + random() * (Math.log(400) - Math.log(20))), height * 0.45);
    const scale = faceHeight / face.box.height;
    const squeeze = random() < 0.4 ? 0.6 + random() * 0.3 : 1;
    const flip = random() < 0.5;
    const angle = (random() * 2 - 1) * 35;
    const w = Math.max(2, Math.round(face.region.width * scale * squeeze));
    const h = Math.max(2, Math.round(face.region.height * scale));
    let pipeline = sharp(Buffer.from(face.rgba), { raw: { width: face.region.width, height: face.region.height, channels: 4 } }).resize(w, h, { fit: 'fill' });
    if (flip) pipeline = pipeline.flop();
    const { data: turned, info } = await sharp(await pipeline.png().toBuffer()).rotate(angle, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).raw().toBuffer({ resolveWithObject: true });
    if (info.width >= width || info.height >= height) continue;
    const left = Math.floor(random() * (width - info.width));
    const top = Math.floor(random() * (height - info.height));
    if (placed.some((p) => left < p.left + p.width && p.left < left + info.width && top < p.top + p.height && p.top < top + info.height)) continue;
    // The reference box: the face box through scale, squeeze, mirror and rotation (sharp turns
    // clockwise for a positive angle about the centre, and grows the canvas to fit).
    const sx = (face.region.width * scale * squeeze) / w;
    const sy = (face.region.height * scale) / h;
    const boxLeft = flip ? face.region.width - face.box.x - face.box.width : face.box.x;
    const corners = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([cx, cy]) => {
      const px = (boxLeft + cx * face.box.width) * scale * squeeze / sx - w / 2;
      const py = (face.box.y + cy * face.box.height) * scale / sy - h / 2;
      const t = (angle * Math.PI) / 180;
      return [px * Math.cos(t) - py * Math.sin(t) + info.width / 2 + left, px * Math.sin(t) + py * Math.cos(t) + info.height / 2 + top];
    });
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    placed.push({ left, top, width: info.width, height: info.height });
    composites.push({ input: turned, raw: { width: info.width, height: info.height, channels: 4 }, left, top });
    boxes.push({
      source: face.name, size: faceHeight, angle, squeeze, flip,
      box: { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) },
      centre: [(xs[0] + xs[3]) / 2, (ys[0] + ys[3]) / 2],
    });
  }
  const { data } = await sharp(Buffer.from(base), { raw: { width, height, channels: 3 } }).composite(composites).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { index, width, height, image: { width, height, channels: 3, data: new Uint8Array(data) }, faces: boxes };
}

/** Matches detections to reference faces; returns per-face found flags and the false positives. */
function match(faces, detections) {
  const found = faces.map(() => false);
  let falsePositives = 0;
  const order = [...detections].sort((a, b) => b.score - a.score);
  for (const d of order) {
    const cx = d.box.x + d.box.width / 2;
    const cy = d.box.y + d.box.height / 2;
    let best = -1;
    let bestDistance = Infinity;
    faces.forEach((face, i) => {
      if (found[i]) return;
      const distance = Math.hypot(cx - face.centre[0], cy - face.centre[1]);
      const ratio = d.box.height / face.size;
      if (distance <= 0.5 * face.size && ratio >= 0.5 && ratio <= 2 && distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    });
    if (best >= 0) found[best] = true;
    else falsePositives += 1;
  }
  return { found, falsePositives };
}

/** face-api (tfjs CPU) with its two detectors, loaded as the conversion tests load it. */
async function loadFaceApi() {
  const requireFromModels = createRequire(path.join(root, 'packages/models/package.json'));
  const tf = requireFromModels('@tensorflow/tfjs');
  const original = Module._load;
  Module._load = function load(request, parent, isMain) {
    return request === '@tensorflow/tfjs-node' ? tf : original.call(this, request, parent, isMain);
  };
  let faceapi;
  try {
    faceapi = requireFromModels('@vladmandic/face-api/dist/face-api.node.js');
  } finally {
    Module._load = original;
  }
  await tf.setBackend('cpu');
  await tf.ready();
  const weights = path.join(path.dirname(requireFromModels.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(weights);
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(weights);
  return { tf, faceapi };
}

const analyzer = await node.createFaceAnalyzer({ device: 'cpu' });
const faces = await sourceFaces(analyzer);
const scenes = [];
for (let i = 0; i < sceneCount; i += 1) scenes.push(await makeScene(i, Number(values.seed), faces));
const faceTotal = scenes.reduce((s, scene) => s + scene.faces.length, 0);
console.log(`recall: ${sceneCount} scenes, ${faceTotal} faces (seed ${values.seed}; ${cpus()[0]?.model}, ${cpus().length} cores)`);
if (values.write) {
  mkdirSync(values.write, { recursive: true });
  for (const scene of scenes) {
    await sharp(Buffer.from(scene.image.data), { raw: { width: scene.width, height: scene.height, channels: 3 } }).png().toFile(path.join(values.write, `scene-${String(scene.index).padStart(3, '0')}.png`));
  }
  writeFileSync(path.join(values.write, 'boxes.json'), `${JSON.stringify(scenes.map((s) => ({ index: s.index, width: s.width, height: s.height, faces: s.faces })), null, 1)}\n`);
}

/** Detector settings: name -> detect(image) resolving to [{ box, score }]. */
const settings = new Map([
  ['fast 416 (the old default; video)', (image) => analyzer.detect(image, { detector: 'fast', inputSize: 416 })],
  ['fast 608', (image) => analyzer.detect(image, { detector: 'fast', inputSize: 608 })],
  ['fast 800', (image) => analyzer.detect(image, { detector: 'fast', inputSize: 800 })],
]);
const ort = requireFromNode('onnxruntime-node');
const ssd = await ort.InferenceSession.create(path.join(root, 'packages/models/faces/face-detector-ssd.onnx'), { intraOpNumThreads: cpus().length });
settings.set('SSD, whole photo only', (image) => node.detectFacesSsd(ort, ssd, image));
settings.set('accurate (the new default for photos)', (image) => analyzer.detect(image, { detector: 'accurate' }));
if (!values['no-faceapi']) {
  const { tf, faceapi } = await loadFaceApi();
  const run = (options) => async (image) => {
    const input = tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 3], 'int32');
    try {
      return (await faceapi.detectAllFaces(input, options)).map((d) => ({ box: d.box, score: d.score }));
    } finally {
      input.dispose();
    }
  };
  settings.set('face-api JS, tiny 416', run(new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 })));
  // tfjs's CPU backend takes 15-25 s per SSD pass here: only on request.
  if (values['faceapi-ssd']) settings.set('face-api JS, SSD', run(new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 })));
}
const only = values.settings?.split(',');

const report = { machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, scenes: sceneCount, faces: faceTotal, seed: Number(values.seed), bands: BANDS, rows: [] };
for (const [name, detect] of settings) {
  if (only && !only.some((o) => name.includes(o))) continue;
  const perBand = BANDS.map(() => ({ faces: 0, found: 0 }));
  let falsePositives = 0;
  let detections = 0;
  let milliseconds = 0;
  const missed = [];
  for (const scene of scenes) {
    const start = performance.now();
    const found = await detect(scene.image);
    milliseconds += performance.now() - start;
    detections += found.length;
    const result = match(scene.faces, found);
    falsePositives += result.falsePositives;
    scene.faces.forEach((face, i) => {
      const band = BANDS.findIndex(([low, high]) => face.size >= low && face.size < high);
      perBand[band].faces += 1;
      if (result.found[i]) perBand[band].found += 1;
      else if (face.size >= 32) missed.push({ scene: scene.index, source: face.source, size: Math.round(face.size), angle: Math.round(face.angle), squeeze: Number(face.squeeze.toFixed(2)) });
    });
  }
  const found = perBand.reduce((s, b) => s + b.found, 0);
  const above32 = perBand.slice(1).reduce((s, b) => ({ faces: s.faces + b.faces, found: s.found + b.found }), { faces: 0, found: 0 });
  report.rows.push({
    setting: name,
    recallPerBand: perBand.map((b) => (b.faces ? b.found / b.faces : null)),
    facesPerBand: perBand.map((b) => b.faces),
    recall: found / faceTotal,
    recallAbove32: above32.found / above32.faces,
    missedAbove32: above32.faces - above32.found,
    precision: detections ? (detections - falsePositives) / detections : 1,
    falsePositivesPer20Images: (falsePositives / sceneCount) * 20,
    msPerImage: milliseconds / sceneCount,
    missedAbove32Faces: missed,
  });
}
const bandNames = BANDS.map(([low, high]) => `${low}-${high === 401 ? 400 : high} px`);
const counts = report.rows[0]?.facesPerBand ?? [];
console.log(`| setting | ${bandNames.map((b, i) => `${b} (${counts[i]})`).join(' | ')} | recall > 32 px | missed > 32 px | precision | false pos. / 20 images | ms / image |`);
console.log(`|---|${bandNames.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|`);
for (const r of report.rows) {
  console.log(`| ${r.setting} | ${r.recallPerBand.map((v) => (v === null ? '-' : `${(100 * v).toFixed(0)} %`)).join(' | ')} | ${(100 * r.recallAbove32).toFixed(1)} % | ${r.missedAbove32} | ${(100 * r.precision).toFixed(1)} % | ${r.falsePositivesPer20Images.toFixed(2)} | ${r.msPerImage.toFixed(0)} |`);
}
await analyzer.dispose();
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(`${out}.partial`, `${JSON.stringify(report, null, 2)}\n`);
renameSync(`${out}.partial`, out);
console.log(`wrote ${path.relative(process.cwd(), out)}`);
