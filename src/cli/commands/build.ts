import { pickPipelines } from '../../config/load-config.ts';
import { PatchdiscError } from '../../errors.ts';
import type { BuildContext } from '../../pipeline/build-context.ts';
import { formatWeekReport, type WeekReport } from '../../pipeline/report.ts';
import { runWeek } from '../../pipeline/run-week.ts';
import { parseWeek, weekOf } from '../../pipeline/week.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { ttyProgress } from '../progress.ts';
import { openWorkspace, type Workspace } from '../workspace.ts';

export interface BuildCommandOptions extends GlobalOptions {
  pipeline?: string[];
  week?: string;
  dryRun?: boolean;
  remaster?: boolean;
}

/** The context a build runs in, from an open workspace. */
export function buildContextOf(ws: Workspace, io: CliIo, pipelines: string[], progress?: ReturnType<typeof ttyProgress>): BuildContext {
  return {
    dataDir: ws.dataDir,
    config: ws.config,
    pipelines: pickPipelines(ws.pipelines, pipelines),
    ledger: ws.ledger,
    now: () => new Date(),
    events: ws.reporter.buildEvents(progress?.events),
    passphrase: io.env['PATCHDISC_KEY_PASSPHRASE'],
    dispatcher: ws.dispatcher,
  };
}

/** `patchdisc build`: one weekly build (or its preview with --dry-run). */
export async function buildCommand(opts: BuildCommandOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io, new Date(), { readOnlyLedger: opts.dryRun === true });
  try {
    const week = opts.week ?? weekOf(new Date(), ws.config.timeZone);
    parseWeek(week);
    if (opts.dryRun) {
      const { previewWeek } = await import('../../pipeline/preview-week.ts');
      const preview = await previewWeek(buildContextOf(ws, io, opts.pipeline ?? []), week);
      if (ws.reporter.json) ws.reporter.result(preview);
      else for (const l of preview.lines) ws.reporter.line(l);
      return 0;
    }
    if (opts.remaster) return await remaster(ws, io, opts, week);
    const progress = opts.json || opts.quiet ? undefined : ttyProgress(io.isTTY);
    let report: WeekReport;
    try {
      report = await runWeek(buildContextOf(ws, io, opts.pipeline ?? [], progress), week);
    } finally {
      progress?.stop();
    }
    if (ws.reporter.json) ws.reporter.result(report);
    else for (const l of formatWeekReport(report)) ws.reporter.line(l);
    return 0;
  } finally {
    await ws.close();
  }
}

/** `patchdisc build --week W --remaster`: write again the missing or damaged disc images of a built week. */
async function remaster(ws: Workspace, io: CliIo, opts: BuildCommandOptions, week: string): Promise<number> {
  if (opts.dryRun) throw new PatchdiscError('USAGE', 'Cannot remaster: --remaster and --dry-run exclude each other');
  const { remasterWeek } = await import('../../pipeline/remaster-week.ts');
  const progress = opts.json || opts.quiet ? undefined : ttyProgress(io.isTTY);
  let report;
  try {
    report = await remasterWeek(buildContextOf(ws, io, opts.pipeline ?? [], progress), week);
  } finally {
    progress?.stop();
  }
  if (ws.reporter.json) ws.reporter.result(report);
  else {
    for (const d of report.discs) ws.reporter.line(`${d.action === 'kept' ? 'intact ' : 'written'} ${d.iso} (sha256 ${d.sha256.slice(0, 16)}…, as recorded)`);
    const written = report.discs.filter((d) => d.action === 'written').length;
    ws.reporter.line(`week ${week}: ${report.discs.length} discs checked, ${written} written again`);
  }
  return 0;
}
