import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { PatchdiscError } from '../errors.ts';
import type { DiscEntry, DiscReader } from './disc-reader.ts';
import { discPathProblem } from './disc-path.ts';

/**
 * A DiscReader over a folder (a mounted disc or a copy). Symbolic links and special files are
 * refused: a burned disc holds none, and following one could read outside the folder.
 */
export function folderDiscReader(dir: string): DiscReader {
  const root = resolve(dir);

  function locate(path: string): string {
    const problem = discPathProblem(path);
    if (problem !== null) {
      throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${path} from disc folder ${root}: ${problem}`);
    }
    return join(root, ...path.split('/'));
  }

  async function walk(relative: string, out: DiscEntry[]): Promise<void> {
    const absolute = relative === '' ? root : join(root, ...relative.split('/'));
    let names;
    try {
      names = await readdir(absolute, { withFileTypes: true });
    } catch (err) {
      throw new PatchdiscError('NOT_FOUND', `Cannot list disc folder ${absolute}: ${(err as Error).message}`, { cause: err });
    }
    for (const d of names) {
      const path = relative === '' ? d.name : `${relative}/${d.name}`;
      if (d.isDirectory()) {
        await walk(path, out);
      } else if (d.isFile()) {
        const info = await lstat(join(absolute, d.name));
        out.push({ path, size: info.size });
      } else {
        throw new PatchdiscError(
          'VERIFY_FAILED',
          `Cannot verify disc folder ${root}: ${path} is a symbolic link or special file, which a disc never holds`,
          { details: { path } },
        );
      }
    }
  }

  return {
    async list(): Promise<DiscEntry[]> {
      const out: DiscEntry[] = [];
      await walk('', out);
      return out;
    },
    async read(path: string): Promise<Buffer> {
      try {
        return await readFile(locate(path));
      } catch (err) {
        if (err instanceof PatchdiscError) throw err;
        throw new PatchdiscError('NOT_FOUND', `Cannot read ${path} from disc folder ${root}: ${(err as Error).message}`, { cause: err });
      }
    },
    stream(path: string): Readable {
      const absolute = locate(path);
      if (!absolute.startsWith(root + sep)) {
        throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${path}: outside disc folder ${root}`);
      }
      return createReadStream(absolute);
    },
  };
}
