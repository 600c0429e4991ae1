import { buildStatus } from '../../schedule/build-status.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { EXIT_FAILURE } from '../exit-codes.ts';
import { openWorkspace } from '../workspace.ts';

export interface StatusCommandOptions extends GlobalOptions {
  check?: boolean;
}

/** `patchdisc status [--check]`: last build per pipeline; --check exits 1 when this week is missing or failed. */
export async function statusCommand(opts: StatusCommandOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const s = await buildStatus(ws.ledger, ws.pipelines, new Date(), ws.config.timeZone);
    if (ws.reporter.json) ws.reporter.result(s);
    else {
      ws.reporter.line(`week ${s.week}: ${s.ok ? 'ok' : 'NOT OK'}`);
      for (const p of s.pipelines) {
        const last = p.lastBuild ? `last build ${p.lastBuild.week} ${p.lastBuild.status}${p.lastBuild.error ? ` — ${p.lastBuild.error}` : ''}` : 'never built';
        ws.reporter.line(`  ${p.pipeline}: this week ${p.state}; ${last}${p.missedWeeks.length ? `; missed ${p.missedWeeks.join(', ')}` : ''}`);
      }
      if (s.pipelines.length === 0) ws.reporter.line('  no pipelines configured');
    }
    return opts.check && !s.ok ? EXIT_FAILURE : 0;
  } finally {
    await ws.close();
  }
}
