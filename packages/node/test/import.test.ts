/**
 * `fslsd models import` / importCheckpoints(): PyTorch checkpoints written by Debian's torch from
 * the reference (the tiny sets' weights, in the released layouts) imported with no Python.
 *  - The set equals, file for file, what `fslsd_reference.architecture --fill` (torch.load)
 *    writes from the same checkpoints, for the zip and legacy formats, DDP prefixes, views,
 *    float16 and bfloat16 storage.
 *  - It swaps like the reference: y_f and W+ against parity.json, and every network against the
 *    tiny sets' exports of the same weights on the same inputs.
 *  - Bad files are typed errors and leave nothing behind; a pickle calling os.system runs nothing.
 *  - pSp's checkpoint alone gives the encoder-only set: the full set's psp-encoder.onnx byte for
 *    byte, the same W+ in `fslsd dataset prepare`, and a typed refusal to swap.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../scripts/skips.mjs';
import { CheckpointError, FslsdError } from '@fslsd/core';
import { ALLOWED_GLOBALS } from '@fslsd/models';
import { importCheckpoints, packageDirectory, samplesDirectory, tinyMegaFSModelsDirectory, tinyModelsDirectory } from '@fslsd/models/node';
import { downscaleCrop } from '@fslsd/core/face';
import { createFaceSwapper, createSwapper, prepareDataset, readAlignedCrop, readImage, readMask } from './sdk.js';
import { type ParityFixture, decode, maxAbsDifference, strided } from './fixture.js';

const python = '/usr/bin/python3';
const pythonFolder = path.join(packageDirectory(), 'python');
const architectures = path.join(packageDirectory(), 'fixtures', 'architectures');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const skip = skipWithout(spawnSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0, {
  group: 'checkpoint import tests (checkpoints written by torch)',
  missing: '/usr/bin/python3 lacks torch/onnx',
  fix: 'apt-get install python3-torch python3-onnx',
  require: 'FSLSD_REQUIRE_REFERENCE',
});

/** The H3R fixture's face (astronaut.png) at 256^2 in [-1, 1], NCHW. */
async function landmarkerInput(): Promise<Float32Array> {
  const crop = await readImage(path.join(samplesDirectory(), 'astronaut.png'));
  return Float32Array.from(downscaleCrop(crop, 256, 'bytes'), (value) => (Math.fround(value / 255) - 0.5) / 0.5);
}

const FSLSD = 'CELEBA-HQ-1024.pt';
const PSP = 'psp_ffhq_encode.pt';
const MEGAFS = 'ftm_final.pth';
const STYLEGAN2 = 'stylegan2-ffhq-config-f.pt';
const H3R = 'model.pth';

