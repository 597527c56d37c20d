import { defineConfig } from 'tsup';

export default defineConfig({
  // worker-entry is its own file: index.js starts it with new Worker(new URL('./worker-entry.js', import.meta.url)).
  entry: ['src/index.ts', 'src/pipeline.ts', 'src/worker-entry.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The app's bundler resolves onnxruntime-web (and its .wasm files) itself.
  external: ['onnxruntime-web'],
});
