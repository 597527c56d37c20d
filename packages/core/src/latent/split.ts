import { FslsdError } from '../errors.js';
import { CODE_COUNT, DIRECTION_ROWS } from './wplus.js';

/**
 * How a swap fuses the source's and the target's W+ codes.
 *
 * - `sourceCodes`: codes taken from the (direction-shifted) source.
 * - `targetCodes`: codes taken from the target; together with `sourceCodes` every code 0..17
 *   appears exactly once.
 * - `directionCodes`: row j of the landmark direction n is added to source code
 *   `directionCodes[j]` before the codes are picked; empty (no E_le run) or 7 codes, all of
 *   them source codes.
 */
export interface LatentSplit {
  readonly name: string;
  readonly sourceCodes: readonly number[];
  readonly targetCodes: readonly number[];
  readonly directionCodes: readonly number[];
}

/** Names of the built-in splits. */
export type LatentSplitName = 'official' | 'paper' | 'megafs';

const range = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);

/**
 * Built-in splits.
 * - `official`: the released code (`coarse = 7`): n offsets codes 0..6, codes 0..10 from the
 *   source, 11..17 from the target.
 * - `paper`: the paper's w = [g_s + n, h_t], with structure g = codes 0..6, appearance h = 7..17.
 * - `megafs`: MegaFS's split: codes 0..3 from the target, 4..17 from the source, no direction.
 */
export const LATENT_SPLITS: Readonly<Record<LatentSplitName, LatentSplit>> = Object.freeze({
  official: Object.freeze({ name: 'official', sourceCodes: range(0, 10), targetCodes: range(11, 17), directionCodes: range(0, 6) }),
  paper: Object.freeze({ name: 'paper', sourceCodes: range(0, 6), targetCodes: range(7, 17), directionCodes: range(0, 6) }),
  megafs: Object.freeze({ name: 'megafs', sourceCodes: range(4, 17), targetCodes: range(0, 3), directionCodes: [] }),
});

/** Code indices as single numbers or inclusive `[first, last]` ranges. */
export type CodeSelection = ReadonlyArray<number | readonly [number, number]>;

/** A custom split: source codes are required; target codes default to all others. */
export interface CustomSplitOptions {
  name?: string;
  source: CodeSelection;
  target?: CodeSelection;
  /** Defaults to none. Row j of n goes to the j-th listed code. */
  direction?: CodeSelection;
}

function expand(selection: CodeSelection, what: string): number[] {
  const out: number[] = [];
  for (const item of selection) {
    const [first, last] = typeof item === 'number' ? [item, item] : item;
    for (const bound of [first, last]) {
      if (!Number.isInteger(bound) || bound < 0 || bound >= CODE_COUNT) {
        throw new FslsdError('INVALID_SPLIT', `${what} code ${String(bound)} is not an integer in 0..${CODE_COUNT - 1}.`, {
          fix: 'W+ has codes 0..17; give single codes or inclusive ranges like [0, 6].',
        });
      }
    }
    if (last < first) throw new FslsdError('INVALID_SPLIT', `${what} range [${first}, ${last}] is reversed.`, { fix: `Write it as [${last}, ${first}].` });
    out.push(...range(first, last));
  }
  return out;
}

/**
 * Validates a split and returns it frozen.
 * @throws FslsdError `INVALID_SPLIT` naming the offending codes.
 */
