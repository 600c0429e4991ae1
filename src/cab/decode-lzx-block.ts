/**
 * The hot loop of the LZX decoder (lzx-decoder.ts): literals and matches of a verbatim or aligned
 * block ([MS-PATCH] 2.2.1 match format, 2.2.2 position slots, 2.3.1 block contents). The bit buffer,
 * input position and repeated offsets live in locals for the whole call and are written back to the
 * decoder state at the end; Huffman codes are decoded through lookup tables, and only codes longer
 * than a table's width take HuffmanTree.decodeLong().
 */
import { PatchdiscError } from '../errors.ts';
import { ENTRY_LENGTH_BITS, ENTRY_LENGTH_MASK, ENTRY_LONG, type HuffmanTree } from './huffman.ts';

export const LZX_NUM_CHARS = 256;
export const LZX_MIN_MATCH = 2;
export const LZX_NUM_PRIMARY_LENGTHS = 7;
export const LZX_NUM_SECONDARY_LENGTHS = 249;
export const LZX_ALIGNED_SYMBOLS = 8;
export const LZX_BLOCK_VERBATIM = 1;
export const LZX_BLOCK_ALIGNED = 2;
export const LZX_BLOCK_UNCOMPRESSED = 3;

/** Position slots per window size 2^15 .. 2^21 ([MS-PATCH] 2.2.2); also sizes the main tree. */
export const POSITION_SLOTS: Readonly<Record<number, number>> = { 15: 30, 16: 32, 17: 34, 18: 36, 19: 38, 20: 42, 21: 50 };
const MAX_SLOTS = 50;
const EXTRA_BITS = new Uint8Array(MAX_SLOTS);
const POSITION_BASE = new Int32Array(MAX_SLOTS + 1);
for (let i = 0; i < MAX_SLOTS; i++) {
  EXTRA_BITS[i] = i < 4 ? 0 : Math.min((i >> 1) - 1, 17);
  POSITION_BASE[i + 1] = POSITION_BASE[i]! + (1 << EXTRA_BITS[i]!);
}

export const MAIN_TABLE_BITS = 12;
export const LENGTH_TABLE_BITS = 10;
export const ALIGNED_TABLE_BITS = 7;
/** Zero bytes appended to each input so the bit reader may look ahead without bounds checks. */
export const INPUT_PAD = 16;

/** The CAB_CORRUPT error for LZX data that breaks the format in the way `state` says. */
export function corrupt(state: string): PatchdiscError {
  return new PatchdiscError('CAB_CORRUPT', `Cannot decode LZX: ${state}`);
}

/** The decoder state decodeLzxBlock() reads and advances (LzxDecoder implements it). */
export interface LzxBlockState {
  readonly window: Uint8Array;
  readonly windowSize: number;
  readonly mainTree: HuffmanTree;
  readonly lengthTree: HuffmanTree;
  readonly alignedTree: HuffmanTree;
  /** The current frame's input, padded with INPUT_PAD zero bytes after `inLen`. */
  readonly input: Uint8Array;
  readonly inLen: number;
  readonly blockType: number;
  readonly blockRemaining: number;
  /** Output bytes of all previous frames, and where the current frame begins in the window. */
  readonly outputOffset: number;
  readonly frameStart: number;
  inPos: number;
  bitBuf: number;
  bitCount: number;
  r0: number;
  r1: number;
  r2: number;
  /** Window write position. */
  pos: number;
}

/**
 * Decodes literals and matches of the current verbatim or aligned block until at least `want` bytes
 * are out; returns how many were. The last match may run past `want` (into the next frame) but never
 * past the block or the window.
 */
export function decodeLzxBlock(state: LzxBlockState, want: number): number {
  const win = state.window;
  const windowSize = state.windowSize;
  const input = state.input;
  const inLimit = state.inLen + INPUT_PAD;
  const aligned = state.blockType === LZX_BLOCK_ALIGNED;
  const mainTree = state.mainTree;
  const mainTable = mainTree.table;
  const lengthTree = state.lengthTree;
  const lengthTable = lengthTree.table;
  const alignedTable = state.alignedTree.table;
  const mainShiftMask = (1 << MAIN_TABLE_BITS) - 1;
  const lengthMask = (1 << LENGTH_TABLE_BITS) - 1;
  const alignedMask = (1 << ALIGNED_TABLE_BITS) - 1;
  const start = state.pos;
  const target = start + want;
  const blockEnd = Math.min(start + state.blockRemaining, windowSize);
  // Bytes written before window position 0 of this pass: a match may reach no further back.
  const historyBase = state.outputOffset - state.frameStart;
  let pos = start;
  let bitBuf = state.bitBuf;
  let bitCount = state.bitCount;
  let inPos = state.inPos;
  let r0 = state.r0;
  let r1 = state.r1;
  let r2 = state.r2;
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
    state.bitBuf = bitBuf;
    state.bitCount = bitCount;
    state.inPos = inPos;
    state.r0 = r0;
    state.r1 = r1;
    state.r2 = r2;
    state.pos = pos;
  }
  return pos - start;
}
