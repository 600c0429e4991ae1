/**
 * LZX decoder for cabinets ([MS-PATCH] LZX DELTA 2.x, without the delta extensions; CAB flavour as in
 * [MS-CAB] 2.5: one CFDATA block is one 32 KiB output frame, the bitstream is 16-bit little-endian
 * words read most-significant bit first, and the state persists across the frames of a folder).
 *
 * Hot path: `decodeCompressed` keeps the bit buffer in locals and decodes Huffman codes with a lookup
 * table; only codes longer than the table width take a slower path.
 */
import { PatchdiscError } from '../errors.ts';
import { ENTRY_LENGTH_BITS, ENTRY_LENGTH_MASK, ENTRY_LONG, HuffmanTree } from './huffman.ts';

export const LZX_FRAME_SIZE = 32_768;
export const LZX_NUM_CHARS = 256;
export const LZX_MIN_MATCH = 2;
export const LZX_NUM_PRIMARY_LENGTHS = 7;
export const LZX_NUM_SECONDARY_LENGTHS = 249;
export const LZX_PRETREE_SYMBOLS = 20;
export const LZX_PRETREE_LENGTH_BITS = 4;
export const LZX_ALIGNED_SYMBOLS = 8;
export const LZX_ALIGNED_LENGTH_BITS = 3;
export const LZX_BLOCK_VERBATIM = 1;
export const LZX_BLOCK_ALIGNED = 2;
export const LZX_BLOCK_UNCOMPRESSED = 3;
export const LZX_BLOCK_TYPE_BITS = 3;
/** Uncompressed blocks carry R0, R1, R2 as three 32-bit little-endian values. */
export const LZX_UNCOMPRESSED_HEADER_SIZE = 12;
/** E8 translation applies only to the first 32768 frames and frames longer than 10 bytes. */
export const LZX_E8_MAX_FRAMES = 32_768;
export const LZX_E8_MIN_FRAME = 10;
const E8_OPCODE = 0xe8;

/** Position slots per window size 2^15 .. 2^21 ([MS-PATCH] 2.2.2). */
const POSITION_SLOTS: Readonly<Record<number, number>> = { 15: 30, 16: 32, 17: 34, 18: 36, 19: 38, 20: 42, 21: 50 };
const MAX_SLOTS = 50;
const EXTRA_BITS = new Uint8Array(MAX_SLOTS);
const POSITION_BASE = new Int32Array(MAX_SLOTS + 1);
for (let i = 0; i < MAX_SLOTS; i++) {
  EXTRA_BITS[i] = i < 4 ? 0 : Math.min((i >> 1) - 1, 17);
  POSITION_BASE[i + 1] = POSITION_BASE[i]! + (1 << EXTRA_BITS[i]!);
}

const MAIN_TABLE_BITS = 12;
const LENGTH_TABLE_BITS = 10;
const PRETREE_TABLE_BITS = 8;
const ALIGNED_TABLE_BITS = 7;
/** Zero bytes appended to each input so the bit reader may look ahead without bounds checks. */
const INPUT_PAD = 16;

function corrupt(state: string): PatchdiscError {
  return new PatchdiscError('CAB_CORRUPT', `Cannot decode LZX: ${state}`);
}

export class LzxDecoder {
  readonly windowSize: number;
  private readonly window: Uint8Array;
  private readonly mainTree: HuffmanTree;
  private readonly lengthTree = new HuffmanTree(LZX_NUM_SECONDARY_LENGTHS, LENGTH_TABLE_BITS);
  private readonly alignedTree = new HuffmanTree(LZX_ALIGNED_SYMBOLS, ALIGNED_TABLE_BITS);
  private readonly preTree = new HuffmanTree(LZX_PRETREE_SYMBOLS, PRETREE_TABLE_BITS);
  /** Window write position, and where the next output frame begins. */
  private pos = 0;
  private frameStart = 0;
  /** Output bytes of all previous frames (the E8 position and the match-distance limit). */
  private outputOffset = 0;
  private frameIndex = 0;
  private r0 = 1;
  private r1 = 1;
  private r2 = 1;
  private streamHeaderRead = false;
  private e8FileSize = 0;
  private blockType = 0;
  private blockLength = 0;
  private blockRemaining = 0;
  // Bit reader over the current frame's input.
  private input = new Uint8Array(INPUT_PAD + 2);
  private inLen = 0;
  private inPos = 0;
  private bitBuf = 0;
  private bitCount = 0;

