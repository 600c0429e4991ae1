import { describe, expect, it } from 'vitest';
import { MEDIUM_SECTORS, smallestMediumFor } from '../../../src/iso/media.ts';

describe('smallestMediumFor()', () => {
  it('picks the smallest medium whose sector budget holds the image', () => {
    expect(smallestMediumFor(0)).toBe('cd');
    expect(smallestMediumFor(MEDIUM_SECTORS.cd * 2048)).toBe('cd');
    expect(smallestMediumFor(MEDIUM_SECTORS.cd * 2048 + 1)).toBe('dvd');
    expect(smallestMediumFor(4_700_000_000)).toBe('dvd');
    expect(smallestMediumFor(MEDIUM_SECTORS.dvd * 2048 + 1)).toBe('dvd-dl');
    expect(smallestMediumFor(20e9)).toBe('bd25');
    expect(smallestMediumFor(40e9)).toBe('bd50');
    expect(smallestMediumFor(MEDIUM_SECTORS.bd50 * 2048 + 1)).toBeUndefined();
  });

  it('uses the smaller variant of each medium', () => {
    expect(MEDIUM_SECTORS).toEqual({ cd: 360_000, dvd: 2_295_104, 'dvd-dl': 4_171_712, bd25: 11_826_176, bd50: 23_652_352 });
  });
});
