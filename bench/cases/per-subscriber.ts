/**
 * per-subscriber: what a further subscriber of the same content costs. The first subscriber's disc is
 * mastered in full with the patchable layout (planIsoLayout with a reserved tail + writeIso); each
 * further one is that master with its own metadata in the tail (writeIsoPatch with the product's
 * default `share: 'auto'`), its SHA-256 finished from the master's checkpoint: a reflink clone with
 * the tail rewritten where the temp filesystem offers one (btrfs, XFS), else a thin image (the
 * master plus the tail; ext4, tmpfs). The note says which. Also timed: a patch whose checkpoint must
 * first be rebuilt by reading the master (a rerun after a crash), and, for reference, a full byte
 * copy of the master with the tail rewritten (`master.share: copy`), what a further subscriber costs
 * where the engineer insists on an .iso file without a reflink.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { BenchCase, CaseResult } from '../lib/bench-case.ts';
import { runChildTask, summarise, type RunSample } from '../lib/measure.ts';
import { median, ratio, verdictAtMost } from '../lib/stats.ts';
import { srcAvailability } from '../lib/tools.ts';
import type { TreeFile } from '../lib/tree.ts';

const GOAL_RATIO = 0.01;
/** Fixed so that every run writes the same images. */
const IMAGE_DATE = Date.UTC(2026, 8, 28) / 1000;
/** Further subscribers per run; their total time over this count is the run's per-subscriber time. */
const FURTHER_SUBSCRIBERS = 8;

interface Args {
  root: string;
  /** JSON file with the TreeFile list: a 2 GiB tree's list is over the 128 KiB limit of one argv string. */
  list: string;
  dir: string;
}

interface ChildResult {
  bytes: number;
  masterSeconds: number;
  patchSeconds: number[];
  resumeSeconds: number;
  copySeconds: number;
  clone: string;
  verified: boolean;
}

