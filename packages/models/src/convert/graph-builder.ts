/**
 * A small builder for the converted face networks: it turns TensorFlow.js layers (NHWC
 * activations, HWIO filters) into ONNX operators (NCHW activations, OIHW filters) and keeps
 * track of names, initializers and static shapes.
 */
import { type AttributeValue, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto, floatTensor, makeModel, node, onnxProto, valueInfo } from '@fslsd/core/graph';
import type { Weight } from './tfjs-weights.js';

/** Where ONNX puts the padding of a spatial operator: [top, left, bottom, right]. */
export type Pads = readonly [number, number, number, number];

/** A tensor in the graph with its NCHW shape (symbolic sizes are strings). */
export interface Value {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

const NO_PADS: Pads = [0, 0, 0, 0];

/** ONNX element type codes (TensorProto.DataType). */
const DataType = onnxProto.TensorProto.DataType;

/**
 * TensorFlow's 'same' padding for one axis: the output has ceil(size / stride) elements and
 * any odd padding goes after the data (bottom/right), unlike a symmetric framework default.
 */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + kernel - size);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size of a window operator on one static axis. */
function windowOutput(size: number | string, kernel: number, stride: number, before: number, after: number): number | string {
  if (typeof size === 'string') return size;
  return Math.floor((size + before + after - kernel) / stride) + 1;
}

