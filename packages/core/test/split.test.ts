import { describe, expect, it } from 'vitest';
import { type CustomSplitOptions, LATENT_SPLITS, createLatentSplit, resolveLatentSplit } from '../src/index.js';
import { caught, expectFslsd } from './helpers.js';

const ALL = Array.from({ length: 18 }, (_, i) => i);

describe('LATENT_SPLITS presets', () => {
  it('official: source 0..10, target 11..17, direction 0..6', () => {
    const split = LATENT_SPLITS.official;
    expect(split.name).toBe('official');
    expect(split.sourceCodes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(split.targetCodes).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect(split.directionCodes).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('paper: source 0..6, target 7..17, direction 0..6', () => {
    const split = LATENT_SPLITS.paper;
    expect(split.name).toBe('paper');
    expect(split.sourceCodes).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(split.targetCodes).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(split.directionCodes).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('megafs: source 4..17, target 0..3, no direction', () => {
    const split = LATENT_SPLITS.megafs;
    expect(split.name).toBe('megafs');
    expect(split.sourceCodes).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(split.targetCodes).toEqual([0, 1, 2, 3]);
    expect(split.directionCodes).toEqual([]);
  });

  it('are frozen', () => {
    expect(Object.isFrozen(LATENT_SPLITS)).toBe(true);
    expect(Object.isFrozen(LATENT_SPLITS.official)).toBe(true);
    expect(() => {
      (LATENT_SPLITS.official as { name: string }).name = 'changed';
    }).toThrow(TypeError);
  });

  it('each preset validates as a custom split with the same codes', () => {
    for (const preset of Object.values(LATENT_SPLITS)) {
      const again = resolveLatentSplit({ ...preset });
      expect([again.sourceCodes, again.targetCodes, again.directionCodes]).toEqual([preset.sourceCodes, preset.targetCodes, preset.directionCodes]);
      expect([...again.sourceCodes, ...again.targetCodes].sort((a, b) => a - b)).toEqual(ALL);
    }
  });
});

describe('resolveLatentSplit', () => {
  it('returns official by default and presets by name', () => {
    expect(resolveLatentSplit(undefined)).toBe(LATENT_SPLITS.official);
    expect(resolveLatentSplit('official')).toBe(LATENT_SPLITS.official);
    expect(resolveLatentSplit('paper')).toBe(LATENT_SPLITS.paper);
    expect(resolveLatentSplit('megafs')).toBe(LATENT_SPLITS.megafs);
  });

  it('reads the text form source=0-10;direction=0-6 as the official codes', () => {
    const split = resolveLatentSplit('source=0-10;direction=0-6');
    expect(split.name).toBe('custom');
    expect(split.sourceCodes).toEqual(LATENT_SPLITS.official.sourceCodes);
    expect(split.targetCodes).toEqual(LATENT_SPLITS.official.targetCodes);
    expect(split.directionCodes).toEqual(LATENT_SPLITS.official.directionCodes);
  });

  it('reads lists, single codes, spaces and an explicit target', () => {
    const split = resolveLatentSplit(' source = 4-17 ; target = 0-3 ; direction = ');
    expect(split.sourceCodes).toEqual(LATENT_SPLITS.megafs.sourceCodes);
    expect(split.targetCodes).toEqual([0, 1, 2, 3]);
    expect(split.directionCodes).toEqual([]);
    const mixed = resolveLatentSplit('source=0-3,9,12-13;direction=13,12,9,3,2,1,0');
    expect(mixed.sourceCodes).toEqual([0, 1, 2, 3, 9, 12, 13]);
    expect(mixed.targetCodes).toEqual([4, 5, 6, 7, 8, 10, 11, 14, 15, 16, 17]);
    // Row j of n goes to the j-th listed code: the order is kept, not sorted.
    expect(mixed.directionCodes).toEqual([13, 12, 9, 3, 2, 1, 0]);
  });

  it('rejects an unknown preset name with INVALID_SPLIT naming it', () => {
    for (const name of ['offical', 'Official', 'constructor', 'toString', '__proto__']) {
      const error = expectFslsd(caught(() => resolveLatentSplit(name)), 'INVALID_SPLIT');
      expect(error.message).toContain(`Unknown split "${name}"`);
    }
  });

  it('rejects unreadable text forms', () => {
    const cases: [string, string][] = [
      ['source=0-10;colour=0-6', 'Cannot read "colour=0-6"'],
      ['direction=0-6', 'names no source codes'],
      ['source=-3', 'Cannot read code list "-3"'],
      ['source=0-;direction=0-6', 'Cannot read code list "0-"'],
      ['source=0-10,,12', 'Cannot read code list ""'],
      ['source=0-3-5', 'Cannot read code list "0-3-5"'],
      ['source=zero', 'source code NaN'],
      ['source=1.5', 'source code 1.5'],
    ];
    for (const [text, words] of cases) {
      const error = expectFslsd(caught(() => resolveLatentSplit(text)), 'INVALID_SPLIT');
      expect(error.message).toContain(words);
    }
  });

  it('validates the text form like createLatentSplit', () => {
    expect(expectFslsd(caught(() => resolveLatentSplit('source=0-18')), 'INVALID_SPLIT').message).toContain('source code 18 ');
    expect(expectFslsd(caught(() => resolveLatentSplit('source=10-0')), 'INVALID_SPLIT').message).toContain('source range [10, 0] is reversed');
    expect(expectFslsd(caught(() => resolveLatentSplit('source=0-10;direction=5-11')), 'INVALID_SPLIT').message).toContain('Direction codes 11 are target codes');
  });
});

describe('createLatentSplit', () => {
  const invalid = (options: CustomSplitOptions): string => expectFslsd(caught(() => createLatentSplit(options)), 'INVALID_SPLIT').message;

  it('builds a frozen split with sorted source/target codes and ordered direction codes', () => {
    const split = createLatentSplit({ name: 'mine', source: [[8, 10], 0, [1, 6]], direction: [6, 5, 4, 3, 2, 1, 0] });
    expect(split).toEqual({ name: 'mine', sourceCodes: [0, 1, 2, 3, 4, 5, 6, 8, 9, 10], targetCodes: [7, 11, 12, 13, 14, 15, 16, 17], directionCodes: [6, 5, 4, 3, 2, 1, 0] });
    expect(Object.isFrozen(split)).toBe(true);
    expect(Object.isFrozen(split.sourceCodes)).toBe(true);
    expect(createLatentSplit({ source: [[0, 17]] }).targetCodes).toEqual([]);
  });

  it('rejects overlapping source and target codes, naming them', () => {
    expect(invalid({ source: [[0, 10]], target: [[9, 17]] })).toContain('Codes 9, 10 are both source and target codes');
  });

  it('rejects codes assigned to no face or listed twice', () => {
    expect(invalid({ source: [[0, 10]], target: [[12, 17]] })).toContain('Codes 11 are assigned to neither face');
    expect(invalid({ source: [[0, 10]], target: [[11, 17], 17] })).toContain('Target codes 17 are listed twice');
    expect(invalid({ source: [[0, 10], 3] })).toContain('Source codes 3 are listed twice');
    expect(invalid({ source: [[0, 10]], direction: [0, 0, 1, 2, 3, 4, 5] })).toContain('Direction codes 0 are listed twice');
    expect(() => resolveLatentSplit('source=0-10;source=0-6')).toThrow('gives source= twice');
  });

  it('rejects code 18', () => {
    expect(invalid({ source: [[0, 18]] })).toContain('source code 18 is not an integer in 0..17');
    expect(invalid({ source: [[0, 10]], target: [[11, 18]] })).toContain('target code 18 is not an integer in 0..17');
    expect(invalid({ source: [[0, 10]], direction: [18, 0, 1, 2, 3, 4, 5] })).toContain('direction code 18 ');
  });

  it('rejects negative and fractional codes', () => {
    expect(invalid({ source: [-1, [0, 10]] })).toContain('source code -1 is not an integer');
    expect(invalid({ source: [[-2, 10]] })).toContain('source code -2 is not an integer');
    expect(invalid({ source: [[0, 9], 10.5] })).toContain('source code 10.5 is not an integer');
  });

  it('rejects a reversed range, naming it and its fix', () => {
    const message = invalid({ source: [[10, 0]] });
    expect(message).toContain('source range [10, 0] is reversed');
    expect(message).toContain('[0, 10]');
  });

  it('rejects direction codes that are target codes, naming them', () => {
    expect(invalid({ source: [[0, 10]], direction: [[5, 11]] })).toContain('Direction codes 11 are target codes');
    expect(invalid({ source: [[4, 17]], direction: [[0, 6]] })).toContain('Direction codes 0, 1, 2, 3 are target codes');
  });

  it('rejects a direction that is not exactly 7 codes', () => {
    expect(invalid({ source: [[0, 10]], direction: [[0, 4]] })).toContain('but 5 direction codes were given');
    expect(invalid({ source: [[0, 10]], direction: [[0, 7]] })).toContain('but 8 direction codes were given');
  });
});
