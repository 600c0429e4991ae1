import { deflateRawSync } from 'node:zlib';
import { PatchdiscError } from '../errors.ts';

/*
 * Microsoft Cabinet writer, after [MS-CAB] "Cabinet File Format" §2 (CFHEADER, CFFOLDER, CFFILE,
 * CFDATA) and [MS-MCI] for MSZIP. One folder, no reserved areas, no multi-cabinet sets.
 */

// CFHEADER ([MS-CAB] §2.1), 36 bytes when no reserve fields are present.
const CFHEADER_SIZE = 36;
const HDR_SIGNATURE = 0; // u8[4] 'MSCF'
const HDR_RESERVED1 = 4; // u32
const HDR_CB_CABINET = 8; // u32 total size of the cabinet file
const HDR_RESERVED2 = 12; // u32
const HDR_COFF_FILES = 16; // u32 offset of the first CFFILE
const HDR_RESERVED3 = 20; // u32
const HDR_VERSION_MINOR = 24; // u8
const HDR_VERSION_MAJOR = 25; // u8
const HDR_C_FOLDERS = 26; // u16
const HDR_C_FILES = 28; // u16
const HDR_FLAGS = 30; // u16
const HDR_SET_ID = 32; // u16
const HDR_I_CABINET = 34; // u16
const CAB_SIGNATURE = 'MSCF';
const CAB_VERSION_MINOR = 3;
const CAB_VERSION_MAJOR = 1;

// CFFOLDER ([MS-CAB] §2.2), 8 bytes.
const CFFOLDER_SIZE = 8;
const FOLDER_COFF_CAB_START = 0; // u32 offset of the first CFDATA of this folder
const FOLDER_C_CF_DATA = 4; // u16 number of CFDATA blocks
const FOLDER_TYPE_COMPRESS = 6; // u16
const TCOMP_TYPE_NONE = 0x0000;
const TCOMP_TYPE_MSZIP = 0x0001;

// CFFILE ([MS-CAB] §2.3), 16 bytes then the NUL-terminated name.
const CFFILE_FIXED_SIZE = 16;
const FILE_CB_FILE = 0; // u32 uncompressed size
const FILE_UOFF_FOLDER_START = 4; // u32 offset of the file inside the uncompressed folder
const FILE_I_FOLDER = 8; // u16
const FILE_DATE = 10; // u16 MS-DOS date
const FILE_TIME = 12; // u16 MS-DOS time
const FILE_ATTRIBS = 14; // u16
const ATTR_ARCH = 0x20; // _A_ARCH: modified since last backup
const ATTR_NAME_IS_UTF = 0x80; // _A_NAME_IS_UTF: szName is UTF-8
const CAB_MAX_NAME_BYTES = 255; // [MS-CAB] §2.3: szName is at most CB_MAX_FILENAME bytes

// CFDATA ([MS-CAB] §2.4), 8 bytes then the data.
const CFDATA_HEADER_SIZE = 8;
const DATA_CSUM = 0; // u32 checksum of this block
const DATA_CB_DATA = 4; // u16 compressed bytes in this block
const DATA_CB_UNCOMP = 6; // u16 uncompressed bytes in this block
const CFDATA_MAX_UNCOMPRESSED = 32768; // [MS-CAB] §2.4: cbUncomp is at most 0x8000

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const MSZIP_SIGNATURE = Buffer.from('CK', 'latin1'); // [MS-MCI] §2.3: every MSZIP block starts with 'CK'
const DEFAULT_MEMBER_DATE = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));
const DOS_EPOCH_YEAR = 1980;
const DOS_MAX_YEAR = 2107;

export interface CabinetMember {
  /** Path inside the cabinet; '/' is written as '\' as the format expects. */
  name: string;
  data: Uint8Array;
  /** Modification time written in UTC; defaults to 2000-01-01 so output is deterministic. */
  date?: Date;
}

export interface WriteCabinetOptions {
  compression: 'none' | 'mszip';
  setId?: number;
}

/**
 * Writes a single-folder Microsoft Cabinet holding `members` in the given order. Output depends only
 * on the arguments (no clock), so the same members always give the same bytes.
 */
