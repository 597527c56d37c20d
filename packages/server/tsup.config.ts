import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// Keep one hashbang: esbuild keeps the entry's own, so add the banner only when there is none.
const cliHasHashbang = readFileSync(new URL('./src/cli.ts', import.meta.url), 'utf8').startsWith('#!');

export default defineConfig([
  {
    // The library: ESM with type declarations (BullMQ and Fastify are Node services; no CJS build).
    entry: { index: 'src/index.ts', command: 'src/command.ts' },
    format: ['esm'],
    dts: true,
    clean: ['!cli.js', '!cli.js.map'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // `fslsd-server serve|worker|key`.
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