export function createLatentSplit(options: CustomSplitOptions): LatentSplit {
  const sourceCodes = expand(options.source, 'source');
  const sourceSet = new Set(sourceCodes);
  const repeated = (codes: number[]): number[] => [...new Set(codes.filter((c, i) => codes.indexOf(c) !== i))];
  if (repeated(sourceCodes).length) {
    throw new FslsdError('INVALID_SPLIT', `Source codes ${repeated(sourceCodes).join(', ')} are listed twice.`, { fix: 'List each code once.' });
  }
  const targetCodes = options.target ? expand(options.target, 'target') : range(0, CODE_COUNT - 1).filter((c) => !sourceSet.has(c));
  const overlap = targetCodes.filter((c) => sourceSet.has(c));
  if (overlap.length) {
    throw new FslsdError('INVALID_SPLIT', `Codes ${overlap.join(', ')} are both source and target codes.`, { fix: 'Each code comes from exactly one face.' });
  }
  if (repeated(targetCodes).length) {
    throw new FslsdError('INVALID_SPLIT', `Target codes ${repeated(targetCodes).join(', ')} are listed twice.`, { fix: 'List each code once.' });
  }
  const covered = new Set([...sourceCodes, ...targetCodes]);
  const missing = range(0, CODE_COUNT - 1).filter((c) => !covered.has(c));
  if (missing.length) {
    throw new FslsdError('INVALID_SPLIT', `Codes ${missing.join(', ')} are assigned to neither face.`, {
      fix: 'Source and target codes together must cover 0..17 once each.',
    });
  }
  const directionCodes = options.direction ? expand(options.direction, 'direction') : [];
  if (directionCodes.length !== 0 && directionCodes.length !== DIRECTION_ROWS) {
    throw new FslsdError('INVALID_SPLIT', `The landmark direction has ${DIRECTION_ROWS} rows, but ${directionCodes.length} direction codes were given.`, {
      fix: `Give exactly ${DIRECTION_ROWS} direction codes (e.g. 0-6), or none.`,
    });
  }
  if (repeated(directionCodes).length) {
    throw new FslsdError('INVALID_SPLIT', `Direction codes ${repeated(directionCodes).join(', ')} are listed twice; two rows of n would land on one code.`, {
      fix: 'Give 7 different direction codes.',
    });
  }
  const lost = directionCodes.filter((c) => !sourceSet.has(c));
  if (lost.length) {
    throw new FslsdError('INVALID_SPLIT', `Direction codes ${lost.join(', ')} are target codes, so the direction would be discarded.`, {
      fix: 'Direction codes must be source codes.',
    });
  }
  return Object.freeze({
    name: options.name ?? 'custom',
    sourceCodes: Object.freeze([...sourceCodes].sort((a, b) => a - b)),
    targetCodes: Object.freeze([...targetCodes].sort((a, b) => a - b)),
    directionCodes: Object.freeze(directionCodes),
  });
}

/**
 * Resolves a preset name, a split object or a text form such as
 * `source=0-10;direction=0-6` (target defaults to the remaining codes).
 */
export function resolveLatentSplit(split: LatentSplitName | LatentSplit | string | undefined): LatentSplit {
  if (split === undefined) return LATENT_SPLITS.official;
  if (typeof split !== 'string') return createLatentSplit({ name: split.name, source: split.sourceCodes, target: split.targetCodes, direction: split.directionCodes });
  if (Object.hasOwn(LATENT_SPLITS, split)) return LATENT_SPLITS[split as LatentSplitName];
  if (!split.includes('=')) {
    throw new FslsdError('INVALID_SPLIT', `Unknown split "${split}".`, {
      fix: 'Use official, paper, megafs, or a custom form like "source=0-10;direction=0-6".',
    });
  }
  const fields: Record<string, CodeSelection> = {};
  for (const part of split.split(';')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (!key || value === undefined || !['source', 'target', 'direction'].includes(key)) {
      throw new FslsdError('INVALID_SPLIT', `Cannot read "${part}" in split "${split}".`, { fix: 'Fields are source=, target= and direction=, separated by ";".' });
    }
    if (key in fields) throw new FslsdError('INVALID_SPLIT', `Split "${split}" gives ${key}= twice.`, { fix: 'Give each field once.' });
    fields[key] = value === '' ? [] : value.split(',').map((token): number | [number, number] => {
      const texts = token.split('-').map((n) => n.trim());
      // Number('') is 0: an empty part ("-3", "0-", "1,,2") must not read as code 0.
      if (texts.some((t) => t === '')) throw new FslsdError('INVALID_SPLIT', `Cannot read code list "${token}".`, { fix: 'Write codes like 0-6,9; codes are 0..17.' });
      const bounds = texts.map(Number);
      if (bounds.length === 1 && bounds[0] !== undefined) return bounds[0];
      if (bounds.length === 2 && bounds[0] !== undefined && bounds[1] !== undefined) return [bounds[0], bounds[1]];
      throw new FslsdError('INVALID_SPLIT', `Cannot read code list "${token}".`, { fix: 'Write codes like 0-6,9.' });
    });
  }
  if (!fields.source) throw new FslsdError('INVALID_SPLIT', `Split "${split}" names no source codes.`, { fix: 'Add source=..., e.g. source=0-10.' });
  return createLatentSplit({ name: 'custom', source: fields.source, target: fields.target, direction: fields.direction });
}