  constructor(readonly windowBits: number) {
    const slots = POSITION_SLOTS[windowBits];
    if (slots === undefined) throw corrupt(`window 2^${windowBits} is outside 2^15..2^21`);
    this.windowSize = 1 << windowBits;
    this.window = new Uint8Array(this.windowSize);
    this.mainTree = new HuffmanTree(LZX_NUM_CHARS + slots * 8, MAIN_TABLE_BITS);
  }

  /** Decode the next frame: `input` is one CFDATA block's data, `outputLength` its cbUncomp. */
  decode(input: Uint8Array, outputLength: number): Uint8Array {
    if (outputLength <= 0 || outputLength > LZX_FRAME_SIZE) throw corrupt(`frame of ${outputLength} bytes (must be 1..32768)`);
    const frameEnd = this.frameStart + outputLength;
    if (frameEnd > this.windowSize) throw corrupt('a short frame before the end of the folder breaks the window');
    this.setInput(input);
    if (!this.streamHeaderRead) {
      // Stream header: 1 bit "E8 translation on", then the 32-bit translation size, high half first.
      if (this.readBits(1) === 1) {
        const high = this.readBits(16);
        this.e8FileSize = ((high << 16) | this.readBits(16)) >>> 0;
      }
      this.streamHeaderRead = true;
    }
    // Each loop iteration outputs at least one byte (empty blocks are refused), so it is bounded.
    while (this.pos < frameEnd) {
      if (this.blockRemaining === 0) this.readBlockHeader();
      const want = Math.min(this.blockRemaining, frameEnd - this.pos);
      const produced = this.blockType === LZX_BLOCK_UNCOMPRESSED ? this.copyUncompressed(want) : this.decodeCompressed(want);
      this.blockRemaining -= produced;
    }
    if (this.inPos * 8 - this.bitCount > this.inLen * 8) throw corrupt('the frame reads past the end of its data');
    const out = this.window.slice(this.frameStart, frameEnd);
    if (this.e8FileSize !== 0 && this.frameIndex < LZX_E8_MAX_FRAMES && outputLength > LZX_E8_MIN_FRAME) {
      this.undoE8(out);
    }
    this.frameIndex++;
    this.outputOffset += outputLength;
    this.frameStart = frameEnd;
    if (frameEnd === this.windowSize) {
      this.frameStart = 0;
      this.pos = 0;
    }
    return out;
  }

  private setInput(input: Uint8Array): void {
    if (this.input.length < input.length + INPUT_PAD + 2) this.input = new Uint8Array(input.length + INPUT_PAD + 2);
    this.input.set(input);
    this.input.fill(0, input.length);
    this.inLen = input.length;
    this.inPos = 0;
    this.bitBuf = 0;
    this.bitCount = 0;
  }

  private refill(): void {
    while (this.bitCount <= 16) {
      if (this.inPos >= this.inLen + INPUT_PAD) throw corrupt('the data ends in the middle of the frame');
      this.bitBuf = (this.bitBuf << 16) | this.input[this.inPos]! | (this.input[this.inPos + 1]! << 8);
      this.inPos += 2;
      this.bitCount += 16;
    }
  }

  /** Read `n` <= 17 bits. */
  private readBits(n: number): number {
    if (n === 0) return 0;
    this.refill();
    this.bitCount -= n;
    return (this.bitBuf >>> this.bitCount) & ((1 << n) - 1);
  }

