/**
 * Open a Microsoft Cabinet for listing and streaming its members. The cabinet is read with positioned
 * reads; a member is decoded block by block, so no member has to fit in memory.
 */
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { PatchdiscError } from '../errors.ts';
import {
  CFFILE_FIXED_SIZE,
  CFFILE_MAX_NAME,
  CFFOLDER_FIXED_SIZE,
  CFHEADER_FIXED_SIZE,
  CFHEADER_RESERVE_FIELDS_SIZE,
  parseCabFiles,
  parseCabFolders,
  parseCabHeader,
} from './cab-format.ts';
import type { CabCompression, CabFileRecord, CabFolderRecord, CabHeader } from './cab-format.ts';
import { bufferSource, fileSource } from './cab-source.ts';
import type { CabSource } from './cab-source.ts';
import { readFolderBlocks } from './folder-blocks.ts';
import type { FolderChunk } from './folder-blocks.ts';

export type { CabCompression } from './cab-format.ts';

export interface CabMember {
  name: string;
  size: number;
  folderIndex: number;
  offset: number;
  compression: CabCompression;
  window?: number;
  date: Date;
  attributes: number;
}

export interface CabFolderInfo {
  index: number;
  compression: CabCompression;
  window?: number;
  dataBlocks: number;
}

export interface Cabinet {
  /** File name or label for messages. */
  readonly label: string;
  readonly members: CabMember[];
  readonly folders: CabFolderInfo[];
  openMember(name: string, options?: { signal?: AbortSignal }): Readable;
  /** Convenience for small members: the whole member in memory. */
  readMember(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** The Cabinet implementation; `folderChunks` lets extractCabinet decode each folder only once. */
export class CabinetReader implements Cabinet {
  readonly members: CabMember[];
  readonly folders: CabFolderInfo[];
  private closed = false;

  constructor(
    readonly label: string,
    private readonly source: CabSource,
    readonly header: CabHeader,
    private readonly folderRecords: CabFolderRecord[],
    files: CabFileRecord[],
  ) {
    this.folders = folderRecords.map((f, index) => ({
      index,
      compression: f.compression,
      ...(f.window === undefined ? {} : { window: f.window }),
      dataBlocks: f.cCFData,
    }));
    this.members = files.map((f) => {
      const folder = folderRecords[f.folderIndex]!;
      return {
        name: f.name,
        size: f.size,
        folderIndex: f.folderIndex,
        offset: f.offset,
        compression: folder.compression,
        ...(folder.window === undefined ? {} : { window: folder.window }),
        date: f.date,
        attributes: f.attributes,
      };
    });
  }

  /** The member called `name`; `/` and `\` are interchangeable as separators. */
  findMember(name: string): CabMember {
    const exact = this.members.find((m) => m.name === name);
    if (exact !== undefined) return exact;
    const wanted = name.replaceAll('/', '\\');
    const found = this.members.find((m) => m.name.replaceAll('/', '\\') === wanted);
    if (found === undefined) {
      throw new PatchdiscError('NOT_FOUND', `Cannot find ${name} in cabinet ${this.label}: no such member (it has ${this.members.length})`);
    }
    return found;
  }

  /** Decoded output of folder `index` up to folder offset `until`, block by block. */
  folderChunks(index: number, until: number, member: string | (() => string), signal?: AbortSignal): AsyncGenerator<FolderChunk> {
    const folder = this.folderRecords[index];
    if (folder === undefined) throw new PatchdiscError('NOT_FOUND', `Cannot read folder ${index} of ${this.label}: no such folder`);
    this.assertOpen(typeof member === 'string' ? member : member());
    return readFolderBlocks(
      { source: this.source, header: this.header, folder, folderIndex: index, label: this.label, member, signal },
      until,
    );
  }

  openMember(name: string, options: { signal?: AbortSignal } = {}): Readable {
    const member = this.findMember(name);
    this.assertOpen(member.name);
    return Readable.from(this.memberChunks(member, options.signal), { objectMode: false, highWaterMark: 65_536 });
  }

  async readMember(name: string): Promise<Buffer> {
    const member = this.findMember(name);
    const parts: Uint8Array[] = [];
    for await (const part of this.memberChunks(member, undefined)) parts.push(part);
    return Buffer.concat(parts, member.size);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.source.close();
  }

  private assertOpen(member: string): void {
    if (this.closed) throw new PatchdiscError('INTERNAL', `Cannot read ${member} from ${this.label}: the cabinet is closed`);
  }

  private async *memberChunks(member: CabMember, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
    const start = member.offset;
    const end = member.offset + member.size;
    if (member.size === 0) return;
    for await (const chunk of this.folderChunks(member.folderIndex, end, member.name, signal)) {
      const chunkEnd = chunk.offset + chunk.data.length;
      if (chunkEnd <= start) continue;
      const from = Math.max(start, chunk.offset) - chunk.offset;
      const to = Math.min(end, chunkEnd) - chunk.offset;
      // Copy: decoders may reuse their output buffers, and consumers may keep the chunk.
      yield Buffer.from(chunk.data.subarray(from, to));
      if (chunkEnd >= end) return;
    }
  }
}

/**
 * Open a cabinet from a path (read with positioned reads) or a Buffer, and parse its header, folders
 * and file list. Damage is CAB_CORRUPT, multi-cabinet sets and unknown methods CAB_UNSUPPORTED.
 */
export async function openCabinet(source: string | Buffer, options: { label?: string } = {}): Promise<Cabinet> {
  const label = options.label ?? (typeof source === 'string' ? basename(source) : 'cabinet');
  let src: CabSource;
  try {
    src = typeof source === 'string' ? await fileSource(source) : bufferSource(source);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause;
    throw new PatchdiscError('NOT_FOUND', `Cannot open cabinet ${label}: ${String(source)} does not exist`, { cause });
  }
  try {
    const headBytes = await src.read(0, CFHEADER_FIXED_SIZE + CFHEADER_RESERVE_FIELDS_SIZE);
    const header = parseCabHeader(headBytes, src.size, label);
    const folderBytes = await src.read(header.foldersOffset, header.cFolders * (CFFOLDER_FIXED_SIZE + header.cbCFFolder));
    const folders = parseCabFolders(folderBytes, header, src.size, label);
    const fileBytes = await src.read(header.coffFiles, header.cFiles * (CFFILE_FIXED_SIZE + CFFILE_MAX_NAME + 1));
    const files = parseCabFiles(fileBytes, header, folders, label);
    return new CabinetReader(label, src, header, folders, files);
  } catch (err) {
    await src.close();
    throw err;
  }
}
