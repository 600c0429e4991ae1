/**
 * Microsoft Cabinet container structures ([MS-CAB] 2.1–2.4): CFHEADER, CFFOLDER, CFFILE and CFDATA.
 * Pure parsing of byte ranges; reading them from a file is open-cabinet's job.
 */
import { PatchdiscError } from '../errors.ts';

/** CFHEADER fields ([MS-CAB] 2.2). All little-endian. */
export const CFHEADER_SIGNATURE = 0; // u8[4] 'MSCF'
export const CFHEADER_CB_CABINET = 8; // u32 total cabinet size
export const CFHEADER_COFF_FILES = 16; // u32 offset of the first CFFILE
export const CFHEADER_VERSION_MINOR = 24; // u8
export const CFHEADER_VERSION_MAJOR = 25; // u8
export const CFHEADER_C_FOLDERS = 26; // u16
export const CFHEADER_C_FILES = 28; // u16
export const CFHEADER_FLAGS = 30; // u16
export const CFHEADER_SET_ID = 32; // u16
export const CFHEADER_I_CABINET = 34; // u16
export const CFHEADER_FIXED_SIZE = 36;
/** Optional reserve sizes, present when cfhdrRESERVE_PRESENT is set. */
export const CFHEADER_CB_CFHEADER = 36; // u16
export const CFHEADER_CB_CFFOLDER = 38; // u8
export const CFHEADER_CB_CFDATA = 39; // u8
export const CFHEADER_RESERVE_FIELDS_SIZE = 4;
export const CFHEADER_MAX_RESERVE = 60_000; // [MS-CAB] 2.2: cbCFHeader is at most 60,000

export const CAB_SIGNATURE = 0x4643534d; // 'MSCF' read as u32 LE
export const CAB_VERSION_MAJOR = 1;

export const FLAG_PREV_CABINET = 0x0001;
export const FLAG_NEXT_CABINET = 0x0002;
export const FLAG_RESERVE_PRESENT = 0x0004;

/** CFFOLDER fields ([MS-CAB] 2.3). */
export const CFFOLDER_COFF_CAB_START = 0; // u32 offset of the first CFDATA
export const CFFOLDER_C_CFDATA = 4; // u16
export const CFFOLDER_TYPE_COMPRESS = 6; // u16
export const CFFOLDER_FIXED_SIZE = 8;

/** CFFILE fields ([MS-CAB] 2.4). */
export const CFFILE_CB_FILE = 0; // u32 uncompressed size
export const CFFILE_UOFF_FOLDER_START = 4; // u32 offset in the folder's uncompressed data
export const CFFILE_I_FOLDER = 8; // u16
export const CFFILE_DATE = 10; // u16 ((y-1980)<<9)|(m<<5)|d
export const CFFILE_TIME = 12; // u16 (h<<11)|(min<<5)|(s/2)
export const CFFILE_ATTRIBS = 14; // u16
export const CFFILE_FIXED_SIZE = 16;
export const CFFILE_MAX_NAME = 256; // CB_MAX_FILENAME, without the terminating NUL
export const IFOLD_CONTINUED_FROM_PREV = 0xfffd;

/** CFDATA fields ([MS-CAB] 2.5). */
export const CFDATA_CSUM = 0; // u32, 0 = no checksum
export const CFDATA_CB_DATA = 4; // u16 compressed bytes
export const CFDATA_CB_UNCOMP = 6; // u16 uncompressed bytes
export const CFDATA_FIXED_SIZE = 8;
export const CFDATA_MAX_UNCOMP = 32_768;

export const ATTR_NAME_IS_UTF = 0x80;

export const TCOMP_MASK_TYPE = 0x000f;
export const TCOMP_TYPE_NONE = 0;
export const TCOMP_TYPE_MSZIP = 1;
export const TCOMP_TYPE_QUANTUM = 2;
export const TCOMP_TYPE_LZX = 3;
export const TCOMP_LZX_WINDOW_SHIFT = 8;
export const TCOMP_LZX_WINDOW_MASK = 0x1f;
export const LZX_MIN_WINDOW_BITS = 15;
export const LZX_MAX_WINDOW_BITS = 21;

export type CabCompression = 'none' | 'mszip' | 'lzx' | 'quantum';

export interface CabHeader {
  cbCabinet: number;
  coffFiles: number;
  versionMinor: number;
  versionMajor: number;
  cFolders: number;
  cFiles: number;
  flags: number;
  setId: number;
  iCabinet: number;
  cbCFHeader: number;
  cbCFFolder: number;
  cbCFData: number;
  /** Offset of the first CFFOLDER. */
  foldersOffset: number;
}

export interface CabFolderRecord {
  coffCabStart: number;
  cCFData: number;
  typeCompress: number;
  compression: CabCompression;
  window?: number;
}

export interface CabFileRecord {
  name: string;
  size: number;
  offset: number;
  folderIndex: number;
  date: Date;
  attributes: number;
}

function corrupt(label: string, state: string): PatchdiscError {
  return new PatchdiscError('CAB_CORRUPT', `Cannot open cabinet ${label}: ${state}; the file is damaged, download it again`, {
    details: { cabinet: label },
  });
}

