#!/usr/bin/env node
// `pnpm test:mutants`: applies deliberate bugs to the pipeline one at a time, rebuilds, runs the
// tests that guard it, and requires every bug to fail them. A bug that passes is a hole in the
// suite. Prints a killed/total table; exits 1 when any survives.
//
//   node scripts/mutants.mjs            # every mutant, fast suites (core + node parity/front end/swapper)
//   node scripts/mutants.mjs --full     # every mutant against the whole `npm test` (slow)
//   node scripts/mutants.mjs --only NAME
//
// Keep the list growing: each entry is one line of the method that a plausible bug would change.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED } from './build-wasm.mjs';
import { ROOT, childEnv, ensureInstall, log, runPnpm } from './ensure-install.mjs';

const CORE = 'packages/core/src';
const WEB = 'packages/web/src';
const MODELS = 'packages/models/src';
const TRAIN = 'packages/models/python/fslsd_train';
const DATASET = 'packages/node/src/dataset';
const SERVER = 'packages/server/src';
const ASSEMBLY = 'packages/core/assembly';
/** @type {{ name: string, file: string, from: string, to: string, web?: boolean, models?: boolean, python?: boolean, tests?: string[], dataset?: boolean, server?: string[], node?: string[], wasm?: boolean }[]} */
const MUTANTS = [
  { name: 'split boundary: official takes codes 0-9 from the source', file: `${CORE}/latent/split.ts`, from: "sourceCodes: range(0, 10), targetCodes: range(11, 17), directionCodes: range(0, 6) }", to: "sourceCodes: range(0, 9), targetCodes: range(11, 17), directionCodes: range(0, 6) }" },
  { name: 'split boundary: direction on codes 0-5', file: `${CORE}/latent/split.ts`, from: "sourceCodes: range(0, 10), targetCodes: range(11, 17), directionCodes: range(0, 6) }", to: "sourceCodes: range(0, 10), targetCodes: range(11, 17), directionCodes: range(0, 5) }" },
  { name: 'landmark axes swapped in the maps', file: `${CORE}/landmarks/maps.ts`, from: 'return row * LANDMARK_MAP_SIZE + col;', to: 'return col * LANDMARK_MAP_SIZE + row;' },
  { name: 'landmarks rounded instead of truncated', file: `${CORE}/landmarks/maps.ts`, from: 'const col = Math.trunc(x);', to: 'const col = Math.round(x);' },
  { name: 'mask pyramid not chained (every scale from the 1024 mask)', file: `${CORE}/fslsd/blend.ts`, from: '    previous = mask;\n', to: "    previous = 'mask';\n" },
  { name: 'blend uses the inverse mask on the source features', file: `${CORE}/fslsd/blend.ts`, from: "node('Mul', [`source_feature_${i}`, mask]", to: "node('Mul', [`source_feature_${i}`, `inverse_${i}`]" },
  { name: 'normalisation divides by 256', file: `${CORE}/image/tensor.ts`, from: 'Math.fround(v / 255) - 0.5) / 0.5', to: 'Math.fround(v / 256) - 0.5) / 0.5' },
  { name: "pSp's resize does not widen the filter when shrinking (no antialias)", file: `${CORE}/image/pil-resize.ts`, from: 'const filterScale = Math.max(1, scale);', to: 'const filterScale = 1;' },
  { name: "pSp's resize truncates instead of rounding", file: `${CORE}/image/pil-resize.ts`, from: 'const HALF = 2 ** (PRECISION_BITS - 1);', to: 'const HALF = 0;' },
  { name: 'dilation anchored one pixel off', file: `${CORE}/face/face-mask.ts`, from: 'target + Math.max(row, start - after)', to: 'target + Math.max(row, start - before)' },
  { name: 'feathered alpha not zeroed outside the dilated mask', file: `${CORE}/face/face-mask.ts`, from: 'if (keep[p] !== 0) out[p] = counts[q]! * scale;', to: 'out[p] = counts[q]! * scale;' },
  // The WebAssembly kernels (core/assembly): a mutant recompiles its module (scripts/build-wasm.mjs).
  { wasm: true, name: 'wasm resize: sums start at zero, not one half (truncates)', file: `${ASSEMBLY}/resize-kernels.ts`, from: 'const HALF: i32 = 1 << 21;', to: 'const HALF: i32 = 0;' },
  { wasm: true, name: 'wasm resize: the column pass steps one byte short of a row', file: `${ASSEMBLY}/resize-kernels.ts`, from: 'for (let j = 0; j < taken; j++, p += <usize>stride) {', to: 'for (let j = 0; j < taken; j++, p += <usize>(stride - 1)) {' },
  { wasm: true, name: 'wasm warp: the rows blended from the lower one', file: `${ASSEMBLY}/warp-kernel.ts`, from: 'return i32x4.add(i32x4.shl(upper, BITS), i32x4.mul(i32x4.sub(lower, upper), fy));', to: 'return i32x4.add(i32x4.shl(lower, BITS), i32x4.mul(i32x4.sub(lower, upper), fy));' },
  { wasm: true, name: 'wasm warp: a group cut by the edge samples each pixel as its first', file: `${ASSEMBLY}/warp-kernel.ts`, from: 'if (lane(inside, k) != 0) {', to: 'if (lane(inside, 0) != 0) {' },
  { wasm: true, name: 'wasm warp: reflection repeats the edge pixel', file: `${ASSEMBLY}/warp-kernel.ts`, from: 'return i < size ? i : period - i;', to: 'return i < size ? i : period - i + 1;' },
  { wasm: true, name: 'wasm masks: the column box drops the wrong row', file: `${ASSEMBLY}/mask-kernels.ts`, from: 'const leaving = v128.load(input + (<usize>(p - behind) << 2));', to: 'const leaving = v128.load(input + (<usize>(p - behind + width) << 2));' },
  { wasm: true, name: 'wasm masks: the dilation ORs the row one byte off', file: `${ASSEMBLY}/mask-kernels.ts`, from: 'v128.store(i, v128.or(v128.load(i), v128.load(i + stride)));', to: 'v128.store(i, v128.or(v128.load(i), v128.load(i + stride + 1)));' },
  { wasm: true, name: 'wasm masks: the feather kept where the dilated mask is zero', file: `${ASSEMBLY}/mask-kernels.ts`, from: 'const kept = i32x4.ne(', to: 'const kept = i32x4.eq(' },
  { wasm: true, name: 'wasm tensors: bytes rounded down', file: `${ASSEMBLY}/tensor-kernels.ts`, from: 'return <u8><i32>(((clamped + 1) / 2) * 255 + 0.5);', to: 'return <u8><i32>(((clamped + 1) / 2) * 255);' },
  { name: 'warp: the fixed-point lerp forgets the half before shifting', file: `${CORE}/face/warp.ts`, from: 'return (top * (ONE - fy) + bottom * fy + HALF) >> (2 * BITS);', to: 'return (top * (ONE - fy) + bottom * fy) >> (2 * BITS);' },
  { name: 'warp: the kernel gets rows from one too low', file: `${CORE}/face/warp.ts`, from: 'const firstRow = rowsInside ? Math.max(0, Math.floor(reach.yMin) - 1) : 0;', to: 'const firstRow = rowsInside ? Math.max(0, Math.floor(reach.yMin) + 1) : 0;' },
  { name: 'paste-back: inPlace still copies', file: `${CORE}/face/paste-back.ts`, from: 'const out = input.inPlace === true ? photo.data : new Uint8Array(photo.data);', to: 'const out = new Uint8Array(photo.data);' },
  { name: 'paste-back: the inside path samples the alpha one column off', file: `${CORE}/face/paste-back.ts`, from: 'a = (alpha[q]! * (1 - fx) + alpha[q + 1]! * fx)', to: 'a = (alpha[q + 1]! * (1 - fx) + alpha[q + 1]! * fx)' },
  { name: 'front-end graphs truncate instead of rounding', file: `${CORE}/face/graphs/sampling.ts`, from: "node('Add', [input, 'half'], [`${output}_shifted`])", to: "node('Add', [input, 'zero'], [`${output}_shifted`])" },
  { name: 'accurate detection keeps faces cut by a tile edge', file: `${CORE}/face/detect-accurately.ts`, from: 'lists.push(found.filter((face) => !cutByTile(face.box, tile, photo.width, photo.height)));', to: 'lists.push(found);' },
  { name: 'accurate detection keeps parts of faces (no containment rule)', file: `${CORE}/face/detect-accurately.ts`, from: 'const SAME_FACE_INSIDE = 0.6;', to: 'const SAME_FACE_INSIDE = 1.01;' },
  { name: 'SSD boxes scaled by the height on both axes', file: `${CORE}/face/detector-ssd.ts`, from: 'const padX = SSD_INPUT_SIZE / Math.round(width * scale);', to: 'const padX = SSD_INPUT_SIZE / Math.round(height * scale);' },
  { name: 'default strength 0.9', file: `${CORE}/fslsd/swapper.ts`, from: 'const defaultStrength = options.strength ?? 1;', to: 'const defaultStrength = options.strength ?? 0.9;' },
  { name: 'clamp to [-1, 2]', file: `${CORE}/graph/preludes.ts`, from: "floatTensor('high', [], Float32Array.of(1))", to: "floatTensor('high', [], Float32Array.of(2))" },
  { name: 'fusion takes the unshifted source codes', file: `${CORE}/fslsd/fuse.ts`, from: 'fused.set(shifted.subarray(', to: 'fused.set(source.data.subarray(' },
  { name: 'default mask centred at 0.5 instead of 0.55', file: `${CORE}/mask/inner-mask.ts`, from: 'const centreY = 0.55 * size;', to: 'const centreY = 0.5 * size;' },
  { name: 'image to bytes truncates instead of rounding', file: `${CORE}/image/tensor.ts`, from: 'Math.floor(((value + 1) / 2) * 255 + 0.5)', to: 'Math.floor(((value + 1) / 2) * 255)' },
  { name: 'video tracker never searches near the track', file: `${CORE}/video/video-swap.ts`, from: "if (mode === 'fast' && searchNearTrack !== false && track && track.missed === 0) {", to: "if (mode === 'fast' && searchNearTrack === true && track && track.missed === 0) {" },
  { name: 'video tracker searches near a lost track too', file: `${CORE}/video/video-swap.ts`, from: "if (mode === 'fast' && searchNearTrack !== false && track && track.missed === 0) {", to: "if (mode === 'fast' && searchNearTrack !== false && track) {" },
  { name: 'detector keeps a face cut by the region edge', file: `${CORE}/face/detector.ts`, from: 'if ((c.left < 0 && area.x > 0) ||', to: 'if ((c.left < -1 && area.x > 0) ||' },
  { name: 'detector leaves region boxes in region pixels', file: `${CORE}/face/detector.ts`, from: 'faces.push({ box: { x: area.x + left, y: area.y + top,', to: 'faces.push({ box: { x: left, y: top,' },
  { name: 'video tracker takes face N by size rank in every frame', file: `${CORE}/video/video-swap.ts`, from: '({ face, crowded } = await this.match(frame, faces, this.track));', to: 'face = faces[this.options.faceIndex ?? 0];' },
  { name: 'a source face from another model set is accepted', file: `${CORE}/fslsd/swapper.ts`, from: "if (source.method !== 'fslsd' || source.models !== models) {", to: "if (source.method !== 'fslsd') {" },
  { name: 'hand-built target faces are not checked', file: `${CORE}/fslsd/swapper.ts`, from: "if ((target as TargetFace)?.kind === 'target') checkTargetFace(target as TargetFace);", to: '' },
  { name: 'an encoder-only set (psp-encoder alone) is not named as such by the swapper', file: `${CORE}/fslsd/swapper.ts`, from: '  refuseEncoderOnly(options.models);\n', to: '' },
  // MegaFS (core/src/megafs): checked by the Node MegaFS parity suite.
  { name: 'megafs: the 256² input rounds the 2x2 mean down', file: `${CORE}/megafs/input.ts`, from: 'out[(y * size + x) * 3 + c] = (sum + 2) >> 2;', to: 'out[(y * size + x) * 3 + c] = sum >> 2;' },
  { name: 'megafs: six erosion passes instead of seven', file: `${CORE}/megafs/soft-erosion.ts`, from: 'export const EROSION_ITERATIONS = 7;', to: 'export const EROSION_ITERATIONS = 6;' },
  { name: 'megafs: the stretch forgets to subtract the minimum', file: `${CORE}/megafs/soft-erosion.ts`, from: "node('Div', ['shifted', 'span'], ['unit']),", to: "node('Div', ['raw', 'span'], ['unit']),"},
  { name: 'megafs: the blend is rounded, not truncated', file: `${CORE}/megafs/swapper.ts`, from: 'Math.trunc(blended[c * plane + p]!)', to: 'Math.round(blended[c * plane + p]!)' },
  { name: 'megafs: source and target swapped in the transfer', file: `${CORE}/megafs/swapper.ts`, from: 'transferCodes(transferSession, source.wplus, targetFace.wplus)', to: 'transferCodes(transferSession, targetFace.wplus, source.wplus)' },
  // The checkpoint importer (models/src/checkpoint): checked by the torch-written checkpoints of the import tests.
  { models: true, name: 'import: bfloat16 widened from the wrong bits', file: `${MODELS}/checkpoint/tensor-values.ts`, from: 'bits[i] = words[i]! << 16;', to: 'bits[i] = words[i]! << 8;' },
  { models: true, name: 'import: strided views read as if contiguous', file: `${MODELS}/checkpoint/tensor-values.ts`, from: 'if (isContiguous(shape, stride)) return', to: 'if (shape.length >= 0) return' },
  { models: true, name: 'import: an unknown global resolves instead of being refused', file: `${MODELS}/checkpoint/pickle.ts`, from: 'if (!target) throw new PickleError(`the pickle asks for the global ${full}, which is not on the allow-list`, full);', to: 'if (!target) return { kind: full };' },
  { models: true, name: 'import: DDP "module." prefixes kept', file: `${MODELS}/checkpoint/import.ts`, from: "if (!keys.length || !keys.every((key) => typeof key === 'string' && key.startsWith('module.'))) return dict;", to: 'return dict;' },
  { models: true, name: 'import: a missing tensor goes unchecked', file: `${MODELS}/checkpoint/import.ts`, from: '    if (missing.length) {', to: '    if (missing.length > 1) {' },
  { models: true, name: "import: the editor's weights stacked untransposed", file: `${MODELS}/checkpoint/import.ts`, from: 'out[at + c * rows + r] = source[r * columns + c]!;', to: 'out[at + r * columns + c] = source[r * columns + c]!;' },
  { models: true, name: 'import: the free-disk check compares against nothing', file: `${MODELS}/checkpoint/node-import.ts`, from: 'if (free < bytes) {', to: 'if (free < 0) {' },
  { models: true, name: 'import: the encoder-only set (--psp alone) does not say so in its manifest', file: `${MODELS}/checkpoint/import.ts`, from: '    ...(encoderOnly ? { purpose: ENCODER_ONLY.purpose } : {}),\n', to: '' },
  // The trainer's losses (Python): checked by its unit tests.
  { python: true, tests: ['test_losses'], name: 'train: histogram matching breaks ties upwards', file: `${TRAIN}/losses.py`, from: 'cdf_source, right=False) + 1', to: 'cdf_source, right=True) + 1' },
  { python: true, tests: ['test_losses'], name: 'train: soft-argmax takes x from the rows', file: `${TRAIN}/losses.py`, from: 'x = (weights.sum(dim=2) * columns)', to: 'x = (weights.sum(dim=3) * columns)' },
  { python: true, tests: ['test_model'], name: 'train: the frozen generator and editor get gradients', file: `${TRAIN}/model.py`, from: 'getattr(self, name).requires_grad_(name in self.trained)', to: 'getattr(self, name).requires_grad_(True)' },
  // The training loop: each checked by the test class named.
  { python: true, tests: ['test_train.TrainerTest'], name: 'train: resume forgets the optimiser', file: `${TRAIN}/train.py`, from: '        self.optimizer.load_state_dict(state["optimizer"])\n', to: '' },
  { python: true, tests: ['test_train.TrainerTest'], name: 'train: a resumed log keeps the lines past its checkpoint', file: `${TRAIN}/train.py`, from: 'json.loads(line)["step"] <= step]', to: 'json.loads(line)["step"] <= step + 1]' },
  { python: true, tests: ['test_train.TrainerTest'], name: 'train: sample grids not labelled synthetic', file: `${TRAIN}/samples.py`, from: '    if synthetic:\n', to: '    if False:\n' },
  { python: true, tests: ['test_train.DistributedTest'], name: 'train: several processes without DDP', file: `${TRAIN}/train.py`, from: '    if world > 1:\n        ids =', to: '    if False:\n        ids =' },
  { python: true, tests: ['test_train.GradientTest'], name: 'train: checkpointed layers cut the gradient', file: `${TRAIN}/model.py`, from: 'return checkpoint(forward, *args, use_reentrant=False)', to: 'return checkpoint(forward, *[a.detach() if torch.is_tensor(a) else a for a in args], use_reentrant=False)' },
  { python: true, tests: ['test_dataset'], name: 'train: pairs ignore the rank', file: `${TRAIN}/dataset.py`, from: 'np.random.default_rng([seed, step, rank])', to: 'np.random.default_rng([seed, step])' },
  { python: true, tests: ['test_step'], name: 'train: reconstruction on every pair by default', file: `${TRAIN}/step.py`, from: 'chosen = batch.self_swap if reconstruction == "self"', to: 'chosen = torch.ones_like(batch.self_swap) if reconstruction == "self"' },
  // The training dataset (`fslsd dataset prepare`, node/src/dataset): checked by its own suite on the source.
  { dataset: true, name: 'dataset: W+ written big-endian', file: `${DATASET}/entry-files.ts`, from: 'view.setFloat32(4 * i, value, true)', to: 'view.setFloat32(4 * i, value, false)' },
  { dataset: true, name: 'dataset: finished faces are computed again (no resume check)', file: `${DATASET}/resume.ts`, from: "  if (await isFaceComplete(out, id)) return { state: 'face' };\n", to: '' },
  { dataset: true, name: 'dataset: a face.json without its W+ counts as finished', file: `${DATASET}/resume.ts`, from: 'if (!record?.isFile() || wplus?.size !== WPLUS_BYTES) return false;', to: 'if (!record?.isFile()) return false;' },
  { dataset: true, name: 'dataset: a dataset of another psp-encoder is resumed', file: `${DATASET}/manifest.ts`, from: 'if (existing.models?.pspEncoderSha256 !== wanted.models.pspEncoderSha256) {', to: 'if (existing.models === undefined) {' },
  { dataset: true, name: 'dataset: the flip variant is not mirrored', file: `${DATASET}/photo-entries.ts`, from: "const upright = variant === 'flip' ? await mirror(image) : image;", to: 'const upright = image;' },
  { dataset: true, name: 'dataset: the mask written from the paste-back alpha', file: `${DATASET}/photo-entries.ts`, from: 'mask: prepared.masks.inner,', to: 'mask: prepared.masks.paste,' },
  // The swap service (@fslsd/server): rebuilt (workers run its dist), checked by the test files named, on a real redis-server.
  { server: ['test/api.test.ts'], name: 'service: a result can be written twice (no NX)', file: `${SERVER}/queue/storage.ts`, from: "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then", to: "if redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3]) then" },
  { server: ['test/api.test.ts'], name: 'service: a cancelled swap still gets its result', file: `${SERVER}/queue/storage.ts`, from: "if redis.call('HEXISTS', KEYS[3], 'cancelledAt') == 1 then return -1 end\nif redis.call('SET'", to: "if redis.call('SET'" },
  { server: ['test/api.test.ts'], name: 'service: the histogram does not count the swap', file: `${SERVER}/queue/storage.ts`, from: "    redis.call('HINCRBY', KEYS[5], phase .. ':count', 1)\n", to: '' },
  { server: ['test/api.test.ts'], name: "service: another tenant's swap is visible", file: `${SERVER}/http/swap-view.ts`, from: "if (fields.tenant !== tenant || (fields.kind", to: "if ((fields.kind" },
  { server: ['test/api.test.ts'], name: 'service: the quota lets one more through', file: `${SERVER}/queue/storage.ts`, from: "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end", to: "if redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[1]) then return 0 end" },
  { server: ['test/api.test.ts'], name: 'service: the rate limit counts per address, not per key', file: `${SERVER}/http/app.ts`, from: "return key !== undefined && options.keys.tenantOf(key) !== undefined ? `key:${hashKey(key)}` : `address:${request.ip}`;", to: 'return `address:${request.ip}`;' },
  { server: ['test/api.test.ts'], name: 'service: closing the server waits on open event streams', file: `${SERVER}/http/events.ts`, from: '    for (const close of [...open]) close();\n', to: '' },
  { server: ['test/fleet.test.ts'], name: 'service: the source-face cache is never read', file: `${SERVER}/worker/source-cache.ts`, from: "        if (cached) return { face: cached, origin: 'cache' };\n", to: '' },
  { server: ['test/fleet.test.ts'], name: 'service: concurrent first uses of a photo each encode it (no lock)', file: `${SERVER}/worker/source-cache.ts`, from: "if ((await redis.set(lock, token, 'PX', lockMilliseconds, 'NX')) === 'OK') {", to: 'if (true) {' },
  { server: ['test/fleet.test.ts'], name: 'service: an active swap is not told it was cancelled (runs to the end)', file: `${SERVER}/http/cancel-swap.ts`, from: '    await context.redis.publish(CANCEL_CHANNEL, id);\n', to: '' },
  { server: ['test/fleet.test.ts'], name: 'service: SIGTERM drops the running swap instead of finishing it', file: `${SERVER}/worker/worker.ts`, from: 'Promise.race([running.close().then(() => true),', to: 'Promise.race([running.close(true).then(() => true),' },
  { server: ['test/swap.test.ts'], name: 'service: a worker stopping without Redis waits for it forever', file: `${SERVER}/worker/worker.ts`, from: 'const stopped = await Promise.race([running.close().then(() => true), watch.gone.then(() => false)]);', to: 'const stopped = await running.close().then(() => true);' },
  { server: ['test/video.test.ts'], name: 'service: the frame limit lets one more frame through', file: `${SERVER}/worker/processor.ts`, from: 'if (limits && probed.frames > limits.maxFrames) {', to: 'if (limits && probed.frames > limits.maxFrames + 1) {' },
  { server: ['test/video.test.ts'], name: "service: a video's id answers under /v1/swaps", file: `${SERVER}/http/swap-view.ts`, from: "(fields.kind ?? 'photo') !== kind || ", to: '' },
  // The browser binding: rebuilt with the demo app, checked in Chromium (the shipped-worker test).
  { web: true, name: 'web: a ContractError loses its fields across the worker boundary', file: `${WEB}/wire.ts`, from: 'if (wire.contract) return new ContractError(', to: "if (wire.contract?.model === '') return new ContractError(" },
  { web: true, name: 'web: an aborted call is left to the worker', file: `${WEB}/face-swapper.ts`, from: 'if (!pending.delete(id)) return;', to: 'if (pending.has(id)) return;' },
  { web: true, name: 'web: the worker\'s lifeline lock is not watched', file: `${WEB}/face-swapper.ts`, from: '      watch(reply.lifeline);\n', to: '' },
  { web: true, name: 'web: the browser import hashes nothing (its manifest lies)', file: `${WEB}/import.ts`, from: '          hash.update(bytes);\n', to: '' },
  { web: true, name: 'web: a full origin storage surfaces as a raw QuotaExceededError', file: `${WEB}/import.ts`, from: 'throw isQuotaError(error) ? storageFull(setBytes) : error;', to: 'throw error;' },
  { server: ['test/processor.test.ts'], name: 'service: a swap cancelled while its inputs are read fails as INPUT_EXPIRED', file: `${SERVER}/worker/processor.ts`, from: "      if (await isCancelled(redis, id)) throw cancelled(id);\n      throw failure({ code: 'INPUT_EXPIRED'", to: "      throw failure({ code: 'INPUT_EXPIRED'" },
  { node: ['test/swapper.test.ts'], name: 'node: sessions spin between runs', file: 'packages/node/src/runtime.ts', from: "extra: { session: { intra_op: { allow_spinning: '0' } } },", to: "extra: { session: { intra_op: { allow_spinning: '1' } } }," },
  { node: ['test/cli.test.ts'], name: 'node: --device webgpu without an adapter goes ahead', file: 'packages/node/src/runtime.ts', from: "if (problem) throw new FslsdError('DEVICE_UNAVAILABLE', `The WebGPU", to: "if (!problem) throw new FslsdError('DEVICE_UNAVAILABLE', `The WebGPU" },
  { name: "front end: 'auto' pastes with graphs on a GPU provider", file: `${CORE}/face/front-end.ts`, from: "paste: frontEnd === 'graphs' ? 'graphs' : 'typescript' };", to: "paste: onGraphs ? 'graphs' : 'typescript' };" },
  { name: 'video: masks averaged into the state only, the frame keeps its own', file: `${CORE}/video/temporal.ts`, from: '      sample[i] = average;\n', to: '' },
  { node: ['test/video.test.ts'], name: 'node video: audio always encoded again', file: 'packages/node/src/video.ts', from: "? ['-c:a', 'copy'] :", to: "? ['-c:a', 'aac', '-b:a', '192k'] :" },
  { web: true, name: 'web: terminate() on a passed worker goes unnoticed', file: `${WEB}/face-swapper.ts`, from: "worker.terminate = () => crash('it was terminated');", to: '' },
];

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 9).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}
const full = args.includes('--full');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const pnpm = ensureInstall();

