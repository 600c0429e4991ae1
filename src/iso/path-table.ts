/**
 * ECMA-119 9.4 path table records. One table per byte order (L = little-endian, M = big-endian) and
 * per tree; records ordered by depth, then parent directory number, then identifier (ECMA-119 6.9.1).
 */
import { PatchdiscError } from '../errors.ts';
import { viewOf, writeUint16, writeUint32, writeUint8 } from './both-endian.ts';

export const PT_IDENTIFIER_LENGTH = 0;
export const PT_EXTENDED_ATTRIBUTE_LENGTH = 1;
export const PT_EXTENT_LOCATION = 2;
export const PT_PARENT_NUMBER = 6;
export const PT_IDENTIFIER = 8;
/** Parent numbers are 16-bit, so a tree holds at most 65,535 directories. */
export const PT_MAX_DIRECTORIES = 0xffff;

export interface PathTableEntry {
  identifier: Uint8Array;
  extent: number;
  /** 1-based number of the parent in this table; the root is its own parent (1). */
  parent: number;
}

/** Bytes one record takes (ECMA-119 9.4.7: a pad byte after an odd-length identifier). */
export function pathTableRecordLength(identifierLength: number): number {
  return PT_IDENTIFIER + identifierLength + (identifierLength % 2);
}

/** Encodes a whole table in the given byte order. */
export function encodePathTable(entries: readonly PathTableEntry[], littleEndian: boolean): Uint8Array {
  if (entries.length > PT_MAX_DIRECTORIES) {
    throw new PatchdiscError('VALIDATION', `Cannot write the path table: ${entries.length} directories, ECMA-119 allows ${PT_MAX_DIRECTORIES}; split the content over more discs`);
  }
  const size = entries.reduce((n, e) => n + pathTableRecordLength(e.identifier.length), 0);
  const out = new Uint8Array(size);
  const view = viewOf(out);
  let at = 0;
  for (const e of entries) {
    writeUint8(view, at + PT_IDENTIFIER_LENGTH, e.identifier.length);
    writeUint8(view, at + PT_EXTENDED_ATTRIBUTE_LENGTH, 0);
    writeUint32(view, at + PT_EXTENT_LOCATION, e.extent, littleEndian);
    writeUint16(view, at + PT_PARENT_NUMBER, e.parent, littleEndian);
    out.set(e.identifier, at + PT_IDENTIFIER);
    at += pathTableRecordLength(e.identifier.length);
  }
  return out;
}

/** Decodes a table; returns the entries read and a problem string when a record runs past the end. */
export function decodePathTable(bytes: Uint8Array, littleEndian: boolean): { entries: PathTableEntry[]; problem?: string } {
  const view = viewOf(bytes);
  const entries: PathTableEntry[] = [];
  let at = 0;
  while (at < bytes.length) {
    const idLength = bytes[at] ?? 0;
    if (idLength === 0 || at + pathTableRecordLength(idLength) > bytes.length) {
      return { entries, problem: `path table record at byte ${at} has identifier length ${idLength}, past the table end (${bytes.length})` };
    }
    entries.push({
      identifier: bytes.slice(at + PT_IDENTIFIER, at + PT_IDENTIFIER + idLength),
      extent: view.getUint32(at + PT_EXTENT_LOCATION, littleEndian),
      parent: view.getUint16(at + PT_PARENT_NUMBER, littleEndian),
    });
    at += pathTableRecordLength(idLength);
  }
  return { entries };
}