/** Reorders the elements of a row-major tensor by `permutation` (like numpy.transpose). */
export function transposeElements<T extends Float32Array | Uint8Array>(data: T, shape: readonly number[], permutation: readonly number[]): T {
  const rank = shape.length;
  const outShape = permutation.map((p) => shape[p]!);
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i -= 1) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < data.length; o += 1) {
    let source = 0;
    for (let d = 0; d < rank; d += 1) source += index[d]! * strides[permutation[d]!]!;
    out[o] = data[source]!;
    for (let d = rank - 1; d >= 0; d -= 1) {
      index[d] = index[d]! + 1;
      if (index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();

  /** A fresh tensor name derived from `base` (names must be unique in an ONNX graph). */
  name(base: string): string {
    let candidate = base;
    for (let i = 1; this.used.has(candidate); i += 1) candidate = `${base}_${i}`;
    this.used.add(candidate);
    return candidate;
  }

  /** Adds an operator; returns its (first) output name. */
  op(opType: string, inputs: readonly string[], output: string, attributes: Record<string, AttributeValue> = {}): string {
    const name = this.name(output);
    this.nodes.push(node(opType, inputs, [name], attributes));
    return name;
  }

  /** A float32 constant. */
  constant(base: string, dims: readonly number[], values: Float32Array): string {
    const name = this.name(base);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  /** An int64 constant (shapes, pads). */
  int64(base: string, values: readonly number[]): string {
    const name = this.name(base);
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: bytes });
    return name;
  }

  /**
   * A weight in the graph, laid out by `permutation` (applied to the tfjs layout) and reshaped
   * to `dims`. 8-bit weights stay 8-bit: a uint8 initializer of codes plus the 256-entry table
   * tfjs dequantises with, joined by Gather. That keeps the files near the size of the tfjs
   * originals (the descriptor would be ~22 MB in float32) while every weight the network sees
   * is bit-identical to tfjs's. ONNX Runtime folds the Gather into a constant at load time.
   */
  weight(weight: Weight, permutation: readonly number[], dims: readonly number[]): string {
    const base = weight.name.replace(/\//g, '.');
    if (!weight.codes || !weight.table) {
      return this.constant(base, dims, transposeElements(weight.values, weight.shape, permutation));
    }
    const codes = transposeElements(weight.codes, weight.shape, permutation);
    const codesName = this.name(`${base}.codes`);
    this.initializers.push({ name: codesName, dims: [...dims], dataType: DataType.UINT8, rawData: codes });
    const table = this.constant(`${base}.table`, [256], weight.table);
    const indices = this.op('Cast', [codesName], `${base}.indices`, { to: DataType.INT32 });
    return this.op('Gather', [table, indices], base, { axis: 0 });
  }

  /** tfjs conv2d filter [kh, kw, in, out] -> ONNX Conv weight [out, in, kh, kw]. */
  convFilter(weight: Weight): string {
    const [kh, kw, cin, cout] = weight.shape as [number, number, number, number];
    return this.weight(weight, [3, 2, 0, 1], [cout, cin, kh, kw]);
  }

  /** tfjs depthwise filter [kh, kw, channels, 1] -> grouped ONNX Conv weight [channels, 1, kh, kw]. */
  depthwiseFilter(weight: Weight): string {
    const [kh, kw, channels] = weight.shape as [number, number, number, number];
    return this.weight(weight, [2, 3, 0, 1], [channels, 1, kh, kw]);
  }

  /** A per-channel vector [C] shaped [1, C, 1, 1] so it broadcasts over NCHW activations. */
  channelVector(weight: Weight): string {
    return this.weight(weight, [0], [1, weight.shape[0]!, 1, 1]);
  }

  /** A 1-D bias [C], as Conv's third input takes it. */
  bias(weight: Weight): string {
    return this.weight(weight, [0], [weight.shape[0]!]);
  }

  /**
   * Conv with explicit padding. `filter` is an ONNX weight name, `channels` the output
   * channel count (for shape tracking).
   */
  conv(input: Value, filter: string, bias: string | undefined, options: { kernel: number; stride: number; pads: Pads; channels: number; group?: number; name: string }): Value {
    const { kernel, stride, pads, channels, group = 1 } = options;
    const output = this.op('Conv', bias ? [input.name, filter, bias] : [input.name, filter], options.name, {
      kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [...pads], group, dilations: [1, 1],
    });
    return {
      name: output,
      shape: [input.shape[0]!, channels, windowOutput(input.shape[2]!, kernel, stride, pads[0], pads[2]), windowOutput(input.shape[3]!, kernel, stride, pads[1], pads[3])],
    };
  }

  /** MaxPool / AveragePool with explicit padding (or SAME_UPPER when sizes are symbolic). */
  pool(kind: 'MaxPool' | 'AveragePool', input: Value, options: { kernel: number; stride: number; pads?: Pads; sameUpper?: boolean; name: string }): Value {
    const { kernel, stride, pads = NO_PADS } = options;
    const attributes: Record<string, AttributeValue> = { kernel_shape: [kernel, kernel], strides: [stride, stride] };
    if (options.sameUpper) attributes.auto_pad = 'SAME_UPPER';
    else attributes.pads = [...pads];
    const output = this.op(kind, [input.name], options.name, attributes);
    const size = (s: number | string, before: number, after: number): number | string => {
      if (!options.sameUpper) return windowOutput(s, kernel, stride, before, after);
      return typeof s === 'string' ? s : Math.ceil(s / stride);
    };
    return { name: output, shape: [input.shape[0]!, input.shape[1]!, size(input.shape[2]!, pads[0], pads[2]), size(input.shape[3]!, pads[1], pads[3])] };
  }

  /** An elementwise operator that keeps the shape of `input`. */
  same(opType: string, input: Value, others: readonly string[], name: string, attributes: Record<string, AttributeValue> = {}): Value {
    return { name: this.op(opType, [input.name, ...others], name, attributes), shape: input.shape };
  }

  /** Renames the final tensor by routing it through Identity (graph outputs need stable names). */
  output(input: Value, name: string): Value {
    this.used.add(name);
    this.nodes.push(node('Identity', [input.name], [name]));
    return { name, shape: input.shape };
  }

  /** The finished model. */
  model(inputs: readonly ValueInfoProto[], outputs: readonly ValueInfoProto[], graphName: string, docString: string): ModelProto {
    return {
      ...makeModel({ name: graphName, node: this.nodes, initializer: this.initializers, input: [...inputs], output: [...outputs] }, docString),
      producerName: '@fslsd/models convert',
    };
  }
}

export { valueInfo };
