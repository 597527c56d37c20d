#!/usr/bin/env node
// Example: put the face from one image onto another with @fslsd/node.
// Placeholder until the @fslsd/node API lands; for now it only explains how it will be used.
const [source, target, out = 'swapped.png'] = process.argv.slice(2);
if (!source || !target) {
  console.log('usage: node swap.mjs <source-face-image> <target-image> [out.png]');
  console.log('  source: whose identity to use; target: the image whose face is replaced');
  process.exit(source || target ? 1 : 0);
}
console.error(`@fslsd/node is not ready yet: would write ${out} from ${source} -> ${target}`);
process.exit(1);
