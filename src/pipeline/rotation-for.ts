import { resolveFrom } from '../config/load-config.ts';
import type { DiscMetadataFile } from '../disc/disc-metadata.ts';
import type { SigningKey } from '../disc/keys.ts';
import { loadRotationFiles, rotationDirFor } from '../disc/rotation-store.ts';
import type { Ledger } from '../ledger/open-ledger.ts';
import { listSigningKeys } from '../ledger/signing-keys.ts';

/**
 * The key rotation files every disc signed by `activeKey` carries (pass them to buildDiscMetadata as
 * `extraFiles`): the statement `patchdisc keys rotate` signed with the old and the new key, its two
 * signatures and the new certificate. They are carried for as long as the key signs discs, so that a
 * subscriber who missed weeks still meets the statement; only the latest rotation is carried.
 * [] when the key was not rotated to, or is not in the ledger (a key named in the config).
 */
export async function rotationFor(ledger: Ledger, dataDir: string, activeKey: SigningKey): Promise<DiscMetadataFile[]> {
  const record = (await listSigningKeys(ledger)).find((k) => k.keyId === activeKey.keyId);
  if (record === undefined) return [];
  return loadRotationFiles(rotationDirFor(resolveFrom(dataDir, record.certPath)), activeKey);
}
