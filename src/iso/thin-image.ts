/**
 * A thin image: a further subscriber's disc stored as its master plus the sectors where it differs
 * from it (its own files and the folders listing them, all in the reserved tail), where the
 * filesystem cannot share the master's blocks (ext4, tmpfs: no reflink). The image it stands for is
 * the master's bytes with each segment laid over them; `patchdisc iso export` writes it out (checking
 * its SHA-256), and openImageFile() reads it like an .iso.
 *
 * File format, version 1 (all of it deterministic, so a rerun writes the same bytes):
 *
 *   THIN_MAGIC                        "PATCHDISC THIN ISO 1\n" (21 bytes)
 *   header                            one line of UTF-8 JSON (ThinHeader), then "\n"
 *   segment bytes                     each segment's bytes in header order, then end of file
 */
import { PatchdiscError } from '../errors.ts';

export const THIN_MAGIC = 'PATCHDISC THIN ISO 1\n';
/** The file name suffix of a thin image: `<volume id>.iso.thin`. */
export const THIN_SUFFIX = '.thin';
/** A header longer than this is not one of ours. */
export const THIN_HEADER_MAX = 64 * 1024;

export interface ThinHeader {
  /** The master image, relative to the thin file's folder, '/'-separated. */
  master: string;
  /** The master's SHA-256 when this file was written (it has the image's size, `bytes`). */
  masterSha256: string;
  /** Size and SHA-256 of the image this file stands for; the master has the same size. */
  bytes: number;
  sha256: string;
  /** [image offset, length] of each stretch that differs from the master, ascending, disjoint. */
  segments: [number, number][];
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The bytes of a thin image file. */
export function encodeThinImage(header: ThinHeader, data: readonly Uint8Array[]): Buffer {
  const lengths = header.segments.map(([, length]) => length);
  if (data.length !== lengths.length || data.some((d, i) => d.length !== lengths[i])) {
    throw new PatchdiscError('INTERNAL', 'Cannot encode a thin image: its segment bytes do not match its header');
  }
  // Fixed key order: the same header always encodes to the same bytes.
  const json = JSON.stringify({
    master: header.master,
    masterSha256: header.masterSha256,
    bytes: header.bytes,
    sha256: header.sha256,
    segments: header.segments,
  } satisfies ThinHeader);
  return Buffer.concat([Buffer.from(THIN_MAGIC, 'latin1'), Buffer.from(`${json}\n`, 'utf8'), ...data]);
}

/** True when `head` (the first bytes of a file) starts like a thin image. */
export function isThinImage(head: Uint8Array): boolean {
  return Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, THIN_MAGIC.length)).toString('latin1') === THIN_MAGIC;
}

/**
 * Decodes the header from the first bytes of a thin image file (`head`, up to THIN_HEADER_MAX of
 * them) and where its segment bytes start in that file. Throws ISO_CORRUPT naming `path` when malformed.
 */
export function decodeThinHeader(head: Uint8Array, fileSize: number, path: string): { header: ThinHeader; dataAt: number } {
  const corrupt = (why: string): PatchdiscError =>
    new PatchdiscError('ISO_CORRUPT', `Cannot read thin image ${path}: ${why}; write the week's discs again with patchdisc build --week WEEK --remaster`);
  if (!isThinImage(head)) throw corrupt('it does not start with the thin image mark');
  const end = head.indexOf(0x0a, THIN_MAGIC.length);
  if (end < 0) throw corrupt(`no header line within the first ${head.length} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(head.buffer, head.byteOffset + THIN_MAGIC.length, end - THIN_MAGIC.length).toString('utf8'));
  } catch {
    throw corrupt('its header is not JSON');
  }
  const h = raw as Partial<Record<keyof ThinHeader, unknown>>;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (
    typeof raw !== 'object' || raw === null ||
    typeof h.master !== 'string' || h.master === '' || h.master.includes('\0') ||
    !whole(h.bytes) || !Array.isArray(h.segments) ||
    typeof h.sha256 !== 'string' || !HEX64.test(h.sha256) ||
    typeof h.masterSha256 !== 'string' || !HEX64.test(h.masterSha256)
  ) {
    throw corrupt('its header lacks a field or has one of the wrong type');
  }
  const segments: [number, number][] = [];
  let after = 0;
  let stored = 0;
  for (const seg of h.segments as unknown[]) {
    if (!Array.isArray(seg) || seg.length !== 2 || !whole(seg[0]) || !whole(seg[1]) || seg[1] === 0 || seg[0] < after || seg[0] + seg[1] > h.bytes) {
      throw corrupt('its segments are not ascending, disjoint stretches inside the image');
    }
    segments.push([seg[0], seg[1]]);
    after = seg[0] + seg[1];
    stored += seg[1];
  }
  const dataAt = end + 1;
  if (fileSize !== dataAt + stored) throw corrupt(`it has ${fileSize} bytes, its header says ${dataAt + stored}`);
  const header: ThinHeader = {
    master: h.master,
    masterSha256: h.masterSha256,
    bytes: h.bytes,
    sha256: h.sha256,
    segments,
  };
  return { header, dataAt };
}
