/**
 * The restricted unpickler on pickles written by CPython 3.11's `pickle.dumps` (the hex below),
 * protocols 0, 2 and 4: values, sharing through the memo, and refusal of every global that is not
 * on the allow-list. The checkpoint-level tests (torch-written files) are in
 * packages/node/test/import.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PickleDict, PickleTuple, type PickleValue } from '../src/checkpoint/pickle.js';
import { ALLOWED_GLOBALS, openCheckpoint } from '../src/checkpoint/torch-file.js';
import { type GlobalHandler, PickleError, unpickle } from '../src/checkpoint/pickle.js';
import { CheckpointError } from '@fslsd/core';

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (pair) => Number.parseInt(pair, 16));

// {'a': [1, 2.5, 'x', None, True, -70000, 2**70, b'\x00\xff'], 'b': (1, 2, 3, 4)}
const PROTOCOL_2 =
  '80027d71002858010000006171015d7102284b0147400400000000000058010000007871034e884a90eefeff8a09000000000000000040635f636f646563730a656e636f64650a7104580300000000c3bf710558060000006c6174696e317106867107527108655801000000627109284b014b024b034b0474710a752e';
const PROTOCOL_4 =
  '80049542000000000000007d94288c0161945d94284b014740040000000000008c0178944e884a90eefeff8a09000000000000000040430200ff94658c016294284b014b024b034b047494752e';
// The same without the bytes, in protocol 0 (text opcodes).
const PROTOCOL_0 =
  '286470300a56610a70310a286c70320a49310a6146322e350a6156780a70330a614e614930310a61492d37303030300a614c313138303539313632303731373431313330333432344c0a617356620a70340a2849310a49320a49330a49340a7470350a732e';
// [E()] where E.__reduce__ returns (os.system, ('echo hi',))
const OS_SYSTEM = '80025d710063706f7369780a73797374656d0a710158070000006563686f2068697102857103527104612e';
// collections.OrderedDict([('k', 1)])
const ORDERED = '800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006b71024b01732e';
// x = [1]; [x, x]
const SHARED = '80025d7100285d71014b01616801652e';

const allowed = new Map<string, GlobalHandler>([
  ['collections.OrderedDict', () => new PickleDict()],
  ['_codecs.encode', (args) => Uint8Array.from(String(args[0]), (c) => c.charCodeAt(0))],
]);

function plain(value: PickleValue): unknown {
  if (value instanceof PickleDict) return Object.fromEntries([...value.entries].map(([k, v]) => [String(k), plain(v)]));
  if (value instanceof PickleTuple) return { tuple: value.items.map(plain) };
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array) return { bytes: [...value] };
  return value;
}

describe('restricted unpickler', () => {
  it.each([
    ['protocol 2', PROTOCOL_2, true],
    ['protocol 4 (frames, memoize, short strings and bytes)', PROTOCOL_4, true],
    ['protocol 0 (text opcodes)', PROTOCOL_0, false],
  ])('reads %s', (_name, hex, withBytes) => {
    const input = bytes(hex);
    const { value, end } = unpickle(input, 0, allowed);
    expect(end).toBe(input.length);
    const list = [1, 2.5, 'x', null, true, -70000, 2n ** 70n, ...(withBytes ? [{ bytes: [0, 255] }] : [])];
    expect(plain(value)).toEqual({ a: list, b: { tuple: [1, 2, 3, 4] } });
  });

  it('keeps shared objects shared (memo)', () => {
    const { value } = unpickle(bytes(SHARED), 0, allowed);
    const [first, second] = value as PickleValue[][];
    expect(first).toBe(second);
    expect(first).toEqual([1]);
  });

  it('builds an OrderedDict through the allow-list', () => {
    const { value } = unpickle(bytes(ORDERED), 0, allowed);
    expect(plain(value)).toEqual({ k: 1 });
  });

  it('refuses a global that is not allowed, naming it, without calling anything', () => {
    const error = (() => {
      try {
        unpickle(bytes(OS_SYSTEM), 0, allowed);
      } catch (caught) {
        return caught as PickleError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PickleError);
    expect(error?.global).toBe('posix.system');
    expect(ALLOWED_GLOBALS).toEqual(expect.arrayContaining(['torch._utils._rebuild_tensor_v2', 'collections.OrderedDict', 'torch.FloatStorage']));
    expect(ALLOWED_GLOBALS.some((name) => /^(os|posix|builtins|subprocess|nt)\./.test(name))).toBe(false);
  });

  it('reports a pickle cut short, and where a pickle ends inside a longer stream', () => {
    const input = bytes(PROTOCOL_2);
    expect(() => unpickle(input.subarray(0, 40), 0, allowed)).toThrow(/cut short/);
    const twice = new Uint8Array([...bytes(SHARED), ...bytes(SHARED)]);
    const first = unpickle(twice, 0, allowed);
    expect(first.end).toBe(bytes(SHARED).length);
    expect(plain(unpickle(twice, first.end, allowed).value)).toEqual([[1], [1]]);
  });

  it('a checkpoint that calls os.system is a CheckpointError naming posix.system', async () => {
    const input = bytes(OS_SYSTEM);
    const error = (await openCheckpoint({ size: input.length, read: async (offset, length) => input.subarray(offset, offset + length) }, 'hostile.pt').catch((caught: unknown) => caught)) as CheckpointError;
    expect(error).toBeInstanceOf(CheckpointError);
    expect([error.code, error.key]).toEqual(['CHECKPOINT_INVALID', 'posix.system']);
  });
});
