import { PatchdiscError } from '../errors.ts';

const SHA1_BYTES = 20;
const SHA256_BYTES = 32;
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A digest as lowercase hex. The catalog writes SHA-1 as base64 (FileLocation@Id, 28 characters with
 * padding) while other sources use hex; both decode to exactly `bytes` bytes or the input is rejected.
 */
function normalizeDigest(digest: string, bytes: number, name: string): string {
  const text = digest.trim();
  if (text.length === bytes * 2 && HEX.test(text)) return text.toLowerCase();
  if (BASE64.test(text)) {
    const raw = Buffer.from(text, 'base64');
    // Buffer.from ignores trailing garbage bits; re-encoding proves the text was canonical base64.
    if (raw.length === bytes && raw.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '')) {
      return raw.toString('hex');
    }
  }
  throw new PatchdiscError(
    'VALIDATION',
    `Cannot read ${name} digest "${digest}": expected ${bytes * 2} hex digits or base64 of ${bytes} bytes; check the catalog entry`,
    { details: { digest, algorithm: name } },
  );
}

/** SHA-1 given as 40 hex digits or base64 (as in package.xml) → 40 lowercase hex digits. */
export function normalizeSha1(digest: string): string {
  return normalizeDigest(digest, SHA1_BYTES, 'SHA-1');
}

/** SHA-256 given as 64 hex digits or base64 → 64 lowercase hex digits. */
export function normalizeSha256(digest: string): string {
  return normalizeDigest(digest, SHA256_BYTES, 'SHA-256');
}