  private readSymbol(tree: HuffmanTree, what: string): number {
    this.refill();
    let entry = tree.table[(this.bitBuf >>> (this.bitCount - tree.bits)) & ((1 << tree.bits) - 1)]!;
    if (entry === ENTRY_LONG) entry = tree.decodeLong(this.bitBuf, this.bitCount);
    if (entry <= 0) throw corrupt(`invalid ${what} code`);
    this.bitCount -= entry & ENTRY_LENGTH_MASK;
    return entry >>> ENTRY_LENGTH_BITS;
  }

  private readBlockHeader(): void {
    this.blockType = this.readBits(LZX_BLOCK_TYPE_BITS);
    const high = this.readBits(16);
    this.blockLength = (high << 8) | this.readBits(8);
    this.blockRemaining = this.blockLength;
    if (this.blockLength === 0) throw corrupt('empty block');
    switch (this.blockType) {
      case LZX_BLOCK_ALIGNED:
        for (let i = 0; i < LZX_ALIGNED_SYMBOLS; i++) this.alignedTree.lengths[i] = this.readBits(LZX_ALIGNED_LENGTH_BITS);
        if (!this.alignedTree.build()) throw corrupt('invalid aligned offset tree');
        this.readMainAndLengthTrees();
        break;
      case LZX_BLOCK_VERBATIM:
        this.readMainAndLengthTrees();
        break;
      case LZX_BLOCK_UNCOMPRESSED:
        this.startUncompressed();
        break;
      default:
        throw corrupt(`unknown block type ${this.blockType}`);
    }
  }

  private readMainAndLengthTrees(): void {
    this.readLengths(this.mainTree, 0, LZX_NUM_CHARS);
    this.readLengths(this.mainTree, LZX_NUM_CHARS, this.mainTree.symbols);
    if (!this.mainTree.build() || this.mainTree.empty) throw corrupt('invalid main tree');
    this.readLengths(this.lengthTree, 0, LZX_NUM_SECONDARY_LENGTHS);
    if (!this.lengthTree.build()) throw corrupt('invalid length tree');
  }

  /** Code lengths [first, last) of `tree`, sent through a pretree as deltas mod 17 ([MS-PATCH] 2.2.3). */
  private readLengths(tree: HuffmanTree, first: number, last: number): void {
    const pre = this.preTree;
    for (let i = 0; i < LZX_PRETREE_SYMBOLS; i++) pre.lengths[i] = this.readBits(LZX_PRETREE_LENGTH_BITS);
    if (!pre.build() || pre.empty) throw corrupt('invalid pretree');
    const lens = tree.lengths;
    let x = first;
    while (x < last) {
      const code = this.readSymbol(pre, 'pretree');
      if (code === 17 || code === 18) {
        // Runs of zeros: 4 + 4 bits, or 20 + 5 bits. A run past `last` is clipped.
        const run = code === 17 ? 4 + this.readBits(4) : 20 + this.readBits(5);
        const end = Math.min(last, x + run);
        lens.fill(0, x, end);
        x = end;
      } else if (code === 19) {
        const run = 4 + this.readBits(1);
        const delta = this.readSymbol(pre, 'pretree');
        if (delta > 16) throw corrupt('invalid pretree run');
        const value = (lens[x]! - delta + 17) % 17;
        const end = Math.min(last, x + run);
        lens.fill(value, x, end);
        x = end;
      } else {
        lens[x] = (lens[x]! - code + 17) % 17;
        x++;
      }
    }
  }

