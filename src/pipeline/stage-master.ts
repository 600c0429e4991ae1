import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDiscMetadata } from '../disc/disc-metadata.ts';
import { renderDiscIndex } from '../disc/index-html.ts';
import type { SigningKey } from '../disc/keys.ts';
import { formatFingerprint } from '../disc/keys.ts';
import type { ManifestInput } from '../disc/manifest.ts';
import { renderDiscReadme } from '../disc/readme-txt.ts';
import { PatchdiscError } from '../errors.ts';
import { MEDIUM_SECTORS } from '../iso/media.ts';
import { planIsoLayout, tailReserveFor, tailSectorsUsed, type IsoFileInput, type IsoOptions } from '../iso/layout.ts';
import { patchIncompatibility, writeIsoPatch, type IsoBase } from '../iso/write-iso-patch.ts';
import { writeIso } from '../iso/write-iso.ts';
import type { BuildContext } from './build-context.ts';
import { rotationFor } from './rotation-for.ts';
import { contentStoreOf } from './stage-fetch.ts';
import type { PlannedSet } from './stage-plan.ts';
import { weekEpoch } from './week.ts';

export interface MasteredDisc {
  subscriberId: number;
  code: string;
  pipeline: string;
  sequence: number;
  number: number;
  of: number;
  volumeId: string;
  isoPath: string;
  bytes: number;
  sha256: string;
  manifestSha256: string;
}

export interface MasterOutput {
  discs: MasteredDisc[];
}

const WEEK_SECONDS = 7 * 86_400;

/** The manifest of one disc of a planned set; every date derives from the week. */
export function manifestFor(ctx: BuildContext, set: PlannedSet, disc: PlannedSet['discs'][number], week: string, keyId: string): ManifestInput {
  const epoch = weekEpoch(week);
  return {
    vendor: ctx.config.vendor,
    subscriberId: set.code,
    sequence: set.sequence,
    disc: disc.number,
    discs: disc.of,
    created: new Date(epoch * 1000).toISOString(),
    expires: new Date((epoch + ctx.config.expiresWeeks * WEEK_SECONDS) * 1000).toISOString(),
    signingKeySha256: keyId,
    previousManifestSha256: set.previousManifestSha256,
    pipeline: set.pipeline,
    week,
    quietWeek: set.quiet,
    files: disc.files.map((f) => ({
      path: f.path,
      size: f.size,
      sha256: f.sha256,
      ...(f.kb === undefined ? {} : { kb: `KB${f.kb}` }),
      title: f.title,
      sourceUrl: f.sourceUrl,
      msSha1: f.sha1,
      ...(f.classification === undefined ? {} : { classification: f.classification }),
      ...(f.severity === undefined ? {} : { severity: f.severity }),
      cves: f.cves,
      product: f.product,
    })),
    installOrder: disc.files.map((f) => f.path),
  };
}

/** One disc to master: its signed metadata, where its ISO goes, and the inputs of its layout. */
interface DiscJob {
  set: PlannedSet;
  disc: PlannedSet['discs'][number];
  manifestSha256: string;
  isoPath: string;
  recordPath: string;
  inputs: IsoFileInput[];
  options: IsoOptions;
  /** Discs with equal keys hold the same update files under the same volume id. */
  contentKey: string;
}

/** What `<iso>.json` beside each ISO records, so a rerun keeps a finished disc. */
interface MasterRecord {
  bytes: number;
  sha256: string;
  manifestSha256: string;
  /** The reserved tail of a disc shared with other subscribers; absent for a lone disc. */
  tailSectors?: number;
}

/**
 * Masters every disc of every set: signed metadata plus the update files from the content store,
 * written as a deterministic ISO under `<data>/out/<week>/<subscriber>/`. Discs holding the same
 * update files (same volume id, paths and content, whatever the subscriber or medium) share one
 * master: the first is written in full with the per-subscriber files and the folders in a reserved
 * tail, each further one is a clone of it with only that tail rewritten (iso/write-iso-patch.ts). A
 * disc already mastered by an earlier (interrupted) run is kept when its record beside it matches;
 * ISOs are written to a partial name and renamed only when complete.
 */
