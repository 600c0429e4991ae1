/**
 * per-subscriber: what a further subscriber of the same content costs. The first subscriber's disc is
 * mastered in full with the patchable layout (planIsoLayout with a reserved tail + writeIso); each
 * further one is a clone of it with its own metadata written into the tail (writeIsoPatch), its
 * SHA-256 finished from the master's checkpoint. Also timed: a patch whose checkpoint must first be
 * rebuilt by reading the master (a rerun after a crash). The clone is a reflink where the temp
 * filesystem offers one (btrfs, XFS) and a full copy elsewhere (ext4, tmpfs): the note says which.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchCase, CaseResult } from '../lib/bench-case.ts';
import { runChildTask, summarise, type RunSample } from '../lib/measure.ts';
import { median, ratio, verdictAtMost } from '../lib/stats.ts';
import { srcAvailability } from '../lib/tools.ts';
import type { TreeFile } from '../lib/tree.ts';

const GOAL_RATIO = 0.01;
/** Fixed so that every run writes the same images. */
const IMAGE_DATE = Date.UTC(2026, 8, 28) / 1000;
/** Further subscribers per run; the median of their times is the run's per-subscriber time. */
const FURTHER_SUBSCRIBERS = 3;

interface Args {
  root: string;
  files: TreeFile[];
  dir: string;
}

interface ChildResult {
  bytes: number;
  masterSeconds: number;
  patchSeconds: number[];
  resumeSeconds: number;
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
  },
};

export const childTasks = {
  /** Masters subscriber 0, then patches FURTHER_SUBSCRIBERS more; times each step on its own. */
  async masterThenPatch(args: Args): Promise<ChildResult> {
    const { planIsoLayout, tailReserveFor, tailSectorsUsed } = await import('../../src/iso/layout.ts');
    const { writeIso } = await import('../../src/iso/write-iso.ts');
    const { writeIsoPatch } = await import('../../src/iso/write-iso-patch.ts');
    const options = { volumeId: 'PATCH_26W40_1OF1', publisher: 'Contoso', date: IMAGE_DATE };
    const inputs = (k: number) => [
      ...metadataOf(k, args.files).map((m) => ({ path: m.path, size: m.data.length, source: { kind: 'buffer' as const, data: m.data }, tail: true })),
      ...args.files.map((f) => ({ path: f.path, size: f.size, source: { kind: 'file' as const, path: join(args.root, f.path) } })),
    ];
    const ks = Array.from({ length: FURTHER_SUBSCRIBERS + 2 }, (_, k) => k);
    const tailSectors = tailReserveFor(Math.max(...ks.map((k) => tailSectorsUsed(inputs(k), options))));
    const layoutOf = (k: number) => planIsoLayout(inputs(k), { ...options, tailSectors });
    const clock = (): number => Number(process.hrtime.bigint()) / 1e9;

    const masterPath = join(args.dir, 'master.iso');
    let t = clock();
    const master = await writeIso(layoutOf(0), masterPath);
    const masterSeconds = clock() - t;
    const base = { path: masterPath, layout: layoutOf(0), ...(master.checkpoint ? { checkpoint: master.checkpoint } : {}) };

    const patchSeconds: number[] = [];
    let clone = '';
    let verified = true;
    for (let k = 1; k <= FURTHER_SUBSCRIBERS + 1; k++) {
      const out = join(args.dir, `subscriber-${k}.iso`);
      const resume = k === FURTHER_SUBSCRIBERS + 1;
      t = clock();
      // Planning and the patch are both per-subscriber work; the resume case drops the checkpoint.
      const r = await writeIsoPatch(resume ? { path: masterPath, layout: base.layout } : base, layoutOf(k), out);
      const seconds = clock() - t;
      if (resume) patchSeconds.push(-seconds);
      else patchSeconds.push(seconds);
      clone = r.clone;
      // Untimed: the SHA-256 finished from the checkpoint must be the file's.
      if (k === 1 || resume) verified &&= (await sha256Of(out)) === r.sha256;
      await rm(out, { force: true });
    }
    await rm(masterPath, { force: true });
    const resumeSeconds = -(patchSeconds.pop() as number);
    return { bytes: master.bytes, masterSeconds, patchSeconds, resumeSeconds, clone, verified };
  },
};

export const benchCase: BenchCase = {
  name: 'per-subscriber',
  goal: '≤ 1% of master time per further subscriber',
  async run(ctx): Promise<CaseResult[]> {
    const tree = await ctx.tree();
    const availability = srcAvailability('iso/layout.ts', 'iso/write-iso.ts', 'iso/write-iso-patch.ts');
    const master: RunSample[] = [];
    const patch: RunSample[] = [];
    const resume: RunSample[] = [];
    const clones = new Set<string>();
    let failure: string | undefined;
    let verified = true;
    let bytes = tree.totalBytes;
    if (availability === 'ok') {
      for (let i = 0; i < ctx.runs; i++) {
        try {
          const r = (await runChildTask('cases/per-subscriber.ts', 'masterThenPatch', {
            root: tree.root,
            files: tree.files.map(({ path, size }) => ({ path, size })),
            dir: ctx.tmp,
          })).result as ChildResult;
          bytes = r.bytes;
          master.push({ seconds: r.masterSeconds });
          patch.push({ seconds: median(r.patchSeconds) });
          resume.push({ seconds: r.resumeSeconds });
          clones.add(r.clone);
          verified &&= r.verified;
          ctx.log(`  run ${i + 1}/${ctx.runs}: master ${r.masterSeconds.toFixed(3)} s, further subscriber ${median(r.patchSeconds).toFixed(4)} s (${r.clone}), after a rerun ${r.resumeSeconds.toFixed(3)} s`);
        } catch (err) {
          failure = (err as Error).message.split('\n').slice(0, 3).join(' | ');
          ctx.log(`  run ${i + 1}/${ctx.runs}: FAILED ${failure}`);
          break;
        }
      }
      await rm(join(ctx.tmp, 'master.iso'), { force: true });
    }
    if (!verified) failure = 'a patched image’s file SHA-256 differs from the one writeIsoPatch returned';
    const ours = summarise({ label: 'ours: further subscriber', availability, bytes, note: 'plan + clone + tail + SHA-256 from the checkpoint' }, patch, failure);
    const refs = [
      summarise({ label: 'master (first subscriber)', availability, bytes, note: 'plan + writeIso with the reserved tail' }, master, failure),
      summarise({ label: 'further subscriber after a rerun', availability, bytes, note: 'checkpoint rebuilt by reading the master' }, resume, failure),
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
          `${tree.files.length} files; clone: ${[...clones].join(', ') || 'n/a'} (a reflink needs btrfs or XFS under ${ctx.tmp}; elsewhere the clone copies every byte)`,
          `ratio further/master ${r === undefined ? 'n/a' : `${(r * 100).toFixed(2)} %`}`,
        ],
      },
    ];
  },
};
