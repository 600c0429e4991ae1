/**
 * Canonical Huffman decoding tables for LZX ([MS-PATCH] 2.2: codes are assigned in order of length,
 * then symbol; bits are read most-significant first; code lengths are 0..16).
 *
 * `table` maps the next `bits` input bits to `(symbol << ENTRY_LENGTH_BITS) | length` for codes no
 * longer than `bits`, to ENTRY_LONG when the code is longer (see `decodeLong`), and to ENTRY_NONE when
 * no code starts with those bits (an incomplete code, so the input is corrupt).
 */
export const MAX_CODE_LENGTH = 16;
export const ENTRY_LENGTH_BITS = 5;
export const ENTRY_LENGTH_MASK = (1 << ENTRY_LENGTH_BITS) - 1;
export const ENTRY_NONE = 0;
export const ENTRY_LONG = -1;

export class HuffmanTree {
  /** Code length per symbol; kept between blocks because LZX sends lengths as deltas. */
  readonly lengths: Uint8Array;
  readonly table: Int32Array;
  /** True when no symbol has a code (allowed for a tree that the block never uses). */
  empty = true;
  private readonly count = new Int32Array(MAX_CODE_LENGTH + 1);
  private readonly firstCode = new Int32Array(MAX_CODE_LENGTH + 1);
  private readonly firstIndex = new Int32Array(MAX_CODE_LENGTH + 1);
  private readonly sorted: Uint16Array;

  constructor(
    readonly symbols: number,
    readonly bits: number,
  ) {
    this.lengths = new Uint8Array(symbols);
    this.table = new Int32Array(1 << bits);
    this.sorted = new Uint16Array(symbols);
  }

  /** Rebuild the tables from `lengths`. Returns false for an over-subscribed (impossible) code. */
  build(): boolean {
    const { lengths, count, firstCode, firstIndex, sorted, table, bits } = this;
    count.fill(0);
    for (let s = 0; s < this.symbols; s++) count[lengths[s]!]!++;
    count[0] = 0;
    let left = 1;
    for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
      left = (left << 1) - count[len]!;
      if (left < 0) return false;
    }
    this.empty = left === 1 << MAX_CODE_LENGTH;
    let code = 0;
    let index = 0;
    for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
      code = (code + count[len - 1]!) << 1;
      firstCode[len] = code;
      firstIndex[len] = index;
      index += count[len]!;
    }
    const next = firstIndex.slice();
    for (let s = 0; s < this.symbols; s++) {
      const len = lengths[s]!;
      if (len !== 0) sorted[next[len]!++] = s;
    }
    table.fill(ENTRY_NONE);
    for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
      const n = count[len]!;
      for (let k = 0; k < n; k++) {
        const c = firstCode[len]! + k;
        const sym = sorted[firstIndex[len]! + k]!;
        if (len <= bits) {
          const shift = bits - len;
          const entry = (sym << ENTRY_LENGTH_BITS) | len;
          table.fill(entry, c << shift, (c + 1) << shift);
        } else {
          table[c >>> (len - bits)] = ENTRY_LONG;
        }
      }
    }
    return true;
  }

  /**
   * Decode a code longer than `bits` from the top `bitCount` bits of `bitBuf` (bitCount >= 16).
   * Returns an entry like the table's, or ENTRY_NONE when no code matches.
   */
  decodeLong(bitBuf: number, bitCount: number): number {
    for (let len = this.bits + 1; len <= MAX_CODE_LENGTH; len++) {
      const code = (bitBuf >>> (bitCount - len)) & ((1 << len) - 1);
      const idx = code - this.firstCode[len]!;
      if (idx >= 0 && idx < this.count[len]!) return (this.sorted[this.firstIndex[len]! + idx]! << ENTRY_LENGTH_BITS) | len;
    }
    return ENTRY_NONE;
  }

  /** Forget all lengths (LZX folder reset). */
  reset(): void {
    this.lengths.fill(0);
    this.empty = true;
  }
}
