// Loud skips. A test group that cannot run because a tool is missing asks `skipWithout()`:
//   - where the tool is required (its FSLSD_REQUIRE_* variable is 1, or CI=true), it throws, so
//     `pnpm -r test` fails instead of going green with the group left out;
//   - otherwise it prints one line and appends it to $FSLSD_SKIP_LOG, which `npm test` reads
//     back and prints in its final summary, one line per skipped group.
import { appendFileSync } from 'node:fs';

/**
 * @param {boolean} available whether the group can run here
 * @param {{ group: string, missing: string, fix: string, require?: string }} why
 * @returns {boolean} true when the group must be skipped (for describe.skipIf)
 */
export function skipWithout(available, why) {
  if (available) return false;
  const line = `${why.group}: skipped, ${why.missing} (${why.fix})`;
  const required = (why.require && process.env[why.require] === '1') || process.env.CI === 'true';
  if (required) {
    const by = why.require && process.env[why.require] === '1' ? `${why.require}=1` : 'CI=true';
    throw new Error(`${line}. ${by} makes this group mandatory.`);
  }
  process.stderr.write(`[fslsd] ${line}\n`);
  if (process.env.FSLSD_SKIP_LOG) appendFileSync(process.env.FSLSD_SKIP_LOG, `${line}\n`);
  return true;
}
