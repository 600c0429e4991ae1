import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { LzxDecoder } from '../../../src/cab/lzx-decoder.ts';
import { LzxBitWriter, verbatimBlockW15, writeMatch } from './cab-builder.ts';

function expectCorrupt(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isPatchdiscError(caught, 'CAB_CORRUPT'), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
}

function uncompressedStream(data: Uint8Array, e8FileSize?: number): Uint8Array {
  const w = new LzxBitWriter();
  if (e8FileSize === undefined) w.bits(0, 1);
  else w.bits(1, 1).bits(e8FileSize >>> 16, 16).bits(e8FileSize & 0xffff, 16);
  w.bits(3, 3).bits(data.length >>> 8, 16).bits(data.length & 0xff, 8).alignForUncompressed();
  const r = Buffer.alloc(12);
  r.writeUInt32LE(1, 0);
  r.writeUInt32LE(1, 4);
  r.writeUInt32LE(1, 8);
  const pad = data.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return w.bytes(Buffer.concat([r, data, pad]));
}

describe('LzxDecoder', () => {
  it('decodes an uncompressed block after 1..16 bits of alignment padding', () => {
    const out = new LzxDecoder(15).decode(uncompressedStream(Buffer.from('hello')), 5);
    expect(Buffer.from(out).toString()).toBe('hello');
  });

  it('continues an uncompressed block across two frames', () => {
    const data = Buffer.alloc(32_770);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const stream = uncompressedStream(data);
    const split = stream.length - 2; // the last two data bytes belong to the second frame
    const dec = new LzxDecoder(16);
    const a = dec.decode(stream.subarray(0, split), 32_768);
    const b = dec.decode(stream.subarray(split), 2);
    expect(Buffer.concat([a, b]).equals(data)).toBe(true);
  });

  it('decodes literals, a new match and a repeated-offset match in a verbatim block', () => {
    const w = new LzxBitWriter().bits(0, 1);
    verbatimBlockW15(w, 12);
    for (const c of 'abc') w.bits(c.charCodeAt(0), 9);
    writeMatch(w, 6, 4, 1, 1); // slot 4, extra 1 -> distance 4 - 2 + 1 = 3
    writeMatch(w, 3, 0); // R0 = 3
    const out = new LzxDecoder(15).decode(w.flush().bytes(), 12);
    expect(Buffer.from(out).toString()).toBe('abcabcabcabc');
  });

  it('refuses a match distance beyond the data written so far', () => {
    const w = new LzxBitWriter().bits(0, 1);
    verbatimBlockW15(w, 4);
    w.bits(0x61, 9);
    writeMatch(w, 3, 4, 1, 1); // distance 3 with only 1 byte written
    expectCorrupt(() => new LzxDecoder(15).decode(w.flush().bytes(), 4), /match distance 3/);
  });

  it('refuses a match that runs past the end of its block', () => {
    const w = new LzxBitWriter().bits(0, 1);
    verbatimBlockW15(w, 4);
    w.bits(0x61, 9);
    writeMatch(w, 8, 3); // slot 3 = distance 1, 8 bytes into a 4-byte block
    expectCorrupt(() => new LzxDecoder(15).decode(w.flush().bytes(), 4), /past the end of its block/);
  });

  it('refuses an over-subscribed pretree (a corrupt LZX tree)', () => {
    const w = new LzxBitWriter().bits(0, 1);
    verbatimBlockW15(w, 4, new Array<number>(20).fill(1));
    expectCorrupt(() => new LzxDecoder(15).decode(w.flush().bytes(), 4), /invalid pretree/);
  });

  it('refuses truncated input instead of reading past it', () => {
    const w = new LzxBitWriter().bits(0, 1);
    verbatimBlockW15(w, 200);
    for (let i = 0; i < 200; i++) w.bits(0x61 + (i % 26), 9);
    const full = w.flush().bytes();
    expect(Buffer.from(new LzxDecoder(15).decode(full, 200)).subarray(0, 3).toString()).toBe('abc');
    expectCorrupt(() => new LzxDecoder(15).decode(full.subarray(0, 200), 200), /ends in the middle|past the end/);
  });

  it('refuses an unknown block type and frames larger than 32768 bytes', () => {
    const w = new LzxBitWriter().bits(0, 1).bits(5, 3).bits(0, 16).bits(4, 8).flush();
    expectCorrupt(() => new LzxDecoder(15).decode(w.bytes(), 4), /unknown block type 5/);
    expectCorrupt(() => new LzxDecoder(15).decode(new Uint8Array(4), 40_000), /frame of 40000 bytes/);
  });

  it('undoes E8 call translation within the translation size and leaves other operands alone', () => {
    const data = Buffer.alloc(32);
    data[5] = 0xe8;
    data.writeInt32LE(105, 6); // absolute 105 at position 5 -> relative 100
    data[12] = 0xe8;
    data.writeInt32LE(5000, 13); // beyond the translation size: untouched
    const out = Buffer.from(new LzxDecoder(15).decode(uncompressedStream(data, 1000), 32));
    expect(out.readInt32LE(6)).toBe(100);
    expect(out.readInt32LE(13)).toBe(5000);
  });

  it('refuses window sizes outside 2^15..2^21', () => {
    expectCorrupt(() => new LzxDecoder(22), /window 2\^22/);
  });
});