  /** Align to 16 bits (1..16 bits of padding), then read R0..R2 from the next 12 bytes. */
  private startUncompressed(): void {
    this.refill();
    const spare = this.bitCount & 15;
    this.inPos -= 2 * (this.bitCount >> 4);
    if (spare === 0) this.inPos += 2;
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.inPos + LZX_UNCOMPRESSED_HEADER_SIZE > this.inLen) throw corrupt('uncompressed block header is truncated');
    const view = new DataView(this.input.buffer, this.input.byteOffset + this.inPos, LZX_UNCOMPRESSED_HEADER_SIZE);
    this.r0 = view.getUint32(0, true);
    this.r1 = view.getUint32(4, true);
    this.r2 = view.getUint32(8, true);
    this.inPos += LZX_UNCOMPRESSED_HEADER_SIZE;
  }

  private copyUncompressed(want: number): number {
    if (this.inPos + want > this.inLen) throw corrupt('uncompressed block data is truncated');
    this.window.set(this.input.subarray(this.inPos, this.inPos + want), this.pos);
    this.inPos += want;
    this.pos += want;
    // An odd-length uncompressed block is followed by one padding byte; the next header is byte-aligned.
    if (want === this.blockRemaining && (this.blockLength & 1) === 1 && this.inPos < this.inLen) this.inPos++;
    return want;
  }

  /**
   * Decode literals and matches of a verbatim or aligned block until at least `want` bytes are out.
   * The last match may run past `want` (into the next frame) but never past the block or the window.
   */
  private decodeCompressed(want: number): number {
    const win = this.window;
    const windowSize = this.windowSize;
    const input = this.input;
    const inLimit = this.inLen + INPUT_PAD;
    const aligned = this.blockType === LZX_BLOCK_ALIGNED;
    const mainTree = this.mainTree;
    const mainTable = mainTree.table;
    const lengthTree = this.lengthTree;
    const lengthTable = lengthTree.table;
    const alignedTable = this.alignedTree.table;
    const mainShiftMask = (1 << MAIN_TABLE_BITS) - 1;
    const lengthMask = (1 << LENGTH_TABLE_BITS) - 1;
    const alignedMask = (1 << ALIGNED_TABLE_BITS) - 1;
    const start = this.pos;
    const target = start + want;
    const blockEnd = Math.min(start + this.blockRemaining, windowSize);
    // Bytes written before window position 0 of this pass: a match may reach no further back.
    const historyBase = this.outputOffset - this.frameStart;
    let pos = start;
    let bitBuf = this.bitBuf;
    let bitCount = this.bitCount;
    let inPos = this.inPos;
    let r0 = this.r0;
    let r1 = this.r1;
    let r2 = this.r2;
    try {
      while (pos < target) {
        while (bitCount <= 16) {
          if (inPos >= inLimit) throw corrupt('the data ends in the middle of the frame');
          bitBuf = (bitBuf << 16) | input[inPos]! | (input[inPos + 1]! << 8);
          inPos += 2;
          bitCount += 16;
        }
        let entry = mainTable[(bitBuf >>> (bitCount - MAIN_TABLE_BITS)) & mainShiftMask]!;
        if (entry === ENTRY_LONG) entry = mainTree.decodeLong(bitBuf, bitCount);
        if (entry <= 0) throw corrupt('invalid main tree code');
        bitCount -= entry & ENTRY_LENGTH_MASK;
        let symbol = entry >>> ENTRY_LENGTH_BITS;
        if (symbol < LZX_NUM_CHARS) {
          win[pos++] = symbol;
          continue;
        }
        symbol -= LZX_NUM_CHARS;
        let length = symbol & LZX_NUM_PRIMARY_LENGTHS;
        const slot = symbol >>> 3;
        if (length === LZX_NUM_PRIMARY_LENGTHS) {
          while (bitCount <= 16) {
            if (inPos >= inLimit) throw corrupt('the data ends in the middle of the frame');
            bitBuf = (bitBuf << 16) | input[inPos]! | (input[inPos + 1]! << 8);
            inPos += 2;
            bitCount += 16;
          }
          let le = lengthTable[(bitBuf >>> (bitCount - LENGTH_TABLE_BITS)) & lengthMask]!;
          if (le === ENTRY_LONG) le = lengthTree.decodeLong(bitBuf, bitCount);
          if (le <= 0) throw corrupt('invalid length tree code');
          bitCount -= le & ENTRY_LENGTH_MASK;
          length += le >>> ENTRY_LENGTH_BITS;
        }
        length += LZX_MIN_MATCH;
        let offset: number;
        if (slot > 2) {
          const extra = EXTRA_BITS[slot]!;
          while (bitCount <= 16) {
            if (inPos >= inLimit) throw corrupt('the data ends in the middle of the frame');
            bitBuf = (bitBuf << 16) | input[inPos]! | (input[inPos + 1]! << 8);
            inPos += 2;
            bitCount += 16;
          }
          // Offsets are stored plus 2 ([MS-PATCH] 2.2.1: formatted offset = real offset + 2).
          offset = POSITION_BASE[slot]! - 2;
          if (aligned && extra >= 3) {
            const verbatimBits = extra - 3;
            if (verbatimBits > 0) {
              bitCount -= verbatimBits;
              offset += ((bitBuf >>> bitCount) & ((1 << verbatimBits) - 1)) << 3;
              while (bitCount <= 16) {
                if (inPos >= inLimit) throw corrupt('the data ends in the middle of the frame');
                bitBuf = (bitBuf << 16) | input[inPos]! | (input[inPos + 1]! << 8);
                inPos += 2;
                bitCount += 16;
              }
            }
            const ae = alignedTable[(bitBuf >>> (bitCount - ALIGNED_TABLE_BITS)) & alignedMask]!;
            if (ae <= 0) throw corrupt('invalid aligned offset code');
            bitCount -= ae & ENTRY_LENGTH_MASK;
            offset += ae >>> ENTRY_LENGTH_BITS;
          } else if (extra > 0) {
            bitCount -= extra;
            offset += (bitBuf >>> bitCount) & ((1 << extra) - 1);
          }
          r2 = r1;
          r1 = r0;
          r0 = offset;
        } else if (slot === 0) {
          offset = r0;
        } else if (slot === 1) {
          offset = r1;
          r1 = r0;
          r0 = offset;
        } else {
          offset = r2;
          r2 = r0;
          r0 = offset;
        }
        if (offset <= 0 || offset > historyBase + pos || offset > windowSize) {
          throw corrupt(`match distance ${offset} reaches before the start of the data`);
        }
        if (pos + length > blockEnd) throw corrupt('match runs past the end of its block or the window');
        let src = pos - offset;
        if (src < 0) src += windowSize;
        if (offset >= length && src + length <= windowSize && length > 32) {
          win.copyWithin(pos, src, src + length);
          pos += length;
        } else if (src + length <= windowSize) {
          const end = pos + length;
          while (pos < end) win[pos++] = win[src++]!;
        } else {
          for (let k = 0; k < length; k++) {
            win[pos++] = win[src++]!;
            if (src === windowSize) src = 0;
          }
        }
      }
    } finally {
      this.bitBuf = bitBuf;
      this.bitCount = bitCount;
      this.inPos = inPos;
      this.r0 = r0;
      this.r1 = r1;
      this.r2 = r2;
      this.pos = pos;
    }
    return pos - start;
  }

  /** Undo the encoder's E8 (x86 CALL) translation on one output frame ([MS-PATCH] 2.4). */
  private undoE8(out: Uint8Array): void {
    const fileSize = this.e8FileSize | 0;
    const limit = out.length - LZX_E8_MIN_FRAME;
    let i = 0;
    while (i < limit) {
      if (out[i] !== E8_OPCODE) {
        i++;
        continue;
      }
      const current = this.outputOffset + i;
      const abs = out[i + 1]! | (out[i + 2]! << 8) | (out[i + 3]! << 16) | (out[i + 4]! << 24);
      if (abs >= -current && abs < fileSize) {
        const rel = abs >= 0 ? abs - current : abs + fileSize;
        out[i + 1] = rel & 0xff;
        out[i + 2] = (rel >>> 8) & 0xff;
        out[i + 3] = (rel >>> 16) & 0xff;
        out[i + 4] = (rel >>> 24) & 0xff;
      }
      i += 5;
    }
  }
}
