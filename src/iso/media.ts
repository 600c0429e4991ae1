/**
 * Capacities of the media a disc set can be mastered to, in 2048-byte sectors. Where a medium comes
 * in several variants the smaller one is the budget, so an image fits every blank sold under the name.
 */
import type { Medium } from '../config/pipeline-schema.ts';

const SECTOR_SIZE = 2048;

export const MEDIUM_SECTORS: Readonly<Record<Medium, number>> = {
  /** CD-R 80 min: nominal 360,000 sectors (drives report slightly less; the image adds no lead-out). */
  cd: 360_000,
  /** DVD+R 2,295,104 is smaller than DVD-R 2,298,496. */
  dvd: 2_295_104,
  /** DVD-R DL 4,171,712 is smaller than DVD+R DL 4,173,824. */
  'dvd-dl': 4_171_712,
  /** BD-R 25 GB with the default spare area (12,219,392 unformatted − 393,216 spare). */
  bd25: 11_826_176,
  /**
   * BD-R 50 GB: 24,438,784 unformatted; growisofs formats BD-R with the default spare area unless told
   * otherwise, which takes 393,216 sectors per layer (as for bd25), leaving 23,652,352. We budget the
   * smaller figure so an image fits however the blank is burned.
   */
  bd50: 23_652_352,
};

/** Media from smallest to largest, the order `smallestMediumFor` tries. */
export const MEDIA_BY_SIZE: readonly Medium[] = ['cd', 'dvd', 'dvd-dl', 'bd25', 'bd50'];

/** Bytes an image may take on `medium`. */
export function mediumBytes(medium: Medium): number {
  return MEDIUM_SECTORS[medium] * SECTOR_SIZE;
}

/** The smallest medium an image of `bytes` fits on, or undefined when none does. */
export function smallestMediumFor(bytes: number): Medium | undefined {
  const sectors = Math.ceil(bytes / SECTOR_SIZE);
  return MEDIA_BY_SIZE.find((m) => sectors <= MEDIUM_SECTORS[m]);
}
