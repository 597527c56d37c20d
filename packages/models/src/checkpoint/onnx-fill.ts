/**
 * Filling an architecture graph: the ONNX bytes with every external-data initializer replaced
 * by its float32 values, written as a stream (one tensor in memory at a time).
 *
 * The graph is read at the protobuf wire level, not through an ONNX library: only the lengths of
 * ModelProto.graph and of each filled GraphProto.initializer change, every other byte is copied.
 * A filled initializer keeps its fields in field-number order with raw_data (9) after name (8)
 * and without external_data (13) and data_location (14): what Python's protobuf writes for the
 * same message, so this fill and `fslsd_reference.architecture --fill` give identical files.
 */

/** One initializer that reads its values from a checkpoint. */
export interface GraphReference {
  /** The initializer's name: the checkpoint path (`encoder_lmk/body.0.weight`) or a derived name. */
  readonly name: string;
  /** external_data's `location`: the checkpoint role (`fslsd`, `psp`...). */
  readonly role: string;
  readonly dims: readonly number[];
  /** ONNX TensorProto.DataType (1 = float). */
  readonly dataType: number;
}

interface Field {
  readonly number: number;
  readonly wireType: number;
  /** Offset of the tag. */
  readonly start: number;
  /** Offset of the value (after the tag and, for LEN, the length). */
  readonly valueStart: number;
  readonly end: number;
}

function readVarint(bytes: Uint8Array, position: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (position >= bytes.length) throw new RangeError('truncated varint');
    const byte = bytes[position++]!;
    value += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) return { value, next: position };
    scale *= 128;
  }
  throw new RangeError('varint longer than 10 bytes');
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

function fields(bytes: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let position = start;
  while (position < end) {
    const tag = readVarint(bytes, position);
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    let valueStart = tag.next;
    let fieldEnd: number;
    if (wireType === 0) fieldEnd = readVarint(bytes, valueStart).next;
    else if (wireType === 1) fieldEnd = valueStart + 8;
    else if (wireType === 5) fieldEnd = valueStart + 4;
    else if (wireType === 2) {
      const length = readVarint(bytes, valueStart);
      valueStart = length.next;
      fieldEnd = valueStart + length.value;
    } else throw new RangeError(`wire type ${wireType} is not used by ONNX`);
    if (fieldEnd > end) throw new RangeError('a field runs past its message');
    out.push({ number, wireType, start: position, valueStart, end: fieldEnd });
    position = fieldEnd;
  }
  return out;
}

const text = (bytes: Uint8Array, field: Field) => new TextDecoder().decode(bytes.subarray(field.valueStart, field.end));

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const EXTERNAL = 1;

type Piece = Uint8Array | { readonly reference: GraphReference; readonly bytes: number };

/** A parsed architecture graph: what to copy and what to fill, in file order. */
export interface FillPlan {
  /** Every initializer to fill, in file order. */
  readonly references: readonly GraphReference[];
  /** Bytes of the filled file. */
  readonly bytes: number;
  /** @internal */
  readonly pieces: readonly Piece[];
}

