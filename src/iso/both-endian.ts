/**
 * ECMA-119 numeric field encoders (7.2–7.3). Every multi-byte number in a volume descriptor or
 * directory record is either single-endian (path tables) or "both-byte orders": the little-endian
 * value followed by the big-endian value. A value that does not fit is an error, never truncated.
 */
import { PatchdiscError } from '../errors.ts';

const MAX_U16 = 0xffff;
const MAX_U32 = 0xffff_ffff;

function assertFits(n: number, max: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new PatchdiscError('INTERNAL', `Cannot encode ${what}: ${n} does not fit (0..${max})`, {
      details: { value: n, max },
    });
  }
}

/** ECMA-119 7.3.3: 32-bit both-byte orders (8 bytes: LE then BE). */
export function writeBothEndian32(view: DataView, offset: number, n: number): void {
  assertFits(n, MAX_U32, `a 32-bit both-endian field at offset ${offset}`);
  view.setUint32(offset, n, true);
  view.setUint32(offset + 4, n, false);
}

/** ECMA-119 7.2.3: 16-bit both-byte orders (4 bytes: LE then BE). */
export function writeBothEndian16(view: DataView, offset: number, n: number): void {
  assertFits(n, MAX_U16, `a 16-bit both-endian field at offset ${offset}`);
  view.setUint16(offset, n, true);
  view.setUint16(offset + 2, n, false);
}

/** ECMA-119 7.3.1 / 7.3.2: a single-endian 32-bit field (path tables, path table locations). */
export function writeUint32(view: DataView, offset: number, n: number, littleEndian: boolean): void {
  assertFits(n, MAX_U32, `a 32-bit field at offset ${offset}`);
  view.setUint32(offset, n, littleEndian);
}

/** ECMA-119 7.2.1 / 7.2.2: a single-endian 16-bit field. */
export function writeUint16(view: DataView, offset: number, n: number, littleEndian: boolean): void {
  assertFits(n, MAX_U16, `a 16-bit field at offset ${offset}`);
  view.setUint16(offset, n, littleEndian);
}

/** ECMA-119 7.1.1: an 8-bit field. */
export function writeUint8(view: DataView, offset: number, n: number): void {
  assertFits(n, 0xff, `an 8-bit field at offset ${offset}`);
  view.setUint8(offset, n);
}

/** Both halves of a both-endian field, so a checker can tell when they disagree. */
export interface BothEndianValue {
  le: number;
  be: number;
}

/** Reads a 32-bit both-endian field without judging it. */
export function readBothEndian32(view: DataView, offset: number): BothEndianValue {
  return { le: view.getUint32(offset, true), be: view.getUint32(offset + 4, false) };
}

/** Reads a 16-bit both-endian field without judging it. */
export function readBothEndian16(view: DataView, offset: number): BothEndianValue {
  return { le: view.getUint16(offset, true), be: view.getUint16(offset + 2, false) };
}

/** A DataView over exactly the bytes of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
