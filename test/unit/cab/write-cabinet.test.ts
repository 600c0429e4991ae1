import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cfdataChecksum, writeCabinet } from '../../../src/cab/write-cabinet.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';

/** Data that compresses well in places and not at all in others, spanning several CFDATA blocks. */
function mixedData(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 12345;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 3000 < 1500 ? 65 + (i % 7) : x >>> 24;
  }
  return out;
}

const members = [
  { name: 'index.xml', data: Buffer.from('<INDEX VERSION="1"/>\r\n'), date: new Date(Date.UTC(2026, 10, 10, 20, 0, 2)) },
  { name: 'dir/big.bin', data: mixedData(100_001) },
  { name: 'empty', data: Buffer.alloc(0) },
  { name: 'l/zh-cn/语言', data: Buffer.from('中文内容') },
];

describe('writeCabinet()', () => {
  it('writes the CFHEADER, CFFOLDER and CFFILE fields at their [MS-CAB] offsets', () => {
    const cab = writeCabinet([{ name: 'a.txt', data: Buffer.from('hello'), date: new Date(Date.UTC(2026, 10, 10, 20, 0, 2)) }], {
      compression: 'none',
      setId: 0x1234,
    });
    // header (36) + folder (8) + CFFILE (16 + "a.txt\0") + CFDATA (8 + 5)
    expect(cab.length).toBe(36 + 8 + 22 + 8 + 5);
    expect(cab.subarray(0, 4).toString('latin1')).toBe('MSCF');
    expect(cab.readUInt32LE(8)).toBe(cab.length); // cbCabinet
    expect(cab.readUInt32LE(16)).toBe(44); // coffFiles
    expect([cab[24], cab[25]]).toEqual([3, 1]); // version 1.3
    expect(cab.readUInt16LE(26)).toBe(1); // cFolders
    expect(cab.readUInt16LE(28)).toBe(1); // cFiles
    expect(cab.readUInt16LE(32)).toBe(0x1234); // setID
    expect(cab.readUInt32LE(36)).toBe(66); // coffCabStart
    expect(cab.readUInt16LE(40)).toBe(1); // cCFData
    expect(cab.readUInt16LE(42)).toBe(0); // typeCompress none
    expect(cab.readUInt32LE(44)).toBe(5); // cbFile
    expect(cab.readUInt16LE(54)).toBe(((2026 - 1980) << 9) | (11 << 5) | 10); // date
    expect(cab.readUInt16LE(56)).toBe((20 << 11) | 1); // time 20:00:02
    expect(cab.readUInt16LE(58)).toBe(0x20); // _A_ARCH
    expect(cab.subarray(60, 66).toString('latin1')).toBe('a.txt\0');
    expect(cab.readUInt16LE(70)).toBe(5); // cbData
    expect(cab.readUInt16LE(72)).toBe(5); // cbUncomp
    expect(cab.subarray(74).toString()).toBe('hello');
  });

  it('computes the CFDATA checksum with the reference tail-byte order', () => {
    // data "hello": word 'hell' LE = 0x6c6c6568, tail 'o' = 0x6f; then cbData|cbUncomp = 0x00050005.
    const block = Buffer.from([0, 0, 0, 0, 5, 0, 5, 0, ...Buffer.from('hello')]);
    expect(cfdataChecksum(block)).toBe((0x6c6c6568 ^ 0x6f ^ 0x00050005) >>> 0);
    // three tail bytes: the first goes to bits 16–23
    const three = Buffer.from([0, 0, 0, 0, 3, 0, 3, 0, 1, 2, 3]);
    expect(cfdataChecksum(three)).toBe((0x010203 ^ 0x00030003) >>> 0);
  });

  it('gives the same bytes for the same members', () => {
    const a = writeCabinet(members, { compression: 'mszip', setId: 7 });
    const b = writeCabinet(members, { compression: 'mszip', setId: 7 });
    expect(a.equals(b)).toBe(true);
  });

  it('rejects a name longer than 255 bytes and a date before 1980', () => {
    expect(() => writeCabinet([{ name: 'x'.repeat(256), data: Buffer.alloc(1) }], { compression: 'none' })).toThrow(/NAME_TOO_LONG|255/);
    expect(() => writeCabinet([{ name: 'a', data: Buffer.alloc(1), date: new Date(Date.UTC(1970, 0, 1)) }], { compression: 'none' })).toThrow(/1980/);
  });

  const ok = requireTools('cabextract', '7z');
  for (const compression of ['none', 'mszip'] as const) {
    it.skipIf(!ok)(`${compression} cabinets pass cabextract -t and 7z t and extract identical bytes`, () => {
      const tmp = makeTempDir();
      try {
        const cabPath = join(tmp.dir, 'test.cab');
        writeFileSync(cabPath, writeCabinet(members, { compression, setId: 42 }));
        execFileSync('cabextract', ['-t', cabPath], { stdio: 'pipe' });
        execFileSync('7z', ['t', cabPath], { stdio: 'pipe' });
        const byCab = join(tmp.dir, 'cabextract');
        const by7z = join(tmp.dir, '7z');
        execFileSync('cabextract', ['-q', '-d', byCab, cabPath], { stdio: 'pipe' });
        execFileSync('7z', ['x', `-o${by7z}`, cabPath], { stdio: 'pipe' });
        for (const m of members) {
          expect(readFileSync(join(byCab, m.name)).equals(m.data)).toBe(true);
          expect(readFileSync(join(by7z, m.name)).equals(m.data)).toBe(true);
        }
      } finally {
        tmp.remove();
      }
    });
  }

  it.skipIf(!ok)('a flipped checksum bit makes cabextract fail (the checksum is really checked)', () => {
    const tmp = makeTempDir();
    try {
      const cab = writeCabinet(members, { compression: 'none' });
      const coffCabStart = cab.readUInt32LE(36);
      cab[coffCabStart] = (cab[coffCabStart] ?? 0) ^ 1;
      const cabPath = join(tmp.dir, 'bad.cab');
      writeFileSync(cabPath, cab);
      expect(() => execFileSync('cabextract', ['-t', cabPath], { stdio: 'pipe' })).toThrow();
    } finally {
      tmp.remove();
    }
  });
});