function build(web = false, models = false, server = false, node = false) {
  if (server) return runPnpm(pnpm, ['--filter', '@fslsd/server', 'build'], { stdio: 'ignore' }) === 0;
  if (node) return runPnpm(pnpm, ['--filter', '@fslsd/node', 'build'], { stdio: 'ignore' }) === 0;
  if (runPnpm(pnpm, ['--filter', '@fslsd/core', 'build'], { stdio: 'ignore' }) !== 0) return false;
  if (models) return runPnpm(pnpm, ['--filter', '@fslsd/models', 'build'], { stdio: 'ignore' }) === 0;
  if (!web) return true;
  return runPnpm(pnpm, ['--filter', '@fslsd/web', 'build'], { stdio: 'ignore' }) === 0 && runPnpm(pnpm, ['--filter', 'example-web', 'build'], { stdio: 'ignore' }) === 0;
}

function suitesFail(web = false, models = false, dataset = false, server = undefined, node = undefined) {
  if (server && !full) return runPnpm(pnpm, ['--filter', '@fslsd/server', 'exec', 'vitest', 'run', ...server], { stdio: 'ignore' }) !== 0;
  if (node && !full) return runPnpm(pnpm, ['--filter', '@fslsd/node', 'exec', 'vitest', 'run', ...node], { stdio: 'ignore' }) !== 0;
  if (dataset && !full) return runPnpm(pnpm, ['--filter', '@fslsd/node', 'exec', 'vitest', 'run', 'test/dataset.test.ts'], { stdio: 'ignore' }) !== 0;
  if (models && !full) {
    if (runPnpm(pnpm, ['--filter', '@fslsd/models', 'exec', 'vitest', 'run', 'test/pickle.test.ts'], { stdio: 'ignore' }) !== 0) return true;
    return runPnpm(pnpm, ['--filter', '@fslsd/node', 'exec', 'vitest', 'run', 'test/import.test.ts'], { stdio: 'ignore' }) !== 0;
  }
  if (web && !full) {
    // A lost rejection hangs the page's await: the short test timeout turns that into a failure.
    const status = runPnpm(pnpm, ['--filter', '@fslsd/web', 'exec', 'vitest', 'run', 'test/wire.test.ts', 'test/browser.test.ts', '-t', 'shipped worker|across the worker boundary|imports dropped checkpoints', '--testTimeout', '90000'], { stdio: 'ignore' });
    return status !== 0;
  }
  if (full) return spawnSync('npm', ['test'], { cwd: ROOT, env: childEnv({ FSLSD_SKIP_WEBGPU: '1', FSLSD_SKIP_FULL_SIZE: '1' }), stdio: 'ignore' }).status !== 0;
  const core = runPnpm(pnpm, ['--filter', '@fslsd/core', 'exec', 'vitest', 'run'], { stdio: 'ignore' });
  if (core !== 0) return true;
  const nodeSuites = runPnpm(pnpm, ['--filter', '@fslsd/node', 'exec', 'vitest', 'run', 'test/parity.test.ts', 'test/front-end.test.ts', 'test/swapper.test.ts', 'test/cli.test.ts', 'test/tracking.test.ts', 'test/face-swapper.test.ts', 'test/megafs-parity.test.ts', 'test/detection.test.ts'], { stdio: 'ignore' });
  return nodeSuites !== 0;
}

