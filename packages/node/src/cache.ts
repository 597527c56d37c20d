import { homedir } from 'node:os';
import path from 'node:path';

/** $FSLSD_CACHE, else $XDG_CACHE_HOME/fslsd/models, else ~/.cache/fslsd/models. */
export function defaultCacheDirectory(): string {
  if (process.env.FSLSD_CACHE) return path.resolve(process.env.FSLSD_CACHE);
  const base = process.env.XDG_CACHE_HOME ? path.resolve(process.env.XDG_CACHE_HOME) : path.join(homedir(), '.cache');
  return path.join(base, 'fslsd', 'models');
}
