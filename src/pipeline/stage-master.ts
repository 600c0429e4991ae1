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
import { planIsoLayout, type IsoFileInput } from '../iso/layout.ts';
import { writeIso } from '../iso/write-iso.ts';
import type { BuildContext } from './build-context.ts';
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

/**
 * Masters every disc of every set: signed metadata plus the update files from the content store,
 * written as a deterministic ISO under `<data>/out/<week>/<subscriber>/`. A disc already mastered by
 * an earlier (interrupted) run is kept when its record beside it matches; ISOs are written to a
 * partial name and renamed only when complete.
 */
export async function masterStage(ctx: BuildContext, sets: PlannedSet[], week: string, key: SigningKey): Promise<MasterOutput> {
  const store = contentStoreOf(ctx.dataDir);
  const fingerprint = formatFingerprint(key.keyId);
  const discs: MasteredDisc[] = [];
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
      });
      const manifestBytes = metadata.find((m) => m.path === 'MANIFEST.json')!.data;
      const manifestSha256 = createHash('sha256').update(manifestBytes).digest('hex');
      const isoPath = join(dir, `${disc.volumeId}.iso`);
      const recordPath = `${isoPath}.json`;
      const reused = await reuseMastered(isoPath, recordPath, manifestSha256);
      let bytes: number;
      let sha256: string;
      if (reused) {
        ({ bytes, sha256 } = reused);
        ctx.events.log('info', `kept ${isoPath} from an earlier run`);
      } else {
        const inputs: IsoFileInput[] = [
          ...metadata.map((m) => ({ path: m.path, size: m.data.length, source: { kind: 'buffer' as const, data: m.data } })),
          ...disc.files.map((f) => ({ path: f.path, size: f.size, source: { kind: 'file' as const, path: store.pathFor(f.sha1) } })),
        ];
        const layout = planIsoLayout(inputs, {
          volumeId: disc.volumeId,
          publisher: ctx.config.vendor,
          application: 'patchdisc',
          date: weekEpoch(week),
        });
        const written = await writeIso(layout, isoPath, {
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onProgress: (w, total) => ctx.events.masterProgress?.({ iso: isoPath, written: w, total }),
        });
        bytes = written.bytes;
        sha256 = written.sha256;
        await writeFile(recordPath, JSON.stringify({ bytes, sha256, manifestSha256 }) + '\n');
        ctx.events.log('info', `mastered ${isoPath} (${bytes} bytes)`, { sha256 });
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
        bytes,
        sha256,
        manifestSha256,
      });
    }
  }
  return { discs };
}

async function reuseMastered(isoPath: string, recordPath: string, manifestSha256: string): Promise<{ bytes: number; sha256: string } | undefined> {
  if (!existsSync(isoPath) || !existsSync(recordPath)) return undefined;
  try {
    const rec = JSON.parse(await readFile(recordPath, 'utf8')) as { bytes: number; sha256: string; manifestSha256: string };
    const st = await stat(isoPath);
    if (rec.manifestSha256 === manifestSha256 && st.size === rec.bytes) return { bytes: rec.bytes, sha256: rec.sha256 };
  } catch {
    // A torn record: master again.
  }
  return undefined;
}
