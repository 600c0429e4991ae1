import { fetch as undiciFetch } from 'undici';
import { buildStatus, writeStatusFile } from '../../schedule/build-status.ts';
import { runScheduler } from '../../schedule/run-scheduler.ts';
import { runWeek } from '../../pipeline/run-week.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace } from '../workspace.ts';
import { buildContextOf } from './build.ts';

/** `patchdisc schedule`: long-running weekly builds with catch-up and alarms; stops on SIGINT/SIGTERM. */
export async function scheduleCommand(opts: GlobalOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await runScheduler({
      cron: ws.config.schedule.cron,
      timeZone: ws.config.timeZone,
      signal: controller.signal,
      runBuild: async (week) => {
        await runWeek(buildContextOf(ws, io, []), week);
      },
      status: async () => {
        const s = await buildStatus(ws.ledger, ws.pipelines, new Date(), ws.config.timeZone);
        await writeStatusFile(ws.dataDir, s);
        return s;
      },
      alarm: async (message, s) => {
        ws.reporter.log('error', message, { alarm: true });
        io.stderr(`ALARM: ${message}\n`);
        await writeStatusFile(ws.dataDir, { ...s, alarm: message });
        const hook = ws.config.schedule.webhook;
        if (hook) {
          try {
            await undiciFetch(hook, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ event: 'patchdisc.alarm', message, status: s }),
              ...(ws.dispatcher ? { dispatcher: ws.dispatcher } : {}),
            });
          } catch (err) {
            ws.reporter.log('error', `alarm webhook ${hook} failed: ${String(err)}`);
          }
        }
      },
      log: (level, message) => {
        ws.reporter.log(level, message);
        ws.reporter.line(`${new Date().toISOString()} ${message}`);
      },
    });
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await ws.close();
  }
}
