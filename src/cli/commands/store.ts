import { downloadFile } from '../../fetch/download-file.ts';
import { applyMirror, mirrorHosts } from '../../fetch/mirror.ts';
import { normalizeSha1 } from '../../fetch/normalize-digest.ts';
import { PatchdiscError } from '../../errors.ts';
import { recordFile } from '../../ledger/files.ts';
import { listBuilds, getStageOutput } from '../../ledger/builds.ts';
import { contentStoreOf } from '../../pipeline/stage-fetch.ts';
import type { PlanOutput } from '../../pipeline/stage-plan.ts';
import { addWeeks, weekOf } from '../../pipeline/week.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { EXIT_INVALID } from '../exit-codes.ts';
import { openWorkspace } from '../workspace.ts';

export interface DownloadCommandOptions extends GlobalOptions {
  sha1?: string;
  allowHost?: string[];
}

/** `patchdisc download URL --sha1 DIGEST`: one file into the content store, verified. */
export async function downloadCommand(url: string, opts: DownloadCommandOptions, io: CliIo): Promise<number> {
  if (!opts.sha1) throw new PatchdiscError('USAGE', 'Cannot download: --sha1 DIGEST is required (hex or base64, from the catalog)');
  let sha1: string;
  try {
    sha1 = normalizeSha1(opts.sha1);
  } catch (cause) {
    throw new PatchdiscError('USAGE', `Cannot download: --sha1 ${opts.sha1} is not a SHA-1 in hex or base64`, { cause });
  }
  const ws = await openWorkspace(opts, io);
  try {
    const store = contentStoreOf(ws.dataDir);
    const res = await downloadFile(
      { url: applyMirror(url, ws.config.mirrors), sha1 },
      {
        store,
        allowHosts: [...ws.config.allowHosts, ...mirrorHosts(ws.config.mirrors), ...(opts.allowHost ?? [])],
        retries: ws.config.download.retries,
        ...(ws.dispatcher ? { dispatcher: ws.dispatcher } : {}),
      },
    );
    await recordFile(ws.ledger, { sha1: res.sha1, sha256: res.sha256, size: res.bytes, url, fetchedAt: new Date() });
    if (ws.reporter.json) {
      ws.reporter.result({ path: res.path, bytes: res.bytes, sha1: res.sha1, sha256: res.sha256, attempts: res.attempts, bytesFetched: res.bytesFetched });
    } else {
      ws.reporter.line(`${res.cached ? 'already stored' : 'stored'} ${res.path} (${res.bytes} bytes, sha256 ${res.sha256}, ${res.attempts} attempt(s))`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}

/** `patchdisc store verify`: re-hash every stored file; corrupt ones are quarantined and reported (exit 3). */
export async function storeVerifyCommand(opts: GlobalOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const store = contentStoreOf(ws.dataDir);
    const res = await store.verify({
      onProgress: (p) => {
        if (!p.ok) ws.reporter.warn(`corrupt: ${p.sha1} (quarantined)`);
        else ws.reporter.verbose(`ok ${p.sha1}`);
      },
    });
    if (ws.reporter.json) ws.reporter.result(res);
    else ws.reporter.line(`${res.checked} files checked, ${res.corrupt.length} corrupt${res.corrupt.length ? ' (moved to store/quarantine; the next build fetches them again)' : ''}`);
    return res.corrupt.length === 0 ? 0 : EXIT_INVALID;
  } finally {
    await ws.close();
  }
}

export interface StoreGcOptions extends GlobalOptions {
  keepWeeks?: number;
  dryRun?: boolean;
}

/** `patchdisc store gc [--keep-weeks N] [--dry-run]`: remove stored files no retained build references. */
export async function storeGcCommand(opts: StoreGcOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const keep = opts.keepWeeks ?? ws.config.retention.keepWeeks;
    if (!Number.isInteger(keep) || keep < 0) throw new PatchdiscError('USAGE', 'Cannot collect garbage: --keep-weeks must be a whole number');
    const cutoff = addWeeks(weekOf(new Date(), ws.config.timeZone), -keep);
    const referenced = new Set<string>();
    for (const b of await listBuilds(ws.ledger, { limit: 100_000 })) {
      // Unfinished builds keep everything they planned, whatever their week: a rerun needs it.
      if (b.week < cutoff && b.status === 'done') continue;
      const plan = await getStageOutput<PlanOutput>(ws.ledger, b.id, 'plan');
      for (const set of plan?.sets ?? []) for (const d of set.discs) for (const f of d.files) referenced.add(f.sha1);
    }
    const store = contentStoreOf(ws.dataDir);
    const removed: { sha1: string; size: number }[] = [];
    for await (const f of store.list()) {
      if (referenced.has(f.sha1)) continue;
      removed.push({ sha1: f.sha1, size: f.size });
      if (!opts.dryRun) await store.remove(f.sha1);
    }
    const bytes = removed.reduce((s, f) => s + f.size, 0);
    if (ws.reporter.json) ws.reporter.result({ keepWeeksFrom: cutoff, dryRun: opts.dryRun === true, removed, bytes });
    else ws.reporter.line(`${opts.dryRun ? 'would remove' : 'removed'} ${removed.length} files (${(bytes / 1e6).toFixed(1)} MB) not used by builds since ${cutoff}`);
    return 0;
  } finally {
    await ws.close();
  }
}

