/**
 * A further subscriber's tail as its master's tail with some sectors replaced: what the image hash,
 * the thin image and the clone's rewrite need, without a full copy of the tail per subscriber.
 */

/** Bytes at `at` (an offset into the master's tail) that replace the master's there. */
export interface TailPatch {
  at: number;
  data: Uint8Array;
}

/** Zero bytes handed out in pieces of this size (the padding after the tail is hashed too). */
const ZERO_PIECE = new Uint8Array(64 * 1024);

/**
 * Calls `each` with the bytes of `base` with `patches` (ascending, disjoint, inside `base`) laid over
 * it, then `zeros` zero bytes, in order, as views (never copies).
 */
export function forEachPatchedPiece(base: Uint8Array, patches: readonly TailPatch[], zeros: number, each: (piece: Uint8Array) => void): void {
  let at = 0;
  for (const p of patches) {
    if (p.at > at) each(base.subarray(at, p.at));
    each(p.data);
    at = p.at + p.data.length;
  }
  if (at < base.length) each(base.subarray(at));
  for (let left = zeros; left > 0; left -= ZERO_PIECE.length) each(ZERO_PIECE.subarray(0, Math.min(left, ZERO_PIECE.length)));
}

/** `base` with `patches` laid over it, as one new array. */
export function applyPatches(base: Uint8Array, patches: readonly TailPatch[]): Uint8Array {
  const out = base.slice();
  for (const p of patches) out.set(p.data, p.at);
  return out;
}

/** Whole-sector patches turning `base` into `tail` (same size): runs of differing sectors. */
export function diffPatches(base: Uint8Array, tail: Uint8Array, sectorSize = 2048): TailPatch[] {
  if (base.length !== tail.length) throw new RangeError(`Cannot diff tails of ${base.length} and ${tail.length} bytes`);
  const a = Buffer.from(base.buffer, base.byteOffset, base.length);
  const b = Buffer.from(tail.buffer, tail.byteOffset, tail.length);
  const out: TailPatch[] = [];
  let runStart = -1;
  for (let at = 0; at <= b.length; at += sectorSize) {
    const end = Math.min(at + sectorSize, b.length);
    const differs = at < b.length && a.compare(b, at, end, at, end) !== 0;
    if (differs && runStart < 0) runStart = at;
    if (!differs && runStart >= 0) {
      out.push({ at: runStart, data: b.subarray(runStart, at) });
      runStart = -1;
    }
  }
  return out;
}
