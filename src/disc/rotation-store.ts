/**
 * The pre-signed rotation files of a key, kept beside its certificate by `patchdisc keys rotate`.
 * The statement is signed once, at rotation time, so that later builds need only the new key: the old
 * private key can be retired (or destroyed) right after the rotation.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchdiscError } from '../errors.ts';
import type { DiscMetadataFile } from './disc-metadata.ts';
import { KEYS_DIR, certificateDiscPath } from './disc-names.ts';
import type { SigningKey } from './keys.ts';
import {
  ROTATION_NAME,
  ROTATION_NEW_SIG_NAME,
  ROTATION_OLD_SIG_NAME,
  parseRotationStatement,
  verifierKeyFromDer,
} from './rotation.ts';
import type { RotationStatement } from './rotation.ts';
import { verifyBytes } from './sign.ts';

/** The old key's certificate inside a rotation folder, kept to re-check the old signature. */
const OLD_CERT_NAME = 'old.cer';
const STORED_NAMES = [ROTATION_NAME, ROTATION_OLD_SIG_NAME, ROTATION_NEW_SIG_NAME] as const;

/** Folder of a new key's rotation files: `<certificate path without .cer>.rotation`. */
export function rotationDirFor(newCertPath: string): string {
  return `${newCertPath.replace(/\.cer$/, '')}.rotation`;
}

function storedName(discPath: string): string {
  return discPath.slice(KEYS_DIR.length + 1);
}

/**
 * Writes the statement, its two signatures and the old certificate into `dir` (never overwriting:
 * a key is rotated to only once).
 */
export async function saveRotationFiles(dir: string, files: DiscMetadataFile[], oldCertificateDer: Uint8Array): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of STORED_NAMES) {
      const f = files.find((x) => x.path === name);
      if (f === undefined) throw new Error(`${name} is not among the rotation files`);
      await writeFile(join(dir, storedName(name)), f.data, { mode: 0o644, flag: 'wx' });
    }
    await writeFile(join(dir, OLD_CERT_NAME), oldCertificateDer, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw new PatchdiscError('KEY_ERROR', `Cannot save key rotation files in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The rotation files that discs signed by `key` carry (rotation.ts buildRotationFiles), read from
 * `dir` and checked again: the statement names `key` as new, the old certificate hashes to the old
 * key id, and both signatures verify. An absent folder means the key was not rotated to: [].
 */
export async function loadRotationFiles(dir: string, key: SigningKey): Promise<DiscMetadataFile[]> {
  const read = async (name: string): Promise<Buffer | undefined> => {
    try {
      return await readFile(join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PatchdiscError('KEY_ERROR', `Cannot read key rotation file ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
    }
  };
  const statement = await read(storedName(ROTATION_NAME));
  if (statement === undefined) return [];
  const oldSig = await read(storedName(ROTATION_OLD_SIG_NAME));
  const newSig = await read(storedName(ROTATION_NEW_SIG_NAME));
  const oldCert = await read(OLD_CERT_NAME);
  const broken = (why: string): PatchdiscError =>
    new PatchdiscError('KEY_ERROR', `Cannot use key rotation files in ${dir}: ${why}; restore them from backup, or give subscribers new enrollment kits`);
  if (oldSig === undefined || newSig === undefined || oldCert === undefined) throw broken('a signature or the old certificate is missing');
  let parsed: RotationStatement;
  try {
    parsed = parseRotationStatement(statement);
  } catch (err) {
    throw broken((err as Error).message);
  }
  if (parsed.newKeySha256 !== key.keyId) throw broken(`the statement rotates to key ${parsed.newKeySha256.slice(0, 16)}, not ${key.keyId.slice(0, 16)}`);
  if (createHash('sha256').update(oldCert).digest('hex') !== parsed.oldKeySha256) throw broken(`${OLD_CERT_NAME} is not the old key ${parsed.oldKeySha256.slice(0, 16)}`);
  if (!verifyBytes(statement, oldSig, verifierKeyFromDer(oldCert).publicKey)) throw broken('the old key signature does not verify');
  if (!verifyBytes(statement, newSig, verifierKeyFromDer(key.certificateDer).publicKey)) throw broken('the new key signature does not verify');
  return [
    { path: ROTATION_NAME, data: statement },
    { path: ROTATION_OLD_SIG_NAME, data: oldSig },
    { path: ROTATION_NEW_SIG_NAME, data: newSig },
    { path: certificateDiscPath(key.keyId), data: Buffer.from(key.certificateDer) },
  ];
}
