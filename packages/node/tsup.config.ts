import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// esbuild keeps a hashbang that is already in the entry file; adding the banner as well would
// give two `#!` lines, which Node rejects. So add it only when src/cli.ts has none.
const cliHasHashbang = readFileSync(new URL('./src/cli.ts', import.meta.url), 'utf8').startsWith('#!');

export default defineConfig([
  {
    // The library: ESM + CJS with type declarations.
    entry: { index: 'src/index.ts', pipeline: 'src/pipeline.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    // Both configs build at the same time into dist/: never delete the CLI's files here.
    clean: ['!cli.js', '!cli.js.map'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // The `fslsd` command: ESM only, executable.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: cliHasHashbang ? undefined : { js: '#!/usr/bin/env node' },
  },
]);
