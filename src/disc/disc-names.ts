/**
 * Fixed names and sizes of the signed disc metadata (ARCHITECTURE.md "Disc layout", disc-trust.md),
 * kept apart so that verifiers need not load the key-generation code.
 */

/** RSA-3072: the scheme every verifier (Node, openssl dgst, .NET Framework) handles. */
export const SIGNING_KEY_BITS = 3072;
/** Raw PKCS#1 v1.5 signature length for a 3072-bit modulus. */
export const SIGNATURE_BYTES = SIGNING_KEY_BITS / 8;
/** Hex characters of the key id used in file names (`keys/<keyId16>.cer`). */
export const KEY_ID_PREFIX_CHARS = 16;

export const MANIFEST_NAME = 'MANIFEST.json';
export const MANIFEST_SIG_NAME = 'MANIFEST.json.sig';
export const SHA256SUMS_NAME = 'SHA256SUMS';
export const SHA256SUMS_SIG_NAME = 'SHA256SUMS.sig';
export const INDEX_HTML_NAME = 'index.html';
export const README_TXT_NAME = 'README.txt';
export const KEYS_DIR = 'keys';

/** Disc path of the informational certificate copy: `keys/<first 16 hex of key id>.cer`. */
export function certificateDiscPath(keyId: string): string {
  return `${KEYS_DIR}/${keyId.slice(0, KEY_ID_PREFIX_CHARS)}.cer`;
}

/** Names at the disc root that belong to the signed metadata and may not be used by update files. */
export const METADATA_ROOT_NAMES: readonly string[] = [
  MANIFEST_NAME,
  MANIFEST_SIG_NAME,
  SHA256SUMS_NAME,
  SHA256SUMS_SIG_NAME,
  INDEX_HTML_NAME,
  README_TXT_NAME,
];
