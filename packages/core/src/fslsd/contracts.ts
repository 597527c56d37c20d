/**
 * What FSLSD's six networks must take and give (batch 1, fixed spatial sizes). A dimension such
 * as `c0` is a symbol: any positive size, the same everywhere it appears, which ties the
 * generator's, the target encoder's and the decoder's feature channels together at any width.
 */
import type { ModelContract, ModelId, TensorContract } from '../contracts/contract.js';
import { FEATURE_SIZES } from './blend.js';

const features = (prefix: string): TensorContract[] =>
  FEATURE_SIZES.map((size, i) => ({ name: `${prefix}_${i}`, dtype: 'float32', shape: [1, `c${i}`, size, size] }));

/** What the pipeline requires of each network (batch 1, fixed spatial sizes). */
export const MODEL_CONTRACTS: Readonly<Record<ModelId, ModelContract>> = Object.freeze({
  'psp-encoder': {
    id: 'psp-encoder',
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, 256, 256], range: [-1, 1] }],
    outputs: [{ name: 'wplus', dtype: 'float32', shape: [1, 18, 512] }],
  },
  'landmark-encoder': {
    id: 'landmark-encoder',
    inputs: [{ name: 'landmark_maps', dtype: 'float32', shape: [1, 212, 256, 256], range: [0, 1] }],
    outputs: [{ name: 'direction', dtype: 'float32', shape: [1, 7, 512] }],
  },
  'latent-editor': {
    id: 'latent-editor',
    inputs: [{ name: 'wplus', dtype: 'float32', shape: [1, 18, 512] }],
    outputs: [{ name: 'edited', dtype: 'float32', shape: [1, 18, 512] }],
  },
  generator: {
    id: 'generator',
    inputs: [{ name: 'wplus', dtype: 'float32', shape: [1, 18, 512] }],
    outputs: [{ name: 'side_output', dtype: 'float32', shape: [1, 3, 1024, 1024] }, ...features('feature')],
  },
  'target-encoder': {
    id: 'target-encoder',
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, 1024, 1024], range: [-1, 1] }],
    outputs: features('feature'),
  },
  decoder: {
    id: 'decoder',
    inputs: features('blend'),
    outputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, 1024, 1024] }],
  },
});
