#!/usr/bin/env node
// Makes `npm run demo` / `npm test` work on a machine that has only Node 20 and npm:
//   1. find pnpm 12.4.2 (a global `pnpm`, else `npx -y pnpm@12.4.2`),
//   2. install dependencies when node_modules is missing or older than the lockfile,
//   3. build every package (turbo caches, so a second run is quick).
// Progress goes to stderr so that a caller's stdout stays clean.
// Set FSLSD_VERBOSE=1 to stream the install/build output as it happens.

import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PNPM_VERSION = '12.4.2';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const isWindows = process.platform === 'win32';

// npm run exports many npm_* variables. pnpm reads npm_config_* as its own settings and some of
// npm's make no sense to it, so pass on only the ones about where and how to reach a registry.
const KEEP_NPM_CONFIG = /^npm_config_(registry|@.*:registry|proxy|https_proxy|http_proxy|noproxy|no_proxy|cafile|ca|strict_ssl|strict-ssl|userconfig)$/i;

/** Environment for every child process started by the repo scripts. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^npm_/i.test(key) && !KEEP_NPM_CONFIG.test(key)) continue;
    env[key] = value;
  }
  env.TURBO_TELEMETRY_DISABLED = '1';
  env.ONNXRUNTIME_NODE_INSTALL = 'skip';
  return { ...env, ...extra };
}

export function log(message) {
  process.stderr.write(`[fslsd] ${message}\n`);
}

/**
 * Installs Debian packages with apt-get where the scripts may (root, apt-get present,
 * FSLSD_NO_INSTALL unset). Returns 'installed', 'failed' or 'not-allowed' (nothing was tried).
 */
export function installDebianPackages(packages, purpose) {
  if (!packages.length) return 'installed';
  const allowed = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get') && process.env.FSLSD_NO_INSTALL !== '1';
  if (!allowed) return 'not-allowed';
  log(`installing Debian's ${packages.join(', ')} ${purpose} (apt-get; FSLSD_NO_INSTALL=1 skips this)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env }) : update;
  return install.status === 0 ? 'installed' : 'failed';
}

function probe(command, args) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    env: childEnv(),
    encoding: 'utf8',
    shell: isWindows,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
  if (result.error || result.status !== 0) return undefined;
  const lines = result.stdout.trim().split(/\r?\n/);
  return lines[lines.length - 1]?.trim();
}

/**
 * Returns the command prefix that runs pnpm 12.4.2, e.g. ['pnpm'] or ['npx', '-y', 'pnpm@12.4.2'].
 * Throws when neither works.
 */
export function findPnpm() {
  const globalVersion = probe('pnpm', ['--version']);
  if (globalVersion === PNPM_VERSION) return ['pnpm'];
  log(
    globalVersion
      ? `global pnpm is ${globalVersion}, want ${PNPM_VERSION}; trying npx`
      : `no global pnpm; using npx pnpm@${PNPM_VERSION}`,
  );
  const npx = isWindows ? 'npx.cmd' : 'npx';
  const viaNpx = [npx, '-y', `pnpm@${PNPM_VERSION}`];
  const npxVersion = probe(viaNpx[0], [...viaNpx.slice(1), '--version']);
  if (npxVersion === PNPM_VERSION) return viaNpx;
  throw new Error(
    `could not run pnpm ${PNPM_VERSION} (global pnpm: ${globalVersion ?? 'none'}, npx: ${npxVersion ?? 'failed'}). ` +
      `Install it with: npm i -g pnpm@${PNPM_VERSION}`,
  );
}

/**
 * Runs pnpm with the given arguments in the repo root. By default its stdout is sent to our stderr
 * (quiet: captured, and shown only when it fails). Returns the exit status.
 */
export function runPnpm(pnpm, args, { quiet = false, stdio } = {}) {
  const verbose = process.env.FSLSD_VERBOSE === '1';
  const capture = quiet && !verbose;
  const result = spawnSync(pnpm[0], [...pnpm.slice(1), ...args], {
    cwd: ROOT,
    env: childEnv(),
    shell: isWindows,
    encoding: capture ? 'utf8' : undefined,
    stdio: stdio ?? (capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 2, 2]),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  const status = result.status ?? 1;
  if (capture && status !== 0) {
    process.stderr.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
  }
  return status;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** True when `pnpm install` has to run. */
export function needsInstall(root = ROOT) {
  const marker = mtime(path.join(root, 'node_modules', '.modules.yaml'));
  if (marker === undefined) return true;
  const lock = mtime(path.join(root, 'pnpm-lock.yaml'));
  return lock !== undefined && lock > marker;
}

/**
 * Installs (when needed) and builds the workspace. Returns the pnpm command prefix so callers can
 * run further pnpm commands the same way.
 */
export function ensureInstall({ build = true } = {}) {
  const started = Date.now();
  const pnpm = findPnpm();
  log(`pnpm ${PNPM_VERSION} via: ${pnpm.join(' ')}`);

  if (needsInstall()) {
    const hasLock = existsSync(path.join(ROOT, 'pnpm-lock.yaml'));
    const args = hasLock ? ['install', '--frozen-lockfile'] : ['install'];
    log(`installing dependencies (pnpm ${args.join(' ')})...`);
    if (runPnpm(pnpm, args, { quiet: true }) !== 0) {
      throw new Error(`pnpm ${args.join(' ')} failed`);
    }
    // A no-op install leaves .modules.yaml untouched; mark it fresh so that a lockfile that was
    // only touched (checkout, copy) does not trigger an install on every run.
    const marker = path.join(ROOT, 'node_modules', '.modules.yaml');
    if (existsSync(marker)) {
      const now = new Date();
      utimesSync(marker, now, now);
    }
  } else {
    log('dependencies up to date');
  }

  if (build) {
    log('building packages (turbo)...');
    if (runPnpm(pnpm, ['run', 'build'], { quiet: true }) !== 0) {
      throw new Error('build failed');
    }
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return pnpm;
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  try {
    ensureInstall({ build: !process.argv.includes('--no-build') });
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
