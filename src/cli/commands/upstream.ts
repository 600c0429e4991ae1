import { parseFaults } from '../../upstream/faults.ts';
import { startUpstream } from '../../upstream/start-upstream.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { PatchdiscError } from '../../errors.ts';

export interface UpstreamCommandOptions extends GlobalOptions {
  port?: number;
  seed?: number;
  week?: number;
  faults?: string;
  scale?: number;
}

/** `patchdisc upstream`: serve the embedded Microsoft simulator on loopback until interrupted. */
export async function upstreamCommand(opts: UpstreamCommandOptions, io: CliIo): Promise<number> {
  for (const [name, v] of [['--port', opts.port], ['--seed', opts.seed], ['--week', opts.week], ['--scale', opts.scale]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new PatchdiscError('USAGE', `Cannot start the upstream: ${name} must be a non-negative number`);
  }
  const up = await startUpstream({
    port: opts.port ?? 8081,
    seed: opts.seed ?? 1,
    week: opts.week ?? 0,
    ...(opts.scale === undefined ? {} : { payloadScale: opts.scale }),
    ...(opts.faults ? { faults: parseFaults(opts.faults) } : {}),
  });
  const info = { url: up.url, wsusscn2: `${up.url}/microsoftupdate/v6/wsusscan/wsusscn2.cab`, week: up.week };
  if (opts.json) io.stdout(`${JSON.stringify(info)}\n`);
  else io.stdout(`embedded upstream at ${info.url} (week ${info.week}); catalog ${info.wsusscn2}\nCtrl-C stops\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await up.close();
  return 0;
}