function reference(bytes: Uint8Array, field: Field): { reference: GraphReference; prefix: Uint8Array; suffix: Uint8Array } | undefined {
  const parts = fields(bytes, field.valueStart, field.end);
  const location = parts.find((part) => part.number === TENSOR_DATA_LOCATION);
  if (!location || readVarint(bytes, location.valueStart).value !== EXTERNAL) return undefined;
  const dims: number[] = [];
  let name = '';
  let dataType = 0;
  let role = '';
  for (const part of parts) {
    if (part.number === TENSOR_DIMS && part.wireType === 0) dims.push(readVarint(bytes, part.valueStart).value);
    else if (part.number === TENSOR_DIMS && part.wireType === 2) {
      for (let p = part.valueStart; p < part.end; ) {
        const dim = readVarint(bytes, p);
        dims.push(dim.value);
        p = dim.next;
      }
    } else if (part.number === TENSOR_DATA_TYPE) dataType = readVarint(bytes, part.valueStart).value;
    else if (part.number === TENSOR_NAME) name = text(bytes, part);
    else if (part.number === TENSOR_EXTERNAL_DATA) {
      const entry = fields(bytes, part.valueStart, part.end);
      const key = entry.find((e) => e.number === 1);
      const value = entry.find((e) => e.number === 2);
      if (key && value && text(bytes, key) === 'location') role = text(bytes, value);
    }
  }
  const keep = (part: Field) => part.number !== TENSOR_EXTERNAL_DATA && part.number !== TENSOR_DATA_LOCATION;
  const join = (list: Field[]) => {
    const total = list.reduce((sum, part) => sum + part.end - part.start, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of list) {
      out.set(bytes.subarray(part.start, part.end), at);
      at += part.end - part.start;
    }
    return out;
  };
  return {
    reference: { name, role, dims, dataType },
    prefix: join(parts.filter((part) => keep(part) && part.number < TENSOR_RAW_DATA)),
    suffix: join(parts.filter((part) => keep(part) && part.number > TENSOR_RAW_DATA)),
  };
}

/**
 * Parses an architecture graph into a fill plan.
 * @throws RangeError when the bytes are not an ONNX model with a graph.
 */
export function planFill(bytes: Uint8Array): FillPlan {
  const model = fields(bytes, 0, bytes.length);
  const graph = model.find((field) => field.number === MODEL_GRAPH && field.wireType === 2);
  if (!graph) throw new RangeError('no graph in the ONNX model');
  const graphPieces: Piece[] = [];
  const references: GraphReference[] = [];
  let graphBytes = 0;
  for (const field of fields(bytes, graph.valueStart, graph.end)) {
    const filled = field.number === GRAPH_INITIALIZER && field.wireType === 2 ? reference(bytes, field) : undefined;
    if (!filled) {
      graphPieces.push(bytes.subarray(field.start, field.end));
      graphBytes += field.end - field.start;
      continue;
    }
    if (filled.reference.dataType !== 1) throw new RangeError(`initializer ${filled.reference.name} is not float32`);
    const data = 4 * filled.reference.dims.reduce((a, b) => a * b, 1);
    const rawHeader = Uint8Array.from([...varint(TENSOR_RAW_DATA * 8 + 2), ...varint(data)]);
    const length = filled.prefix.length + rawHeader.length + data + filled.suffix.length;
    const header = Uint8Array.from([...varint(GRAPH_INITIALIZER * 8 + 2), ...varint(length), ...filled.prefix, ...rawHeader]);
    graphPieces.push(header, { reference: filled.reference, bytes: data }, filled.suffix);
    graphBytes += header.length + data + filled.suffix.length;
    references.push(filled.reference);
  }
  const pieces: Piece[] = [];
  let total = 0;
  for (const field of model) {
    if (field !== graph) {
      pieces.push(bytes.subarray(field.start, field.end));
      total += field.end - field.start;
      continue;
    }
    const header = Uint8Array.from([...varint(MODEL_GRAPH * 8 + 2), ...varint(graphBytes)]);
    pieces.push(header, ...graphPieces);
    total += header.length + graphBytes;
  }
  return { references, bytes: total, pieces };
}

/**
 * Writes the filled graph: copied bytes as they are, each reference as the little-endian float32
 * values `values` returns for it (exactly `dims` elements).
 */
export async function writeFilled(
  plan: FillPlan,
  values: (reference: GraphReference) => Promise<Float32Array>,
  write: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  for (const piece of plan.pieces) {
    if (piece instanceof Uint8Array) {
      if (piece.length) await write(piece);
      continue;
    }
    const data = await values(piece.reference);
    if (data.length * 4 !== piece.bytes) throw new RangeError(`${piece.reference.name}: ${data.length} values for ${piece.bytes / 4}`);
    await write(littleEndian(data));
  }
}

const hostLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function littleEndian(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (hostLittleEndian) return bytes;
  const out = new Uint8Array(bytes.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}
