import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { buildDiscMetadata } from '../disc/disc-metadata.ts';
import { renderDiscIndex } from '../disc/index-html.ts';
import type { SigningKey } from '../disc/keys.ts';
import { formatFingerprint } from '../disc/keys.ts';
import type { ManifestInput } from '../disc/manifest.ts';
import { renderDiscReadme } from '../disc/readme-txt.ts';
import { PatchdiscError } from '../errors.ts';
import { MEDIUM_SECTORS } from '../iso/media.ts';
import { planIsoLayout, planTailFit, tailReserveFor, tailSectorsUsed, type IsoFileInput, type IsoLayout, type IsoOptions } from '../iso/layout.ts';
import { planFromMaster, tailSectorsUsedFrom } from '../iso/rebase-layout.ts';
import { THIN_SUFFIX } from '../iso/thin-image.ts';
import { patchIncompatibility, writeIsoPatch, type IsoBase } from '../iso/write-iso-patch.ts';
import { flushThinImages } from '../iso/write-iso-thin.ts';
import { writeIso } from '../iso/write-iso.ts';
import type { BuildContext } from './build-context.ts';
import { reuseMastered, type ExpectedRecord, type MasterRecord } from './master-record.ts';
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
/** Further discs of a group written at once (their hashing runs on the master's hash worker). */
export const PATCH_CONCURRENCY = 4;

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

/**
 * Masters every disc of every set: signed metadata plus the update files from the content store,
 * written as a deterministic ISO under `<data>/out/<week>/<subscriber>/`. Discs holding the same
 * update files (same volume id, paths and content, whatever the subscriber or medium) share one
 * master: it is written in full with the per-subscriber files and the folders in a reserved tail;
 * each further disc is that master with only the tail rewritten (iso/write-iso-patch.ts) — a reflink
 * clone, or where the filesystem has none a thin image `<volume>.iso.thin` (config `master.share`).
 * A disc already mastered by an earlier (interrupted) run is kept when its record beside it matches;
 * images are written to a partial name and renamed only when complete.
 */
export interface MasterStageOptions {
  /** Hash every disc kept from an earlier run against its record (a repair: `build --remaster`). */
  verifyKept?: boolean;
  /** Told of each disc: kept from an earlier run, or written now. */
  onDisc?: (disc: MasteredDisc, action: 'kept' | 'written') => void;
}

