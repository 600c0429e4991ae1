import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PatchdiscError } from '../errors.ts';

/** statfs of `dir` or, when it does not exist yet, of its nearest existing ancestor. */
async function statNearest(dir: string): Promise<{ bavail: number; bsize: number }> {
  let current = dir;
  for (;;) {
    try {
      return await statfs(current);
    } catch (err) {
      const parent = dirname(current);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw err;
      current = parent;
    }
  }
}

/**
 * Throws DISK_FULL unless the file system holding `dir` has `neededBytes + marginBytes` available to
 * unprivileged users; returns the available byte count.
 */
export async function checkFreeSpace(dir: string, neededBytes: number, marginBytes = 0): Promise<number> {
  const stats = await statNearest(dir);
  const available = stats.bavail * stats.bsize;
  const required = neededBytes + marginBytes;
  if (available < required) {
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
    throw new PatchdiscError(
      'DISK_FULL',
      `Cannot download into ${dir}: ${mib(available)} (${available} bytes) free but ${mib(required)} (${required} bytes) needed (${neededBytes} for the files + ${marginBytes} margin); free space or move the store`,
      { details: { dir, available, needed: neededBytes, margin: marginBytes } },
    );
  }
  return available;
}