function need(buf: Uint8Array, end: number, label: string, what: string): void {
  if (end > buf.length) throw corrupt(label, `${what} runs past the end of the file (needs ${end} bytes, has ${buf.length})`);
}

/**
 * Parse CFHEADER from the first bytes of a cabinet. `head` must hold at least the fixed part plus the
 * reserve fields; the optional prev/next cabinet names make it `CAB_UNSUPPORTED` (multi-cabinet sets).
 */
export function parseCabHeader(head: Uint8Array, fileSize: number, label: string): CabHeader {
  need(head, CFHEADER_FIXED_SIZE, label, 'the header');
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (view.getUint32(CFHEADER_SIGNATURE, true) !== CAB_SIGNATURE) throw corrupt(label, 'no MSCF signature');
  const flags = view.getUint16(CFHEADER_FLAGS, true);
  const versionMajor = head[CFHEADER_VERSION_MAJOR] ?? 0;
  if (versionMajor !== CAB_VERSION_MAJOR) {
    throw new PatchdiscError('CAB_UNSUPPORTED', `Cannot open cabinet ${label}: format version ${versionMajor} is not supported (only 1.x)`);
  }
  if ((flags & (FLAG_PREV_CABINET | FLAG_NEXT_CABINET)) !== 0) {
    throw new PatchdiscError(
      'CAB_UNSUPPORTED',
      `Cannot open cabinet ${label}: it is part of a multi-cabinet set (flags 0x${flags.toString(16)}), which is not supported`,
      { details: { cabinet: label, flags } },
    );
  }
  let cbCFHeader = 0;
  let cbCFFolder = 0;
  let cbCFData = 0;
  let foldersOffset = CFHEADER_FIXED_SIZE;
  if ((flags & FLAG_RESERVE_PRESENT) !== 0) {
    need(head, CFHEADER_FIXED_SIZE + CFHEADER_RESERVE_FIELDS_SIZE, label, 'the header reserve fields');
    cbCFHeader = view.getUint16(CFHEADER_CB_CFHEADER, true);
    cbCFFolder = head[CFHEADER_CB_CFFOLDER] ?? 0;
    cbCFData = head[CFHEADER_CB_CFDATA] ?? 0;
    if (cbCFHeader > CFHEADER_MAX_RESERVE) throw corrupt(label, `header reserve of ${cbCFHeader} bytes exceeds 60000`);
    foldersOffset = CFHEADER_FIXED_SIZE + CFHEADER_RESERVE_FIELDS_SIZE + cbCFHeader;
  }
  const header: CabHeader = {
    cbCabinet: view.getUint32(CFHEADER_CB_CABINET, true),
    coffFiles: view.getUint32(CFHEADER_COFF_FILES, true),
    versionMinor: head[CFHEADER_VERSION_MINOR] ?? 0,
    versionMajor,
    cFolders: view.getUint16(CFHEADER_C_FOLDERS, true),
    cFiles: view.getUint16(CFHEADER_C_FILES, true),
    flags,
    setId: view.getUint16(CFHEADER_SET_ID, true),
    iCabinet: view.getUint16(CFHEADER_I_CABINET, true),
    cbCFHeader,
    cbCFFolder,
    cbCFData,
    foldersOffset,
  };
  if (header.cFolders === 0) throw corrupt(label, 'it declares no folders');
  const foldersEnd = foldersOffset + header.cFolders * (CFFOLDER_FIXED_SIZE + cbCFFolder);
  if (foldersEnd > fileSize) throw corrupt(label, `the folder table (ends at ${foldersEnd}) runs past the end of the file (${fileSize} bytes)`);
  if (header.coffFiles < foldersEnd || header.coffFiles + header.cFiles * CFFILE_FIXED_SIZE > fileSize) {
    throw corrupt(label, `the file table offset ${header.coffFiles} is outside the file (${fileSize} bytes)`);
  }
  return header;
}

/** Name of a typeCompress value and, for LZX, its window bits; unknown types are CAB_UNSUPPORTED. */
export function describeCompression(typeCompress: number, label: string): { compression: CabCompression; window?: number } {
  switch (typeCompress & TCOMP_MASK_TYPE) {
    case TCOMP_TYPE_NONE:
      return { compression: 'none' };
    case TCOMP_TYPE_MSZIP:
      return { compression: 'mszip' };
    case TCOMP_TYPE_QUANTUM:
      return { compression: 'quantum' };
    case TCOMP_TYPE_LZX: {
      const window = (typeCompress >> TCOMP_LZX_WINDOW_SHIFT) & TCOMP_LZX_WINDOW_MASK;
      if (window < LZX_MIN_WINDOW_BITS || window > LZX_MAX_WINDOW_BITS) {
        throw corrupt(label, `LZX window 2^${window} is outside 2^15..2^21`);
      }
      return { compression: 'lzx', window };
    }
    default:
      throw new PatchdiscError(
        'CAB_UNSUPPORTED',
        `Cannot open cabinet ${label}: compression type 0x${typeCompress.toString(16)} is unknown`,
      );
  }
}

