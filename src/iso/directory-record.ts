/**
 * ECMA-119 9.1 directory record: encoder and a tolerant decoder (the checker judges the fields).
 */
import { PatchdiscError } from '../errors.ts';
import { readBothEndian16, readBothEndian32, viewOf, writeBothEndian16, writeBothEndian32, writeUint8, type BothEndianValue } from './both-endian.ts';
import { readShortDate, writeShortDate } from './iso-date.ts';

export const DR_LENGTH = 0;
export const DR_EXTENDED_ATTRIBUTE_LENGTH = 1;
export const DR_EXTENT_LOCATION = 2;
export const DR_DATA_LENGTH = 10;
export const DR_RECORDING_DATE = 18;
export const DR_FILE_FLAGS = 25;
export const DR_FILE_UNIT_SIZE = 26;
export const DR_INTERLEAVE_GAP = 27;
export const DR_VOLUME_SEQUENCE_NUMBER = 28;
export const DR_IDENTIFIER_LENGTH = 32;
export const DR_IDENTIFIER = 33;
/** The fixed part before the identifier. */
export const DR_FIXED_LENGTH = 33;
/** The length byte is 8 bits. */
export const DR_MAX_LENGTH = 255;

/** ECMA-119 9.1.6 file flags. */
export const FLAG_DIRECTORY = 0x02;
export const FLAG_MULTI_EXTENT = 0x80;

/** ECMA-119 6.8.2.2: identifiers of the "." and ".." records. */
export const DOT_IDENTIFIER = Uint8Array.of(0x00);
export const DOTDOT_IDENTIFIER = Uint8Array.of(0x01);

/** Length of a record with this identifier and System Use area (ECMA-119 9.1.12 pad byte). */
export function directoryRecordLength(identifierLength: number, systemUseLength: number): number {
  return DR_FIXED_LENGTH + identifierLength + (identifierLength % 2 === 0 ? 1 : 0) + systemUseLength;
}

export interface DirectoryRecordFields {
  extent: number;
  dataLength: number;
  date: number;
  flags: number;
  identifier: Uint8Array;
  systemUse?: readonly Uint8Array[];
}

/** Encodes one record; throws when it would exceed 255 bytes. */
export function encodeDirectoryRecord(f: DirectoryRecordFields): Uint8Array {
  const su = f.systemUse ?? [];
  const suLength = su.reduce((n, e) => n + e.length, 0);
  const length = directoryRecordLength(f.identifier.length, suLength);
  if (length > DR_MAX_LENGTH) {
    throw new PatchdiscError('INTERNAL', `Cannot encode a directory record: ${length} bytes exceeds ${DR_MAX_LENGTH}`, { details: { length } });
  }
  const out = new Uint8Array(length);
  const view = viewOf(out);
  writeUint8(view, DR_LENGTH, length);
  writeUint8(view, DR_EXTENDED_ATTRIBUTE_LENGTH, 0);
  writeBothEndian32(view, DR_EXTENT_LOCATION, f.extent);
  writeBothEndian32(view, DR_DATA_LENGTH, f.dataLength);
  writeShortDate(out, DR_RECORDING_DATE, f.date);
  writeUint8(view, DR_FILE_FLAGS, f.flags);
  writeBothEndian16(view, DR_VOLUME_SEQUENCE_NUMBER, 1);
  writeUint8(view, DR_IDENTIFIER_LENGTH, f.identifier.length);
  out.set(f.identifier, DR_IDENTIFIER);
  let at = DR_FIXED_LENGTH + f.identifier.length + (f.identifier.length % 2 === 0 ? 1 : 0);
  for (const entry of su) {
    out.set(entry, at);
    at += entry.length;
  }
  return out;
}

/** A decoded record; both-endian fields keep both halves so callers can compare them. */
export interface DecodedDirectoryRecord {
  length: number;
  extent: BothEndianValue;
  dataLength: BothEndianValue;
  volumeSequence: BothEndianValue;
  date: number;
  flags: number;
  identifier: Uint8Array;
  systemUse: Uint8Array;
}

/**
 * Decodes the record at `offset` of `bytes` (which must hold the whole record). Returns a string
 * describing the problem when the length fields cannot describe a record.
 */
export function decodeDirectoryRecord(bytes: Uint8Array, offset: number): DecodedDirectoryRecord | string {
  const length = bytes[offset + DR_LENGTH] ?? 0;
  if (length < DR_FIXED_LENGTH + 1) return `record length ${length} is shorter than ${DR_FIXED_LENGTH + 1}`;
  if (offset + length > bytes.length) return `record length ${length} runs past the end of the sector`;
  const rec = bytes.subarray(offset, offset + length);
  const view = viewOf(rec);
  const idLength = rec[DR_IDENTIFIER_LENGTH] ?? 0;
  const suStart = DR_FIXED_LENGTH + idLength + (idLength % 2 === 0 ? 1 : 0);
  if (idLength === 0 || suStart > length) return `identifier length ${idLength} does not fit in record length ${length}`;
  return {
    length,
    extent: readBothEndian32(view, DR_EXTENT_LOCATION),
    dataLength: readBothEndian32(view, DR_DATA_LENGTH),
    volumeSequence: readBothEndian16(view, DR_VOLUME_SEQUENCE_NUMBER),
    date: readShortDate(rec, DR_RECORDING_DATE),
    flags: rec[DR_FILE_FLAGS] ?? 0,
    identifier: rec.subarray(DR_IDENTIFIER, DR_IDENTIFIER + idLength),
    systemUse: rec.subarray(suStart, length),
  };
}
