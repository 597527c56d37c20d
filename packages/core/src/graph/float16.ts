/**
 * Half precision: a graph rewritten to compute in float16 while its inputs and outputs stay
 * float32, so a stage's feeds, contracts and results do not change. GPUs with fast float16
 * (WebGPU adapters with `shader-f16`, CUDA) run such graphs with half the memory traffic.
 *
 * What changes: every float32 initializer and constant becomes float16; casts to float become
 * casts to float16; a Cast at each float input and output converts at the boundary. What stays
 * float32: the `roi` and `scales` inputs of Resize (the ONNX spec types them float32) and the
 * ops in {@link FLOAT32_OPS}, which are wrapped in casts. Parity against float32 is a test
 * (packages/node/test/float16.test.ts), with its tolerance stated there.
 */
import { FslsdError } from '../errors.js';
import { type GraphProto, type ModelProto, type NodeProto, type TensorProto, ElementType, node, onnx } from './onnx.js';

/** Ops left in float32 (wrapped in casts): no float16 kernel in the runtimes we target. */
export const FLOAT32_OPS: ReadonlySet<string> = new Set(['OneHot']);

const FLOAT = ElementType.float32;
const FLOAT16 = ElementType.float16;
const HALF_MAX = 65504;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE float16 bits of a float32 value, round to nearest even; beyond 65504 saturates to +-65504. */
export function float16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const clamped = Math.max(-HALF_MAX, Math.min(HALF_MAX, value));
  scratch[0] = clamped;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0 && mantissa === 0) return sign;
  const halfExponent = exponent - 127 + 15;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the mantissa with its implicit 1 into place, round to even.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1))) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1))) half += 1; // a carry into the exponent is still correct
  return sign | half;
}

/** The float32 values of an initializer or constant tensor. */
function floatValues(tensor: TensorProto, where: string): Float32Array {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new FslsdError('GRAPH_COMPOSITION', `Tensor "${tensor.name}" (${where}) keeps its data in a file; float16 conversion needs it inline.`, {
      fix: 'Convert before the weights are moved out (createSwapper does this for precision "float16").',
    });
  }
  const raw = tensor.rawData;
  if (raw && raw.byteLength) {
    // A copy, aligned: raw data may be an unaligned view, and a Node Buffer's slice() is a view too.
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

function toHalfTensor(tensor: TensorProto, where: string): TensorProto {
  const values = floatValues(tensor, where);
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i += 1) bits[i] = float16Bits(values[i]!);
  return { ...tensor, dataType: FLOAT16, rawData: new Uint8Array(bits.buffer), floatData: [] };
}

function setElementType(value: { type?: { tensorType?: { elemType?: number | null } | null } | null }, elemType: number): void {
  if (value.type?.tensorType) value.type = { ...value.type, tensorType: { ...value.type.tensorType, elemType } };
}

/**
 * A copy of `model` that computes in float16 with float32 inputs and outputs.
 * @throws FslsdError `GRAPH_COMPOSITION` when an initializer's data is external, or the graph has subgraphs.
 */
export function toFloat16(model: ModelProto): ModelProto {
  const graph = model.graph as GraphProto;
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const isFloat = (v: { type?: { tensorType?: { elemType?: number | null } | null } | null }) => v.type?.tensorType?.elemType === FLOAT;
  const floatInputs = (graph.input ?? []).filter((v) => isFloat(v) && !initializerNames.has(v.name ?? '')).map((v) => v.name ?? '');
  const floatOutputs = (graph.output ?? []).filter(isFloat).map((v) => v.name ?? '');
  // Inside the graph, a float input is read as its float16 cast, a float output is produced in
  // float16 under another name and cast back.
  const rename = new Map<string, string>();
  for (const name of [...floatInputs, ...floatOutputs]) rename.set(name, `${name}__float16`);
  const renamed = (name: string) => rename.get(name) ?? name;

  const nodes: NodeProto[] = floatInputs.map((name) => node('Cast', [name], [renamed(name)], { to: FLOAT16 }, `float16/in/${name}`));
  for (const original of graph.node ?? []) {
    if ((original.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length))) {
      throw new FslsdError('GRAPH_COMPOSITION', `Node "${original.name}" holds a subgraph; fslsd does not convert control flow to float16.`);
    }
    let current: NodeProto = { ...original, input: (original.input ?? []).map(renamed), output: (original.output ?? []).map(renamed) };
    if (current.opType === 'Cast') {
      current = { ...current, attribute: (current.attribute ?? []).map((a) => (a.name === 'to' && Number(a.i) === FLOAT ? { ...a, i: FLOAT16 } : a)) };
    } else if (current.opType === 'Constant' || current.opType === 'ConstantOfShape') {
      current = { ...current, attribute: (current.attribute ?? []).map((a) => (a.t && a.t.dataType === FLOAT ? { ...a, t: toHalfTensor(a.t, `attribute of ${current.name}`) } : a)) };
    } else if (current.opType === 'Resize') {
      // roi and scales are float32 by the spec, whatever the data type.
      const inputs = [...(current.input ?? [])];
      for (const index of [1, 2]) {
        const name = inputs[index];
        if (!name) continue;
        const cast = `${name}__float32/${current.name}`;
        nodes.push(node('Cast', [name], [cast], { to: FLOAT }, `float16/resize/${cast}`));
        inputs[index] = cast;
      }
      current = { ...current, input: inputs };
    } else if (FLOAT32_OPS.has(current.opType ?? '')) {
      // Run it in float32: float16 inputs cast up, its outputs cast down. Which inputs are
      // float is not known without shape inference; for OneHot only `values` (input 2) is.
      const inputs = [...(current.input ?? [])];
      const value = inputs[2];
      if (value) {
        inputs[2] = `${value}__float32/${current.name}`;
        nodes.push(node('Cast', [value], [inputs[2]], { to: FLOAT }, `float16/wrap/${inputs[2]}`));
      }
      const outputs = (current.output ?? []).map((o) => `${o}__float32`);
      nodes.push({ ...current, input: inputs, output: outputs });
      for (const [k, o] of outputs.entries()) nodes.push(node('Cast', [o], [current.output![k]!], { to: FLOAT16 }, `float16/unwrap/${o}`));
      continue;
    }
    nodes.push(current);
  }
  for (const name of floatOutputs) nodes.push(node('Cast', [renamed(name)], [name], { to: FLOAT }, `float16/out/${name}`));

  const initializer = (graph.initializer ?? []).map((t) => (t.dataType === FLOAT ? toHalfTensor(t, `initializer of ${model.graph?.name ?? 'graph'}`) : t));
  // Graph inputs that name initializers (older IR) follow their initializer's new type.
  const input = (graph.input ?? []).map((v) => {
    if (!initializerNames.has(v.name ?? '') || !isFloat(v)) return v;
    const copy = { ...v };
    setElementType(copy, FLOAT16);
    return copy;
  });
  return {
    ...model,
    graph: { ...graph, node: nodes, initializer, input, valueInfo: [] },
  };
}
