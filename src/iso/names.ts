/**
 * Names in the three trees of an image: the real name (Rock Ridge NM, UTF-8), the Joliet name (UCS-2
 * big-endian) and the derived ECMA-119 identifier (d-characters, interchange level 2 lengths).
 */
import { PatchdiscError } from '../errors.ts';

/** genisoimage/xorriso `-joliet-long` limit; Windows reads it (its CDFS reports 110). */
export const JOLIET_MAX_NAME_CHARS = 103;
/** Linux NAME_MAX: a longer Rock Ridge name cannot be extracted on Linux. */
export const RR_MAX_NAME_BYTES = 255;
/** ECMA-119 7.5.1 / 7.6.3 at level 2: at most 30 characters for name + extension (31 for dirs). */
export const PRIMARY_MAX_NAME_CHARS = 30;
/** Extension length we keep in a derived primary name (the full name lives in Joliet / RR). */
export const PRIMARY_MAX_EXTENSION_CHARS = 8;
/** ECMA-119 7.5.1: file version suffix; every file identifier gets version 1. */
export const FILE_VERSION_SUFFIX = ';1';

/** Joliet forbids these (Joliet spec 1995, section 2.1) plus all control characters. */
const JOLIET_FORBIDDEN = new Set(['*', '/', ':', ';', '?', '\\']);
const UTF8 = new TextEncoder();

/**
 * Throws NAME_INVALID or NAME_TOO_LONG when `name` (one component of `path`) cannot be written to
 * both Joliet and Rock Ridge unchanged.
 */
export function validateName(name: string, path: string): void {
  if (name === '' || name === '.' || name === '..') {
    throw new PatchdiscError('NAME_INVALID', `Cannot place ${JSON.stringify(path)} on the disc: empty, "." or ".." path component; fix the path`, {
      details: { path },
    });
  }
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    const ch = name.charAt(i);
    if (unit < 0x20 || unit === 0x7f || JOLIET_FORBIDDEN.has(ch) || (unit >= 0xd800 && unit <= 0xdfff)) {
      const shown = unit < 0x20 || unit === 0x7f || unit >= 0xd800 ? `U+${unit.toString(16).padStart(4, '0').toUpperCase()}` : ch;
      throw new PatchdiscError('NAME_INVALID', `Cannot place ${JSON.stringify(path)} on the disc: character ${shown} is not allowed in Joliet (UCS-2, no * / : ; ? \\ or control characters); rename the file`, {
        details: { path, character: shown },
      });
    }
  }
  if (name.length > JOLIET_MAX_NAME_CHARS) {
    throw new PatchdiscError('NAME_TOO_LONG', `Cannot place ${JSON.stringify(path)} on the disc: name has ${name.length} characters, Joliet allows ${JOLIET_MAX_NAME_CHARS}; shorten the name`, {
      details: { path, length: name.length, max: JOLIET_MAX_NAME_CHARS },
    });
  }
  const bytes = UTF8.encode(name).length;
  if (bytes > RR_MAX_NAME_BYTES) {
    throw new PatchdiscError('NAME_TOO_LONG', `Cannot place ${JSON.stringify(path)} on the disc: name is ${bytes} bytes in UTF-8, Linux allows ${RR_MAX_NAME_BYTES}; shorten the name`, {
      details: { path, length: bytes, max: RR_MAX_NAME_BYTES },
    });
  }
}

/** UTF-8 bytes of a Rock Ridge name. */
export function encodeUtf8(name: string): Uint8Array {
  return UTF8.encode(name);
}

/** UCS-2 big-endian bytes of a Joliet identifier (names are validated to hold no surrogates). */
export function encodeUcs2(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    out[2 * i] = unit >> 8;
    out[2 * i + 1] = unit & 0xff;
  }
  return out;
}

/** Decodes UCS-2 big-endian bytes. */
export function decodeUcs2(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return s;
}

function toDCharacters(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch >= 'a' && ch <= 'z' ? ch.toUpperCase() : ch;
    out += /^[A-Z0-9_]$/.test(c) ? c : '_';
  }
  return out;
}

/**
 * Derives unique ECMA-119 identifiers for the children of one directory, in the order given (the
 * caller passes a deterministic order). Files get `NAME.EXT;1`, directories `NAME`; a collision gets
 * `_1`, `_2`, ... at the end of the name part.
 */
export function derivePrimaryNames(children: readonly { name: string; isDir: boolean }[]): string[] {
  const used = new Set<string>();
  return children.map(({ name, isDir }) => {
    let base: string;
    let ext = '';
    const dot = name.lastIndexOf('.');
    if (!isDir && dot > 0) {
      base = toDCharacters(name.slice(0, dot));
      ext = toDCharacters(name.slice(dot + 1)).slice(0, PRIMARY_MAX_EXTENSION_CHARS);
    } else {
      base = toDCharacters(name);
    }
    // A file identifier always has the '.' separator (ECMA-119 7.5.1), so it counts against the limit.
    const room = isDir ? PRIMARY_MAX_NAME_CHARS : PRIMARY_MAX_NAME_CHARS - 1 - ext.length;
    const make = (b: string): string => (isDir ? b : `${b}.${ext}`);
    let candidate = base.slice(0, room) || '_';
    for (let n = 1; used.has(make(candidate)); n++) {
      const suffix = `_${n}`;
      candidate = base.slice(0, room - suffix.length) + suffix;
    }
    const id = make(candidate);
    used.add(id);
    return isDir ? id : id + FILE_VERSION_SUFFIX;
  });
}

function splitIdentifier(id: string, isDir: boolean): [string, string, number] {
  if (isDir) return [id, '', 0];
  const semi = id.lastIndexOf(';');
  const version = semi >= 0 ? Number(id.slice(semi + 1)) || 0 : 0;
  const body = semi >= 0 ? id.slice(0, semi) : id;
  const dot = body.lastIndexOf('.');
  return dot >= 0 ? [body.slice(0, dot), body.slice(dot + 1), version] : [body, '', version];
}

function comparePadded(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    // ECMA-119 9.3: the shorter part is padded with SPACE (0x20) for the comparison.
    const x = i < a.length ? a.charCodeAt(i) : 0x20;
    const y = i < b.length ? b.charCodeAt(i) : 0x20;
    if (x !== y) return x - y;
  }
  return 0;
}

/**
 * ECMA-119 9.3 order of directory records: by file name, then extension (each space-padded, compared
 * by code unit — bytes for d-characters, UCS-2 units for Joliet), then by version, highest first.
 */
export function compareIdentifiers(a: string, aIsDir: boolean, b: string, bIsDir: boolean): number {
  const [an, ae, av] = splitIdentifier(a, aIsDir);
  const [bn, be, bv] = splitIdentifier(b, bIsDir);
  return comparePadded(an, bn) || comparePadded(ae, be) || bv - av;
}