/** Metadata of subscriber `k` sized like the real files: MANIFEST.json and index.html list every update. */
function metadataOf(k: number, files: TreeFile[]): { path: string; data: Buffer }[] {
  const code = `BENCH-${'X'.repeat(k)}-${String(k).padStart(3, '0')}`;
  const listing = files.map((f) => ({ path: f.path, size: f.size, sha256: createHash('sha256').update(f.path).digest('hex'), title: `Update for ${f.path}` }));
  const manifest = Buffer.from(JSON.stringify({ subscriberId: code, sequence: 40 + k, files: listing }, null, 2));
  const sums = Buffer.from(`# subscriberId: ${code}\n` + listing.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
  const sig = (data: Buffer): Buffer => Buffer.concat(Array.from({ length: 12 }, (_, i) => createHash('sha256').update(data).update(String(i)).digest()));
  return [
    { path: 'MANIFEST.json', data: manifest },
    { path: 'MANIFEST.json.sig', data: sig(manifest) },
    { path: 'SHA256SUMS', data: sums },
    { path: 'SHA256SUMS.sig', data: sig(sums) },
    { path: 'index.html', data: Buffer.from(`<html><body><h1>${code}</h1>${listing.map((f) => `<p>${f.title}</p>`).join('\n')}</body></html>\n`) },
    { path: 'README.txt', data: Buffer.from(`Disc for ${code}\n`) },
    { path: 'keys/0123456789abcdef.cer', data: Buffer.alloc(1400, 0x30) },
  ];
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/** Module loading before the timer (see bench/child.ts). */
export const childWarmups = {
  async masterThenPatch(): Promise<void> {
    await import('../../src/iso/layout.ts');
    await import('../../src/iso/write-iso.ts');
    await import('../../src/iso/write-iso-patch.ts');
    await import('../../src/iso/export-image.ts');
    await import('../../src/iso/rebase-layout.ts');
    await import('../../src/iso/write-iso-thin.ts');
    await import('../../src/pipeline/stage-master.ts');
  },
};

export const childTasks = {
  /** Masters subscriber 0, then patches FURTHER_SUBSCRIBERS more; times each step on its own. */
  async masterThenPatch(args: Args): Promise<ChildResult> {
    const files = JSON.parse(await readFile(args.list, 'utf8')) as TreeFile[];
    const { planIsoLayout, tailReserveFor, tailSectorsUsed } = await import('../../src/iso/layout.ts');
    const { writeIso } = await import('../../src/iso/write-iso.ts');
    const { writeIsoPatch } = await import('../../src/iso/write-iso-patch.ts');
    const { exportImage } = await import('../../src/iso/export-image.ts');
    const { planFromMaster } = await import('../../src/iso/rebase-layout.ts');
    const { flushThinImages } = await import('../../src/iso/write-iso-thin.ts');
    const { PATCH_CONCURRENCY } = await import('../../src/pipeline/stage-master.ts');
    const options = { volumeId: 'PATCH_26W40_1OF1', publisher: 'Contoso', date: IMAGE_DATE };
    const inputs = (k: number) => [
      ...metadataOf(k, files).map((m) => ({ path: m.path, size: m.data.length, source: { kind: 'buffer' as const, data: m.data }, tail: true })),
      ...files.map((f) => ({ path: f.path, size: f.size, source: { kind: 'file' as const, path: join(args.root, f.path) } })),
    ];
    // Each subscriber's own metadata is made and signed before mastering, the master's too: untimed.
    const all = Array.from({ length: FURTHER_SUBSCRIBERS + 3 }, (_, k) => inputs(k));
    const input = (k: number) => all[k] as ReturnType<typeof inputs>;
    const tailSectors = tailReserveFor(Math.max(...all.map((files) => tailSectorsUsed(files, options))));
    const clock = (): number => Number(process.hrtime.bigint()) / 1e9;

    const masterPath = join(args.dir, 'master.iso');
    let t = clock();
    const masterLayout = planIsoLayout(input(0), { ...options, tailSectors });
    const master = await writeIso(masterLayout, masterPath);
    const masterSeconds = clock() - t;
    const base = { path: masterPath, layout: masterLayout, sha256: master.sha256, ...(master.checkpoint ? { checkpoint: master.checkpoint } : {}) };
    // As the master stage plans a group's further discs: rebased from the master's layout.
    const layoutOf = (k: number) => planFromMaster(masterLayout, input(k), { ...options, tailSectors });

    let clone = '';
    let verified = true;
    /** Untimed: what was written must be the image whose SHA-256 writeIsoPatch returned. */
    const check = async (path: string, sha256: string): Promise<void> => {
      const exported = join(args.dir, 'exported.iso');
      verified &&= (await exportImage(path, exported, { durable: false })).sha256 === sha256 && (await sha256Of(exported)) === sha256;
      await rm(exported, { force: true });
    };
    // As the master stage does: further discs planned and patched PATCH_CONCURRENCY at a time, thin
    // images flushed together at the end (a reflink clone is flushed at once); the time per subscriber
    // is the whole over N.
    const limit = pLimit(PATCH_CONCURRENCY);
    t = clock();
    const written = await Promise.all(
      Array.from({ length: FURTHER_SUBSCRIBERS }, (_, i) =>
        limit(() => writeIsoPatch(base, layoutOf(i + 1), join(args.dir, `subscriber-${i + 1}.iso`), { share: 'auto', durable: false })),
      ),
    );
    await flushThinImages(written.filter((w) => w.clone === 'thin').map((w) => w.path));
    const patchSeconds = [(clock() - t) / FURTHER_SUBSCRIBERS];
    clone = written[0]?.clone ?? '';
    for (const [k, w] of written.entries()) {
      if (k === 0) await check(w.path, w.sha256);
      await rm(w.path, { force: true });
    }
    // A rerun after a crash: the checkpoint is rebuilt by reading the master.
    const resumed = join(args.dir, `subscriber-${FURTHER_SUBSCRIBERS + 1}.iso`);
    t = clock();
    const r = await writeIsoPatch({ path: masterPath, layout: base.layout, sha256: master.sha256 }, layoutOf(FURTHER_SUBSCRIBERS + 1), resumed, { share: 'auto' });
    const resumeSeconds = clock() - t;
    await check(r.path, r.sha256);
    await rm(r.path, { force: true });
    // `master.share: copy`: a full .iso per subscriber, a byte copy where there is no reflink.
    const copied = join(args.dir, `subscriber-${FURTHER_SUBSCRIBERS + 2}.iso`);
    t = clock();
    const c = await writeIsoPatch(base, layoutOf(FURTHER_SUBSCRIBERS + 2), copied, { share: 'copy' });
    const copySeconds = clock() - t;
    verified &&= (await sha256Of(c.path)) === c.sha256;
    await rm(c.path, { force: true });
    await rm(masterPath, { force: true });
    return { bytes: master.bytes, masterSeconds, patchSeconds, resumeSeconds, copySeconds, clone, verified };
  },
};

export const benchCase: BenchCase = {
  name: 'per-subscriber',
  goal: '≤ 1% of master time per further subscriber',
  async run(ctx): Promise<CaseResult[]> {
    const tree = await ctx.tree();
    const list = join(ctx.tmp, 'per-subscriber-files.json');
    await writeFile(list, JSON.stringify(tree.files.map(({ path, size }) => ({ path, size }))));
    const availability = srcAvailability('iso/layout.ts', 'iso/write-iso.ts', 'iso/write-iso-patch.ts');
    const master: RunSample[] = [];
    const patch: RunSample[] = [];
    const resume: RunSample[] = [];
    const copy: RunSample[] = [];
    const clones = new Set<string>();
    let failure: string | undefined;
    let verified = true;
    let bytes = tree.totalBytes;
    if (availability === 'ok') {
      for (let i = 0; i < ctx.runs; i++) {
        try {
          const r = (await runChildTask('cases/per-subscriber.ts', 'masterThenPatch', {
            root: tree.root,
            list,
            dir: ctx.tmp,
          })).result as ChildResult;
          bytes = r.bytes;
          master.push({ seconds: r.masterSeconds });
          patch.push({ seconds: median(r.patchSeconds) });
          resume.push({ seconds: r.resumeSeconds });
          copy.push({ seconds: r.copySeconds });
          clones.add(r.clone);
          verified &&= r.verified;
          ctx.log(`  run ${i + 1}/${ctx.runs}: master ${r.masterSeconds.toFixed(3)} s, further subscriber ${median(r.patchSeconds).toFixed(4)} s (${r.clone}), after a rerun ${r.resumeSeconds.toFixed(3)} s, as a full copy ${r.copySeconds.toFixed(3)} s`);
        } catch (err) {
          failure = (err as Error).message.split('\n').slice(0, 3).join(' | ');
          ctx.log(`  run ${i + 1}/${ctx.runs}: FAILED ${failure}`);
          break;
        }
      }
      await rm(join(ctx.tmp, 'master.iso'), { force: true });
    }
    if (!verified) failure = 'a patched image’s file SHA-256 differs from the one writeIsoPatch returned';
    const ours = summarise({ label: 'ours: further subscriber', availability, bytes, note: 'plan + tail (reflink clone, else thin image) + SHA-256 from the checkpoint' }, patch, failure);
    const refs = [
      summarise({ label: 'master (first subscriber)', availability, bytes, note: 'plan + writeIso with the reserved tail' }, master, failure),
      summarise({ label: 'further subscriber after a rerun', availability, bytes, note: 'checkpoint rebuilt by reading the master' }, resume, failure),
      summarise({ label: 'further subscriber, share: copy', availability, bytes, note: 'a full .iso: clone (a byte copy without reflink) + tail' }, copy, failure),
    ];
    const r = ratio(ours.median, refs[0]?.median);
    return [
      {
        name: 'per-subscriber',
        goal: this.goal,
        ours,
        refs,
        verdict: verdictAtMost(r, GOAL_RATIO),
        notes: [
          `${tree.files.length} files; clone: ${[...clones].join(', ') || 'n/a'} (a reflink needs btrfs or XFS under ${ctx.tmp}; elsewhere a thin image: the master plus the subscriber's tail, written out by \`patchdisc iso export\` when burned)`,
          `ratio further/master ${r === undefined ? 'n/a' : `${(r * 100).toFixed(2)} %`}`,
        ],
      },
    ];
  },
};
