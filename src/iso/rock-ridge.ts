/**
 * System Use Sharing Protocol (SUSP 1.10) and Rock Ridge (RRIP 1.10, identifier RRIP_1991A) entries
 * for the primary tree: SP, ER, CE, PX, TF, NM.
 */
import { PatchdiscError } from '../errors.ts';
import { viewOf, writeBothEndian32 } from './both-endian.ts';
import { SHORT_DATE_LENGTH, writeShortDate } from './iso-date.ts';

/** SUSP 4.1 header: signature (2), length (1), version (1). */
export const SUSP_HEADER_LENGTH = 4;
export const SUSP_MAX_ENTRY_LENGTH = 255;
/** SUSP 5.3: SP is 7 bytes, check bytes BE EF, LEN_SKP 0. */
export const SP_LENGTH = 7;
/** SUSP 5.1: CE is 28 bytes: block, offset, length (each both-endian 32). */
export const CE_LENGTH = 28;
const CE_BLOCK = 4;
const CE_OFFSET = 12;
const CE_SIZE = 20;
/** RRIP 1.10 4.1.1: PX is 36 bytes: mode, links, uid, gid (each both-endian 32). */
export const PX_LENGTH = 36;
const PX_MODE = 4;
const PX_LINKS = 12;
const PX_UID = 20;
const PX_GID = 28;
/** RRIP 4.1.6 TF flags: modify (bit 1), access (bit 2), attributes (bit 3), short 7-byte form. */
const TF_FLAGS = 0x0e;
export const TF_LENGTH = SUSP_HEADER_LENGTH + 1 + 3 * SHORT_DATE_LENGTH;
/** RRIP 4.1.4 NM flags. */
export const NM_CONTINUE = 0x01;
const NM_HEADER_LENGTH = SUSP_HEADER_LENGTH + 1;
const NM_MAX_CHUNK = SUSP_MAX_ENTRY_LENGTH - NM_HEADER_LENGTH;

/** POSIX file type bits (RRIP 4.1.1 uses st_mode). */
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;

/** RRIP 1.10 (1991A) extension reference, as RRIP section 5 asks for it. */
export const RRIP_1991A_ID = 'RRIP_1991A';
const RRIP_DESCRIPTOR = 'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS';
const RRIP_SOURCE = 'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.';

function entry(signature: string, length: number, version = 1): Uint8Array {
  if (length > SUSP_MAX_ENTRY_LENGTH) {
    throw new PatchdiscError('INTERNAL', `Cannot encode SUSP entry ${signature}: ${length} bytes exceeds ${SUSP_MAX_ENTRY_LENGTH}`);
  }
  const out = new Uint8Array(length);
  out[0] = signature.charCodeAt(0);
  out[1] = signature.charCodeAt(1);
  out[2] = length;
  out[3] = version;
  return out;
}

export function encodeSp(): Uint8Array {
  const out = entry('SP', SP_LENGTH);
  out.set([0xbe, 0xef, 0], SUSP_HEADER_LENGTH);
  return out;
}

export function encodeEr(): Uint8Array {
  const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
  const [id, des, src] = [ascii(RRIP_1991A_ID), ascii(RRIP_DESCRIPTOR), ascii(RRIP_SOURCE)];
  const out = entry('ER', 8 + id.length + des.length + src.length);
  out.set([id.length, des.length, src.length, 1], SUSP_HEADER_LENGTH);
  out.set([...id, ...des, ...src], 8);
  return out;
}

export function encodeCe(block: number, offset: number, length: number): Uint8Array {
  const out = entry('CE', CE_LENGTH);
  const view = viewOf(out);
  writeBothEndian32(view, CE_BLOCK, block);
  writeBothEndian32(view, CE_OFFSET, offset);
  writeBothEndian32(view, CE_SIZE, length);
  return out;
}

export function encodePx(mode: number, links: number): Uint8Array {
  const out = entry('PX', PX_LENGTH);
  const view = viewOf(out);
  writeBothEndian32(view, PX_MODE, mode);
  writeBothEndian32(view, PX_LINKS, links);
  writeBothEndian32(view, PX_UID, 0);
  writeBothEndian32(view, PX_GID, 0);
  return out;
}

/** TF with modify, access and attribute-change times all set to `epochSeconds`. */
export function encodeTf(epochSeconds: number): Uint8Array {
  const out = entry('TF', TF_LENGTH);
  out[SUSP_HEADER_LENGTH] = TF_FLAGS;
  for (let i = 0; i < 3; i++) writeShortDate(out, SUSP_HEADER_LENGTH + 1 + i * SHORT_DATE_LENGTH, epochSeconds);
  return out;
}

/** One or more NM entries (CONTINUE on all but the last) holding the UTF-8 name. */
export function encodeNm(utf8Name: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < utf8Name.length; at += NM_MAX_CHUNK) {
    const chunk = utf8Name.subarray(at, at + NM_MAX_CHUNK);
    const e = entry('NM', NM_HEADER_LENGTH + chunk.length);
    e[SUSP_HEADER_LENGTH] = at + NM_MAX_CHUNK < utf8Name.length ? NM_CONTINUE : 0;
    e.set(chunk, NM_HEADER_LENGTH);
    out.push(e);
  }
  return out;
}

/** How a record's SUSP entries are split between the record and a continuation area. */
export interface SystemUseSplit {
  inline: Uint8Array[];
  continuation: Uint8Array[];
  continuationLength: number;
}

/**
 * Keeps entries in the record while they fit in `room` bytes; otherwise keeps the leading entries that
 * fit beside a CE entry and moves the rest to a continuation area (SUSP 5.1).
 */
export function splitSystemUse(entries: readonly Uint8Array[], room: number): SystemUseSplit {
  const total = entries.reduce((n, e) => n + e.length, 0);
  if (total <= room) return { inline: [...entries], continuation: [], continuationLength: 0 };
  const inline: Uint8Array[] = [];
  let used = CE_LENGTH;
  let i = 0;
  for (; i < entries.length; i++) {
    const e = entries[i] as Uint8Array;
    if (used + e.length > room) break;
    inline.push(e);
    used += e.length;
  }
  const continuation = entries.slice(i);
  return { inline, continuation, continuationLength: continuation.reduce((n, e) => n + e.length, 0) };
}

/** One decoded SUSP entry. */
export interface SuspEntry {
  signature: string;
  version: number;
  data: Uint8Array;
}

/** Decodes SUSP entries; returns a problem string when a length runs past the area. */
export function decodeSystemUse(area: Uint8Array): { entries: SuspEntry[]; problem?: string } {
  const entries: SuspEntry[] = [];
  let at = 0;
  while (at + SUSP_HEADER_LENGTH <= area.length) {
    const length = area[at + 2] ?? 0;
    if (area[at] === 0 && length === 0) break; // padding
    if (length < SUSP_HEADER_LENGTH || at + length > area.length) {
      return { entries, problem: `SUSP entry at byte ${at} has length ${length}, past the end of its ${area.length}-byte area` };
    }
    const signature = String.fromCharCode(area[at] ?? 0, area[at + 1] ?? 0);
    entries.push({ signature, version: area[at + 3] ?? 0, data: area.subarray(at + SUSP_HEADER_LENGTH, at + length) });
    if (signature === 'ST') break;
    at += length;
  }
  return { entries };
}
