import { join } from 'node:path';
import { resolveFrom } from '../config/load-config.ts';
import { loadSigningKey, type SigningKey } from '../disc/keys.ts';
import { PatchdiscError } from '../errors.ts';
import type { BuildContext } from './build-context.ts';

/** Loads the signing key named in the config; paths are taken from the data dir. */
export async function loadBuildKey(ctx: BuildContext): Promise<SigningKey> {
  const passphrase = ctx.passphrase ?? ctx.config.signing.demoPassphrase;
  if (passphrase === undefined) {
    throw new PatchdiscError('KEY_ERROR', 'Cannot sign discs: no passphrase; set PATCHDISC_KEY_PASSPHRASE');
  }
  return loadSigningKey({
    keyPath: resolveFrom(ctx.dataDir, ctx.config.signing.key),
    certPath: resolveFrom(ctx.dataDir, ctx.config.signing.certificate),
    passphrase,
  });
}

export function defaultKeyDir(dataDir: string): string {
  return join(dataDir, 'keys');
}
