import { createHash } from 'node:crypto';
import { PatchdiscError } from '../errors.ts';
import {
  KEYS_DIR,
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
import { buildSha256Sums } from './sha256sums.ts';
import { signBytes } from './sign.ts';

export interface DiscMetadataFile {
  path: string;
  data: Buffer;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Produces the signed metadata files of one disc. MANIFEST.json lists the update files; SHA256SUMS
 * lists every file on the disc except itself and its signature; both are signed. The update files
 * given must be exactly those of the manifest, with the same hashes.
 */
export function buildDiscMetadata(input: {
  manifest: ManifestInput;
  key: SigningKey;
  updateFiles: { path: string; sha256: string }[];
  indexHtml: string;
  readmeTxt: string;
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
