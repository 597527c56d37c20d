/**
 * prepareDataset(): a folder of photos -> a training dataset made by the SDK's own front end, so
 * the trainer learns on exactly the preprocessing fslsd infers with (layout.ts, docs/dataset.md).
 *
 *   options -> photos listed -> entries planned (photo x variant, ids) -> earlier dataset checked
 *   -> finished entries found (resume) -> networks opened (only if work is left)
 *   -> photos in flight, `jobs` at a time -> entries written -> dataset.json (every 2 s, at the end)
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AbortError, FslsdError, type ProgressEvent } from '@fslsd/core';
import { TINY_MODELS_WARNING } from '@fslsd/core/pipeline';
import { chooseDevice } from '../runtime.js';
import { removePartials } from './atomic-write.js';
import { type DatasetManifest, DATASET_CROP_SIZE, DATASET_FORMAT, DATASET_VERSION, type SkipRecord, type Variant, faceId } from './layout.js';
import { checkSameIdentity, createManifestWriter, readExistingManifest } from './manifest.js';
import { type DatasetNetworks, openNetworks, planModels } from './models.js';
import { type DatasetProgressEvent, type PrepareDatasetOptions, checkDatasetOptions } from './options.js';
import { type EntryOutcome, preparePhoto } from './photo-entries.js';
import { isWithin, listPhotos } from './photo-list.js';
import { entryState } from './resume.js';

/** What {@link prepareDataset} returns. */
export interface DatasetSummary {
  /** The dataset folder (absolute). */
  readonly out: string;
  /** dataset.json as written at the end of the run: counts, face ids, skips. */
  readonly manifest: DatasetManifest;
  /** Photo variants computed by this run (faces and skips); 0 when an earlier run finished them all. */
  readonly computed: number;
  /** Photo variants an earlier run had finished, kept as they were. */
  readonly reused: number;
  /** Wall time of the run. */
  readonly milliseconds: number;
}

/** One photo variant of the plan. */
interface PlannedEntry {
  readonly id: string;
  readonly photo: string;
  readonly variant: Variant;
}

/**
 * The entries of the photos, refusing two photos whose ids would collide (their names differ
 * only in characters the id replaces).
 * @throws FslsdError `INVALID_ARGUMENT` naming both photos.
 */
