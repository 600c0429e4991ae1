/**
 * ECMA-119 8.4 Primary Volume Descriptor, Joliet Supplementary Volume Descriptor (ECMA-119 8.5 with
 * the Joliet escape sequence) and the 8.3 terminator. Each is one 2048-byte sector.
 */
import { PatchdiscError } from '../errors.ts';
import { viewOf, writeBothEndian16, writeBothEndian32, writeUint32, writeUint8 } from './both-endian.ts';
import { writeLongDate } from './iso-date.ts';
import { encodeUcs2 } from './names.ts';

export const SECTOR_SIZE = 2048;
/** ECMA-119 6.2.1: sectors 0-15 are the System Area. */
export const SYSTEM_AREA_SECTORS = 16;

export const VD_TYPE = 0;
export const VD_STANDARD_ID = 1;
export const VD_VERSION = 6;
export const VD_VOLUME_FLAGS = 7;
export const PVD_SYSTEM_ID = 8;
export const PVD_VOLUME_ID = 40;
export const PVD_VOLUME_SPACE_SIZE = 80;
export const SVD_ESCAPE_SEQUENCES = 88;
export const PVD_VOLUME_SET_SIZE = 120;
export const PVD_VOLUME_SEQUENCE_NUMBER = 124;
export const PVD_LOGICAL_BLOCK_SIZE = 128;
export const PVD_PATH_TABLE_SIZE = 132;
export const PVD_L_PATH_TABLE = 140;
export const PVD_OPTIONAL_L_PATH_TABLE = 144;
export const PVD_M_PATH_TABLE = 148;
export const PVD_OPTIONAL_M_PATH_TABLE = 152;
export const PVD_ROOT_DIRECTORY_RECORD = 156;
export const PVD_VOLUME_SET_ID = 190;
export const PVD_PUBLISHER_ID = 318;
export const PVD_DATA_PREPARER_ID = 446;
export const PVD_APPLICATION_ID = 574;
export const PVD_COPYRIGHT_FILE_ID = 702;
export const PVD_ABSTRACT_FILE_ID = 739;
export const PVD_BIBLIOGRAPHIC_FILE_ID = 776;
export const PVD_CREATION_DATE = 813;
export const PVD_MODIFICATION_DATE = 830;
export const PVD_EXPIRATION_DATE = 847;
export const PVD_EFFECTIVE_DATE = 864;
export const PVD_FILE_STRUCTURE_VERSION = 881;

export const ROOT_RECORD_LENGTH = 34;
const ID_32 = 32;
const ID_128 = 128;
const ID_37 = 37;

export const VD_TYPE_PRIMARY = 1;
export const VD_TYPE_SUPPLEMENTARY = 2;
export const VD_TYPE_TERMINATOR = 255;
export const STANDARD_ID = 'CD001';
/** Joliet escape sequence for UCS-2 level 3. */
export const JOLIET_ESCAPE = '%/E';

export interface VolumeDescriptorFields {
  kind: 'primary' | 'joliet';
  systemId: string;
  volumeId: string;
  volumeSetId: string;
  publisher: string;
  dataPreparer: string;
  application: string;
  totalSectors: number;
  pathTableSize: number;
  lPathTable: number;
  mPathTable: number;
  rootRecord: Uint8Array;
  date: number;
}

function writeText(out: Uint8Array, offset: number, width: number, text: string, joliet: boolean, field: string): void {
  const bytes = joliet ? encodeUcs2(text) : Uint8Array.from(text, (c) => c.charCodeAt(0));
  if (bytes.length > width) {
    throw new PatchdiscError('VALIDATION', `Cannot write the ${field} field: ${JSON.stringify(text)} needs ${bytes.length} bytes, the field holds ${width}`);
  }
  out.set(bytes, offset);
  // Fill with spaces (ECMA-119 7.4.3); in UCS-2 a space is 00 20, an odd last byte stays 0x20 too.
  for (let i = offset + bytes.length; i < offset + width; i++) out[i] = joliet && (i - offset) % 2 === 0 ? 0x00 : 0x20;
  if (joliet && width % 2 === 1) out[offset + width - 1] = 0x20;
}

