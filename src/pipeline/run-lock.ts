import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PatchdiscError } from '../errors.ts';

interface LockInfo {
  pid: number;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<data>/build.lock` (O_EXCL). A lock left by a dead process (kill -9) is taken over; a live one
 * makes this throw LOCKED: "another build is running (pid …, since …)". Returns the release function.
 */
export function acquireRunLock(dataDir: string, now: Date, pid: number = process.pid): () => void {
  const path = join(dataDir, 'build.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, JSON.stringify({ pid, since: now.toISOString() } satisfies LockInfo));
      closeSync(fd);
      return () => {
        try {
          const held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
          if (held.pid === pid) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let held: LockInfo | undefined;
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        held = undefined; // Empty or torn lock file: its writer died mid-write.
      }
      if (held && held.pid !== pid && alive(held.pid)) {
        throw new PatchdiscError('LOCKED', `Cannot start the build: another build is running (pid ${held.pid}, since ${held.since})`, {
          details: { ...held },
        });
      }
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed it first; retry the exclusive create.
      }
    }
  }
  throw new PatchdiscError('LOCKED', `Cannot start the build: could not take ${path}`);
}
