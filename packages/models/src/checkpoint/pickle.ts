/**
 * A restricted unpickler: Python's pickle protocols 0-5 as torch.save writes them, where a
 * GLOBAL resolves only through an allow-list and nothing is ever executed.
 *
 * Written here rather than taken from npm: `pickleparser` (the one maintained JavaScript
 * unpickler) turns an unknown global into a placeholder object instead of refusing it, has no
 * hook for torch's persistent storage ids, and cannot report where a pickle ends inside a larger
 * byte stream, which the legacy checkpoint format needs (five pickles, then raw storages).
 */

/** A value an allowed global builds (tensor, storage, bytes...), opaque to the unpickler. */
export interface Built {
  readonly kind: string;
}

/** A Python dict (or OrderedDict): insertion-ordered, keys as they were pickled. */
export class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>();

  get(key: PickleKey): PickleValue | undefined {
    return this.entries.get(key);
  }
}

/** A Python tuple (lists are plain arrays). */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

export type PickleKey = string | number | bigint | boolean | null;
export type PickleValue = PickleKey | Uint8Array | PickleValue[] | PickleTuple | PickleDict | Built;

/** How an allowed global behaves when the pickle calls it (REDUCE) or instantiates it (NEWOBJ). */
export type GlobalHandler = (args: readonly PickleValue[]) => PickleValue;

/** The allow-list: `module.name` -> handler. Anything absent is refused. */
export type Globals = ReadonlyMap<string, GlobalHandler | Built>;

/** Raised for every refused or malformed pickle; the caller turns it into a typed error. */
export class PickleError extends Error {
  constructor(
    message: string,
    /** The refused global (`posix.system`), when that was the problem. */
    readonly global?: string,
  ) {
    super(message);
    this.name = 'PickleError';
  }
}

class Mark {}
const MARK = new Mark();

class GlobalRef {
  constructor(
    readonly name: string,
    readonly target: GlobalHandler | Built,
  ) {}
}

type StackItem = PickleValue | Mark | GlobalRef;

const decoder = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/**
 * Unpickles one pickle starting at `start` of `bytes`.
 * @returns the value and the offset just after its STOP opcode.
 * @throws PickleError for a refused global, an unknown opcode or a pickle cut short.
 */
