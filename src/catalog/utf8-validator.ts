/**
 * Checks that a byte stream is well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates,
 * nothing above U+10FFFF) chunk by chunk, without decoding it. The bulk of each chunk goes through
 * Node's native `isUtf8`; only a sequence cut by a chunk boundary (at most 3 bytes) is carried over.
 */
import { isUtf8 } from 'node:buffer';

/** Longest UTF-8 sequence (RFC 3629 §3). */
const MAX_SEQUENCE = 4;

/** Length of the sequence a lead byte starts, or 0 for a byte that cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * Offset of the first byte of `bytes` that does not belong to a well-formed sequence (bytes cut off
 * at the end count as ill-formed). Only used to locate an error, so plain code over speed.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes[i] as number);
    if (n === 0 || i + n > bytes.length || !isUtf8(bytes.subarray(i, i + n))) return i;
    i += n;
  }
  return bytes.length;
}

export class Utf8Validator {
  /** Bytes of a sequence started at the end of the previous chunk. */
  private pending: Uint8Array = new Uint8Array(0);
  /** Bytes accepted so far, pending ones excluded. */
  private checked = 0;

  /**
   * Checks the next chunk. Returns -1 when it is fine so far, else the absolute offset of the first
   * ill-formed byte.
   */
  push(chunk: Uint8Array): number {
    let start = 0;
    if (this.pending.length > 0) {
      const need = sequenceLength(this.pending[0] as number) - this.pending.length;
      const joined = new Uint8Array(this.pending.length + Math.min(need, chunk.length));
      joined.set(this.pending);
      joined.set(chunk.subarray(0, need), this.pending.length);
      if (joined.length < this.pending.length + need) {
        // Still cut off: check the prefix by completing it with the smallest continuation bytes.
        if (!isPrefixOfValid(joined)) return this.checked + firstInvalidUtf8(joined);
        this.pending = joined;
        return -1;
      }
      if (!isUtf8(joined)) return this.checked + firstInvalidUtf8(joined);
      this.checked += joined.length;
      this.pending = new Uint8Array(0);
      start = need;
    }
    const end = cutIncompleteTail(chunk, start);
    if (!isUtf8(chunk.subarray(start, end))) return this.checked + firstInvalidUtf8(chunk.subarray(start, end));
    this.checked += end - start;
    const tail = chunk.subarray(end);
    if (tail.length > 0 && !isPrefixOfValid(tail)) return this.checked + firstInvalidUtf8(tail);
    this.pending = tail.slice();
    return -1;
  }

  /** Call at the end of the stream: returns the offset of a sequence cut off by it, or -1. */
  end(): number {
    return this.pending.length > 0 ? this.checked : -1;
  }
}

/** End of the complete sequences of `chunk[start..]`: a final sequence that runs past the end is left out. */
function cutIncompleteTail(chunk: Uint8Array, start: number): number {
  const len = chunk.length;
  for (let back = 1; back <= Math.min(MAX_SEQUENCE - 1, len - start); back += 1) {
    const byte = chunk[len - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    const n = sequenceLength(byte);
    return n > back ? len - back : len;
  }
  return len;
}

/** True when `bytes` (shorter than its lead byte announces) can still become a valid sequence. */
function isPrefixOfValid(bytes: Uint8Array): boolean {
  const n = sequenceLength(bytes[0] as number);
  if (n <= bytes.length) return false;
  // Try the continuations a valid sequence could have next (RFC 3629 §4 restricts only the second byte).
  const probe = new Uint8Array(n);
  probe.set(bytes);
  for (const second of [0x80, 0x90, 0xa0, 0xbf, 0x8f, 0x9f]) {
    if (bytes.length === 1) probe[1] = second;
    for (let k = Math.max(2, bytes.length); k < n; k += 1) probe[k] = 0x80;
    if (isUtf8(probe)) return true;
    if (bytes.length > 1) return false;
  }
  return false;
}
