/**
 * What MegaFS's three networks must take and give (batch 1). `s` is the structure map's channel
 * count: 512 in the released model, smaller in the tiny set; the encoder and the generator must agree.
 */
import type { MegaFSModelId, ModelContract } from '../contracts/contract.js';
import { CROP_SIZE } from '../image/tensor.js';

/** MegaFS's encoder input side: the 1024² crop reduced 4x. */
export const MEGAFS_INPUT_SIZE = 256;

export const MEGAFS_CONTRACTS: Readonly<Record<MegaFSModelId, ModelContract>> = Object.freeze({
  'megafs-encoder': {
    id: 'megafs-encoder',
    inputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, MEGAFS_INPUT_SIZE, MEGAFS_INPUT_SIZE], range: [-1, 1] }],
    outputs: [{ name: 'codes', dtype: 'float32', shape: [1, 18, 512] }, { name: 'structure', dtype: 'float32', shape: [1, 's', 4, 4] }],
  },
  'megafs-transfer': {
    id: 'megafs-transfer',
    inputs: [{ name: 'source_codes', dtype: 'float32', shape: [1, 18, 512] }, { name: 'target_codes', dtype: 'float32', shape: [1, 18, 512] }],
    outputs: [{ name: 'codes', dtype: 'float32', shape: [1, 18, 512] }],
  },
  'megafs-generator': {
    id: 'megafs-generator',
    inputs: [{ name: 'structure', dtype: 'float32', shape: [1, 's', 4, 4] }, { name: 'codes', dtype: 'float32', shape: [1, 18, 512] }],
    outputs: [{ name: 'image', dtype: 'float32', shape: [1, 3, CROP_SIZE, CROP_SIZE] }],
  },
});
