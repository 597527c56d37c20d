import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', convert: 'src/convert/cli.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // node.ts locates the shipped files with import.meta.url; shims make that work in CJS too.
  shims: true,
});
