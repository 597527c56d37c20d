/**
 * Stage: source + target landmarks -> landmark direction n (E_le).
 * Graph: one-hot landmark maps (212 x 256^2, built inside the runtime) -> landmark-encoder.
 * Contract: in `landmark_pixels` int64[1,212]; out `direction` float32[1,7,512].
 */
import type { StageSession } from '../../executor.js';
import { composeModels } from '../../graph/compose.js';
import { type ModelProto, valueInfo } from '../../graph/onnx.js';
import { NO_PIXEL, landmarkMapsGraph } from '../../graph/preludes.js';

export const LANDMARK_DIRECTION = 'landmark-direction';

export function landmarkDirectionGraph(landmarkEncoder: ModelProto): ModelProto {
  return composeModels(
    [
      { name: 'maps', model: landmarkMapsGraph(), inputs: { landmark_pixels: 'landmark_pixels' }, outputs: { landmark_maps: 'landmark_maps' } },
      { name: 'ele', model: landmarkEncoder, inputs: { landmark_maps: 'landmark_maps' }, outputs: { direction: 'direction' } },
    ],
    {
      inputs: [valueInfo('landmark_pixels', 'int64', [1, 212])],
      outputs: [valueInfo('direction', 'float32', [1, 7, 512])],
      docString: 'fslsd landmark-direction: landmark maps + E_le',
    },
  );
}

/** @param pixels 212 flat pixel indices (source then target), -1 where a map stays empty. */
export async function landmarkDirection(session: StageSession, pixels: Int32Array): Promise<Float32Array> {
  const indices = BigInt64Array.from(pixels, (p) => BigInt(p < 0 ? NO_PIXEL : p));
  const { direction } = await session.run({ landmark_pixels: { type: 'int64', data: indices, dims: [1, pixels.length] } }, ['direction']);
  return direction!.data;
}
