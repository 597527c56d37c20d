/**
 * Weights that stay in their file. A network's initializers are rewritten as ONNX external-data
 * references into the very file the model was read from (its own bytes, at their own offsets),
 * so a composed graph is a few hundred kilobytes and the runtime reads the weights from disk
 * itself. Without this, a full-size set sits in memory three times while sessions open: the file
 * bytes, the re-encoded composed graph, and the runtime's copy.
 */
import { type ModelProto, decodeModel, encodeModel, onnx } from './onnx.js';

/** Initializers smaller than this stay inline: not worth a file read each. */
export const EXTERNAL_MIN_BYTES = 1024;

/**
 * Returns a copy of `model` whose large initializers refer to `location` (a file name relative to
 * the folder the session is told about) instead of carrying their bytes. `fileBytes` are the
 * bytes `model` was decoded from: every initializer's raw data is a view into them, and its
 * offset in the file is where the view starts. The copy shares no memory with `fileBytes`.
 */
export function externalizeWeights(model: ModelProto, location: string, fileBytes: Uint8Array): ModelProto {
  const graph = model.graph ?? {};
  const initializer = (graph.initializer ?? []).map((tensor) => {
    const raw = tensor.rawData;
    const viewsFile = raw && raw.buffer === fileBytes.buffer && raw.byteOffset >= fileBytes.byteOffset && raw.byteOffset + raw.byteLength <= fileBytes.byteOffset + fileBytes.byteLength;
    if (!raw || raw.byteLength < EXTERNAL_MIN_BYTES || !viewsFile) return tensor;
    return {
      ...tensor,
      rawData: new Uint8Array(0),
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(raw.byteOffset - fileBytes.byteOffset) },
        { key: 'length', value: String(raw.byteLength) },
      ],
    };
  });
  // Encode and decode once more: whatever small fields still view the file bytes (names,
  // attributes, inline tensors) get buffers of their own, so the file bytes can be collected.
  return decodeModel(encodeModel({ ...model, graph: { ...graph, initializer } }));
}

/** Bytes of initializer data a model carries inline (what a session would copy from JavaScript). */
export function inlineWeightBytes(model: ModelProto): number {
  return (model.graph?.initializer ?? []).reduce((sum, t) => sum + (t.rawData?.byteLength ?? 0), 0);
}
