/**
 * Reading a PyTorch checkpoint (`torch.save`) without Python: the zip format (torch >= 1.6) and
 * the legacy format (`_use_new_zipfile_serialization=False`: five pickles, then the raw storages).
 * Only the pickle is read up front; tensor bytes are read one storage at a time, on request.
 *
 * The zip layer is unzipit (random access over any `{getLength, read}` reader, in Node and in
 * browsers, zip64 included): a checkpoint is never read whole.
 */
import { CheckpointError } from '@fslsd/core';
import { type Reader, unzipRaw } from 'unzipit';
import { type Built, type GlobalHandler, PickleDict, PickleError, PickleTuple, type PickleValue, unpickle } from './pickle.js';

/** Random access to the bytes of one file: a Node file handle, a browser File, a buffer. */
export interface ByteReader {
  /** Total size in bytes. */
  readonly size: number;
  /** `length` bytes from `offset` (fewer only past the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Element types torch stores; only the floating ones import (float64 is refused by name). */
export type TorchDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const ELEMENT_BYTES: Readonly<Record<TorchDtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const STORAGE_TYPES: Readonly<Record<string, TorchDtype>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** A storage: one flat array of elements in the file. */
export interface StorageRef extends Built {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: TorchDtype;
  /** Elements in the storage. */
  readonly numel: number;
}

/** A tensor: a strided view into a storage, as torch's `_rebuild_tensor_v2` describes it. */
export interface TensorRef extends Built {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  /** Offset into the storage, in elements. */
  readonly offset: number;
  readonly shape: readonly number[];
  /** Strides, in elements. */
  readonly stride: readonly number[];
}

export const isTensor = (value: PickleValue | undefined): value is TensorRef =>
  typeof value === 'object' && value !== null && (value as Built).kind === 'tensor';

interface StorageStub extends Built {
  readonly kind: 'storage-type';
  readonly dtype: TorchDtype;
}

/** One opened checkpoint: its object tree, and the bytes of any storage on demand. */
export interface TorchCheckpoint {
  readonly file: string;
  readonly format: 'zip' | 'legacy';
  /** What was pickled (dicts as {@link PickleDict}, tensors as {@link TensorRef}). */
  readonly root: PickleValue;
  /** The bytes of `count` elements of `storage` from element `start`. */
  readStorage(storage: StorageRef, start: number, count: number): Promise<Uint8Array>;
}

const invalid = (file: string, message: string, fix: string, options: { key?: string; cause?: unknown } = {}) =>
  new CheckpointError('CHECKPOINT_INVALID', file, message, { fix, ...options });

const numbers = (value: PickleValue, what: string): number[] => {
  const items = value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items || !items.every((item) => typeof item === 'number' && Number.isSafeInteger(item) && item >= 0)) throw new PickleError(`${what} is not a tuple of sizes`);
  return items as number[];
};

function tensorFrom(args: readonly PickleValue[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (typeof storage !== 'object' || storage === null || (storage as Built).kind !== 'storage') throw new PickleError('a tensor without a storage');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new PickleError('a tensor with a bad storage offset');
  const shape = numbers(size!, 'a tensor size');
  const strides = numbers(stride!, 'a tensor stride');
  if (shape.length !== strides.length) throw new PickleError('a tensor whose size and stride differ in length');
  const ref = storage as StorageRef;
  const numel = shape.reduce((a, b) => a * b, 1);
  const last = numel === 0 ? offset : offset + shape.reduce((sum, n, i) => sum + (n - 1) * strides[i]!, 0);
  if (numel > 0 && last >= ref.numel) throw new PickleError(`a tensor reaches element ${last} of a storage of ${ref.numel}`);
  return { kind: 'tensor', storage: ref, offset, shape, stride: strides };
}

/**
 * The allow-list: torch's tensor and parameter rebuild functions, its typed storage classes,
 * `collections.OrderedDict`, and `_codecs.encode` (how protocol 2 pickles `bytes`). Nothing
 * else resolves, so a checkpoint can describe data but never call code.
 */
export const ALLOWED_GLOBALS: readonly string[] = [
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'collections.OrderedDict',
  '_codecs.encode',
  ...Object.keys(STORAGE_TYPES).map((name) => `torch.${name}`),
];

function globalsTable(): Map<string, GlobalHandler | Built> {
  const table = new Map<string, GlobalHandler | Built>();
  table.set('torch._utils._rebuild_tensor', (args) => tensorFrom(args));
  table.set('torch._utils._rebuild_tensor_v2', (args) => tensorFrom(args));
  const parameter: GlobalHandler = (args) => {
    if (!isTensor(args[0])) throw new PickleError('a parameter without a tensor');
    return args[0];
  };
  table.set('torch._utils._rebuild_parameter', parameter);
  table.set('torch._utils._rebuild_parameter_with_state', parameter);
  table.set('collections.OrderedDict', (args) => {
    const dict = new PickleDict();
    const pairs = args[0];
    if (Array.isArray(pairs)) {
      for (const pair of pairs) {
        if (!(pair instanceof PickleTuple) || pair.items.length !== 2) throw new PickleError('OrderedDict from something other than pairs');
        dict.entries.set(pair.items[0] as string, pair.items[1]!);
      }
    }
    return dict;
  });
  table.set('_codecs.encode', (args) => {
    if (typeof args[0] !== 'string') throw new PickleError('_codecs.encode of a non-string');
    return Uint8Array.from(args[0], (c) => c.charCodeAt(0) & 0xff);
  });
  for (const [name, dtype] of Object.entries(STORAGE_TYPES)) table.set(`torch.${name}`, { kind: 'storage-type', dtype } as StorageStub);
  return table;
}

function storageFrom(pid: PickleValue, sizes?: Map<string, StorageRef>): StorageRef {
  // zip: ('storage', StorageType, key, location, numel); legacy adds view metadata (None).
  if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage') throw new PickleError('a persistent id that is not a storage');
  const [, type, key, , numel, view] = pid.items;
  const stub = type as StorageStub | undefined;
  if (!stub || stub.kind !== 'storage-type') throw new PickleError('a storage of an unknown type');
  if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel)) throw new PickleError('a storage without key or size');
  if (view !== undefined && view !== null) throw new PickleError('a legacy storage view (torch < 0.4): save the checkpoint again with a recent torch');
  const ref: StorageRef = { kind: 'storage', key, dtype: stub.dtype, numel };
  const known = sizes?.get(key);
  if (known) return known;
  sizes?.set(key, ref);
  return ref;
}

