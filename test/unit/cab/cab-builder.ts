/**
 * Test-only writers: a cabinet builder (uncompressed or with given CFDATA payloads) and a tiny LZX
 * bitstream writer for hand-made verbatim/uncompressed blocks. Written from [MS-CAB] and [MS-PATCH].
 */
import { cfdataChecksum } from '../../../src/cab/cab-format.ts';

export interface BuiltBlock {
  data: Uint8Array;
  uncomp: number;
}
export interface BuiltFolder {
  typeCompress: number;
  blocks: BuiltBlock[];
}
export interface BuiltFile {
  name: string;
  size: number;
  offset: number;
  folder: number;
  attribs?: number;
  /** Raw name bytes instead of latin1 of `name`. */
  nameBytes?: Uint8Array;
}

export interface BuildOptions {
  folders: BuiltFolder[];
  files: BuiltFile[];
  flags?: number;
  reserve?: { header: number; folder: number; data: number };
  checksums?: boolean;
  setId?: number;
}

/** Build the bytes of a single cabinet. */
export function buildCabinet(opts: BuildOptions): Buffer {
  const reserve = opts.reserve;
  const flags = (opts.flags ?? 0) | (reserve !== undefined ? 0x0004 : 0);
  const headerSize = 36 + (reserve !== undefined ? 4 + reserve.header : 0);
  const folderStride = 8 + (reserve?.folder ?? 0);
  const fileEntries = opts.files.map((f) => {
    const name = f.nameBytes ?? Buffer.from(f.name, 'latin1');
    const e = Buffer.alloc(16 + name.length + 1);
    e.writeUInt32LE(f.size, 0);
    e.writeUInt32LE(f.offset, 4);
    e.writeUInt16LE(f.folder, 8);
    e.writeUInt16LE(((2018 - 1980) << 9) | (7 << 5) | 17, 10); // 2018-07-17
    e.writeUInt16LE((11 << 11) | (17 << 5) | 26, 12); // 11:17:52
    e.writeUInt16LE(f.attribs ?? 0x20, 14);
    Buffer.from(name).copy(e, 16);
    return e;
  });
  const coffFiles = headerSize + opts.folders.length * folderStride;
  let at = coffFiles + fileEntries.reduce((n, e) => n + e.length, 0);
  const dataParts: Buffer[] = [];
  const folderStarts: number[] = [];
  for (const folder of opts.folders) {
    folderStarts.push(at);
    for (const b of folder.blocks) {
      const h = Buffer.alloc(8 + (reserve?.data ?? 0));
      h.writeUInt16LE(b.data.length, 4);
      h.writeUInt16LE(b.uncomp, 6);
      if (opts.checksums !== false) h.writeUInt32LE(cfdataChecksum(h, b.data), 0);
      dataParts.push(h, Buffer.from(b.data));
      at += h.length + b.data.length;
    }
  }
  const head = Buffer.alloc(headerSize);
  head.write('MSCF', 0, 'latin1');
  head.writeUInt32LE(at, 8);
  head.writeUInt32LE(coffFiles, 16);
  head[24] = 3;
  head[25] = 1;
  head.writeUInt16LE(opts.folders.length, 26);
  head.writeUInt16LE(opts.files.length, 28);
  head.writeUInt16LE(flags, 30);
  head.writeUInt16LE(opts.setId ?? 0x1234, 32);
  if (reserve !== undefined) {
    head.writeUInt16LE(reserve.header, 36);
    head[38] = reserve.folder;
    head[39] = reserve.data;
  }
  const folders = opts.folders.map((f, i) => {
    const e = Buffer.alloc(folderStride);
    e.writeUInt32LE(folderStarts[i]!, 0);
    e.writeUInt16LE(f.blocks.length, 4);
    e.writeUInt16LE(f.typeCompress, 6);
    return e;
  });
  return Buffer.concat([head, ...folders, ...fileEntries, ...dataParts]);
}

/** Split `data` into stored (typeCompress 0) blocks of at most 32 KiB. */
export function storedBlocks(data: Uint8Array, blockSize = 32_768): BuiltBlock[] {
  const blocks: BuiltBlock[] = [];
  for (let i = 0; i < data.length; i += blockSize) {
    const part = data.subarray(i, i + blockSize);
    blocks.push({ data: part, uncomp: part.length });
  }
  return blocks;
}

/** LZX bit writer: bits go MSB first into 16-bit little-endian words. */
export class LzxBitWriter {
  private words: number[] = [];
  private acc = 0;
  private n = 0;

  bits(value: number, count: number): this {
    for (let i = count - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >>> i) & 1);
      if (++this.n === 16) {
        this.words.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
    return this;
  }

  /** Pad to the next 16-bit boundary with 1..16 zero bits (as before an uncompressed block's R0). */
  alignForUncompressed(): this {
    return this.bits(0, 16 - this.n);
  }

  /** Pad with zero bits to a word boundary (end of frame). */
  flush(): this {
    if (this.n > 0) this.bits(0, 16 - this.n);
    return this;
  }

  bytes(extra: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (this.n !== 0) throw new Error('LzxBitWriter: unaligned');
    const out = Buffer.alloc(this.words.length * 2 + extra.length);
    this.words.forEach((w, i) => out.writeUInt16LE(w, i * 2));
    Buffer.from(extra).copy(out, this.words.length * 2);
    return out;
  }
}

/** Number of main-tree symbols for a 2^15 window: 256 literals + 30 position slots × 8. */
export const MAIN_SYMBOLS_W15 = 256 + 30 * 8;

/**
 * Start a verbatim block for a 2^15 window whose main tree gives every symbol a 9-bit code (symbol s
 * is coded as s in 9 bits) and whose length tree is empty. Lengths are sent through a pretree in which
 * symbol 0 is '0' and symbol 8 is '1' (a delta of 8 turns length 0 into 9: (0 - 8 + 17) mod 17).
 */
export function verbatimBlockW15(w: LzxBitWriter, blockSize: number, pretreeLengths?: number[]): void {
  w.bits(1, 3).bits(blockSize >>> 8, 16).bits(blockSize & 0xff, 8);
  const pre = pretreeLengths ?? Array.from({ length: 20 }, (_, i) => (i === 0 || i === 8 ? 1 : 0));
  const sendAll = (count: number, symbolBit: number): void => {
    for (const l of pre) w.bits(l, 4);
    for (let i = 0; i < count; i++) w.bits(symbolBit, 1);
  };
  sendAll(256, 1); // main tree, literals: every length 9
  sendAll(MAIN_SYMBOLS_W15 - 256, 1); // main tree, matches: every length 9
  sendAll(249, 0); // length tree: every length stays 0 (empty)
}

/** A match of `length` (2..8) with a position slot and its verbatim extra bits, in the tree above. */
export function writeMatch(w: LzxBitWriter, length: number, slot: number, extra = 0, extraBits = 0): void {
  w.bits(256 + slot * 8 + (length - 2), 9);
  if (extraBits > 0) w.bits(extra, extraBits);
}
