import { serveClerk } from '../../web/serve-clerk.ts';
import { PatchdiscError } from '../../errors.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace } from '../workspace.ts';

export interface ServeCommandOptions extends GlobalOptions {
  host?: string;
  port?: number;
  token?: string;
}

/** `patchdisc serve`: the clerk's web page (shipment log, subscribers, builds, discs) until interrupted. */
export async function serveCommand(opts: ServeCommandOptions, io: CliIo): Promise<number> {
  const port = opts.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PatchdiscError('USAGE', 'Cannot serve: --port must be 0–65535');
  const token = opts.token ?? io.env['PATCHDISC_SERVE_TOKEN'];
  const ws = await openWorkspace(opts, io);
  try {
    const server = await serveClerk({ ledger: ws.ledger, host: opts.host ?? '127.0.0.1', port, ...(token ? { token } : {}) });
    if (ws.reporter.json) io.stdout(`${JSON.stringify({ url: server.url })}\n`);
    else ws.reporter.line(`clerk page at ${server.url}${token ? ' (token required)' : ' (read-only: start with --token to allow marking shipments)'}; Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  } finally {
    await ws.close();
  }
}