export function writeCabinet(members: readonly CabinetMember[], options: WriteCabinetOptions): Buffer {
  const setId = options.setId ?? 0;
  assertFits(setId, U16_MAX, 'setID');
  assertFits(members.length, U16_MAX, 'the number of files');
  const names = members.map((m) => encodeName(m.name));

  const folderSize = members.reduce((sum, m) => sum + m.data.length, 0);
  assertFits(folderSize, U32_MAX, 'the total uncompressed size');
  const folder = Buffer.concat(members.map((m) => m.data), folderSize);
  const blocks = encodeBlocks(folder, options.compression);
  assertFits(blocks.length, U16_MAX, 'the number of CFDATA blocks');

  const coffFiles = CFHEADER_SIZE + CFFOLDER_SIZE;
  const filesSize = names.reduce((sum, n) => sum + CFFILE_FIXED_SIZE + n.bytes.length + 1, 0);
  const coffCabStart = coffFiles + filesSize;
  const cbCabinet = coffCabStart + blocks.reduce((sum, b) => sum + b.length, 0);
  assertFits(cbCabinet, U32_MAX, 'the cabinet size');

  const head = Buffer.alloc(coffCabStart);
  head.write(CAB_SIGNATURE, HDR_SIGNATURE, 'latin1');
  head.writeUInt32LE(0, HDR_RESERVED1);
  head.writeUInt32LE(cbCabinet, HDR_CB_CABINET);
  head.writeUInt32LE(0, HDR_RESERVED2);
  head.writeUInt32LE(coffFiles, HDR_COFF_FILES);
  head.writeUInt32LE(0, HDR_RESERVED3);
  head.writeUInt8(CAB_VERSION_MINOR, HDR_VERSION_MINOR);
  head.writeUInt8(CAB_VERSION_MAJOR, HDR_VERSION_MAJOR);
  head.writeUInt16LE(1, HDR_C_FOLDERS);
  head.writeUInt16LE(members.length, HDR_C_FILES);
  head.writeUInt16LE(0, HDR_FLAGS);
  head.writeUInt16LE(setId, HDR_SET_ID);
  head.writeUInt16LE(0, HDR_I_CABINET);

  const folderAt = CFHEADER_SIZE;
  head.writeUInt32LE(coffCabStart, folderAt + FOLDER_COFF_CAB_START);
  head.writeUInt16LE(blocks.length, folderAt + FOLDER_C_CF_DATA);
  const typeCompress = options.compression === 'mszip' ? TCOMP_TYPE_MSZIP : TCOMP_TYPE_NONE;
  head.writeUInt16LE(typeCompress, folderAt + FOLDER_TYPE_COMPRESS);

  let at = coffFiles;
  let offsetInFolder = 0;
  members.forEach((member, i) => {
    const name = names[i];
    if (name === undefined) throw new PatchdiscError('INTERNAL', 'Cannot write cabinet: member name list is short');
    const { date, time } = dosDateTime(member.date ?? DEFAULT_MEMBER_DATE, member.name);
    head.writeUInt32LE(member.data.length, at + FILE_CB_FILE);
    head.writeUInt32LE(offsetInFolder, at + FILE_UOFF_FOLDER_START);
    head.writeUInt16LE(0, at + FILE_I_FOLDER);
    head.writeUInt16LE(date, at + FILE_DATE);
    head.writeUInt16LE(time, at + FILE_TIME);
    head.writeUInt16LE(ATTR_ARCH | (name.utf8 ? ATTR_NAME_IS_UTF : 0), at + FILE_ATTRIBS);
    name.bytes.copy(head, at + CFFILE_FIXED_SIZE);
    at += CFFILE_FIXED_SIZE + name.bytes.length + 1; // + NUL terminator (already zero)
    offsetInFolder += member.data.length;
  });
  if (at !== coffCabStart) {
    throw new PatchdiscError('INTERNAL', `Cannot write cabinet: CFFILE area is ${at - coffFiles} bytes, expected ${filesSize}`);
  }

  const out = Buffer.concat([head, ...blocks], cbCabinet);
  if (out.length !== cbCabinet) {
    throw new PatchdiscError('INTERNAL', `Cannot write cabinet: wrote ${out.length} bytes, header says ${cbCabinet}`);
  }
  return out;
}