/** Parse `count` CFFOLDER records from `buf` (which starts at the first one). */
export function parseCabFolders(buf: Uint8Array, header: CabHeader, fileSize: number, label: string): CabFolderRecord[] {
  const stride = CFFOLDER_FIXED_SIZE + header.cbCFFolder;
  need(buf, header.cFolders * stride, label, 'the folder table');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const folders: CabFolderRecord[] = [];
  for (let i = 0; i < header.cFolders; i++) {
    const at = i * stride;
    const coffCabStart = view.getUint32(at + CFFOLDER_COFF_CAB_START, true);
    const cCFData = view.getUint16(at + CFFOLDER_C_CFDATA, true);
    const typeCompress = view.getUint16(at + CFFOLDER_TYPE_COMPRESS, true);
    if (coffCabStart > fileSize) throw corrupt(label, `folder ${i} data starts at ${coffCabStart}, past the end of the file`);
    folders.push({ coffCabStart, cCFData, typeCompress, ...describeCompression(typeCompress, label) });
  }
  return folders;
}

/** A CAB date/time pair as a Date. Cabinets carry no time zone; the fields are taken as UTC. */
export function decodeCabDate(date: number, time: number): Date {
  const year = 1980 + (date >> 9);
  const month = (date >> 5) & 0x0f;
  const day = date & 0x1f;
  const hour = time >> 11;
  const minute = (time >> 5) & 0x3f;
  const second = (time & 0x1f) * 2;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** Parse `cFiles` CFFILE records from `buf` (which starts at coffFiles). */
export function parseCabFiles(buf: Uint8Array, header: CabHeader, folders: CabFolderRecord[], label: string): CabFileRecord[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const files: CabFileRecord[] = [];
  let at = 0;
  for (let i = 0; i < header.cFiles; i++) {
    need(buf, at + CFFILE_FIXED_SIZE, label, `file entry ${i}`);
    const size = view.getUint32(at + CFFILE_CB_FILE, true);
    const offset = view.getUint32(at + CFFILE_UOFF_FOLDER_START, true);
    const folderIndex = view.getUint16(at + CFFILE_I_FOLDER, true);
    const attributes = view.getUint16(at + CFFILE_ATTRIBS, true);
    const date = decodeCabDate(view.getUint16(at + CFFILE_DATE, true), view.getUint16(at + CFFILE_TIME, true));
    const nameStart = at + CFFILE_FIXED_SIZE;
    const limit = Math.min(buf.length, nameStart + CFFILE_MAX_NAME + 1);
    let nul = nameStart;
    while (nul < limit && buf[nul] !== 0) nul++;
    if (nul >= limit) throw corrupt(label, `file entry ${i} has no terminated name within ${CFFILE_MAX_NAME} bytes`);
    const raw = Buffer.from(buf.buffer, buf.byteOffset + nameStart, nul - nameStart);
    const name = raw.toString((attributes & ATTR_NAME_IS_UTF) !== 0 ? 'utf8' : 'latin1');
    if (name.length === 0) throw corrupt(label, `file entry ${i} has an empty name`);
    if (folderIndex >= IFOLD_CONTINUED_FROM_PREV) {
      throw new PatchdiscError(
        'CAB_UNSUPPORTED',
        `Cannot open cabinet ${label}: ${name} continues in another cabinet of a set, which is not supported`,
      );
    }
    if (folderIndex >= folders.length) throw corrupt(label, `${name} names folder ${folderIndex} of ${folders.length}`);
    const folder = folders[folderIndex];
    // Each CFDATA block holds at most 32 KiB of output, so the folder can hold no more than that.
    if (folder !== undefined && offset + size > folder.cCFData * CFDATA_MAX_UNCOMP) {
      throw corrupt(label, `${name} (offset ${offset}, ${size} bytes) lies past the end of folder ${folderIndex}`);
    }
    files.push({ name, size, offset, folderIndex, date, attributes });
    at = nul + 1;
  }
  return files;
}

/**
 * The CFDATA checksum ([MS-CAB] 2.5): XOR of the little-endian 32-bit words of `data`, the 1–3 trailing
 * bytes folded in most-significant first, seeded with `seed`.
 */
export function cabChecksum(data: Uint8Array, seed: number): number {
  let csum = seed >>> 0;
  const words = data.length >>> 2;
  let i = 0;
  for (let w = 0; w < words; w++, i += 4) {
    csum ^= (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
  }
  let tail = 0;
  switch (data.length & 3) {
    case 3:
      tail |= data[i++]! << 16;
    // falls through
    case 2:
      tail |= data[i++]! << 8;
    // falls through
    case 1:
      tail |= data[i]!;
  }
  return (csum ^ tail) >>> 0;
}

/** The checksum a CFDATA block should carry: over the data, then over cbData and cbUncomp. */
export function cfdataChecksum(headerFields: Uint8Array, data: Uint8Array): number {
  return cabChecksum(headerFields.subarray(CFDATA_CB_DATA, CFDATA_FIXED_SIZE), cabChecksum(data, 0));
}