const rows = [];
let killed = 0;
const chosen = MUTANTS.filter((m) => !only || m.name.includes(only));
for (const [index, mutant] of chosen.entries()) {
  const file = path.join(ROOT, mutant.file);
  const original = readFileSync(file, 'utf8');
  const hits = original.split(mutant.from).length - 1;
  if (hits !== 1) {
    log(`mutant "${mutant.name}": expected its line once in ${mutant.file}, found ${hits} times; update the list.`);
    process.exit(2);
  }
  log(`[${index + 1}/${chosen.length}] ${mutant.name}`);
  let outcome;
  // A WebAssembly mutant changes the generated base64 modules too; they are put back after.
  const generated = mutant.wasm ? GENERATED.map((target) => [target, readFileSync(target, 'utf8')]) : [];
  try {
    writeFileSync(file, original.replace(mutant.from, mutant.to));
    if (mutant.wasm && spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-wasm.mjs')], { cwd: ROOT, stdio: 'ignore' }).status !== 0) {
      outcome = 'killed (build)';
    } else if (mutant.python) {
      // A mutant may name the test classes that must catch it (the whole suite takes minutes).
      const tests = mutant.tests ? mutant.tests.map((name) => `fslsd_train.tests.${name}`) : ['discover', '-s', 'fslsd_train/tests', '-t', '.'];
      const python = spawnSync('/usr/bin/python3', ['-m', 'unittest', ...tests], { cwd: path.join(ROOT, 'packages', 'models', 'python'), env: childEnv({ PYTHONDONTWRITEBYTECODE: '1' }), stdio: 'ignore' });
      outcome = python.status !== 0 ? 'killed' : 'SURVIVED';
    } else {
      // The dataset suite runs on the source: nothing to rebuild.
      outcome = !(mutant.dataset || build(mutant.web, mutant.models, Boolean(mutant.server), Boolean(mutant.node))) ? 'killed (build)' : suitesFail(mutant.web, mutant.models, mutant.dataset, mutant.server, mutant.node) ? 'killed' : 'SURVIVED';
    }
  } finally {
    writeFileSync(file, original);
    for (const [target, text] of generated) writeFileSync(target, text);
  }
  // Said as it goes: a run cut short still tells what it found.
  log(`  ${outcome}`);
  if (outcome.startsWith('killed')) killed += 1;
  rows.push(`| ${mutant.name} | \`${mutant.file.replace('packages/', '')}\` | ${outcome} |`);
}
if (!build(chosen.some((m) => m.web)) || (chosen.some((m) => m.models) && !build(false, true)) || (chosen.some((m) => m.server) && !build(false, false, true)) || (chosen.some((m) => m.node) && !build(false, false, false, true))) {
  log('error: the unmutated build failed after the run');
  process.exit(1);
}
console.log(`\n| mutant | file | outcome |\n|---|---|---|\n${rows.join('\n')}\n\nkilled ${killed}/${chosen.length}`);
process.exit(killed === chosen.length ? 0 : 1);