/** Splits the folder into ≤ 32 KiB blocks and encodes each as a CFDATA record. */
function encodeBlocks(folder: Buffer, compression: 'none' | 'mszip'): Buffer[] {
  const blocks: Buffer[] = [];
  for (let start = 0; start < folder.length; start += CFDATA_MAX_UNCOMPRESSED) {
    const raw = folder.subarray(start, Math.min(start + CFDATA_MAX_UNCOMPRESSED, folder.length));
    let payload: Buffer = raw;
    if (compression === 'mszip') {
      // [MS-MCI] §2: each block is a complete deflate stream whose history is the previous
      // block's uncompressed data, which deflate expresses as a preset dictionary.
      const history = folder.subarray(Math.max(0, start - CFDATA_MAX_UNCOMPRESSED), start);
      const deflated = history.length > 0 ? deflateRawSync(raw, { dictionary: history }) : deflateRawSync(raw);
      payload = Buffer.concat([MSZIP_SIGNATURE, deflated]);
    }
    assertFits(payload.length, U16_MAX, `compressed block ${blocks.length}`);
    const block = Buffer.alloc(CFDATA_HEADER_SIZE + payload.length);
    block.writeUInt16LE(payload.length, DATA_CB_DATA);
    block.writeUInt16LE(raw.length, DATA_CB_UNCOMP);
    payload.copy(block, CFDATA_HEADER_SIZE);
    block.writeUInt32LE(cfdataChecksum(block), DATA_CSUM);
    blocks.push(block);
  }
  return blocks;
}

/**
 * [MS-CAB] §2.4 csum: the checksum of the data bytes, then continued over the cbData and cbUncomp
 * fields (the 4 bytes after csum).
 */
export function cfdataChecksum(block: Buffer): number {
  const data = block.subarray(CFDATA_HEADER_SIZE);
  const seed = checksumBytes(data, 0);
  return checksumBytes(block.subarray(DATA_CB_DATA, CFDATA_HEADER_SIZE), seed);
}

/** The CSUMCompute XOR fold over little-endian 32-bit words; tail bytes fill from the high end. */
function checksumBytes(bytes: Buffer, seed: number): number {
  let csum = seed >>> 0;
  const whole = bytes.length - (bytes.length % 4);
  for (let i = 0; i < whole; i += 4) csum = (csum ^ bytes.readUInt32LE(i)) >>> 0;
  let tail = 0;
  const rest = bytes.length - whole;
  // The reference implementation shifts the first leftover byte highest (its switch falls through
  // case 3 → 2 → 1), which is not little-endian order; readers verify against exactly this.
  for (let k = 0; k < rest; k++) tail |= (bytes[whole + k] ?? 0) << (8 * (rest - 1 - k));
  return (csum ^ tail) >>> 0;
}

function encodeName(name: string): { bytes: Buffer; utf8: boolean } {
  const windowsName = name.replaceAll('/', '\\');
  const utf8 = /[^\x20-\x7e]/.test(windowsName);
  const bytes = Buffer.from(windowsName, utf8 ? 'utf8' : 'latin1');
  if (bytes.length === 0 || bytes.includes(0)) {
    throw new PatchdiscError('NAME_INVALID', `Cannot write cabinet member "${name}": the name is empty or holds NUL`);
  }
  if (bytes.length > CAB_MAX_NAME_BYTES) {
    throw new PatchdiscError('NAME_TOO_LONG', `Cannot write cabinet member "${name}": the name is ${bytes.length} bytes, the limit is ${CAB_MAX_NAME_BYTES}`);
  }
  return { bytes, utf8 };
}

function dosDateTime(d: Date, name: string): { date: number; time: number } {
  const year = d.getUTCFullYear();
  if (Number.isNaN(year) || year < DOS_EPOCH_YEAR || year > DOS_MAX_YEAR) {
    throw new PatchdiscError('VALIDATION', `Cannot write cabinet member "${name}": date ${String(d)} is outside ${DOS_EPOCH_YEAR}–${DOS_MAX_YEAR}`);
  }
  // MS-DOS date: bits 9–15 year-1980, 5–8 month, 0–4 day; time: 11–15 hour, 5–10 minute, 0–4 second/2.
  const date = ((year - DOS_EPOCH_YEAR) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2);
  return { date, time };
}

function assertFits(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new PatchdiscError('FILE_TOO_LARGE', `Cannot write cabinet: ${what} is ${value}, the format allows at most ${max}`);
  }
}
