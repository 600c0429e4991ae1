/**
 * Decode one CFFOLDER block by block ([MS-CAB] 2.5): read each CFDATA, verify its checksum, decode it,
 * and hand out the output with its offset in the folder. Only one block's data is held at a time.
 */
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import {
  CFDATA_CB_DATA,
  CFDATA_CB_UNCOMP,
  CFDATA_CSUM,
  CFDATA_FIXED_SIZE,
  CFDATA_MAX_UNCOMP,
  cfdataChecksum,
} from './cab-format.ts';
import type { CabFolderRecord, CabHeader } from './cab-format.ts';
import type { CabSource } from './cab-source.ts';
import { LzxDecoder } from './lzx-decoder.ts';
import { MszipDecoder } from './mszip.ts';

export interface BlockDecoder {
  decode(input: Uint8Array, outputLength: number): Uint8Array;
}

export interface FolderChunk {
  /** Offset of `data` in the folder's uncompressed bytes. */
  offset: number;
  data: Uint8Array;
}

export interface FolderReadContext {
  source: CabSource;
  header: CabHeader;
  folder: CabFolderRecord;
  folderIndex: number;
  /** Cabinet label and member name (or a function giving the member being read now), for messages. */
  label: string;
  member: string | (() => string);
  signal?: AbortSignal | undefined;
}

const METHOD_NAMES = { none: 'data', mszip: 'MSZIP', lzx: 'LZX', quantum: 'Quantum' } as const;

/** What to do after a failure, in the words of a message. */
const DAMAGED = 'the cabinet is damaged, download it again';

function makeDecoder(ctx: FolderReadContext): BlockDecoder {
  const { folder } = ctx;
  switch (folder.compression) {
    case 'none':
      return {
        decode(input, outputLength) {
          if (input.length !== outputLength) {
            throw new PatchdiscError('CAB_CORRUPT', `Cannot copy stored data: block holds ${input.length} bytes but declares ${outputLength}`);
          }
          return input;
        },
      };
    case 'mszip':
      return new MszipDecoder();
    case 'lzx':
      return new LzxDecoder(folder.window ?? 0);
    case 'quantum':
      throw new PatchdiscError(
        'CAB_UNSUPPORTED',
        `Cannot extract ${memberName(ctx)} from ${ctx.label}: folder ${ctx.folderIndex} uses Quantum compression, which is not supported`,
      );
  }
}

function memberName(ctx: FolderReadContext): string {
  return typeof ctx.member === 'string' ? ctx.member : ctx.member();
}

function blockError(ctx: FolderReadContext, index: number, offset: number, state: string, cause?: unknown): PatchdiscError {
  const member = memberName(ctx);
  const method = METHOD_NAMES[ctx.folder.compression];
  const detail = cause instanceof Error ? `: ${cause.message.replace(/^Cannot [^:]*: /, '')}` : '';
  return new PatchdiscError(
    'CAB_CORRUPT',
    `Cannot extract ${member} from ${ctx.label}: ${method} block ${index} ${state} (offset 0x${offset.toString(16)})${detail}; ${DAMAGED}`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { cabinet: ctx.label, member, folder: ctx.folderIndex, block: index, offset },
    },
  );
}

/**
 * Yield the folder's output block by block, stopping once `until` bytes (folder offset) are out.
 * Every failure is a CAB_CORRUPT naming the member, the block index and its offset in the cabinet.
 */
export async function* readFolderBlocks(ctx: FolderReadContext, until: number): AsyncGenerator<FolderChunk> {
  const { source, header, folder } = ctx;
  const decoder = makeDecoder(ctx);
  const blockHeaderSize = CFDATA_FIXED_SIZE + header.cbCFData;
  let at = folder.coffCabStart;
  let produced = 0;
  for (let index = 0; index < folder.cCFData && produced < until; index++) {
    if (ctx.signal?.aborted === true) {
      throw new PatchdiscError('ABORTED', `Cannot extract ${memberName(ctx)} from ${ctx.label}: aborted`, { cause: ctx.signal.reason });
    }
    const head = await source.read(at, blockHeaderSize);
    if (head.length < blockHeaderSize) throw blockError(ctx, index, at, 'is truncated (header missing)');
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const csum = view.getUint32(CFDATA_CSUM, true);
    const cbData = view.getUint16(CFDATA_CB_DATA, true);
    const cbUncomp = view.getUint16(CFDATA_CB_UNCOMP, true);
    if (cbUncomp > CFDATA_MAX_UNCOMP) throw blockError(ctx, index, at, `declares ${cbUncomp} output bytes (more than 32768)`);
    const data = await source.read(at + blockHeaderSize, cbData);
    if (data.length < cbData) throw blockError(ctx, index, at, `is truncated (${data.length} of ${cbData} bytes present)`);
    // A zero checksum means none was computed ([MS-CAB] 2.5).
    if (csum !== 0 && cfdataChecksum(head, data) !== csum) throw blockError(ctx, index, at, 'fails its checksum');
    let out: Uint8Array;
    try {
      out = decoder.decode(data, cbUncomp);
    } catch (cause) {
      if (isPatchdiscError(cause) && cause.code !== 'CAB_CORRUPT') throw cause;
      if (!isPatchdiscError(cause) && !(cause instanceof RangeError)) throw cause;
      throw blockError(ctx, index, at, 'is corrupt', cause);
    }
    yield { offset: produced, data: out };
    produced += out.length;
    at += blockHeaderSize + cbData;
  }
  if (produced < until) {
    const member = memberName(ctx);
    throw new PatchdiscError(
      'CAB_CORRUPT',
      `Cannot extract ${member} from ${ctx.label}: folder ${ctx.folderIndex} ends after ${produced} bytes, before the member's end at ${until}; ${DAMAGED}`,
      { details: { cabinet: ctx.label, member, folder: ctx.folderIndex, produced } },
    );
  }
}
