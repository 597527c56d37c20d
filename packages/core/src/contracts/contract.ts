/**
 * Model contracts: the tensors each network must take and give, checked when a model loads.
 *
 * A dimension is a number (must match) or a symbol such as `c0` (any positive size, but the
 * same size everywhere the symbol appears across models): that is how the generator's,
 * the target encoder's and the decoder's feature channels are tied together at any width.
 */
import { ContractError } from '../errors.js';
import { type ModelProto, describeValue } from '../graph/onnx.js';

/** Ids of the six networks of one swap. */
export type ModelId = 'psp-encoder' | 'landmark-encoder' | 'latent-editor' | 'generator' | 'target-encoder' | 'decoder';

/** Every model id, in pipeline order. */
export const MODEL_IDS: readonly ModelId[] = Object.freeze(['psp-encoder', 'landmark-encoder', 'latent-editor', 'generator', 'target-encoder', 'decoder']);

/** Networks a model set may carry besides the six: the 106-point landmarker (H3R) that feeds E_le. */
export type OptionalModelId = 'landmarker-106';
export const OPTIONAL_MODEL_IDS: readonly OptionalModelId[] = Object.freeze(['landmarker-106']);
/** The three networks of a MegaFS set (megafs/contracts.ts has their contracts). */
export type MegaFSModelId = 'megafs-encoder' | 'megafs-transfer' | 'megafs-generator';
export const MEGAFS_MODEL_IDS: readonly MegaFSModelId[] = Object.freeze(['megafs-encoder', 'megafs-transfer', 'megafs-generator']);
/** Any network a model set may list. */
export type AnyModelId = ModelId | OptionalModelId | MegaFSModelId;

export type Dim = number | string;

export interface TensorContract {
  readonly name: string;
  readonly dtype: 'float32' | 'int64';
  readonly shape: readonly Dim[];
  /** Nominal value range the pipeline feeds or expects, for documentation and input checks. */
  readonly range?: readonly [number, number];
}

export interface ModelContract {
  readonly id: AnyModelId;
  readonly inputs: readonly TensorContract[];
  readonly outputs: readonly TensorContract[];
}

export const formatTensor = (dtype: string, dims: readonly Dim[]): string => `${dtype}[${dims.join(',')}]`;

/**
 * Checks a model's graph against its contract. Symbols are bound in `bindings` (shared
 * across calls, so consistency between models is checked too).
 * @throws ContractError naming the model, the tensor, the expected and the actual type.
 */
export function checkModelContract(contract: ModelContract, model: ModelProto, bindings: Map<string, number> = new Map()): void {
  const graph = model.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const sides: [string, readonly TensorContract[], NonNullable<typeof graph.input>][] = [
    ['input', contract.inputs, (graph.input ?? []).filter((v) => !initializers.has(v.name))],
    ['output', contract.outputs, graph.output ?? []],
  ];
  for (const [side, expected, actual] of sides) {
    for (const tensor of expected) {
      const found = actual.find((v) => v.name === tensor.name);
      const wanted = formatTensor(tensor.dtype, tensor.shape);
      if (!found) {
        throw new ContractError(contract.id, tensor.name, `an ${side} ${wanted}`, `no ${side} "${tensor.name}" (${side}s: ${actual.map((v) => v.name).join(', ') || 'none'})`);
      }
      const { dtype, dims } = describeValue(found);
      const mismatch = () => new ContractError(contract.id, tensor.name, wanted, formatTensor(dtype, dims));
      if (dtype !== tensor.dtype || dims.length !== tensor.shape.length) throw mismatch();
      tensor.shape.forEach((want, axis) => {
        const have = dims[axis];
        if (typeof want === 'number') {
          if (have !== want) throw mismatch();
          return;
        }
        if (typeof have !== 'number' || have <= 0) throw mismatch();
        const bound = bindings.get(want);
        if (bound === undefined) bindings.set(want, have);
        else if (bound !== have) {
          throw new ContractError(contract.id, tensor.name, `${formatTensor(tensor.dtype, tensor.shape.map((d) => (d === want ? bound : d)))} (${want} = ${bound} in an earlier model)`, formatTensor(dtype, dims),
            'The models come from different sets or widths; load all six from one manifest.');
        }
      });
    }
    if (side === 'input' && actual.length !== expected.length) {
      const extra = actual.filter((v) => !expected.some((t) => t.name === v.name)).map((v) => v.name);
      throw new ContractError(contract.id, extra[0] ?? '?', 'no further inputs', `extra inputs ${extra.join(', ')}`);
    }
  }
}

/**
 * Checks what a manifest declares about a model's tensors (dtype, shape, value range) against
 * the contract, so a set exported for other value ranges or sizes is refused at load.
 * @throws ContractError naming the model and the tensor.
 */
export function checkDeclaredContract(contract: ModelContract, declared: { inputs?: readonly TensorContract[]; outputs?: readonly TensorContract[] }): void {
  for (const [expected, listed] of [
    [contract.inputs, declared.inputs],
    [contract.outputs, declared.outputs],
  ] as const) {
    if (!listed) continue;
    for (const tensor of expected) {
      const entry = listed.find((t) => t.name === tensor.name);
      if (!entry) continue;
      if (tensor.range && entry.range && (entry.range[0] !== tensor.range[0] || entry.range[1] !== tensor.range[1])) {
        throw new ContractError(contract.id, tensor.name, `values in [${tensor.range.join(', ')}]`, `values in [${entry.range.join(', ')}] (declared by the manifest)`,
          'The model was exported for another input normalisation; re-export it with fslsd_reference.export.');
      }
      const fixed = tensor.shape.every((d, i) => typeof d !== 'number' || entry.shape?.[i] === d);
      if (entry.dtype !== tensor.dtype || entry.shape?.length !== tensor.shape.length || !fixed) {
        throw new ContractError(contract.id, tensor.name, formatTensor(tensor.dtype, tensor.shape), `${formatTensor(entry.dtype, entry.shape ?? [])} (declared by the manifest)`);
      }
    }
  }
}
