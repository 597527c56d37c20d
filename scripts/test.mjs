#!/usr/bin/env node
// `npm test`: install + build if needed, then run every package's tests, one package at a time.
import { ensureInstall, log, runPnpm } from './ensure-install.mjs';

let pnpm;
try {
  pnpm = ensureInstall();
} catch (error) {
  log(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

log('running tests (pnpm -r test)...');
const status = runPnpm(pnpm, ['-r', '--workspace-concurrency=1', 'test', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(status);
