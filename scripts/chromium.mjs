// Chromium with a profile on disk, for the browser tests and benchmarks that store gigabytes
// (an incognito context's storage quota cannot hold a full-size model set).
import { rmSync } from 'node:fs';

/** The flags every fslsd browser run uses: no sandbox (root in CI), no network chatter. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Runs `run` in a persistent Chromium context at `profile`, then closes it and removes the profile.
 * @template T
 * @param {{ launchPersistentContext(folder: string, options: object): Promise<any> }} chromium playwright-core's `chromium`
 * @param {string} executable
 * @param {string} profile a folder that may not exist yet
 * @param {(context: any) => Promise<T>} run
 * @returns {Promise<T>}
 */
export async function withChromiumProfile(chromium, executable, profile, run) {
  const context = await chromium.launchPersistentContext(profile, { executablePath: executable, args: CHROMIUM_ARGS });
  try {
    return await run(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