async function readAll(reader: ByteReader, offset: number, length: number): Promise<Uint8Array> {
  const bytes = await reader.read(offset, length);
  if (bytes.length !== length) throw new PickleError(`the file ends at byte ${reader.size}, before byte ${offset + length}`);
  return bytes;
}

/** Reads of at most this size are served from a block read ahead. */
const BLOCK = 4 * 1024 * 1024;

/**
 * Coalesces small reads: a checkpoint is read tensor by tensor in file order, and each tensor
 * costs a zip header read and a data read. In a browser every `File.slice().arrayBuffer()` costs
 * milliseconds, so reading 4 MiB ahead and serving the next reads from it is what makes an import
 * of ~1,600 tensors take seconds rather than tens of seconds. Two blocks: a read may straddle.
 */
export function blockReader(source: ByteReader): ByteReader {
  const blocks: { start: number; bytes: Uint8Array }[] = [];
  return {
    size: source.size,
    async read(offset, length) {
      if (length > BLOCK) return source.read(offset, length);
      const end = Math.min(offset + length, source.size);
      const hit = blocks.find((block) => offset >= block.start && end <= block.start + block.bytes.length);
      if (hit) return hit.bytes.subarray(offset - hit.start, end - hit.start);
      const bytes = await source.read(offset, Math.min(BLOCK, source.size - offset));
      blocks.unshift({ start: offset, bytes });
      blocks.length = Math.min(blocks.length, 2);
      return bytes.subarray(0, end - offset);
    },
  };
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/**
 * Opens a checkpoint: reads its pickle (never its tensors) through the allow-list.
 * @param file how errors name the file.
 * @throws CheckpointError `CHECKPOINT_INVALID` for an empty, damaged, truncated, unknown or unsafe file.
 */
export async function openCheckpoint(source: ByteReader, file: string): Promise<TorchCheckpoint> {
  const reader = blockReader(source);
  if (reader.size === 0) throw invalid(file, 'the file is empty (0 bytes).', 'The download or copy did not finish: fetch the checkpoint again.');
  const head = await reader.read(0, Math.min(reader.size, 8));
  try {
    if (ZIP_MAGIC.every((byte, i) => head[i] === byte)) return await openZip(reader, file);
    if (head[0] === 0x80) return await openLegacy(reader, file);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    if (error instanceof PickleError && error.global) {
      throw invalid(file, `refused: ${error.message}. A checkpoint that calls code could run anything on this machine.`, 'Only import checkpoints saved by torch.save of tensors and dicts; if this file is yours, save its state_dict() again.', {
        key: error.global,
        cause: error,
      });
    }
    throw invalid(file, `not a readable PyTorch checkpoint: ${(error as Error).message}.`, 'The file is damaged or truncated: fetch it again, or save it again with torch.save.', { cause: error });
  }
  const shown = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw invalid(file, `not a PyTorch checkpoint (it starts with ${shown}; torch.save writes a zip, "PK", or a pickle, 0x80).`, 'Pass the .pt/.pth file written by torch.save.');
}

async function openZip(reader: ByteReader, file: string): Promise<TorchCheckpoint> {
  const zipReader: Reader = {
    getLength: async () => reader.size,
    read: async (offset, size) => (await readAll(reader, offset, size)) as Uint8Array<ArrayBuffer>,
  };
  let entries;
  try {
    ({ entries } = await unzipRaw(zipReader));
  } catch (error) {
    throw new PickleError(`its zip directory cannot be read (${(error as Error).message}); the file is probably truncated`);
  }
  const pickle = entries.find((entry) => entry.name.endsWith('data.pkl') && entry.name.split('/').length === 2);
  if (!pickle) throw new PickleError('the zip holds no <archive>/data.pkl, so torch.save did not write it');
  const prefix = pickle.name.slice(0, -'data.pkl'.length);
  const byteOrder = entries.find((entry) => entry.name === `${prefix}byteorder`);
  if (byteOrder && (await byteOrder.text()).trim() !== 'little') throw new PickleError('it was saved on a big-endian machine, which is not supported');
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(new Uint8Array(await pickle.arrayBuffer()), 0, globalsTable(), (pid) => storageFrom(pid, storages));
  let cached: { key: string; bytes: Uint8Array } | undefined;
  return {
    file,
    format: 'zip',
    root: value,
    async readStorage(storage, start, count) {
      const size = ELEMENT_BYTES[storage.dtype];
      if (cached?.key !== storage.key) {
        const entry = byName.get(`${prefix}data/${storage.key}`);
        if (!entry) throw invalid(file, `storage ${storage.key} is missing from the zip.`, 'The file is damaged: fetch it again.');
        if (entry.compressionMethod !== 0 && entry.size < storage.numel * size) throw invalid(file, `storage ${storage.key} is compressed and short.`, 'The file is damaged: fetch it again.');
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await entry.arrayBuffer());
        } catch (error) {
          throw invalid(file, `storage ${storage.key} cannot be read: ${(error as Error).message}.`, 'The file is damaged or truncated: fetch it again.', { cause: error });
        }
        if (bytes.length < storage.numel * size) throw invalid(file, `storage ${storage.key} holds ${bytes.length} bytes, not ${storage.numel * size}.`, 'The file is damaged or truncated: fetch it again.');
        cached = { key: storage.key, bytes };
      }
      return cached.bytes.subarray(start * size, (start + count) * size);
    },
  };
}

