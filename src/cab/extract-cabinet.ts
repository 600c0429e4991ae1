/**
 * Extract every member of a cabinet into a directory. Each folder is decoded once, front to back;
 * every file is written under a temporary name, hashed while written, and renamed when complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PatchdiscError } from '../errors.ts';
import { CabinetReader } from './open-cabinet.ts';
import type { CabMember, Cabinet } from './open-cabinet.ts';

export interface ExtractedFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * The path segments of a member name (`\` or `/` separate folders). Absolute names, drive letters,
 * empty, `.` and `..` components and control characters are refused with NAME_INVALID.
 */
export function memberPathSegments(name: string, label: string): string[] {
  const refuse = (why: string): PatchdiscError =>
    new PatchdiscError('NAME_INVALID', `Cannot extract ${JSON.stringify(name)} from ${label}: the name ${why}; the cabinet is not safe to extract`, {
      details: { cabinet: label, member: name },
    });
  if (/^[A-Za-z]:/.test(name)) throw refuse('starts with a drive letter');
  if (name.startsWith('\\') || name.startsWith('/')) throw refuse('is absolute');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(name)) throw refuse('contains control characters');
  const parts = name.split(/[\\/]/);
  for (const part of parts) {
    if (part === '..') throw refuse('climbs out of the target directory');
    if (part === '' || part === '.') throw refuse('has an empty path component');
  }
  return parts;
}

class MemberWriter {
  private handle: FileHandle | undefined;
  private readonly hash: Hash = createHash('sha256');
  private written = 0;
  readonly temp: string;

  constructor(
    readonly member: CabMember,
    readonly path: string,
  ) {
    this.temp = `${path}.partial-${randomBytes(6).toString('hex')}`;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.handle === undefined) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.temp, 'wx');
    }
    this.hash.update(data);
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done);
      done += bytesWritten;
    }
    this.written += data.length;
  }

  async finish(label: string): Promise<ExtractedFile> {
    if (this.written !== this.member.size) {
      throw new PatchdiscError('CAB_CORRUPT', `Cannot extract ${this.member.name} from ${label}: got ${this.written} of ${this.member.size} bytes`);
    }
    if (this.handle === undefined) await this.write(new Uint8Array(0));
    await this.handle!.close();
    this.handle = undefined;
    await rename(this.temp, this.path);
    return { path: this.path, size: this.written, sha256: this.hash.digest('hex') };
  }

  async abandon(): Promise<void> {
    if (this.handle !== undefined) await this.handle.close().catch(() => {});
    this.handle = undefined;
    await rm(this.temp, { force: true });
  }
}

/** Extract the members of one folder with one decoding pass. */
async function extractFolder(
  cab: CabinetReader,
  folderIndex: number,
  writers: MemberWriter[],
  signal: AbortSignal | undefined,
): Promise<Map<MemberWriter, ExtractedFile>> {
  const done = new Map<MemberWriter, ExtractedFile>();
  const pending = writers.filter((w) => w.member.size > 0).sort((a, b) => a.member.offset - b.member.offset);
  for (const w of writers) if (w.member.size === 0) done.set(w, await w.finish(cab.label));
  if (pending.length === 0) return done;
  const until = Math.max(...pending.map((w) => w.member.offset + w.member.size));
  // Failures name the first member still being written.
  const current = (): string => (pending.find((w) => !done.has(w)) ?? pending[0]!).member.name;
  try {
    for await (const chunk of cab.folderChunks(folderIndex, until, current, signal)) {
      const chunkEnd = chunk.offset + chunk.data.length;
      for (const w of pending) {
        const { offset, size } = w.member;
        if (offset >= chunkEnd) break;
        if (offset + size <= chunk.offset || done.has(w)) continue;
        const from = Math.max(offset, chunk.offset) - chunk.offset;
        const to = Math.min(offset + size, chunkEnd) - chunk.offset;
        await w.write(chunk.data.subarray(from, to));
        if (offset + size <= chunkEnd) done.set(w, await w.finish(cab.label));
      }
    }
  } catch (err) {
    await Promise.all(pending.filter((w) => !done.has(w)).map((w) => w.abandon()));
    throw err;
  }
  return done;
}

/** Extract one member through the public Cabinet interface (any implementation). */
async function extractViaStream(cab: Cabinet, writer: MemberWriter, signal: AbortSignal | undefined): Promise<ExtractedFile> {
  try {
    const stream = cab.openMember(writer.member.name, signal === undefined ? {} : { signal });
    for await (const chunk of stream) await writer.write(chunk as Buffer);
    return await writer.finish(cab.label);
  } catch (err) {
    await writer.abandon();
    throw err;
  }
}

/**
 * Extract all members of `cab` under `dir`; member names with `\` become folders. Returns one entry
 * per member, in the cabinet's order, with the written path, size and SHA-256.
 */
export async function extractCabinet(cab: Cabinet, dir: string, options: { signal?: AbortSignal } = {}): Promise<ExtractedFile[]> {
  const { signal } = options;
  const writers = cab.members.map((m) => new MemberWriter(m, join(dir, ...memberPathSegments(m.name, cab.label))));
  const results = new Map<MemberWriter, ExtractedFile>();
  if (cab instanceof CabinetReader) {
    for (const folder of cab.folders) {
      const mine = writers.filter((w) => w.member.folderIndex === folder.index);
      if (mine.length === 0) continue;
      for (const [w, r] of await extractFolder(cab, folder.index, mine, signal)) results.set(w, r);
    }
  } else {
    for (const w of writers) results.set(w, await extractViaStream(cab, w, signal));
  }
  return writers.map((w) => results.get(w)!);
}
