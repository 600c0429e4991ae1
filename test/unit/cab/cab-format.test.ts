import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { cfdataChecksum, decodeCabDate, parseCabHeader } from '../../../src/cab/cab-format.ts';
import { openCabinet } from '../../../src/cab/open-cabinet.ts';
import { FIXTURES } from '../../helpers/tools.ts';
import { buildCabinet, storedBlocks } from './cab-builder.ts';

const NONE_CAB = join(FIXTURES, 'cab', 'none-libmspack-2files', 'normal_2files_1folder.cab');

/** A one-file stored cabinet written out field by field from [MS-CAB] 2.2–2.5. */
const HAND_MADE = Buffer.from(
  [
    '4d534346', '00000000', '4f000000', '00000000', // signature, reserved1, cbCabinet=79, reserved2
    '2c000000', '00000000', '0301', '0100', '0100', // coffFiles=44, reserved3, version 1.3, cFolders=1, cFiles=1
    '0000', '3412', '0000', // flags, setID=0x1234, iCabinet
    '42000000', '0100', '0000', // CFFOLDER: coffCabStart=66, cCFData=1, typeCompress=none
    '05000000', '00000000', '0000', '2152', '3a5a', '2100', '612e74787400', // CFFILE a.txt, 5 bytes
    '00000000', '0500', '0500', '68656c6c6f', // CFDATA: csum=0 (none), cbData=5, cbUncomp=5, "hello"
  ].join(''),
  'hex',
);

describe('parseCabHeader()', () => {
  it('reads every CFHEADER field of a libmspack cabinet at its spec offset', () => {
    const bytes = readFileSync(NONE_CAB);
    const h = parseCabHeader(bytes.subarray(0, 40), bytes.length, 'normal.cab');
    expect(h).toEqual({
      cbCabinet: 253,
      coffFiles: 44,
      versionMinor: 3,
      versionMajor: 1,
      cFolders: 1,
      cFiles: 2,
      flags: 0,
      setId: 1570,
      iCabinet: 0,
      cbCFHeader: 0,
      cbCFFolder: 0,
      cbCFData: 0,
      foldersOffset: 36,
    });
  });

  it('refuses a multi-cabinet set with CAB_UNSUPPORTED', () => {
    for (const flags of [0x0001, 0x0002, 0x0003]) {
      const cab = buildCabinet({ folders: [{ typeCompress: 0, blocks: [] }], files: [], flags });
      let err: unknown;
      try {
        parseCabHeader(cab, cab.length, 'set.cab');
      } catch (e) {
        err = e;
      }
      expect(isPatchdiscError(err, 'CAB_UNSUPPORTED'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/set\.cab: it is part of a multi-cabinet set/);
    }
  });

  it('refuses a file without the MSCF signature', () => {
    const bytes = Buffer.from(HAND_MADE);
    bytes[0] = 0x4e;
    expect(() => parseCabHeader(bytes, bytes.length, 'x.cab')).toThrow(/no MSCF signature/);
  });
});

describe('openCabinet() container parsing', () => {
  it('parses a hand-made cabinet byte for byte', async () => {
    expect(HAND_MADE.length).toBe(79);
    const cab = await openCabinet(HAND_MADE, { label: 'hand.cab' });
    expect(cab.label).toBe('hand.cab');
    expect(cab.folders).toEqual([{ index: 0, compression: 'none', dataBlocks: 1 }]);
    expect(cab.members).toEqual([
      {
        name: 'a.txt',
        size: 5,
        folderIndex: 0,
        offset: 0,
        compression: 'none',
        date: new Date(Date.UTC(2021, 0, 1, 11, 17, 52)),
        attributes: 0x21,
      },
    ]);
    expect((await cab.readMember('a.txt')).toString()).toBe('hello');
  });

  it('honours header, folder and data reserve areas', async () => {
    const data = Buffer.from('reserved areas are skipped');
    const bytes = buildCabinet({
      folders: [{ typeCompress: 0, blocks: storedBlocks(data) }],
      files: [{ name: 'r.txt', size: data.length, offset: 0, folder: 0 }],
      reserve: { header: 20, folder: 3, data: 5 },
    });
    const cab = await openCabinet(bytes);
    expect((await cab.readMember('r.txt')).equals(data)).toBe(true);
  });

  it('decodes names as UTF-8 only when _A_NAME_IS_UTF is set', async () => {
    const utf = Buffer.from('dir\\größe.txt', 'utf8');
    const bytes = buildCabinet({
      folders: [{ typeCompress: 0, blocks: storedBlocks(Buffer.from('xy')) }],
      files: [
        { name: '', nameBytes: utf, size: 1, offset: 0, folder: 0, attribs: 0xa0 },
        { name: '', nameBytes: utf, size: 1, offset: 1, folder: 0, attribs: 0x20 },
      ],
    });
    const cab = await openCabinet(bytes);
    expect(cab.members.map((m) => m.name)).toEqual(['dir\\größe.txt', utf.toString('latin1')]);
    expect((await cab.readMember('dir/größe.txt')).toString()).toBe('x');
  });

  it('reports Quantum folders as CAB_UNSUPPORTED when a member is read', async () => {
    const bytes = buildCabinet({
      folders: [{ typeCompress: 0x0002, blocks: storedBlocks(Buffer.from('q')) }],
      files: [{ name: 'q', size: 1, offset: 0, folder: 0 }],
    });
    const cab = await openCabinet(bytes, { label: 'q.cab' });
    expect(cab.members[0]!.compression).toBe('quantum');
    await expect(cab.readMember('q')).rejects.toMatchObject({ code: 'CAB_UNSUPPORTED' });
  });

  it('reports an unknown member as NOT_FOUND', async () => {
    const cab = await openCabinet(HAND_MADE, { label: 'hand.cab' });
    expect(() => cab.openMember('nope')).toThrow(/Cannot find nope in cabinet hand\.cab/);
  });
});

describe('CAB field helpers', () => {
  it('computes the CFDATA checksum that libmspack stored', () => {
    const bytes = readFileSync(NONE_CAB);
    const block = bytes.subarray(94); // coffCabStart
    const cbData = block.readUInt16LE(4);
    expect(cfdataChecksum(block.subarray(0, 8), block.subarray(8, 8 + cbData))).toBe(block.readUInt32LE(0));
  });

  it('decodes MS-DOS date and time fields', () => {
    expect(decodeCabDate(((1997 - 1980) << 9) | (3 << 5) | 12, (11 << 11) | (13 << 5) | 26).toISOString()).toBe(
      '1997-03-12T11:13:52.000Z',
    );
  });
});
