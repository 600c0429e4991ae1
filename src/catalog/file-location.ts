/**
 * Digests and file names of catalog payloads. package.xml identifies a file by the base64 of its
 * 20-byte SHA-1 (FileLocation@Id; [MS-WSUSAR] ServerSyncUrlData FileDigest), and most download URLs
 * end in `_<40 hex>.<ext>` carrying the same SHA-1 (FORMAT-NOTES §2). Both must agree: a disagreement
 * means the catalog is inconsistent, and guessing which one is right could ship the wrong bytes.
 */
import { PatchdiscError } from '../errors.ts';

export const SHA1_BYTES = 20;
export const SHA256_BYTES = 32;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** C0 controls, which no file name on a disc may hold. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f]/;
/** `_<40 hex>` right before the extension (or at the end of a name without one). */
const NAME_SHA1_SUFFIX = /_([0-9a-fA-F]{40})(?:\.[^.]*)?$/;

/**
 * Decodes a base64 digest and checks its length; returns lowercase hex. `what` names the digest in
 * the error ("FileLocation Id", "AdditionalDigest SHA256").
 */
export function digestHexFromBase64(value: string, expectedBytes: number, what: string): string {
  const trimmed = value.trim();
  if (!BASE64.test(trimmed)) {
    throw new PatchdiscError('CATALOG_INVALID', `Cannot read ${what} "${value}": it is not base64; the catalog is damaged, download it again`, {
      details: { value },
    });
  }
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== expectedBytes) {
    throw new PatchdiscError('CATALOG_INVALID', `Cannot read ${what} "${value}": it decodes to ${bytes.length} bytes, expected ${expectedBytes}; the catalog is damaged, download it again`, {
      details: { value, bytes: bytes.length, expectedBytes },
    });
  }
  return bytes.toString('hex');
}

/** SHA-1 hex from a FileLocation@Id / PayloadFiles/File@Id. */
export function sha1FromFileId(id: string): string {
  return digestHexFromBase64(id, SHA1_BYTES, 'FileLocation Id');
}

/**
 * The file name of a download URL: its last path segment, percent-decoded. Returns a reason string
 * instead when the name is unusable on a disc (empty, or holding `/`, `\` or `..` after decoding).
 */
export function fileNameFromUrl(url: string): { name: string } | { reason: string } {
  // Taken from the raw string rather than WHATWG URL parsing, which would turn a `\` into `/` and
  // hide it; the downloader decides about hosts and schemes.
  const query = url.search(/[?#]/);
  const path = query < 0 ? url : url.slice(0, query);
  const raw = path.slice(path.lastIndexOf('/') + 1);
  let name = raw;
  if (raw.includes('%')) {
    try {
      name = decodeURIComponent(raw);
    } catch {
      return { reason: 'the file name has a broken percent-escape' };
    }
  }
  if (name === '') return { reason: 'the file name is empty' };
  if (name.includes('/') || name.includes('\\')) return { reason: 'the file name contains a path separator' };
  if (name.includes('..')) return { reason: 'the file name contains ".."' };
  if (CONTROL_CHARACTER.test(name)) return { reason: 'the file name contains control characters' };
  return { name };
}

/** The SHA-1 embedded in a file name as `_<40 hex>.<ext>`, lowercase, or undefined. */
export function sha1FromFileName(name: string): string | undefined {
  return NAME_SHA1_SUFFIX.exec(name)?.[1]?.toLowerCase();
}

export interface CheckedLocation {
  sha1: string;
  url: string;
  name: string;
}

/**
 * Validates one FileLocation. Throws CATALOG_INVALID for a bad digest or a digest that disagrees with
 * the file name; returns `{ rejected }` for an unusable file name (the caller warns and drops it).
 */
export function checkFileLocation(id: string, url: string): CheckedLocation | { rejected: string; sha1: string } {
  const sha1 = sha1FromFileId(id);
  const named = fileNameFromUrl(url);
  if ('reason' in named) return { rejected: `${named.reason} (${url})`, sha1 };
  const fromName = sha1FromFileName(named.name);
  if (fromName !== undefined && fromName !== sha1) {
    throw new PatchdiscError(
      'CATALOG_INVALID',
      `Cannot trust FileLocation ${id}: its SHA-1 ${sha1} differs from ${fromName} in the file name of ${url}; the catalog is inconsistent, download it again`,
      { details: { id, url, sha1, fromName } },
    );
  }
  return { sha1, url, name: named.name };
}