export function unpickle(
  bytes: Uint8Array,
  start: number,
  globals: Globals,
  persistentLoad: (pid: PickleValue) => PickleValue = () => {
    throw new PickleError('persistent ids are not allowed here');
  },
): { value: PickleValue; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = start;
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, StackItem>();

  const need = (count: number): void => {
    if (position + count > bytes.length) throw new PickleError(`the pickle is cut short at byte ${bytes.length}`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[position++]!;
  };
  const u16 = (): number => {
    need(2);
    const value = view.getUint16(position, true);
    position += 2;
    return value;
  };
  const u32 = (): number => {
    need(4);
    const value = view.getUint32(position, true);
    position += 4;
    return value;
  };
  const u64 = (): number => {
    need(8);
    const value = view.getBigUint64(position, true);
    position += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError('a length does not fit in 2^53');
    return Number(value);
  };
  const take = (count: number): Uint8Array => {
    need(count);
    const slice = bytes.subarray(position, position + count);
    position += count;
    return slice;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0) throw new PickleError('the pickle is cut short inside a text line');
    const text = latin1.decode(bytes.subarray(position, end));
    position = end + 1;
    return text;
  };
  const text = (count: number): string => {
    try {
      return decoder.decode(take(count));
    } catch (error) {
      if (error instanceof PickleError) throw error;
      throw new PickleError('a string is not valid UTF-8');
    }
  };
  const pop = (): StackItem => {
    if (stack.length === 0 || (marks.length && stack.length === marks[marks.length - 1])) throw new PickleError('stack underflow');
    return stack.pop()!;
  };
  const value = (item: StackItem): PickleValue => {
    if (item instanceof Mark || item instanceof GlobalRef) throw new PickleError('a mark or a global used as a value');
    return item;
  };
  const popMark = (): StackItem[] => {
    const mark = marks.pop();
    if (mark === undefined) throw new PickleError('no mark on the stack');
    return stack.splice(mark);
  };
  const top = (): StackItem => {
    if (!stack.length) throw new PickleError('stack underflow');
    return stack[stack.length - 1]!;
  };
  const resolve = (module: string, name: string): GlobalRef | Built => {
    const full = `${module}.${name}`;
    const target = globals.get(full);
    if (!target) throw new PickleError(`the pickle asks for the global ${full}, which is not on the allow-list`, full);
    // A callable stays a reference until REDUCE; a marker (a storage type) is a value.
    return typeof target === 'function' ? new GlobalRef(full, target) : target;
  };
  const call = (callable: StackItem, args: StackItem): PickleValue => {
    if (!(callable instanceof GlobalRef)) throw new PickleError('REDUCE on something that is not an allowed global');
    if (typeof callable.target !== 'function') throw new PickleError(`${callable.name} cannot be called`, callable.name);
    const list = args instanceof PickleTuple ? args.items : Array.isArray(args) ? args : undefined;
    if (!list) throw new PickleError('REDUCE arguments are not a tuple');
    return callable.target(list);
  };
  const setItems = (target: StackItem, items: StackItem[]): void => {
    if (!(target instanceof PickleDict)) throw new PickleError('SETITEM on something that is not a dict');
    if (items.length % 2) throw new PickleError('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const key = value(items[i]!);
      if (key !== null && typeof key === 'object') throw new PickleError('a dict key that is not a string or number');
      target.entries.set(key, value(items[i + 1]!));
    }
  };
  const long = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    let result = 0n;
    for (let i = raw.length - 1; i >= 0; i--) result = (result << 8n) | BigInt(raw[i]!);
    if (raw[raw.length - 1]! & 0x80) result -= 1n << BigInt(8 * raw.length);
    return result >= BigInt(Number.MIN_SAFE_INTEGER) && result <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(result) : result;
  };

  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError('pickle protocol above 5');
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw new PickleError(`STOP with ${stack.length} items on the stack`);
        return { value: value(stack[0]!), end: position };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(position, true));
        position += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: {
        // INT (text): also the protocol-0 booleans I01 / I00
        const digits = line();
        stack.push(digits === '01' ? true : digits === '00' ? false : Number.parseInt(digits, 10));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(BigInt(line().replace(/L$/, '')));
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(take(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(position, false));
        position += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x56: // UNICODE (protocol 0: raw-unicode-escape, one line)
        stack.push(line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, short: string, long: string) => String.fromCodePoint(Number.parseInt(short ?? long, 16))));
        break;
      case 0x53: {
        // STRING (protocol 0: a quoted Python 2 str)
        const quoted = line();
        const quote = quoted[0];
        if ((quote !== "'" && quote !== '"') || quoted[quoted.length - 1] !== quote) throw new PickleError('STRING without quotes');
        stack.push(quoted.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, escape: string) => (escape[0] === 'x' ? String.fromCharCode(Number.parseInt(escape.slice(1), 16)) : ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[escape] ?? escape)));
        break;
      }
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([value(pop())]));
        break;
      case 0x86: {
        // TUPLE2
        const b = value(pop());
        stack.push(new PickleTuple([value(pop()), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = value(pop());
        const b = value(pop());
        stack.push(new PickleTuple([value(pop()), b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark().map(value)));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark().map(value));
        break;
      case 0x61: {
        // APPEND
        const item = value(pop());
        const list = top();
        if (!Array.isArray(list)) throw new PickleError('APPEND to something that is not a list');
        list.push(item);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark().map(value);
        const list = top();
        if (!Array.isArray(list)) throw new PickleError('APPENDS to something that is not a list');
        list.push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PickleDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const item = pop();
        const key = pop();
        setItems(top(), [key, item]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET: kept as a list
        stack.push([]);
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark().map(value);
        const set = top();
        if (!Array.isArray(set)) throw new PickleError('ADDITEMS to something that is not a set');
        set.push(...items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark().map(value));
        break;
      case 0x70: // PUT (text index)
        memo.set(Number.parseInt(line(), 10), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET (text index)
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = opcode === 0x67 ? Number.parseInt(line(), 10) : opcode === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw new PickleError(`memo ${index} read before it was written`);
        stack.push(memo.get(index)!);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(resolve(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = value(pop());
        const module = value(pop());
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('STACK_GLOBAL without two strings');
        stack.push(resolve(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(call(callable, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), only for allowed classes
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x62: {
        // BUILD: object state. Allowed for the one case torch writes: an OrderedDict's
        // __dict__ (a state dict's `_metadata`), which carries no tensor.
        const state = value(pop());
        const target = top();
        if (!(target instanceof PickleDict)) throw new PickleError('BUILD on an object other than a dict');
        if (state !== null && !(state instanceof PickleDict) && !(state instanceof PickleTuple)) throw new PickleError('BUILD with a state that is not a dict');
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(value(pop())));
        break;
      case 0x50: // PERSID (text)
        stack.push(persistentLoad(line()));
        break;
      default:
        throw new PickleError(`opcode 0x${opcode.toString(16).padStart(2, '0')} at byte ${position - 1} is not supported (INST, OBJ, EXT and out-of-band buffers are refused)`);
    }
  }
}