export async function masterStage(ctx: BuildContext, sets: PlannedSet[], week: string, key: SigningKey): Promise<MasterOutput> {
  const jobs = await planJobs(ctx, sets, week, key);
  const groups = new Map<string, DiscJob[]>();
  for (const job of jobs) groups.set(job.contentKey, [...(groups.get(job.contentKey) ?? []), job]);
  // One reserve for the whole group, so every member's image has the same size and shared prefix.
  const tails = new Map<string, number | undefined>();
  for (const [k, members] of groups) {
    tails.set(k, members.length < 2 ? undefined : tailReserveFor(Math.max(...members.map((j) => tailSectorsUsed(j.inputs, j.options)))));
  }
  const bases = new Map<string, IsoBase>();
  const discs: MasteredDisc[] = [];
  for (const job of jobs) {
    const tailSectors = tails.get(job.contentKey);
    const { set, disc, isoPath, manifestSha256 } = job;
    const layout = planIsoLayout(
      tailSectors === undefined ? job.inputs.map(({ tail: _tail, ...f }) => f) : job.inputs,
      tailSectors === undefined ? job.options : { ...job.options, tailSectors },
    );
    // The planner left room for metadata; this is the final word on whether the image fits its medium.
    if (layout.totalSectors > MEDIUM_SECTORS[set.medium]) {
      throw new PatchdiscError(
        'FILE_TOO_LARGE',
        `Cannot master ${isoPath}: the image needs ${layout.totalSectors} sectors but a ${set.medium} holds ${MEDIUM_SECTORS[set.medium]}; plan again with a larger medium`,
        { details: { iso: isoPath, sectors: layout.totalSectors, medium: set.medium } },
      );
    }
    const record: Omit<MasterRecord, 'bytes' | 'sha256'> = { manifestSha256, ...(tailSectors === undefined ? {} : { tailSectors }) };
    const base = bases.get(job.contentKey);
    let written = await reuseMastered(isoPath, job.recordPath, record);
    if (written) {
      ctx.events.log('info', `kept ${isoPath} from an earlier run`);
      if (!base && tailSectors !== undefined) bases.set(job.contentKey, { path: isoPath, layout });
    } else {
      const progress = {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (w: number, total: number) => ctx.events.masterProgress?.({ iso: isoPath, written: w, total }),
      };
      const why = base ? patchIncompatibility(base.layout, layout) : 'first disc of its content';
      if (base && why === undefined) {
        const started = performance.now();
        const patched = await writeIsoPatch(base, layout, isoPath, progress);
        base.checkpoint = patched.checkpoint;
        written = { bytes: patched.bytes, sha256: patched.sha256 };
        ctx.events.log('info', `patched ${isoPath} from ${base.path} (${patched.clone}, ${(performance.now() - started).toFixed(0)} ms)`, { sha256: patched.sha256 });
      } else {
        if (base) ctx.events.log('warn', `cannot share the master ${base.path} for ${isoPath}: ${why}; mastering it in full`);
        const full = await writeIso(layout, isoPath, progress);
        if (!base && tailSectors !== undefined) {
          bases.set(job.contentKey, { path: isoPath, layout, ...(full.checkpoint ? { checkpoint: full.checkpoint } : {}) });
        }
        written = { bytes: full.bytes, sha256: full.sha256 };
        ctx.events.log('info', `mastered ${isoPath} (${full.bytes} bytes)`, { sha256: full.sha256 });
      }
      await writeFile(job.recordPath, JSON.stringify({ bytes: written.bytes, sha256: written.sha256, ...record } satisfies MasterRecord) + '\n');
    }
    discs.push({
      subscriberId: set.subscriberId,
      code: set.code,
      pipeline: set.pipeline,
      sequence: set.sequence,
      number: disc.number,
      of: disc.of,
      volumeId: disc.volumeId,
      isoPath,
      bytes: written.bytes,
      sha256: written.sha256,
      manifestSha256,
    });
  }
  return { discs };
}

/** Builds and signs every disc's metadata first, so each group's tail reserve can fit its largest. */
async function planJobs(ctx: BuildContext, sets: PlannedSet[], week: string, key: SigningKey): Promise<DiscJob[]> {
  const store = contentStoreOf(ctx.dataDir);
  const fingerprint = formatFingerprint(key.keyId);
  // After `keys rotate`, every disc the new key signs carries the statement signed by old and new key.
  const rotationFiles = await rotationFor(ctx.ledger, ctx.dataDir, key);
  const jobs: DiscJob[] = [];
  for (const set of sets) {
    const dir = join(ctx.dataDir, 'out', week, set.code);
    await mkdir(dir, { recursive: true });
    for (const disc of set.discs) {
      const manifest = manifestFor(ctx, set, disc, week, key.keyId);
      const metadata = buildDiscMetadata({
        manifest,
        key,
        updateFiles: disc.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
        indexHtml: renderDiscIndex(manifest),
        readmeTxt: renderDiscReadme(manifest, fingerprint),
        extraFiles: rotationFiles,
      });
      const manifestBytes = metadata.find((m) => m.path === 'MANIFEST.json')!.data;
      const isoPath = join(dir, `${disc.volumeId}.iso`);
      jobs.push({
        set,
        disc,
        manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
        isoPath,
        recordPath: `${isoPath}.json`,
        inputs: [
          ...metadata.map((m) => ({ path: m.path, size: m.data.length, source: { kind: 'buffer' as const, data: m.data }, tail: true })),
          ...disc.files.map((f) => ({ path: f.path, size: f.size, source: { kind: 'file' as const, path: store.pathFor(f.sha1) } })),
        ],
        options: { volumeId: disc.volumeId, publisher: ctx.config.vendor, application: 'patchdisc', date: weekEpoch(week) },
        contentKey: createHash('sha256')
          .update(JSON.stringify([disc.volumeId, disc.files.map((f) => [f.path, f.sha1, f.size])]))
          .digest('hex'),
      });
    }
  }
  return jobs;
}

async function reuseMastered(isoPath: string, recordPath: string, expected: Omit<MasterRecord, 'bytes' | 'sha256'>): Promise<{ bytes: number; sha256: string } | undefined> {
  if (!existsSync(isoPath) || !existsSync(recordPath)) return undefined;
  try {
    const rec = JSON.parse(await readFile(recordPath, 'utf8')) as MasterRecord;
    const st = await stat(isoPath);
    // The tail reserve is part of the layout: a disc mastered alone is not the one a group shares.
    if (rec.manifestSha256 === expected.manifestSha256 && rec.tailSectors === expected.tailSectors && st.size === rec.bytes) {
      return { bytes: rec.bytes, sha256: rec.sha256 };
    }
  } catch {
    // A torn record: master again.
  }
  return undefined;
}
