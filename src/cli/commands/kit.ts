import { resolve } from 'node:path';
import { buildEnrollmentKit } from '../../disc/kit.ts';
import { PatchdiscError } from '../../errors.ts';
import { lastDiscSet } from '../../ledger/deliveries.ts';
import { activeSigningKey } from '../../ledger/signing-keys.ts';
import { getSubscriber } from '../../ledger/subscribers.ts';
import { resolveFrom } from '../../config/load-config.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace } from '../workspace.ts';

export interface KitCommandOptions extends GlobalOptions {
  out?: string;
}

/**
 * `patchdisc kit SUBSCRIBER --out FILE.zip`: the enrollment kit — pinned certificate, fingerprint,
 * subscriber code and sequence baseline, README, verify-disc.sh and verify.html.
 */
export async function kitCommand(code: string, opts: KitCommandOptions, io: CliIo): Promise<number> {
  if (!opts.out) throw new PatchdiscError('USAGE', 'Cannot build the kit: --out FILE.zip is required');
  const ws = await openWorkspace(opts, io);
  try {
    const sub = await getSubscriber(ws.ledger, code);
    if (!sub) throw new PatchdiscError('NOT_FOUND', `Cannot build the kit for ${code}: no such subscriber (see patchdisc subscribers list)`);
    const certificatePath = ws.config.signing.certificate
      ? resolveFrom(ws.dataDir, ws.config.signing.certificate)
      : (await activeSigningKey(ws.ledger))?.certPath;
    if (!certificatePath) throw new PatchdiscError('KEY_ERROR', 'Cannot build the kit: no signing key yet; run patchdisc keys generate --name "…"');
    const last = await lastDiscSet(ws.ledger, sub.id);
    const kit = await buildEnrollmentKit({
      certificatePath,
      subscriberCode: sub.code,
      sequenceBaseline: last?.sequence ?? 0,
      outZip: resolve(io.cwd, opts.out),
    });
    if (ws.reporter.json) ws.reporter.result({ ...kit, subscriber: sub.code, sequenceBaseline: last?.sequence ?? 0 });
    else ws.reporter.line(`enrollment kit for ${sub.code} written to ${kit.outZip} (baseline sequence ${last?.sequence ?? 0}); hand it over in person or check the fingerprint by phone`);
    return 0;
  } finally {
    await ws.close();
  }
}