function reference(args: string[]): void {
  const run = spawnSync(python, ['-m', ...args], { cwd: pythonFolder, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 -m ${args.join(' ')} failed:\n${run.stderr}`);
}

const digests = (folder: string): Record<string, string> =>
  Object.fromEntries(
    (JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as { models: { file: string; sha256: string }[] }).models.map((entry) => [entry.file, entry.sha256]),
  );

/** The manifest without what differs by importer: provenance (who imported, file formats). */
const comparable = (folder: string) => {
  const { provenance: _provenance, ...rest } = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  return rest;
};

describe.skipIf(skip)('importing PyTorch checkpoints (written by torch from the reference)', () => {
  let work: string;
  const folder = (name: string) => path.join(work, name);

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'fslsd-import-'));
    reference(['fslsd_reference.checkpoints', '--out', folder('zip')]);
    reference(['fslsd_reference.checkpoints', '--out', folder('legacy'), '--legacy', '--ddp', '--views']);
    reference(['fslsd_reference.checkpoints', '--out', folder('half'), '--dtype', 'float16', '--views']);
    reference(['fslsd_reference.checkpoints', '--out', folder('bf16'), '--dtype', 'bfloat16', '--legacy']);
    reference(['fslsd_reference.checkpoints', '--hostile', folder('hostile')]);
    for (const source of ['zip', 'bf16']) {
      reference(['fslsd_reference.architecture', '--fill', path.join(architectures, 'fslsd'), '--fill', path.join(architectures, 'landmarker-106'),
        '--fslsd', path.join(folder(source), FSLSD), '--psp', path.join(folder(source), PSP), '--h3r', path.join(folder(source), H3R), '--out', folder(`python-${source}`)]);
    }
    reference(['fslsd_reference.architecture', '--fill', path.join(architectures, 'megafs-ftm'), '--megafs', path.join(folder('zip'), MEGAFS),
      '--stylegan2', path.join(folder('zip'), STYLEGAN2), '--out', folder('python-megafs')]);
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const fslsdSet = (source: string, out: string) =>
    importCheckpoints({ fslsd: path.join(folder(source), FSLSD), psp: path.join(folder(source), PSP), h3r: path.join(folder(source), H3R), out: folder(out), architectures });

  it('writes the same set as the Python filler, byte for byte (zip, float32)', async () => {
    const events: number[] = [];
    const manifest = await importCheckpoints({
      fslsd: path.join(folder('zip'), FSLSD), psp: path.join(folder('zip'), PSP), h3r: path.join(folder('zip'), H3R), out: folder('ts-zip'), architectures,
      onProgress: (event) => events.push(event.setWritten / event.setTotal),
    });
    expect(manifest.models.map((entry) => entry.id)).toEqual(['psp-encoder', 'landmark-encoder', 'latent-editor', 'generator', 'target-encoder', 'decoder', 'landmarker-106']);
    expect(digests(folder('ts-zip'))).toEqual(digests(folder('python-zip')));
    for (const file of Object.keys(digests(folder('ts-zip')))) expect(readFileSync(path.join(folder('ts-zip'), file)).equals(readFileSync(path.join(folder('python-zip'), file)))).toBe(true);
    expect(comparable(folder('ts-zip'))).toEqual(comparable(folder('python-zip')));
    expect(manifest.provenance).toMatchObject({ kind: 'imported', checkpoints: { fslsd: FSLSD, psp: PSP, h3r: H3R }, formats: { fslsd: 'zip', psp: 'zip', h3r: 'zip' } });
    expect(events.at(-1)).toBe(1);
    expect(events.every((value, i) => i === 0 || value >= events[i - 1]!)).toBe(true);
    expect(readdirSync(work).filter((name) => name.includes('.import-'))).toEqual([]);
  }, 120_000);

  it('reads the legacy format with DDP prefixes and strided views, and float16 storage, into the same bytes', async () => {
    await fslsdSet('legacy', 'ts-legacy');
    await fslsdSet('half', 'ts-half');
    expect(digests(folder('ts-legacy'))).toEqual(digests(folder('python-zip')));
    // float16 storage keeps the tiny sets' float16-exact weights; the landmarker's are float32, so it changes.
    const { 'landmarker-106.onnx': half, ...halfSet } = digests(folder('ts-half'));
    const { 'landmarker-106.onnx': full, ...fullSet } = digests(folder('python-zip'));
    expect(halfSet).toEqual(fullSet);
    expect(half).not.toBe(full);
    expect((JSON.parse(readFileSync(path.join(folder('ts-legacy'), 'manifest.json'), 'utf8')) as { provenance: { formats: Record<string, string> } }).provenance.formats.fslsd).toBe('legacy');
  }, 120_000);

  it('widens bfloat16 exactly as torch does (legacy file)', async () => {
    await fslsdSet('bf16', 'ts-bf16');
    const ours = digests(folder('ts-bf16'));
    expect(ours).toEqual(digests(folder('python-bf16')));
    // bfloat16 rounding changed the weights: a different set from the float32 one.
    expect(ours['generator.onnx']).not.toBe(digests(folder('python-zip'))['generator.onnx']);
  }, 120_000);

  it('imports MegaFS (ftm recognised by its keys) like the Python filler', async () => {
    const manifest = await importCheckpoints({ megafs: path.join(folder('zip'), MEGAFS), stylegan2: path.join(folder('zip'), STYLEGAN2), out: folder('ts-megafs'), architectures });
    expect([manifest.method, manifest.variant, manifest.licence.spdx]).toEqual(['megafs', 'ftm', 'CC-BY-NC-4.0 AND LicenseRef-NVIDIA-Source-Code-License-NC']);
    expect(digests(folder('ts-megafs'))).toEqual(digests(folder('python-megafs')));
  }, 120_000);

  it('swaps like the reference: W+ and y_f against parity.json', async () => {
    const fixture = JSON.parse(readFileSync(path.join(packageDirectory(), 'fixtures', 'parity.json'), 'utf8')) as ParityFixture;
    const swapper = await createSwapper({ device: 'cpu', models: folder('ts-zip') });
    const [sourceImage, targetImage, mask] = await Promise.all([
      readAlignedCrop(path.join(samplesDirectory(), fixture.inputs.source)),
      readAlignedCrop(path.join(samplesDirectory(), fixture.inputs.target)),
      readMask(path.join(packageDirectory(), 'fixtures', fixture.inputs.mask)),
    ]);
    const source = await swapper.encodeSource({ image: sourceImage, landmarks: fixture.inputs.sourceLandmarks });
    const target = await swapper.encodeTarget({ image: targetImage, landmarks: fixture.inputs.targetLandmarks, mask });
    const result = await swapper.swap(source, target, { split: 'official', strength: fixture.inputs.strength });
    await swapper.dispose();
    // The parity test's tolerances (about 10x the error measured with the tiny set).
    expect(maxAbsDifference(source.wplus.data, decode(fixture.outputs.sourceWPlus))).toBeLessThanOrEqual(1e-5);
    const sample = strided(result.image.data, 1024, fixture.outputs.image.sample.offset, fixture.outputs.image.sample.stride);
    expect(maxAbsDifference(sample, decode(fixture.outputs.image.sample))).toBeLessThanOrEqual(2e-5);
  }, 300_000);

  it('computes what the tiny sets compute, network by network, on the same random inputs', async () => {
    const pairs: [string, string][] = [
      ...['psp-encoder', 'landmark-encoder', 'latent-editor', 'generator', 'target-encoder', 'decoder'].map((id): [string, string] => [path.join(folder('ts-zip'), `${id}.onnx`), path.join(tinyModelsDirectory(), `${id}.onnx`)]),
      ...['megafs-encoder', 'megafs-transfer', 'megafs-generator'].map((id): [string, string] => [path.join(folder('ts-megafs'), `${id}.onnx`), path.join(tinyMegaFSModelsDirectory(), `${id}.onnx`)]),
      [path.join(folder('ts-zip'), 'landmarker-106.onnx'), path.join(packageDirectory(), 'fixtures', 'landmarker-106-tiny.onnx')],
    ];
    const errors: Record<string, number> = {};
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (const [ours, theirs] of pairs) {
      const [a, b] = await Promise.all([ort.InferenceSession.create(ours), ort.InferenceSession.create(theirs)]);
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of a.inputNames) {
        if (name === 'crop') {
          // The landmarker's top-9 soft-argmax jumps on noise; feed the face its fixture was chosen for.
          feeds[name] = new ort.Tensor('float32', await landmarkerInput(), [1, 3, 256, 256]);
          continue;
        }
        const shape = (a.inputMetadata.find((m) => m.name === name) as unknown as { shape: number[] }).shape;
        const size = shape.reduce((x, y) => x * y, 1);
        feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: size }, random), shape);
      }
      const [x, y] = await Promise.all([a.run(feeds), b.run(feeds)]);
      let worst = 0;
      for (const name of a.outputNames) {
        const left = x[name]!.data as Float32Array;
        const right = y[name]!.data as Float32Array;
        const scale = right.reduce((max, value) => Math.max(max, Math.abs(value)), 1);
        worst = Math.max(worst, maxAbsDifference(left, right) / scale);
      }
      errors[path.basename(ours)] = worst;
      await Promise.all([a.release(), b.release()]);
    }
    console.log(`imported vs tiny sets, max abs difference relative to the output's range: ${Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
    // Measured 0 for all ten (same weights, and onnxruntime folds the batch norms the same way).
    for (const [file, error] of Object.entries(errors)) expect(error, file).toBeLessThanOrEqual(1e-6);
  }, 300_000);

  it('runs as `fslsd models import` with a progress line per file, and `models verify` passes', () => {
    const out = folder('cli-set');
    const run = spawnSync(process.execPath, [cli, 'models', 'import', '--fslsd', path.join(folder('zip'), FSLSD), '--psp', path.join(folder('zip'), PSP), '--out', out, '--architectures', architectures, '--set-name', 'mine'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    for (const id of ['psp-encoder', 'generator', 'decoder']) expect(run.stderr).toMatch(new RegExp(`% ${id}\\.onnx [0-9.]+/[0-9.]+ MB`));
    expect(run.stderr).toMatch(/imported 6 networks \([0-9.]+ MB, NOASSERTION\)/);
    const verify = spawnSync(process.execPath, [cli, 'models', 'verify', '--models', out], { encoding: 'utf8' });
    expect(verify.stdout, verify.stderr).toContain('6 passed, 0 failed');
    const help = spawnSync(process.execPath, [cli, 'models', 'import', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain('--megafs-variant ftm|injection|lcr');
  }, 120_000);

  describe("pSp's checkpoint alone: the encoder-only set", () => {
    const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    const wplusOf = (dataset: string) => {
      const bytes = readFileSync(path.join(dataset, 'faces', 'astronaut.png', 'wplus.f32'));
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
    };
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

    it('holds psp-encoder.onnx alone, the full import\'s file byte for byte, with purpose "latent-encoder" and pSp\'s licence', async () => {
      const manifest = await importCheckpoints({ psp: path.join(folder('zip'), PSP), out: folder('psp-only'), architectures });
      // The full set of the same file, without the landmarker (as the encoder-only set has none).
      const full = await importCheckpoints({ fslsd: path.join(folder('zip'), FSLSD), psp: path.join(folder('zip'), PSP), out: folder('psp-full'), architectures });
      expect(readdirSync(folder('psp-only')).sort()).toEqual(['manifest.json', 'psp-encoder.onnx']);
      expect(manifest.models.map((entry) => entry.id)).toEqual(['psp-encoder']);
      const ours = sha256(path.join(folder('psp-only'), 'psp-encoder.onnx'));
      const theirs = sha256(path.join(folder('psp-full'), 'psp-encoder.onnx'));
      console.log(`encoder-only psp-encoder.onnx sha256 ${ours}, full import's ${theirs}`);
      expect(ours).toBe(theirs);
      expect(theirs).toBe(digests(folder('python-zip'))['psp-encoder.onnx']);
      expect(manifest.models[0]).toEqual(full.models[0]);
      expect([manifest.method, manifest.purpose, full.purpose]).toEqual(['fslsd', 'latent-encoder', undefined]);
      expect(manifest.licence.spdx).toBe('MIT AND LicenseRef-NVIDIA-Source-Code-License-NC');
      expect(manifest.licence.note).toMatch(/pixel2style2pixel, MIT\) with the checkpoint's latent_avg, the mean W of NVIDIA's StyleGAN2 FFHQ generator \(NVIDIA Source Code License-NC.*decoder \(NVIDIA\) is not part of this set/);
      expect(manifest.provenance).toMatchObject({ kind: 'imported', architectures: ['fslsd'], checkpoints: { psp: PSP }, formats: { psp: 'zip' } });
      // With --h3r: the landmarker too, still an encoder-only set.
      const withLandmarker = await importCheckpoints({ psp: path.join(folder('zip'), PSP), h3r: path.join(folder('zip'), H3R), out: folder('psp-h3r'), architectures });
      expect([withLandmarker.models.map((entry) => entry.id), withLandmarker.purpose]).toEqual([['psp-encoder', 'landmarker-106'], 'latent-encoder']);
      expect(digests(folder('psp-h3r'))).toEqual({ 'psp-encoder.onnx': theirs, 'landmarker-106.onnx': digests(folder('python-zip'))['landmarker-106.onnx'] });
    }, 120_000);

    it('gives `fslsd dataset prepare` the W+ of the full set (max abs difference 0), and a dataset resumes across the two', async () => {
      const photos = folder('psp-photos');
      mkdirSync(photos);
      copyFileSync(path.join(packageDirectory(), 'assets', 'photos', 'astronaut.png'), path.join(photos, 'astronaut.png'));
      const cliRun = run('dataset', 'prepare', '--in', photos, '--out', folder('psp-data-only'), '--models', folder('psp-only'), '--device', 'cpu', '--quiet');
      expect(cliRun.status, cliRun.stderr).toBe(0);
      const full = await prepareDataset({ photos, out: folder('psp-data-full'), models: folder('psp-full'), device: 'cpu' });
      expect(full.manifest.faces).toEqual(['astronaut.png']);
      const [ours, theirs] = [wplusOf(folder('psp-data-only')), wplusOf(folder('psp-data-full'))];
      expect(ours.length).toBe(18 * 512);
      // A real code, not zeros: the comparison below could tell two encoders apart.
      expect(theirs.every(Number.isFinite) && new Set(theirs).size > 1000).toBe(true);
      console.log(`W+ of the astronaut, encoder-only set vs full set: max abs difference ${maxAbsDifference(ours, theirs)}`);
      expect(maxAbsDifference(ours, theirs)).toBe(0);
      // The same psp-encoder: the full set resumes the encoder-only set's dataset with nothing to compute.
      const resumed = await prepareDataset({ photos, out: folder('psp-data-only'), models: folder('psp-full'), device: 'cpu' });
      expect([resumed.computed, resumed.reused]).toEqual([0, 1]);
    }, 180_000);

    it('refuses to swap with a typed error naming the full import (createSwapper, createFaceSwapper, fslsd swap); verify checks the psp-encoder', async () => {
      const refusal = (caught: unknown) => {
        expect(caught).toBeInstanceOf(FslsdError);
        const error = caught as FslsdError;
        expect(error.code).toBe('MODEL_NOT_FOUND');
        expect(error.message).toMatch(/holds only the psp-encoder \(an encoder-only set, imported from pSp's checkpoint alone\)/);
        expect(error.fix).toContain('fslsd models import --fslsd CELEBA-HQ-1024.pt --psp psp_ffhq_encode.pt --out DIR');
      };
      refusal(await createSwapper({ device: 'cpu', models: folder('psp-only') }).then(() => undefined, (caught: unknown) => caught));
      refusal(await createFaceSwapper({ device: 'cpu', models: folder('psp-h3r') }).then(() => undefined, (caught: unknown) => caught));
      const photos = path.join(packageDirectory(), 'assets', 'photos');
      const swap = run('swap', '--source', path.join(photos, 'astronaut.png'), '--target', path.join(photos, 'hopper.jpg'), '--out', folder('psp-swap.png'), '--models', folder('psp-only'), '--device', 'cpu');
      expect(swap.status).toBe(1);
      expect(swap.stderr).toMatch(/error \[MODEL_NOT_FOUND\]: The model set "imported" holds only the psp-encoder .* --fslsd CELEBA-HQ-1024\.pt --psp psp_ffhq_encode\.pt/);
      expect(existsSync(folder('psp-swap.png'))).toBe(false);
      const verify = run('models', 'verify', '--models', folder('psp-only'));
      expect(verify.status, verify.stdout).toBe(0);
      expect(verify.stdout.trim().split('\n')).toEqual([
        'purpose latent-encoder: an encoder-only set (the psp-encoder alone) for W+ codes (fslsd dataset prepare), not for swapping; checking psp-encoder',
        expect.stringMatching(/^ok {4}psp-encoder: \d+ bytes, sha256 verified, contract holds$/),
        '1 passed, 0 failed',
      ]);
    }, 120_000);

    it('runs as `fslsd models import --psp FILE --out DIR`, documented in --help; --fslsd alone is still refused', async () => {
      const out = folder('psp-cli');
      const cliRun = run('models', 'import', '--psp', path.join(folder('zip'), PSP), '--out', out, '--architectures', architectures);
      expect(cliRun.status, cliRun.stderr).toBe(0);
      expect(cliRun.stderr).toMatch(/imported 1 network \([0-9.]+ MB, MIT AND LicenseRef-NVIDIA-Source-Code-License-NC\)/);
      expect(cliRun.stderr).toContain('an encoder-only set (psp-encoder): for "fslsd dataset prepare --models DIR", not for swapping');
      expect(readFileSync(path.join(out, 'psp-encoder.onnx')).equals(readFileSync(path.join(folder('psp-full'), 'psp-encoder.onnx')))).toBe(true);
      const help = run('models', 'import', '--help').stdout;
      expect(help).toContain('fslsd models import --psp FILE [--h3r FILE] --out DIR');
      expect(help).toContain('--psp without --fslsd writes an encoder-only set');
      const fslsdOnly = (await importCheckpoints({ fslsd: path.join(folder('zip'), FSLSD), out: folder('fslsd-only'), architectures }).catch((caught: unknown) => caught)) as FslsdError;
      expect([fslsdOnly.code, fslsdOnly.fix]).toEqual(['INVALID_ARGUMENT', 'Pass it as --psp psp_ffhq_encode.pt.']);
      expect(existsSync(folder('fslsd-only'))).toBe(false);
    }, 120_000);
  });

  describe('bad files: a typed error, nothing left behind', () => {
    const attempt = async (options: Parameters<typeof importCheckpoints>[0]) => {
      const error = await importCheckpoints(options).then(() => undefined, (caught: unknown) => caught);
      expect(existsSync(options.out)).toBe(false);
      expect(readdirSync(work).filter((name) => name.includes('.import-'))).toEqual([]);
      return error as FslsdError;
    };
    const h3rOnly = (file: string) => attempt({ h3r: path.join(folder('hostile'), file), out: folder(`bad-${file}`), architectures });
    const fslsdWith = (file: string) => attempt({ fslsd: path.join(folder('hostile'), file), psp: path.join(folder('zip'), PSP), out: folder(`bad-${file}`), architectures });

    it('refuses a pickle that calls os.system, naming the global, and runs nothing', async () => {
      rmSync('/tmp/fslsd-pwned', { force: true });
      for (const file of ['os-system.pt', 'os-system-legacy.pt']) {
        const error = await fslsdWith(file);
        expect(error).toBeInstanceOf(CheckpointError);
        expect([error.code, (error as CheckpointError).key]).toEqual(['CHECKPOINT_INVALID', 'posix.system']);
        expect(error.message).toContain('posix.system, which is not on the allow-list');
      }
      expect(existsSync('/tmp/fslsd-pwned')).toBe(false);
      expect(ALLOWED_GLOBALS).not.toContain('posix.system');
    });

    it.each([
      ['truncated.pt', /zip directory cannot be read|cut short|truncated/],
      ['empty.pt', /the file is empty \(0 bytes\)/],
      ['not-a-checkpoint.pt', /not a PyTorch checkpoint \(it starts with 47 49 46 38/],
      ['no-pickle.pt', /no <archive>\/data\.pkl/],
      ['plain-pickle.pt', /not a torch\.save file/],
    ])('%s: CHECKPOINT_INVALID', async (file, message) => {
      const error = await fslsdWith(file);
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error.code).toBe('CHECKPOINT_INVALID');
      expect(error.message).toMatch(message);
    });

    it.each([
      ['h3r-missing-key.pth', 'backbone.conv1.weight', /tensor "backbone\.conv1\.weight" is missing at the top level/],
      ['h3r-extra-key.pth', 'head.extra.weight', /tensor "head\.extra\.weight" at the top level is not part of the architecture/],
      ['h3r-wrong-shape.pth', 'backbone.conv1.weight', /has shape \[1, 3, 3, 3\]; the architecture needs \[8, 3, 3, 3\]/],
      ['h3r-float64.pth', 'backbone.conv1.weight', /is float64; it must be float32, float16 or bfloat16.*\.float\(\)/],
    ])('%s: CHECKPOINT_MISMATCH naming the key', async (file, key, message) => {
      const error = await h3rOnly(file);
      expect(error).toBeInstanceOf(CheckpointError);
      expect([error.code, (error as CheckpointError).key]).toEqual(['CHECKPOINT_MISMATCH', key]);
      expect(error.message).toMatch(message);
    });

    it('recognises a pSp file given as the FSLSD checkpoint and names the flag it belongs to', async () => {
      const error = await attempt({ fslsd: path.join(folder('zip'), PSP), psp: path.join(folder('zip'), PSP), out: folder('bad-swapped'), architectures });
      expect(error.code).toBe('CHECKPOINT_MISMATCH');
      expect(error.message).toContain('This looks like the pSp checkpoint (psp_ffhq_encode.pt): pass it as --psp, and as --fslsd the FSLSD checkpoint (CELEBA-HQ-1024.pt).');
    });

    it('names the missing companion checkpoint and refuses mixed methods and a non-empty --out', async () => {
      const missing = await attempt({ fslsd: path.join(folder('zip'), FSLSD), out: folder('bad-missing'), architectures });
      expect([missing.code, missing.fix]).toEqual(['INVALID_ARGUMENT', 'Pass it as --psp psp_ffhq_encode.pt.']);
      const mixed = await attempt({ fslsd: path.join(folder('zip'), FSLSD), psp: path.join(folder('zip'), PSP), megafs: path.join(folder('zip'), MEGAFS), out: folder('bad-mixed'), architectures });
      expect(mixed.message).toMatch(/given together/);
      const busy = folder('busy');
      await importCheckpoints({ h3r: path.join(folder('zip'), H3R), out: busy, architectures });
      writeFileSync(path.join(busy, 'note.txt'), 'mine');
      const error = (await importCheckpoints({ h3r: path.join(folder('zip'), H3R), out: busy, architectures }).catch((caught: unknown) => caught)) as FslsdError;
      expect([error.code, error.message]).toEqual(['INVALID_ARGUMENT', `${busy} already holds files. Choose a new folder for --out, or remove that one first.`]);
      const file = (await importCheckpoints({ h3r: path.join(folder('zip'), H3R), out: path.join(busy, 'note.txt'), architectures }).catch((caught: unknown) => caught)) as FslsdError;
      expect([file.code, file.fix]).toEqual(['INVALID_ARGUMENT', 'Pass a new folder for --out.']);
    });

    it('refuses a set larger than the free disk before writing a byte', async () => {
      // A 2 MB tmpfs stands for a full disk (mounting needs root: CI runs as root).
      const disk = mkdtempSync(path.join(tmpdir(), 'fslsd-small-disk-'));
      const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk], { stdio: 'ignore' }).status === 0;
      try {
        if (skipWithout(mounted, { group: 'import onto a full disk', missing: 'a tmpfs cannot be mounted (not root)', fix: 'run the tests as root' })) return;
        const out = path.join(disk, 'set');
        const error = await attempt({ fslsd: path.join(folder('zip'), FSLSD), psp: path.join(folder('zip'), PSP), out, architectures });
        const total = (JSON.parse(readFileSync(path.join(folder('python-zip'), 'manifest.json'), 'utf8')) as { models: { id: string; bytes: number }[] }).models
          .filter((entry) => entry.id !== 'landmarker-106').reduce((sum, entry) => sum + entry.bytes, 0);
        expect([error.code, error.message]).toEqual(['IO', `The set takes ${Math.ceil(total / 1e6)} MB; the disk holding ${disk} has 3 MB free. Free some space, or pass an --out folder on another disk.`]);
        expect(readdirSync(disk)).toEqual([]);
      } finally {
        if (mounted) spawnSync('umount', [disk]);
        rmSync(disk, { recursive: true, force: true });
      }
    });

    it('an import aborted half-way leaves no set and no staging folder', async () => {
      const controller = new AbortController();
      const error = await attempt({
        fslsd: path.join(folder('zip'), FSLSD), psp: path.join(folder('zip'), PSP), out: folder('bad-aborted'), architectures, signal: controller.signal,
        onProgress: (event) => {
          if (event.model === 'generator') controller.abort(new Error('stop'));
        },
      });
      expect(error.code).toBe('ABORTED');
    });
  });
});
