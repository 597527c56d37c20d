/**
 * Composition of ONNX graphs into one model, so a chain of networks runs as one session and
 * the tensors between them never leave the execution provider.
 *
 * Every name inside a part is prefixed with the part's name, except the inputs and outputs
 * that the part maps to outer names: parts that map to the same outer name are connected.
 */
import { FslsdError } from '../errors.js';
import { type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto, makeModel, toNumber } from './onnx.js';

export interface GraphPart {
  /** Prefix for the part's inner names; must be unique among the parts. */
  readonly name: string;
  readonly model: ModelProto;
  /** Part input name -> outer tensor name. Every graph input of the part must be mapped. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Part output name -> outer tensor name. Unmapped outputs are dropped. */
  readonly outputs: Readonly<Record<string, string>>;
}

export interface ComposeOptions {
  /** The composed model's inputs, in order, with their types. */
  readonly inputs: readonly ValueInfoProto[];
  /** The composed model's outputs, in order, with their types. */
  readonly outputs: readonly ValueInfoProto[];
  readonly docString: string;
}

function hasSubgraph(node: NodeProto): boolean {
  return (node.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length));
}

/** Joins the parts into one model. Throws `GRAPH_COMPOSITION` when the wiring is inconsistent. */
export function composeModels(parts: readonly GraphPart[], options: ComposeOptions): ModelProto {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const produced = new Set<string>(options.inputs.map((v) => v.name ?? ''));
  let irVersion = 8;
  const names = new Set<string>();
  for (const part of parts) {
    if (names.has(part.name)) throw new FslsdError('GRAPH_COMPOSITION', `Two graph parts are named "${part.name}".`);
    names.add(part.name);
    const graph = part.model.graph as GraphProto;
    irVersion = Math.max(irVersion, toNumber(part.model.irVersion as number));
    const opset = (part.model.opsetImport ?? []).find((o) => !o.domain)?.version;
    if (opset !== undefined && toNumber(opset as number) > 17) {
      throw new FslsdError('GRAPH_COMPOSITION', `Part "${part.name}" uses opset ${toNumber(opset as number)}; fslsd composes opset <= 17.`, {
        fix: 'Re-export the model with opset 17 (fslsd_reference.export does).',
      });
    }
    const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
    const graphInputs = (graph.input ?? []).map((v) => v.name ?? '').filter((n) => !initializerNames.has(n));
    for (const input of graphInputs) {
      if (!(input in part.inputs)) {
        throw new FslsdError('GRAPH_COMPOSITION', `Input "${input}" of part "${part.name}" is not connected.`);
      }
    }
    const graphOutputs = new Set((graph.output ?? []).map((v) => v.name ?? ''));
    for (const output of Object.keys(part.outputs)) {
      if (!graphOutputs.has(output)) throw new FslsdError('GRAPH_COMPOSITION', `Part "${part.name}" has no output "${output}".`);
    }
    const rename = (name: string): string => {
      if (name === '') return name; // an omitted optional input stays omitted
      return part.inputs[name] ?? part.outputs[name] ?? `${part.name}/${name}`;
    };
    for (const tensor of graph.initializer ?? []) initializers.push({ ...tensor, name: rename(tensor.name ?? '') });
    for (const node of graph.node ?? []) {
      if (hasSubgraph(node)) {
        throw new FslsdError('GRAPH_COMPOSITION', `Node "${node.name}" of part "${part.name}" holds a subgraph; fslsd does not compose control flow.`);
      }
      const renamed: NodeProto = { ...node, name: `${part.name}/${node.name ?? node.opType}`, input: (node.input ?? []).map(rename), output: (node.output ?? []).map(rename) };
      nodes.push(renamed);
      for (const out of renamed.output ?? []) produced.add(out);
    }
    for (const tensor of graph.initializer ?? []) produced.add(rename(tensor.name ?? ''));
  }
  for (const node of nodes) {
    for (const input of node.input ?? []) {
      if (input !== '' && !produced.has(input)) {
        throw new FslsdError('GRAPH_COMPOSITION', `Tensor "${input}" consumed by node "${node.name}" is produced by no part and is no model input.`);
      }
    }
  }
  for (const output of options.outputs) {
    if (!produced.has(output.name ?? '')) throw new FslsdError('GRAPH_COMPOSITION', `Model output "${output.name}" is produced by no part.`);
  }
  const graph: GraphProto = {
    name: 'fslsd',
    node: nodes,
    initializer: initializers,
    input: [...options.inputs],
    output: [...options.outputs],
  };
  return makeModel(graph, options.docString, irVersion);
}
