import { defineConfig } from 'tsup';

export default defineConfig({
  // The root entry is the public surface; the subpaths hold the building blocks (see src/index.ts).
  entry: ['src/index.ts', 'src/pipeline.ts', 'src/face.ts', 'src/video.ts', 'src/graph.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
