/**
 * master: write an ISO 9660 + Joliet + Rock Ridge image of the update tree with our writer
 * (planIsoLayout + writeIso, which also hashes the image with SHA-256 while writing) against
 * genisoimage and xorriso with the same extensions, and a plain `cp -r` of the tree. genisoimage does
 * not fsync, so the verdict compares like for like twice: "ours, no fsync" against genisoimage, and
 * ours (durable: fsync before the rename) against "genisoimage + fsync" (genisoimage, then
 * `sync FILE`). It meets only when both ratios are ≤ GOAL_RATIO.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchCase, CaseResult } from '../lib/bench-case.ts';
import { childSample, measureSideBySide, timeCommand, type Subject } from '../lib/measure.ts';
import { combineVerdicts, ratio, verdictAtMost } from '../lib/stats.ts';
import { srcAvailability, toolAvailability } from '../lib/tools.ts';
import type { TreeFile } from '../lib/tree.ts';

const GOAL_RATIO = 1.0;
/** Fixed so that every run writes the same image. */
const IMAGE_DATE = Date.UTC(2025, 0, 6) / 1000;

interface MasterArgs {
  root: string;
  /** JSON file with the TreeFile list: a 2 GiB tree's list is over the 128 KiB limit of one argv string. */
  list: string;
  out: string;
  /** False: writeIso({ durable: false }), the image left in the page cache as the references leave theirs. */
  durable?: boolean;
}

/** Module loading before the timer (see bench/child.ts). */
export const childWarmups = {
  async master(): Promise<void> {
    await import('../../src/iso/layout.ts');
    await import('../../src/iso/write-iso.ts');
  },
};

export const childTasks = {
  /** Plans and writes the image; returns its size and SHA-256. */
  async master(args: MasterArgs): Promise<{ bytes: number; sha256: string }> {
    const { planIsoLayout } = await import('../../src/iso/layout.ts');
    const { writeIso } = await import('../../src/iso/write-iso.ts');
    const files = JSON.parse(await readFile(args.list, 'utf8')) as TreeFile[];
    const layout = planIsoLayout(
      files.map((f) => ({ path: f.path, size: f.size, source: { kind: 'file' as const, path: join(args.root, f.path) } })),
      { volumeId: 'PATCHDISC_BENCH', date: IMAGE_DATE },
    );
    const r = await writeIso(layout, args.out, { durable: args.durable !== false });
    return { bytes: r.bytes, sha256: r.sha256 };
  },
};

export const benchCase: BenchCase = {
  name: 'master',
  goal: `≤ ${GOAL_RATIO.toFixed(1)}× genisoimage (no fsync vs genisoimage, and durable vs genisoimage + fsync)`,
  async run(ctx): Promise<CaseResult[]> {
    const tree = await ctx.tree();
    const out = join(ctx.tmp, 'master.iso');
    const copy = join(ctx.tmp, 'master-copy');
    const rssFile = join(ctx.tmp, 'master.rss');
    const list = join(ctx.tmp, 'master-files.json');
    await writeFile(list, JSON.stringify(tree.files.map(({ path, size }) => ({ path, size }))));
    const clean = async (): Promise<void> => {
      await rm(out, { force: true });
      await rm(`${out}.partial`, { force: true });
      await rm(copy, { recursive: true, force: true });
      // Untimed: the previous subject's unflushed pages and freed blocks (discards) go to disk now,
      // so that no subject's fsync pays for another's writeback.
      await timeCommand('sync', []);
    };
    const mkisofsArgs = ['-quiet', '-J', '-joliet-long', '-R', '-V', 'PATCHDISC_BENCH', '-o', out, tree.root];
    const subjects: Subject[] = [
      {
        label: 'ours',
        availability: srcAvailability('iso/layout.ts', 'iso/write-iso.ts'),
        bytes: tree.totalBytes,
        before: clean,
        run: childSample('cases/master.ts', 'master', { root: tree.root, list, out } satisfies MasterArgs),
      },
      {
        // Like for like with the plain references: `patchdisc iso build --no-fsync`.
        label: 'ours, no fsync',
        availability: srcAvailability('iso/layout.ts', 'iso/write-iso.ts'),
        bytes: tree.totalBytes,
        before: clean,
        run: childSample('cases/master.ts', 'master', { root: tree.root, list, out, durable: false } satisfies MasterArgs),
      },
      {
        label: 'genisoimage',
        availability: toolAvailability('genisoimage'),
        bytes: tree.totalBytes,
        before: clean,
        run: () => timeCommand('genisoimage', mkisofsArgs, { rssFile }),
      },
      {
        // The same work as plain genisoimage plus what ours pays too: making the image durable.
        label: 'genisoimage + fsync',
        availability: toolAvailability('genisoimage', 'sync'),
        bytes: tree.totalBytes,
        before: clean,
        run: () => timeCommand('sh', ['-c', 'out=$1; shift; genisoimage "$@" && sync -- "$out"', 'sh', out, ...mkisofsArgs], { rssFile }),
      },
      {
        label: 'xorriso',
        availability: toolAvailability('xorriso'),
        bytes: tree.totalBytes,
        before: clean,
        run: () => timeCommand('xorriso', ['-as', 'mkisofs', ...mkisofsArgs], { rssFile }),
      },
      {
        label: 'cp -r',
        availability: toolAvailability('cp'),
        bytes: tree.totalBytes,
        before: clean,
        run: () => timeCommand('cp', ['-r', tree.root, copy], { rssFile }),
      },
    ];
    const [ours, ...refs] = await measureSideBySide(subjects, ctx.runs, ctx.log);
    await clean();
    const median = (m: (typeof refs)[number] | undefined): number | undefined => (m?.status === 'ok' ? m.median : undefined);
    const [noFsync, genisoimage, synced] = refs;
    const rNoFsync = ratio(median(noFsync), median(genisoimage));
    const rDurable = ratio(median(ours), median(synced));
    const rPlain = ratio(median(ours), median(genisoimage));
    const times = (r: number | undefined): string => (r === undefined ? 'n/a' : `${r.toFixed(2)}×`);
    return [
      {
        name: 'master',
        goal: this.goal,
        ours: ours!,
        refs,
        verdict: combineVerdicts([verdictAtMost(rNoFsync, GOAL_RATIO), verdictAtMost(rDurable, GOAL_RATIO)]),
        notes: [
          `${tree.files.length} files; ours also computes the image SHA-256 while writing, the references do not`,
          `verdict: meets only if both like-for-like ratios are ≤ ${GOAL_RATIO.toFixed(1)}×: ` +
            `"ours, no fsync"/genisoimage = ${times(rNoFsync)}, ours (durable)/"genisoimage + fsync" = ${times(rDurable)}`,
          'ours (durable) fsyncs the image before renaming it into place (a disc image must be durable); genisoimage and cp -r ' +
            `return with it still in the page cache; the table's ratio of ours to plain genisoimage (${times(rPlain)}) charges ours for that flush and is not the verdict`,
        ],
      },
    ];
  },
};
