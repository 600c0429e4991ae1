import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { checkFreeSpace } from '../../../src/fetch/free-space.ts';
import { makeTempDir } from '../../helpers/tools.ts';

describe('checkFreeSpace()', () => {
  it('returns the available bytes when enough is free, also for a directory not made yet', async () => {
    const temp = makeTempDir();
    try {
      const s = statfsSync(temp.dir);
      const available = await checkFreeSpace(join(temp.dir, 'store', 'not-yet'), 1024, 1024);
      expect(Math.abs(available - s.bavail * s.bsize)).toBeLessThan(512 * 2 ** 20);
    } finally {
      temp.remove();
    }
  });

  it('throws DISK_FULL naming the numbers when space is short', async () => {
    const temp = makeTempDir();
    try {
      const s = statfsSync(temp.dir);
      const needed = s.bavail * s.bsize + 10 * 2 ** 30;
      let caught: unknown;
      try {
        await checkFreeSpace(temp.dir, needed, 5);
      } catch (err) {
        caught = err;
      }
      expect(isPatchdiscError(caught, 'DISK_FULL')).toBe(true);
      expect((caught as Error).message).toContain(`${needed + 5} bytes) needed`);
      expect((caught as { details: object }).details).toMatchObject({ needed, margin: 5 });
    } finally {
      temp.remove();
    }
  });
});
