/**
 * The fast, compact path for the 160 000-odd FileLocations of a real package.xml: the SHA-1 is read
 * straight from the attribute's bytes, and a URL that ends in its file name is kept as a shared
 * directory part plus that name (the directories repeat; the names do not), so each location holds
 * one string of its own. Anything outside the plain case (a percent-escape, a query, a rejected or
 * inconsistent name, a digest that is not canonical base64) returns undefined, and the caller takes
 * the general path in file-location.ts, whose checks and messages stay the reference.
 */
import { SHA1_BYTES, type CheckedLocation } from './file-location.ts';
import type { SharedStrings } from './xml-name-table.ts';

/** A usable location whose URL is `urlBase + name`. */
export class CompactLocation implements CheckedLocation {
  constructor(
    readonly sha1: string,
    private readonly urlBase: string,
    readonly name: string,
  ) {}

  get url(): string {
    return this.urlBase + this.name;
  }

  toJSON(): CheckedLocation {
    return { sha1: this.sha1, url: this.url, name: this.name };
  }
}

/** Base64 characters of a 20-byte digest: 27 significant characters and one `=` (RFC 4648 §4). */
const SHA1_BASE64_CHARS = 28;
const BASE64_VALUE = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64_VALUE[c.charCodeAt(0)] = i;
const PAD = 0x3d;
const scratch = Buffer.alloc(SHA1_BYTES + 1);

/**
 * Lowercase hex of a SHA-1 given as base64 in `bytes[start..end)`, or undefined when the bytes
 * are not exactly 27 base64 characters and `=` (the caller then uses digestHexFromBase64, which
 * accepts surrounding white space and explains what is wrong).
 */
export function sha1HexFromBase64Bytes(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start !== SHA1_BASE64_CHARS || bytes[end - 1] !== PAD) return undefined;
  let acc = 0;
  let bits = 0;
  let out = 0;
  for (let i = 0; i < SHA1_BASE64_CHARS - 1; i += 1) {
    const v = BASE64_VALUE[bytes[start + i] as number] as number;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      scratch[out++] = (acc >> bits) & 0xff;
    }
  }
  if (out !== SHA1_BYTES) return undefined;
  return scratch.toString('hex', 0, SHA1_BYTES);
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const QUESTION = 0x3f;
const HASH = 0x23;
const DOT = 0x2e;
const UNDERSCORE = 0x5f;
const SPACE = 0x20;
const NON_ASCII = 0x80;
const SHA1_HEX_CHARS = 2 * SHA1_BYTES;

/** Byte classes of a URL on the fast path: one table lookup per byte in the common case. */
const URL_PLAIN = 0;
const URL_REFUSED = 1;
const URL_SLASH = 2;
const URL_DOT = 3;
const URL_BYTE = new Uint8Array(256).map((_, b) => {
  if (b < SPACE || b >= NON_ASCII || b === PERCENT || b === QUESTION || b === HASH || b === BACKSLASH) return URL_REFUSED;
  if (b === SLASH) return URL_SLASH;
  return b === DOT ? URL_DOT : URL_PLAIN;
});

/** True when `bytes[at..at+40)` are hex digits spelling `sha1` (lowercase hex), in any case. */
function spellsSha1(bytes: Uint8Array, at: number, sha1: string): boolean {
  for (let i = 0; i < SHA1_HEX_CHARS; i += 1) {
    const b = bytes[at + i] as number;
    const hex = (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66);
    if (!hex || (b | 0x20) !== sha1.charCodeAt(i)) return false;
  }
  return true;
}

/** True when `bytes[at..at+41)` is `_` and 40 hex digits. */
function isSha1Suffix(bytes: Uint8Array, at: number): boolean {
  if (bytes[at] !== UNDERSCORE) return false;
  for (let i = 1; i <= SHA1_HEX_CHARS; i += 1) {
    const b = (bytes[at + i] as number) | 0x20;
    if (!((b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66))) return false;
  }
  return true;
}

/** 1 when a `_<40 hex>` ends at `hexEnd` and spells `sha1`, -1 when it spells another, 0 when there is none. */
function suffixSpells(bytes: Uint8Array, nameStart: number, hexEnd: number, sha1: string): number {
  const at = hexEnd - SHA1_HEX_CHARS - 1;
  if (at < nameStart || !isSha1Suffix(bytes, at)) return 0;
  return spellsSha1(bytes, at + 1, sha1) ? 1 : -1;
}

/**
 * The location for the URL in `bytes[start..end)` when it is plain ASCII without `%`, `?` or `#`,
 * its last segment is a usable file name (file-location.ts fileNameFromUrl) and any `_<40 hex>`
 * that name carries before its extension (sha1FromFileName) spells `sha1`; undefined otherwise.
 */
export function compactLocation(sha1: string, bytes: Buffer, start: number, end: number, bases: SharedStrings): CompactLocation | undefined {
  let slash = -1;
  let lastDot = -1;
  for (let i = start; i < end; i += 1) {
    const kind = URL_BYTE[bytes[i] as number] as number;
    if (kind === URL_PLAIN) continue;
    if (kind === URL_REFUSED) return undefined;
    if (kind === URL_SLASH) slash = i;
    else {
      if (lastDot === i - 1 && i - 1 > slash) return undefined; // ".." in the name
      lastDot = i;
    }
  }
  if (slash < start || slash === end - 1) return undefined;
  // sha1FromFileName: the leftmost `_<40 hex>` that ends at the last dot of the name or at its end.
  const nameStart = slash + 1;
  const atDot = lastDot > slash ? suffixSpells(bytes, nameStart, lastDot, sha1) : 0;
  if (atDot < 0 || (atDot === 0 && suffixSpells(bytes, nameStart, end, sha1) < 0)) return undefined;
  return new CompactLocation(sha1, bases.get(bytes, start, nameStart), bytes.toString('latin1', nameStart, end));
}
