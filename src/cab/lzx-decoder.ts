/**
 * LZX decoder for cabinets ([MS-PATCH] LZX DELTA 2.x, without the delta extensions; CAB flavour as in
 * [MS-CAB] 2.5: one CFDATA block is one 32 KiB output frame, the bitstream is 16-bit little-endian
 * words read most-significant bit first, and the state persists across the frames of a folder).
 *
 * This file reads the stream and block headers, the code lengths of the Huffman trees, uncompressed
 * blocks and undoes E8 translation; the hot loop over literals and matches is decode-lzx-block.ts.
 */
import { ENTRY_LENGTH_BITS, ENTRY_LENGTH_MASK, ENTRY_LONG, HuffmanTree } from './huffman.ts';
import {
  ALIGNED_TABLE_BITS,
  INPUT_PAD,
  LENGTH_TABLE_BITS,
  LZX_ALIGNED_SYMBOLS,
  LZX_BLOCK_ALIGNED,
  LZX_BLOCK_UNCOMPRESSED,
  LZX_BLOCK_VERBATIM,
  LZX_NUM_CHARS,
  LZX_NUM_SECONDARY_LENGTHS,
  MAIN_TABLE_BITS,
  POSITION_SLOTS,
  corrupt,
  decodeLzxBlock,
  type LzxBlockState,
} from './decode-lzx-block.ts';

export const LZX_FRAME_SIZE = 32_768;
export const LZX_PRETREE_SYMBOLS = 20;
export const LZX_PRETREE_LENGTH_BITS = 4;
export const LZX_ALIGNED_LENGTH_BITS = 3;
export const LZX_BLOCK_TYPE_BITS = 3;
/** Uncompressed blocks carry R0, R1, R2 as three 32-bit little-endian values. */
export const LZX_UNCOMPRESSED_HEADER_SIZE = 12;
/** E8 translation applies only to the first 32768 frames and frames longer than 10 bytes. */
export const LZX_E8_MAX_FRAMES = 32_768;
export const LZX_E8_MIN_FRAME = 10;
const E8_OPCODE = 0xe8;
const PRETREE_TABLE_BITS = 8;

/**
 * Decodes the frames of one folder in order. The LzxBlockState fields are public only for
 * decodeLzxBlock(); nothing else should touch them.
 */
export class LzxDecoder implements LzxBlockState {
  readonly windowSize: number;
  readonly window: Uint8Array;
  readonly mainTree: HuffmanTree;
  readonly lengthTree = new HuffmanTree(LZX_NUM_SECONDARY_LENGTHS, LENGTH_TABLE_BITS);
  readonly alignedTree = new HuffmanTree(LZX_ALIGNED_SYMBOLS, ALIGNED_TABLE_BITS);
  private readonly preTree = new HuffmanTree(LZX_PRETREE_SYMBOLS, PRETREE_TABLE_BITS);
  /** Window write position, and where the next output frame begins. */
  pos = 0;
  frameStart = 0;
  /** Output bytes of all previous frames (the E8 position and the match-distance limit). */
  outputOffset = 0;
  private frameIndex = 0;
  r0 = 1;
  r1 = 1;
  r2 = 1;
  private streamHeaderRead = false;
  private e8FileSize = 0;
  blockType = 0;
  private blockLength = 0;
  blockRemaining = 0;
  // Bit reader over the current frame's input.
  input = new Uint8Array(INPUT_PAD + 2);
  inLen = 0;
  inPos = 0;
  bitBuf = 0;
  bitCount = 0;

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
      const produced = this.blockType === LZX_BLOCK_UNCOMPRESSED ? this.copyUncompressed(want) : decodeLzxBlock(this, want);
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
