import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { extractCabinet } from '../../cab/extract-cabinet.ts';
import { openCabinet } from '../../cab/open-cabinet.ts';
import { parseCvrf } from '../../catalog/cvrf.ts';
import { inspectWsusscn2Json } from '../../catalog/inspect-wsusscn2.ts';
import { readWsusscn2 } from '../../catalog/read-wsusscn2.ts';
import { parseDownloadDialog, parseSearchPage } from '../../catalog/update-catalog.ts';
import { PatchdiscError } from '../../errors.ts';
import { Reporter, type CliIo, type GlobalOptions } from '../cli-io.ts';

export interface InspectOptions extends GlobalOptions {
  extract?: string;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new PatchdiscError('NOT_FOUND', `Cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}

/** `patchdisc inspect cab FILE [--extract DIR]`: members, folders, compression; optional extraction. */
export async function inspectCabCommand(file: string, opts: InspectOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  const cab = await openCabinet(resolve(io.cwd, file));
  try {
    const extracted = opts.extract ? await extractCabinet(cab, resolve(io.cwd, opts.extract)) : undefined;
    if (r.json) {
      r.result({
        cabinet: file,
        folders: cab.folders,
        members: cab.members.map((m) => ({ name: m.name, size: m.size, folder: m.folderIndex, compression: m.compression, ...(m.window ? { window: m.window } : {}), date: m.date.toISOString() })),
        ...(extracted ? { extracted } : {}),
      });
    } else {
      for (const f of cab.folders) r.line(`folder ${f.index}: ${f.compression}${f.window ? ` (window 2^${f.window})` : ''}, ${f.dataBlocks} data blocks`);
      for (const m of cab.members) r.line(`${String(m.size).padStart(12)}  folder ${m.folderIndex}  ${m.compression.padEnd(5)}  ${m.name}`);
      if (extracted) for (const e of extracted) r.line(`extracted ${e.path} (${e.size} bytes, sha256 ${e.sha256})`);
    }
    return 0;
  } finally {
    await cab.close();
  }
}

/** `patchdisc inspect wsusscn2 FILE`: every bundle with KB, title, categories, supersedence, files. */
export async function inspectWsusscn2Command(file: string, opts: InspectOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  const snapshot = await readWsusscn2(resolve(io.cwd, file), { onWarning: (w) => r.warn(w) });
  const view = inspectWsusscn2Json(snapshot);
  if (r.json) r.result(view);
  else {
    r.line(`package ${view.packageId} created ${view.creationDate}: ${view.bundles.length} bundles`);
    for (const b of view.bundles) {
      r.line(`${b.kb ? `KB${b.kb}` : '-'.padEnd(9)}  ${b.superseded ? 'superseded' : 'current   '}  ${b.title} (${b.files.length} files)`);
    }
  }
  return 0;
}

/** `patchdisc inspect search-page FILE`: result rows and paging of a saved Search.aspx response. */
export async function inspectSearchPageCommand(file: string, opts: InspectOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  const page = parseSearchPage(await readText(resolve(io.cwd, file)));
  if (r.json) r.result({ rows: page.rows, page: page.page, pages: page.pages });
  else {
    r.line(page.noResults ? 'no results' : `page ${page.page} of ${page.pages}: ${page.rows.length} rows`);
    for (const row of page.rows) r.line(`${row.updateId}  ${row.lastUpdated}  ${row.sizeBytes ?? '?'} bytes  ${row.title}`);
  }
  return 0;
}

/** `patchdisc inspect download-dialog FILE`: the file URLs and SHA-1 digests of a DownloadDialog.aspx response. */
export async function inspectDownloadDialogCommand(file: string, opts: InspectOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  const d = parseDownloadDialog(await readText(resolve(io.cwd, file)));
  const view = { updates: d.updates.map((u) => ({ updateId: u.updateId, title: u.title, files: u.files.map((f) => ({ url: f.url, sha1Base64: f.sha1Base64 })) })) };
  if (r.json) r.result(view);
  else for (const u of view.updates) for (const f of u.files) r.line(`${u.updateId}  ${f.sha1Base64}  ${f.url}`);
  return 0;
}

/** `patchdisc inspect cvrf FILE`: KBs of Vendor Fix remediations with their CVEs. */
export async function inspectCvrfCommand(file: string, opts: InspectOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  const c = parseCvrf(await readText(resolve(io.cwd, file)));
  if (r.json) r.result(c);
  else {
    r.line(`${c.document}: ${c.kbs.length} KBs`);
    for (const k of c.kbs) r.line(`KB${k.kb}  ${k.severity ?? '-'}  ${k.cves.length} CVEs  restart ${k.restartRequired ? 'yes' : 'no'}`);
  }
  return 0;
}
