import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { openCabinet } from '../../../src/cab/open-cabinet.ts';
import { FIXTURES } from '../../helpers/tools.ts';
import { LzxBitWriter, buildCabinet, storedBlocks, verbatimBlockW15, writeMatch } from './cab-builder.ts';

const CABS = join(FIXTURES, 'cab');
const fixture = (dir: string, name: string): Buffer => readFileSync(join(CABS, dir, name));

/** Read every member; resolve to the error (or undefined when all members read). */
async function readAll(bytes: Buffer, label: string): Promise<unknown> {
  try {
    const cab = await openCabinet(bytes, { label });
    for (const m of cab.members) await cab.readMember(m.name);
    return undefined;
  } catch (err) {
    return err;
  }
}

async function expectCorrupt(bytes: Buffer, label: string, pattern: RegExp): Promise<void> {
  const err = await readAll(bytes, label);
  expect(isPatchdiscError(err, 'CAB_CORRUPT'), String(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

/** Set every CFDATA checksum of a single-folder cabinet to 0 (none), so the decoder sees the damage. */
function dropChecksums(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  let at = out.readUInt32LE(36);
  const blocks = out.readUInt16LE(40);
  for (let i = 0; i < blocks && at + 8 <= out.length; i++) {
    out.writeUInt32LE(0, at);
    at += 8 + out.readUInt16LE(at + 4);
  }
  return out;
}

describe('damaged cabinets fail with CAB_CORRUPT naming member, block and offset', () => {
  it('a flipped checksum byte', async () => {
    const bytes = fixture('none-libmspack-2files', 'normal_2files_1folder.cab');
    bytes[94] = bytes[94]! ^ 0x01; // csum of block 0 at coffCabStart 94 = 0x5e
    await expectCorrupt(bytes, 'normal.cab', /^Cannot extract hello\.c from normal\.cab: data block 0 fails its checksum \(offset 0x5e\)/);
  });

  it('a flipped data byte in a Microsoft MSZIP cabinet is caught by the checksum', async () => {
    const bytes = fixture('mszip-real-authrootstl', 'authrootstl.cab');
    bytes[40_000] = bytes[40_000]! ^ 0x40;
    await expectCorrupt(bytes, 'authrootstl.cab', /authroot\.stl from authrootstl\.cab: MSZIP block \d+ fails its checksum \(offset 0x[0-9a-f]+\)/);
  });

  it('a truncated LZX cabinet', async () => {
    const bytes = fixture('lzx21-cabextract-large-files', 'large-files-cab.cab');
    await expectCorrupt(bytes.subarray(0, 13_000), 'large.cab', /large-files\.cab from large\.cab: LZX block \d+ is truncated/);
  });

  it('a block length past the end of the file', async () => {
    const bytes = fixture('none-libmspack-2files', 'normal_2files_1folder.cab');
    bytes.writeUInt16LE(0xffff, 94 + 4); // cbData
    await expectCorrupt(bytes, 'normal.cab', /data block 0 is truncated \(\d+ of 65535 bytes present\) \(offset 0x5e\)/);
  });

  it('a corrupt LZX tree (pretree lengths overwritten, checksums removed)', async () => {
    const bytes = dropChecksums(fixture('lzx18-libarchive-cab3', 'test_read_format_cab_3.cab'));
    bytes.fill(0xff, 141 + 8, 141 + 8 + 12); // first block data: E8 header, block header and pretree
    await expectCorrupt(bytes, 'cab3.cab', /from cab3\.cab: LZX block 0 is corrupt \(offset 0x8d\): /);
  });

  it('a corrupt MSZIP stream (checksums removed)', async () => {
    const bytes = dropChecksums(fixture('mszip-libarchive-cab2', 'test_read_format_cab_2.cab'));
    bytes.fill(0xff, 141 + 8 + 2, 141 + 8 + 10);
    await expectCorrupt(bytes, 'cab2.cab', /MSZIP block 0 is corrupt \(offset 0x8d\)/);
  });

  it('a block declaring more than 32768 output bytes', async () => {
    const bytes = buildCabinet({
      folders: [{ typeCompress: 0, blocks: [{ data: Buffer.alloc(4), uncomp: 40_000 }] }],
      files: [{ name: 'big', size: 4, offset: 0, folder: 0 }],
    });
    await expectCorrupt(bytes, 'big.cab', /declares 40000 output bytes/);
  });

  it('a member that ends after its folder data', async () => {
    const bytes = buildCabinet({
      folders: [{ typeCompress: 0, blocks: storedBlocks(Buffer.from('short')) }],
      files: [{ name: 'long', size: 500, offset: 0, folder: 0 }],
    });
    await expectCorrupt(bytes, 'short.cab', /Cannot extract long from short\.cab: folder 0 ends after 5 bytes/);
  });

  it('a file entry that names a folder that does not exist', async () => {
    const bytes = buildCabinet({
      folders: [{ typeCompress: 0, blocks: storedBlocks(Buffer.from('x')) }],
      files: [{ name: 'x', size: 1, offset: 0, folder: 3 }],
    });
    await expectCorrupt(bytes, 'f.cab', /Cannot open cabinet f\.cab: x names folder 3 of 1/);
  });
});

describe('CVE-2015-4471 (LZX under-read) regression', () => {
  it('the libmspack regression cabinet is refused at open with CAB_CORRUPT', async () => {
    const bytes = fixture('damaged-lzx-libmspack-cve-2015-4471', 'cve-2015-4471-lzx-under-read.cab');
    await expectCorrupt(bytes, 'cve.cab', /Cannot open cabinet cve\.cab: the file table offset 2371258906 is outside the file/);
  });

  it('an LZX match reaching before the start of the window is refused, not read', async () => {
    const w = new LzxBitWriter().bits(0, 1);
    verbatimBlockW15(w, 8);
    w.bits(0x61, 9);
    writeMatch(w, 7, 10, 5, 4); // slot 10: base 32, 4 extra bits, distance 32 - 2 + 5 = 35 with one byte written
    const bytes = buildCabinet({
      folders: [{ typeCompress: 0x0f03, blocks: [{ data: w.flush().bytes(), uncomp: 8 }] }],
      files: [{ name: 'under.bin', size: 8, offset: 0, folder: 0 }],
    });
    await expectCorrupt(bytes, 'under.cab', /under\.bin from under\.cab: LZX block 0 is corrupt \(offset 0x[0-9a-f]+\): match distance 35/);
  });
});

describe('mutated cabinets never crash or hang', () => {
  it('every single-byte mutation of small LZX and MSZIP cabinets reads or fails with a PatchdiscError', async () => {
    const sources = [
      dropChecksums(fixture('lzx18-libarchive-cab3', 'test_read_format_cab_3.cab')),
      dropChecksums(fixture('lzx15-e8-libarchive', 'test_read_format_cab_lzx_e8.cab')),
      dropChecksums(fixture('mszip-libarchive-cab2', 'test_read_format_cab_2.cab')),
    ];
    let seed = 0x2015_4471;
    const random = (): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 2 ** 32;
    };
    const outcomes = { ok: 0, corrupt: 0, other: 0 };
    const started = Date.now();
    for (let round = 0; round < 600; round++) {
      const bytes = Buffer.from(sources[round % sources.length]!);
      const at = Math.floor(random() * bytes.length);
      bytes[at] = Math.floor(random() * 256);
      const err = await readAll(bytes, 'mutant.cab');
      if (err === undefined) outcomes.ok++;
      else if (isPatchdiscError(err)) outcomes.corrupt++;
      else throw new Error(`round ${round}, byte ${at}: not a PatchdiscError: ${String(err)}`);
    }
    expect(outcomes.ok + outcomes.corrupt).toBe(600);
    expect(outcomes.corrupt).toBeGreaterThan(50);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
