import { createHash } from 'node:crypto';
import { PatchdiscError } from '../errors.ts';
import {
  KEYS_DIR,
  KEY_ID_PREFIX_CHARS,
  INDEX_HTML_NAME,
  MANIFEST_NAME,
  MANIFEST_SIG_NAME,
  METADATA_ROOT_NAMES,
  README_TXT_NAME,
  SHA256SUMS_NAME,
  SHA256SUMS_SIG_NAME,
  certificateDiscPath,
} from './disc-names.ts';
import type { SigningKey } from './keys.ts';
import { buildManifest } from './manifest.ts';
import type { ManifestInput } from './manifest.ts';
import { ROTATION_NAME, ROTATION_NEW_SIG_NAME, ROTATION_OLD_SIG_NAME, parseRotationStatement } from './rotation.ts';
import { buildSha256Sums } from './sha256sums.ts';
import { signBytes } from './sign.ts';

export interface DiscMetadataFile {
  path: string;
  data: Buffer;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Paths under `keys/` that extra metadata files may take: certificates and the rotation statement. */
function isExtraMetadataPath(path: string): boolean {
  if (path === ROTATION_NAME || path === ROTATION_OLD_SIG_NAME || path === ROTATION_NEW_SIG_NAME) return true;
  const name = path.startsWith(`${KEYS_DIR}/`) ? path.slice(KEYS_DIR.length + 1) : '';
  return name.length === KEY_ID_PREFIX_CHARS + '.cer'.length && /^[0-9a-f]+\.cer$/.test(name);
}

/**
 * Checks extra metadata files (rotation.ts buildRotationFiles) and drops the copy of the signing
 * key's own certificate, which the disc carries anyway. A rotation statement must name the signing key
 * as its new key: an old key never announces a rotation on its own discs.
 */
function checkedExtraFiles(extra: DiscMetadataFile[], key: SigningKey, where: string): DiscMetadataFile[] {
  const ownCert = certificateDiscPath(key.keyId);
  const seen = new Set<string>();
  const kept: DiscMetadataFile[] = [];
  for (const f of extra) {
    if (!isExtraMetadataPath(f.path) || seen.has(f.path)) {
      throw new PatchdiscError('VALIDATION', `Cannot build metadata for ${where}: extra file ${f.path} is not a certificate or rotation file, or appears twice`);
    }
    seen.add(f.path);
    if (f.path === ownCert) {
      if (!f.data.equals(key.certificateDer)) {
        throw new PatchdiscError('VALIDATION', `Cannot build metadata for ${where}: extra file ${f.path} differs from the signing key's certificate`);
      }
      continue;
    }
    if (f.path === ROTATION_NAME && parseRotationStatement(f.data).newKeySha256 !== key.keyId) {
      throw new PatchdiscError('KEY_ERROR', `Cannot sign ${where}: ${ROTATION_NAME} announces another key than the signing key ${key.keyId.slice(0, 16)}`);
    }
    kept.push(f);
  }
  return kept;
}

/**
 * Produces the signed metadata files of one disc. MANIFEST.json lists the update files; SHA256SUMS
 * lists every file on the disc except itself and its signature; both are signed. The update files
 * given must be exactly those of the manifest, with the same hashes. `extraFiles` (under `keys/`:
 * certificates, a key rotation statement and its signatures) are listed in SHA256SUMS too.
 */
export function buildDiscMetadata(input: {
  manifest: ManifestInput;
  key: SigningKey;
  updateFiles: { path: string; sha256: string }[];
  indexHtml: string;
  readmeTxt: string;
  extraFiles?: DiscMetadataFile[];
}): DiscMetadataFile[] {
  const { manifest, key } = input;
  const where = `disc ${manifest.disc}/${manifest.discs} of ${manifest.subscriberId}`;
  if (manifest.signingKeySha256 !== key.keyId) {
    throw new PatchdiscError(
      'KEY_ERROR',
      `Cannot sign ${where}: manifest names key ${manifest.signingKeySha256.slice(0, 16)} but the loaded key is ${key.keyId.slice(0, 16)}`,
    );
  }
  const listed = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  const given = new Map(input.updateFiles.map((f) => [f.path, f.sha256]));
  for (const [path, hash] of listed) {
    if (given.get(path) !== hash) {
      throw new PatchdiscError('VALIDATION', `Cannot build metadata for ${where}: update file ${path} is missing or its SHA-256 differs from the manifest`);
    }
  }
  for (const path of given.keys()) {
    if (!listed.has(path)) {
      throw new PatchdiscError('VALIDATION', `Cannot build metadata for ${where}: update file ${path} is not in the manifest`);
    }
  }
  const certPath = certificateDiscPath(key.keyId);
  for (const path of given.keys()) {
    const folded = path.toLowerCase();
    if (METADATA_ROOT_NAMES.some((n) => n.toLowerCase() === folded) || folded.startsWith(`${KEYS_DIR}/`)) {
      throw new PatchdiscError('VALIDATION', `Cannot build metadata for ${where}: update file path ${path} collides with disc metadata`);
    }
  }

  const manifestBytes = buildManifest(manifest);
  const signed: DiscMetadataFile[] = [
    { path: MANIFEST_NAME, data: manifestBytes },
    { path: MANIFEST_SIG_NAME, data: signBytes(manifestBytes, key) },
    { path: INDEX_HTML_NAME, data: Buffer.from(input.indexHtml, 'utf8') },
    { path: README_TXT_NAME, data: Buffer.from(input.readmeTxt, 'utf8') },
    { path: certPath, data: Buffer.from(key.certificateDer) },
    ...checkedExtraFiles(input.extraFiles ?? [], key, where),
  ];
  const sums = buildSha256Sums(
    {
      subscriberId: manifest.subscriberId,
      sequence: manifest.sequence,
      expires: manifest.expires,
      disc: `${manifest.disc}/${manifest.discs}`,
      week: manifest.week,
    },
    [...signed.map((f) => ({ path: f.path, sha256: sha256(f.data) })), ...input.updateFiles],
  );
  return [...signed, { path: SHA256SUMS_NAME, data: sums }, { path: SHA256SUMS_SIG_NAME, data: signBytes(sums, key) }];
}