async function openLegacy(reader: ByteReader, file: string): Promise<TorchCheckpoint> {
  // The pickles are small (a state dict's keys and shapes); read a head that holds them all,
  // doubling it when a pickle runs past its end.
  let length = Math.min(reader.size, 1 << 20);
  for (;;) {
    const head = await readAll(reader, 0, length);
    try {
      return await parseLegacy(reader, file, head);
    } catch (error) {
      const short = error instanceof PickleError && error.message.startsWith('the pickle is cut short');
      if (!short || length >= reader.size) throw error;
      length = Math.min(reader.size, length * 4);
    }
  }
}

async function parseLegacy(reader: ByteReader, file: string, head: Uint8Array): Promise<TorchCheckpoint> {
  const none = new Map<string, GlobalHandler | Built>();
  const magic = unpickle(head, 0, none);
  if (magic.value !== LEGACY_MAGIC) throw new PickleError('a pickle, but not a torch.save file (no magic number)');
  const protocol = unpickle(head, magic.end, none);
  if (protocol.value !== PROTOCOL_VERSION) throw new PickleError(`legacy protocol ${String(protocol.value)}, not ${PROTOCOL_VERSION}`);
  const info = unpickle(head, protocol.end, none);
  if (info.value instanceof PickleDict && info.value.get('little_endian') === false) throw new PickleError('it was saved on a big-endian machine, which is not supported');
  const storages = new Map<string, StorageRef>();
  const main = unpickle(head, info.end, globalsTable(), (pid) => storageFrom(pid, storages));
  const keys = unpickle(head, main.end, none);
  if (!Array.isArray(keys.value) || !keys.value.every((key) => typeof key === 'string')) throw new PickleError('the storage list is not a list of keys');
  // Then, per key in that order: an int64 element count and the elements.
  const offsets = new Map<string, number>();
  let position = keys.end;
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new PickleError(`storage ${key} is listed but no tensor uses it`);
    const count = new DataView((await readAll(reader, position, 8)).slice().buffer).getBigInt64(0, true);
    if (count !== BigInt(storage.numel)) throw new PickleError(`storage ${key} records ${count} elements, its tensor ${storage.numel}`);
    offsets.set(key, position + 8);
    position += 8 + storage.numel * ELEMENT_BYTES[storage.dtype];
    if (position > reader.size) throw new PickleError(`storage ${key} ends at byte ${position}, past the end of the file (${reader.size} bytes): it is truncated`);
  }
  for (const key of storages.keys()) if (!offsets.has(key)) throw new PickleError(`storage ${key} is used but not stored`);
  return {
    file,
    format: 'legacy',
    root: main.value,
    async readStorage(storage, start, count) {
      const size = ELEMENT_BYTES[storage.dtype];
      try {
        return await readAll(reader, offsets.get(storage.key)! + start * size, count * size);
      } catch (error) {
        throw invalid(file, `storage ${storage.key} cannot be read: ${(error as Error).message}.`, 'The file is damaged or truncated: fetch it again.', { cause: error });
      }
    },
  };
}
