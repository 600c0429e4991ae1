/**
 * verify: SHA-256 of every file of the tree, one file after another, the way a disc check reads
 * them: Node createHash over fs streams with 1 MiB chunks; a second row goes through the verifier's
 * own folderDiscReader (default stream chunks). References: `openssl dgst -sha256`, `sha256sum`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { BenchCase, CaseResult } from '../lib/bench-case.ts';
import { childSample, measureSideBySide, timeCommand, type Subject } from '../lib/measure.ts';
import { srcAvailability, toolAvailability } from '../lib/tools.ts';

const HIGH_WATER_MARK = 1 << 20;

interface VerifyArgs {
  root: string;
  files: { path: string; sha256: string }[];
}

/** Throws when a digest differs from the tree generator's, so a wrong hasher cannot look fast. */
function checkDigest(path: string, actual: string, expected: string): void {
  if (actual !== expected) throw new Error(`Cannot verify ${path}: SHA-256 ${actual}, expected ${expected}`);
}

async function hashStream(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Module loading before the timer (see bench/child.ts). */
export const childWarmups = {
  async discReader(): Promise<void> {
    await import('../../src/disc/folder-disc-reader.ts');
  },
};

export const childTasks = {
  /** SHA-256 of each file through a 1 MiB-chunk read stream, checked against the expected digest. */
  async streams(args: VerifyArgs): Promise<number> {
    for (const f of args.files) {
      checkDigest(f.path, await hashStream(createReadStream(join(args.root, f.path), { highWaterMark: HIGH_WATER_MARK })), f.sha256);
    }
    return args.files.length;
  },
  /** The same through the verifier's folderDiscReader. */
  async discReader(args: VerifyArgs): Promise<number> {
    const { folderDiscReader } = await import('../../src/disc/folder-disc-reader.ts');
    const reader = folderDiscReader(args.root);
    for (const f of args.files) checkDigest(f.path, await hashStream(reader.stream(f.path)), f.sha256);
    return args.files.length;
  },
};

export const benchCase: BenchCase = {
  name: 'verify',
  goal: 'none set (info)',
  async run(ctx): Promise<CaseResult[]> {
    const tree = await ctx.tree();
    const paths = tree.files.map((f) => f.path);
    const args: VerifyArgs = { root: tree.root, files: tree.files.map(({ path, sha256 }) => ({ path, sha256 })) };
    const rssFile = join(ctx.tmp, 'verify.rss');
    const subjects: Subject[] = [
      { label: 'ours', availability: 'ok', bytes: tree.totalBytes, run: childSample('cases/verify.ts', 'streams', args) },
      {
        label: 'ours via folderDiscReader',
        availability: srcAvailability('disc/folder-disc-reader.ts'),
        bytes: tree.totalBytes,
        run: childSample('cases/verify.ts', 'discReader', args),
      },
      {
        label: 'openssl dgst -sha256',
        availability: toolAvailability('openssl'),
        bytes: tree.totalBytes,
        run: () => timeCommand('openssl', ['dgst', '-sha256', ...paths], { cwd: tree.root, rssFile }),
      },
      {
        label: 'sha256sum',
        availability: toolAvailability('sha256sum'),
        bytes: tree.totalBytes,
        run: () => timeCommand('sha256sum', paths, { cwd: tree.root, rssFile }),
      },
    ];
    const [ours, discReader, ...refs] = await measureSideBySide(subjects, ctx.runs, ctx.log);
    const notes = [`${paths.length} files hashed one after another; the tree is in the page cache (reads are memory speed)`];
    return [
      { name: 'verify', goal: this.goal, ours: ours!, refs, verdict: 'n/a', notes },
      { name: 'verify:disc-reader', goal: this.goal, ours: discReader!, refs, verdict: 'n/a', notes: [] },
    ];
  },
};