function writeHeader(out: Uint8Array, type: number): void {
  out[VD_TYPE] = type;
  for (let i = 0; i < STANDARD_ID.length; i++) out[VD_STANDARD_ID + i] = STANDARD_ID.charCodeAt(i);
  out[VD_VERSION] = 1;
}

/** Encodes a PVD or a Joliet SVD (2048 bytes). */
export function encodeVolumeDescriptor(f: VolumeDescriptorFields): Uint8Array {
  const out = new Uint8Array(SECTOR_SIZE);
  const view = viewOf(out);
  const joliet = f.kind === 'joliet';
  writeHeader(out, joliet ? VD_TYPE_SUPPLEMENTARY : VD_TYPE_PRIMARY);
  writeText(out, PVD_SYSTEM_ID, ID_32, f.systemId, joliet, 'system identifier');
  writeText(out, PVD_VOLUME_ID, ID_32, f.volumeId, joliet, 'volume identifier');
  writeBothEndian32(view, PVD_VOLUME_SPACE_SIZE, f.totalSectors);
  if (joliet) for (let i = 0; i < JOLIET_ESCAPE.length; i++) out[SVD_ESCAPE_SEQUENCES + i] = JOLIET_ESCAPE.charCodeAt(i);
  writeBothEndian16(view, PVD_VOLUME_SET_SIZE, 1);
  writeBothEndian16(view, PVD_VOLUME_SEQUENCE_NUMBER, 1);
  writeBothEndian16(view, PVD_LOGICAL_BLOCK_SIZE, SECTOR_SIZE);
  writeBothEndian32(view, PVD_PATH_TABLE_SIZE, f.pathTableSize);
  writeUint32(view, PVD_L_PATH_TABLE, f.lPathTable, true);
  writeUint32(view, PVD_OPTIONAL_L_PATH_TABLE, 0, true);
  writeUint32(view, PVD_M_PATH_TABLE, f.mPathTable, false);
  writeUint32(view, PVD_OPTIONAL_M_PATH_TABLE, 0, false);
  if (f.rootRecord.length !== ROOT_RECORD_LENGTH) {
    throw new PatchdiscError('INTERNAL', `Cannot encode the root directory record: ${f.rootRecord.length} bytes, expected ${ROOT_RECORD_LENGTH}`);
  }
  out.set(f.rootRecord, PVD_ROOT_DIRECTORY_RECORD);
  writeText(out, PVD_VOLUME_SET_ID, ID_128, f.volumeSetId, joliet, 'volume set identifier');
  writeText(out, PVD_PUBLISHER_ID, ID_128, f.publisher, joliet, 'publisher identifier');
  writeText(out, PVD_DATA_PREPARER_ID, ID_128, f.dataPreparer, joliet, 'data preparer identifier');
  writeText(out, PVD_APPLICATION_ID, ID_128, f.application, joliet, 'application identifier');
  writeText(out, PVD_COPYRIGHT_FILE_ID, ID_37, '', joliet, 'copyright file identifier');
  writeText(out, PVD_ABSTRACT_FILE_ID, ID_37, '', joliet, 'abstract file identifier');
  writeText(out, PVD_BIBLIOGRAPHIC_FILE_ID, ID_37, '', joliet, 'bibliographic file identifier');
  writeLongDate(out, PVD_CREATION_DATE, f.date);
  writeLongDate(out, PVD_MODIFICATION_DATE, f.date);
  writeLongDate(out, PVD_EXPIRATION_DATE, undefined);
  writeLongDate(out, PVD_EFFECTIVE_DATE, f.date);
  writeUint8(view, PVD_FILE_STRUCTURE_VERSION, 1);
  return out;
}

/** ECMA-119 8.3: Volume Descriptor Set Terminator. */
export function encodeTerminator(): Uint8Array {
  const out = new Uint8Array(SECTOR_SIZE);
  writeHeader(out, VD_TYPE_TERMINATOR);
  return out;
}
