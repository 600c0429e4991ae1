import { resolveFrom } from '../config/load-config.ts';
import { loadSigningKey, type SigningKey } from '../disc/keys.ts';
import { PatchdiscError } from '../errors.ts';
import { activeSigningKey } from '../ledger/signing-keys.ts';
import type { BuildContext } from './build-context.ts';

/**
 * Loads the key that signs this build's discs: the one the config names, else the active key that
 * `patchdisc keys generate` recorded. Paths are taken from the data dir.
 */
export async function loadBuildKey(ctx: BuildContext): Promise<SigningKey> {
  const passphrase = ctx.passphrase ?? ctx.config.signing.demoPassphrase;
  if (passphrase === undefined) {
    throw new PatchdiscError('KEY_ERROR', 'Cannot sign discs: no passphrase; set PATCHDISC_KEY_PASSPHRASE');
  }
  let keyPath = ctx.config.signing.key;
  let certPath = ctx.config.signing.certificate;
  if (keyPath === undefined || certPath === undefined) {
    const active = await activeSigningKey(ctx.ledger);
    if (!active) {
      throw new PatchdiscError('KEY_ERROR', 'Cannot sign discs: no signing key; run patchdisc keys generate --name "<vendor> 2026"');
    }
    keyPath = active.keyPath;
    certPath = active.certPath;
  }
  return loadSigningKey({ keyPath: resolveFrom(ctx.dataDir, keyPath), certPath: resolveFrom(ctx.dataDir, certPath), passphrase });
}
