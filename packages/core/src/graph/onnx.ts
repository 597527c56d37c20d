/**
 * Small helpers over onnx-proto for reading, building and writing ONNX models in any
 * JavaScript runtime. Only what fslsd's graph code needs.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** The opset fslsd's own graphs use; it matches the exporter. */
export const OPSET = 17;

export const ElementType = { float32: 1, uint8: 2, int64: 7, float16: 10 } as const;
export type ElementTypeName = keyof typeof ElementType;

interface LongLike {
  toNumber(): number;
}

/** protobufjs returns 64-bit integers as numbers or Long objects depending on the install. */
export function toNumber(value: number | LongLike | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Attribute values fslsd uses: int, float, string, ints, floats. */
export type AttributeValue = number | string | readonly number[] | { float: number } | { floats: readonly number[] };

function attribute(name: string, value: AttributeValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: [...(value as readonly number[])] };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: [...(value as { floats: readonly number[] }).floats] };
}

export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, AttributeValue> = {}, name?: string): NodeProto {
  return {
    opType,
    input: [...inputs],
    output: [...outputs],
    name: name ?? `${opType}:${outputs[0] ?? ''}`,
    attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
  };
}

export function valueInfo(name: string, type: ElementTypeName, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ElementType[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array): TensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims: [...dims], dataType: ElementType.float32, rawData: bytes };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [...dims], dataType: ElementType.int64, rawData: bytes };
}

export function makeModel(graph: GraphProto, docString: string, irVersion = 8): ModelProto {
  return { irVersion, opsetImport: [{ domain: '', version: OPSET }], producerName: '@fslsd/core', graph, docString };
}

/** dtype and dims of a graph input/output, for contract checks and messages. */
export function describeValue(value: ValueInfoProto): { dtype: string; dims: (number | string)[] } {
  const tensor = value.type?.tensorType;
  const names: Record<number, string> = { 1: 'float32', 7: 'int64', 10: 'float16', 6: 'int32', 11: 'float64' };
  const dtype = names[tensor?.elemType ?? 0] ?? `type${tensor?.elemType ?? '?'}`;
  const dims = (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue as number | LongLike | null | undefined)));
  return { dtype, dims };
}