function planEntries(photos: readonly string[], variants: readonly Variant[]): PlannedEntry[] {
  const byId = new Map<string, string>();
  const entries: PlannedEntry[] = [];
  for (const photo of photos) {
    for (const variant of variants) {
      const id = faceId(photo, variant);
      const other = byId.get(id);
      if (other !== undefined) {
        throw new FslsdError('INVALID_ARGUMENT', `The photos "${other}" and "${photo}" would share the dataset id "${id}" (ids keep only A-Z a-z 0-9 . _ -).`, { fix: 'Rename one of them.' });
      }
      byId.set(id, photo);
      entries.push({ id, photo, variant });
    }
  }
  return entries;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Prepares (or resumes) a training dataset from a folder of photos: for each photo (and its
 * mirror with `augment: ['flip']`) the largest face, aligned to the FFHQ 1024² crop, its 106
 * E_le landmarks, inner-face mask and pSp W+, written as docs/dataset.md describes. Photos with
 * no usable face are recorded as skipped, with the reason; the run goes on.
 *
 * @example
 *   const summary = await prepareDataset({ photos: 'celeba-hq', out: 'data', models: '~/fslsd-official', augment: ['flip'] });
 *   console.log(summary.manifest.counts);
 *
 * @throws FslsdError `INVALID_ARGUMENT` for a bad option, a photos folder with no photos, or a
 *   dataset folder made with other models (checked before any network is loaded); `IO` for a
 *   missing photos folder or an `out` that is a file or a foreign folder; `ABORTED` when `signal`
 *   fires (what was finished stays, and the next run resumes it); loading errors of the models.
 */
export async function prepareDataset(options: PrepareDatasetOptions): Promise<DatasetSummary> {
  const started = Date.now();
  const { augment, settings, jobs, device } = checkDatasetOptions(options);
  const report = options.onProgress;
  const root = path.resolve(options.photos);
  const out = path.resolve(options.out);

  // The cheap checks, in the order a user would fix them: photos, dataset folder, models.
  const photos = await listPhotos(root, isWithin(out, root) ? out : undefined);
  if (!photos.length) {
    throw new FslsdError('INVALID_ARGUMENT', `No photos under ${root}: fslsd reads .jpg, .jpeg, .png and .webp files (at any depth).`, { fix: 'Pass --in the folder that holds the photos.' });
  }
  const entries = planEntries(photos, ['original', ...augment]);
  const existing = await readExistingManifest(out);
  const plan = await planModels(options);
  if (existing) checkSameIdentity(existing, plan.identity, out);

  // What an earlier run finished stays as it is.
  const faces = new Set<string>();
  const skipped = new Map<string, SkipRecord>();
  const waiting = new Set<string>();
  await forEachLimited(entries, 16, async (entry) => {
    const state = await entryState(out, entry.id, options.retrySkipped ?? false);
    if (state.state === 'face') faces.add(entry.id);
    else if (state.state === 'skipped') skipped.set(entry.id, state.record);
    else waiting.add(entry.id);
  });
  // In the plan's (sorted) order, whatever order the checks finished in.
  const pending = entries.filter((entry) => waiting.has(entry.id));
  const reused = entries.length - pending.length;
  report?.({ kind: 'plan', photos: photos.length, entries: entries.length, pending: pending.length });

  const created = existing?.created ?? new Date(started).toISOString();
  const snapshot = (): DatasetManifest => {
    const skips = [...skipped.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    return {
      format: DATASET_FORMAT,
      version: DATASET_VERSION,
      cropSize: DATASET_CROP_SIZE,
      alignment: 'ffhq',
      models: plan.identity.models,
      landmarkSource: plan.identity.landmarkSource,
      maskSource: plan.identity.maskSource,
      augment,
      settings,
      counts: { photos: photos.length, faces: faces.size, skipped: skips.length },
      faces: [...faces].sort(),
      skipped: skips,
      complete: faces.size + skipped.size === entries.length,
      created,
      updated: new Date().toISOString(),
    };
  };
  // dataset.json first: from now on the folder is recognisably a dataset, even if killed.
  await mkdir(out, { recursive: true });
  const writer = createManifestWriter(out, snapshot);
  await writer.write();
  await Promise.all([mkdir(path.join(out, 'faces'), { recursive: true }), mkdir(path.join(out, 'skipped'), { recursive: true })]);
  await Promise.all([removePartials(out), removePartials(path.join(out, 'skipped'))]);
  if (!pending.length) return { out, manifest: await writer.write(), computed: 0, reused, milliseconds: Date.now() - started };

  const warn = (code: 'TINY_MODELS' | 'DEVICE_FALLBACK', message: string) => {
    if (report) report({ kind: 'warning', code, message });
    else process.emitWarning(message, { code: `FSLSD_${code}` });
  };
  if (plan.tiny) warn('TINY_MODELS', `${TINY_MODELS_WARNING} Its W+ codes are for tests only: train on a dataset made with real weights.`);
  // The user's signal stops the run; so does the first failure, so that the other photos in flight stop too.
  const controller = new AbortController();
  const forward = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  options.signal?.addEventListener('abort', forward, { once: true });
  let networks: DatasetNetworks;
  try {
    const chosen = await chooseDevice(device, (message) => warn('DEVICE_FALLBACK', message));
    networks = await openNetworks(plan, {
      faces: options.faces,
      signal: controller.signal,
      device: chosen,
      ...(options.threads ? { threads: options.threads } : {}),
      // Loading only: the encoder's per-stage events would drown the photos' in a run of thousands.
      ...(report ? { onProgress: (event: ProgressEvent) => event.kind !== 'stage' && report({ kind: 'loading', event }) } : {}),
    });
  } catch (error) {
    options.signal?.removeEventListener('abort', forward);
    throw error;
  }

  // One work item per photo: decoded once for all its pending variants.
  const work = new Map<string, Variant[]>();
  for (const entry of pending) work.set(entry.photo, [...(work.get(entry.photo) ?? []), entry.variant]);
  const context = { root, out, networks, settings, signal: controller.signal };
  const onEntry = (entry: EntryOutcome) => {
    const { record } = entry;
    if (entry.outcome === 'face') faces.add(record.id);
    else skipped.set(record.id, entry.record);
    report?.({ kind: 'entry', id: record.id, photo: record.photo, variant: record.variant, outcome: entry.outcome, ...(entry.outcome === 'skipped' ? { code: entry.record.code, reason: entry.record.reason } : {}) });
  };
  let failure: unknown;
  let done = 0;
  let computed = 0;
  try {
    await forEachLimited([...work], jobs, async ([photo, variants]) => {
      if (controller.signal.aborted) return;
      try {
        await preparePhoto(context, photo, variants, (entry) => {
          computed += 1;
          onEntry(entry);
        });
        done += 1;
        report?.({ kind: 'photo', photo, done, total: work.size });
        await writer.maybeWrite();
      } catch (error) {
        failure ??= error;
        controller.abort(error);
      }
    });
  } finally {
    options.signal?.removeEventListener('abort', forward);
    await networks.dispose();
  }
  // Whatever happened, dataset.json lists what is finished: the next run resumes from there.
  const manifest = await writer.write();
  if (options.signal?.aborted) throw new AbortError('dataset preparation', options.signal.reason);
  if (failure !== undefined) throw failure;
  return { out, manifest, computed, reused, milliseconds: Date.now() - started };
}
