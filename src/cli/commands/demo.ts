import { formatFingerprint } from '../../disc/keys.ts';
import { THIN_SUFFIX } from '../../iso/thin-image.ts';
import { runDemo } from '../../pipeline/run-demo.ts';
import { parseWeek } from '../../pipeline/week.ts';
import { Reporter, resolveDataDir, type CliIo, type GlobalOptions } from '../cli-io.ts';
import { ttyProgress } from '../progress.ts';

export interface DemoCommandOptions extends GlobalOptions {
  week?: string;
  seed?: number;
}

/** `patchdisc demo`: the whole weekly flow, twice, on the embedded upstream. */
export async function demoCommand(opts: DemoCommandOptions, io: CliIo): Promise<number> {
  const dataDir = resolveDataDir(opts, io);
  const reporter = new Reporter(opts, io);
  reporter.openLog(dataDir, new Date());
  if (opts.week !== undefined) parseWeek(opts.week);
  const progress = opts.json || opts.quiet ? undefined : ttyProgress(io.isTTY);
  let summary;
  try {
    summary = await runDemo({
      dataDir,
      ...(opts.week === undefined ? {} : { startWeek: opts.week }),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      events: reporter.buildEvents(progress?.events),
    });
  } finally {
    progress?.stop();
    reporter.flush();
  }
  if (reporter.json) {
    reporter.result(summary);
    return 0;
  }
  reporter.line('');
  reporter.line(`patchdisc demo — data in ${dataDir} (upstream was ${summary.upstream})`);
  reporter.line(`signing certificate ${summary.certificate}`);
  reporter.line(`certificate fingerprint (SHA-256), read it to subscribers:`);
  for (const l of formatFingerprint(summary.fingerprint).split('\n')) reporter.line(`  ${l}`);
  for (const w of summary.weeks) {
    reporter.line(`week ${w.week}${w.upToDate ? ' (up to date: nothing new written)' : ''}`);
    if (w.newKbs.length > 0) reporter.line(`  new since last week: ${w.newKbs.map((k) => `KB${k}`).join(' ')}`);
    if (w.supersededKbs.length > 0) reporter.line(`  superseded by them: ${w.supersededKbs.map((k) => `KB${k}`).join(' ')}`);
    for (const d of w.discs) {
      reporter.line(`  ${d.subscriber} seq ${d.sequence} disc ${d.disc}/${d.of} ${d.volumeId} ${(d.bytes / 1e6).toFixed(1)} MB ${d.iso}`);
    }
    for (const s of w.shipments) reporter.line(`  shipment #${s.id} → ${s.subscriber}: ${s.status}`);
  }
  reporter.line('');
  reporter.line(`verify a disc: patchdisc verify ${summary.weeks.at(-1)?.discs[0]?.iso ?? 'DISC.iso'} --cert ${summary.certificate} --subscriber ${summary.weeks.at(-1)?.discs[0]?.subscriber ?? 'CODE'}`);
  const thin = summary.weeks.at(-1)?.discs.find((d) => d.iso.endsWith(THIN_SUFFIX));
  if (thin !== undefined) {
    // Subscribers with the same content share one master; the others' discs are its tail only.
    reporter.line(`a .iso.thin disc is a shared master plus that subscriber's own files; write its .iso with: patchdisc iso export ${thin.iso} --out ${thin.subscriber}.iso`);
  }
  return 0;
}
