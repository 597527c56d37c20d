/**
 * Stage: W+_s, W+_t, n -> fused W+ (structure/appearance split + landmark-direction edit).
 * Runs in JavaScript: it touches 2 x 36 KB of codes, no feature maps. See latent/fuse.ts.
 */
export { fuseLatents } from '../fuse.js';
export const FUSE_LATENTS = 'fuse-latents';