export async function masterStage(ctx: BuildContext, sets: PlannedSet[], week: string, key: SigningKey, options: MasterStageOptions = {}): Promise<MasterOutput> {
  const jobs = await planJobs(ctx, sets, week, key);
  const groups = new Map<string, DiscJob[]>();
  for (const job of jobs) groups.set(job.contentKey, [...(groups.get(job.contentKey) ?? []), job]);
  const written = new Map<DiscJob, MasteredDisc>();
  /** Thin images written unflushed, made durable together before the stage returns. */
  const unflushed: string[] = [];
  for (const members of groups.values()) {
    const tailSectors = tailReserveOf(members);
    const expected = (job: DiscJob): ExpectedRecord => ({ manifestSha256: job.manifestSha256, ...(tailSectors === undefined ? {} : { tailSectors }) });
    const kept: Awaited<ReturnType<typeof reuseMastered>>[] = [];
    for (const job of members) kept.push(await reuseMastered(job.isoPath, job.recordPath, expected(job), options.verifyKept === true));
    // The master: a full image kept from an earlier run, else the first disc, written in full now.
    let masterAt = kept.findIndex((k) => k !== undefined && !k.thin);
    if (masterAt < 0) masterAt = 0;
    const order = [masterAt, ...members.keys()].filter((i, n, all) => all.indexOf(i) === n);
    let base: IsoBase | undefined;
    const one = async (i: number): Promise<void> => {
      const job = members[i] as DiscJob;
      const layout = planJob(job, tailSectors, base?.layout);
      let k = kept[i];
      // A thin image stands on its master's bytes: kept only when that master is this run's.
      if (k?.thin && (base === undefined || k.masterPath !== resolve(base.path))) k = undefined;
      if (k !== undefined) {
        ctx.events.log('info', `kept ${k.path} from an earlier run`);
        if (base === undefined && tailSectors !== undefined) base = { path: job.isoPath, layout, sha256: k.sha256 };
        const disc = masteredDisc(job, k.path, k);
        written.set(job, disc);
        options.onDisc?.(disc, 'kept');
        return;
      }
      const progress = {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (w: number, total: number) => ctx.events.masterProgress?.({ iso: job.isoPath, written: w, total }),
      };
      const why = base ? patchIncompatibility(base.layout, layout) : 'first disc of its content';
      let result: { path: string; bytes: number; sha256: string; thin: boolean };
      if (base && why === undefined) {
        const started = performance.now();
        // A thin image is flushed with the others at the end (a reflink or copy is flushed at once).
        const patched = await writeIsoPatch(base, layout, job.isoPath, { ...progress, share: ctx.config.master.share, durable: false });
        if (patched.clone === 'thin') unflushed.push(patched.path);
        base.checkpoint ??= patched.checkpoint;
        result = { path: patched.path, bytes: patched.bytes, sha256: patched.sha256, thin: patched.clone === 'thin' };
        const how = patched.clone === 'thin' ? 'thin image of' : `${patched.clone} of`;
        ctx.events.log('info', `wrote ${patched.path} as a ${how} ${base.path} (${(performance.now() - started).toFixed(0)} ms)`, { sha256: patched.sha256 });
      } else {
        if (base) ctx.events.log('warn', `cannot share the master ${base.path} for ${job.isoPath}: ${why}; mastering it in full`);
        const full = await writeIso(layout, job.isoPath, progress);
        if (!base && tailSectors !== undefined) {
          base = { path: job.isoPath, layout, sha256: full.sha256, ...(full.checkpoint ? { checkpoint: full.checkpoint } : {}) };
        }
        result = { path: full.path, bytes: full.bytes, sha256: full.sha256, thin: false };
        ctx.events.log('info', `mastered ${job.isoPath} (${full.bytes} bytes)`, { sha256: full.sha256 });
      }
      // The other form of this disc, from an earlier run, is stale now (no kept thin image stands on
      // it: those stand on this run's master only).
      await rm(result.thin ? job.isoPath : `${job.isoPath}${THIN_SUFFIX}`, { force: true });
      const record: MasterRecord = { bytes: result.bytes, sha256: result.sha256, ...expected(job), ...(result.thin ? { thin: true } : {}) };
      await writeFile(job.recordPath, JSON.stringify(record) + '\n');
      const disc = masteredDisc(job, result.path, result);
      written.set(job, disc);
      options.onDisc?.(disc, 'written');
    };
    // The master first, then one further disc on its own when the master's hash checkpoint must be
    // rebuilt (it is, once, by that patch); the rest a few at a time, so that one disc's planning
    // and writing overlap another's hashing.
    const [masterIndex, ...rest] = order;
    if (masterIndex !== undefined) await one(masterIndex);
    while (rest.length > 0 && (base === undefined || base.checkpoint === undefined)) await one(rest.shift() as number);
    const limit = pLimit(PATCH_CONCURRENCY);
    const settled = await Promise.allSettled(rest.map((i) => limit(() => one(i))));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  // Before the record stage marks any disc as made.
  await flushThinImages(unflushed);
  return { discs: jobs.map((j) => written.get(j) as MasteredDisc) };
}

/**
 * One reserve for a whole group, so every member's image has the same size and shared prefix: room
 * for its largest tail. Members after the first are measured from the first's plan (rebase-layout).
 */
function tailReserveOf(members: DiscJob[]): number | undefined {
  const first = members[0];
  if (first === undefined || members.length < 2) return undefined;
  const fit = planTailFit(first.inputs, first.options);
  const used = members.map((j) => tailSectorsUsedFrom(fit, j.inputs, j.options) ?? tailSectorsUsed(j.inputs, j.options));
  return tailReserveFor(Math.max(...used));
}

/** A disc's layout (rebased from its group master's when there is one) that must fit its medium. */
function planJob(job: DiscJob, tailSectors: number | undefined, master: IsoLayout | undefined): IsoLayout {
  const { set, isoPath } = job;
  const layout = tailSectors === undefined
    ? planIsoLayout(job.inputs.map(({ tail: _tail, ...f }) => f), job.options)
    : planFromMaster(master, job.inputs, { ...job.options, tailSectors });
  // The planner left room for metadata; this is the final word on whether the image fits its medium.
  if (layout.totalSectors > MEDIUM_SECTORS[set.medium]) {
    throw new PatchdiscError(
      'FILE_TOO_LARGE',
      `Cannot master ${isoPath}: the image needs ${layout.totalSectors} sectors but a ${set.medium} holds ${MEDIUM_SECTORS[set.medium]}; plan again with a larger medium`,
      { details: { iso: isoPath, sectors: layout.totalSectors, medium: set.medium } },
    );
  }
  return layout;
}

function masteredDisc(job: DiscJob, isoPath: string, image: { bytes: number; sha256: string }): MasteredDisc {
  const { set, disc } = job;
  return {
    subscriberId: set.subscriberId,
    code: set.code,
    pipeline: set.pipeline,
    sequence: set.sequence,
    number: disc.number,
    of: disc.of,
    volumeId: disc.volumeId,
    isoPath,
    bytes: image.bytes,
    sha256: image.sha256,
    manifestSha256: job.manifestSha256,
  };
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
