import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The app's bundler resolves onnxruntime-web (and its .wasm files) itself.
  external: ['onnxruntime-web'],
});
