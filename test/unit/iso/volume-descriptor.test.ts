import { describe, expect, it } from 'vitest';
import { encodeMetadata } from '../../../src/iso/encode-metadata.ts';
import { planIsoLayout } from '../../../src/iso/layout.ts';
import { DATE } from './iso-test-tree.ts';

const hex = (b: Uint8Array, start: number, end: number): string => Buffer.from(b.subarray(start, end)).toString('hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const SECTOR = 2048;

// One 5-byte file. Expected sectors, worked out by hand from ECMA-119: 0-15 system area, 16 PVD,
// 17 Joliet SVD, 18 terminator, 19/20 primary L/M path tables, 21/22 Joliet L/M, 23 primary root,
// 24 its continuation area (ER), 25 Joliet root, 26 the file, then 150 padding sectors = 177.
function smallImage(): { meta: Uint8Array; totalSectors: number } {
  const data = new TextEncoder().encode('hello');
  const layout = planIsoLayout([{ path: 'Hello.txt', size: 5, source: { kind: 'buffer', data } }], {
    volumeId: 'PATCHDISC_TEST',
    publisher: 'Contoso Ltd.',
    application: 'patchdisc 0.1.0',
    date: DATE,
  });
  return { meta: encodeMetadata(layout), totalSectors: layout.totalSectors };
}

describe('encodeMetadata() volume descriptors', () => {
  it('writes the PVD fields at their ECMA-119 offsets', () => {
    const { meta, totalSectors } = smallImage();
    expect(totalSectors).toBe(177);
    const pvd = meta.subarray(16 * SECTOR, 17 * SECTOR);
    expect(hex(pvd, 0, 8)).toBe('0143443030310100');
    expect(hex(pvd, 40, 72)).toBe(ascii('PATCHDISC_TEST'.padEnd(32)));
    expect(hex(pvd, 80, 88)).toBe('b1000000000000b1'); // volume space size 177, LE then BE
    expect(hex(pvd, 120, 128)).toBe('0100000101000001'); // set size 1, sequence 1
    expect(hex(pvd, 128, 132)).toBe('00080800'); // block size 2048 = 0x0800
    expect(hex(pvd, 132, 140)).toBe('0a0000000000000a'); // path table: root only = 10 bytes
    expect(hex(pvd, 140, 144)).toBe('13000000'); // L table at 19
    expect(hex(pvd, 148, 152)).toBe('00000014'); // M table at 20
    // Root record: length 34, extent 23, size 2048, 2024-05-29 16:26:40 +0, dir, seq 1, id 00.
    expect(hex(pvd, 156, 190)).toBe('2200' + '1700000000000017' + '0008000000000800' + '7c051d101a2800' + '020000' + '01000001' + '0100');
    expect(hex(pvd, 318, 330)).toBe(ascii('CONTOSO LTD.'));
    expect(hex(pvd, 574, 589)).toBe(ascii('PATCHDISC 0.1.0'));
    expect(hex(pvd, 813, 830)).toBe(ascii('2024052916264000') + '00');
    expect(hex(pvd, 847, 864)).toBe(ascii('0000000000000000') + '00'); // expiration: not specified
    expect(pvd[881]).toBe(1);
  });

  it('writes a Joliet SVD with escape %/E and UCS-2 identifiers, then a terminator', () => {
    const { meta } = smallImage();
    const svd = meta.subarray(17 * SECTOR, 18 * SECTOR);
    expect(hex(svd, 0, 7)).toBe('02434430303101');
    expect(hex(svd, 88, 91)).toBe('252f45');
    expect(hex(svd, 40, 56)).toBe(Buffer.from('PATCHDISC_TEST\0', 'utf16le').swap16().subarray(0, 16).toString('hex').replace(/0000$/, '0020'));
    expect(hex(svd, 140, 144)).toBe('15000000'); // Joliet L table at 21
    expect(hex(svd, 156 + 2, 156 + 10)).toBe('1900000000000019'); // Joliet root at 25
    expect(Buffer.from(svd.subarray(318, 342)).swap16().toString('utf16le')).toBe('Contoso Ltd.'); // case kept
    expect(hex(meta, 18 * SECTOR, 18 * SECTOR + 7)).toBe('ff434430303101');
  });

  it('writes L and M path tables of the root', () => {
    const { meta } = smallImage();
    expect(hex(meta, 19 * SECTOR, 19 * SECTOR + 10)).toBe('01' + '00' + '17000000' + '0100' + '00' + '00');
    expect(hex(meta, 20 * SECTOR, 20 * SECTOR + 10)).toBe('01' + '00' + '00000017' + '0001' + '00' + '00');
  });

  it('writes the primary root records with SP, PX, TF, CE and NM', () => {
    const { meta } = smallImage();
    const root = meta.subarray(23 * SECTOR, 24 * SECTOR);
    // '.': 34 + SP 7 + PX 36 + TF 26 + CE 28 = 131 bytes.
    expect(root[0]).toBe(131);
    expect(hex(root, 34, 41)).toBe('53500701beef00');
    expect(hex(root, 41, 45 + 8)).toBe('505824016d410000' + '0000416d'); // PX, mode 040555 = 0x416d
    expect(hex(root, 103, 131)).toBe('43451c01' + '1800000000000018' + '0000000000000000' + 'ed000000000000ed'); // CE → sector 24, 237 bytes
    // '..': 34 + PX 36 + TF 26 = 96.
    expect(root[131]).toBe(96);
    // HELLO.TXT;1: 33 + 11 + 0 pad + PX 36 + TF 26 + NM 14 = 120, extent 26, 5 bytes.
    const f = 131 + 96;
    expect(root[f]).toBe(120);
    expect(hex(root, f + 2, f + 18)).toBe('1a0000000000001a' + '0500000000000005');
    expect(root[f + 25]).toBe(0);
    expect(hex(root, f + 32, f + 44)).toBe('0b' + ascii('HELLO.TXT;1'));
    expect(hex(root, f + 44, f + 48)).toBe('50582401');
    expect(hex(root, f + 48, f + 56)).toBe('2481000000008124'); // mode 0100444 = 0x8124
    expect(hex(root, f + 106, f + 120)).toBe('4e4d0e0100' + ascii('Hello.txt'));
    expect(root.subarray(f + 120).every((b) => b === 0)).toBe(true);
    const er = meta.subarray(24 * SECTOR, 24 * SECTOR + 237);
    expect(hex(er, 0, 8)).toBe('4552ed010a548701');
    expect(hex(er, 8, 18)).toBe(ascii('RRIP_1991A'));
  });

  it('writes Joliet root records with UCS-2 names and no version suffix', () => {
    const { meta } = smallImage();
    const root = meta.subarray(25 * SECTOR, 26 * SECTOR);
    expect(hex(root, 0, 10)).toBe('22001900000000000019');
    expect(hex(root, 34, 44)).toBe('22001900000000000019'); // '..' of the root is the root
    const f = 68;
    expect(root[f]).toBe(33 + 18 + 1);
    expect(hex(root, f + 2, f + 10)).toBe('1a0000000000001a');
    expect(hex(root, f + 32, f + 51)).toBe('12' + Buffer.from('Hello.txt', 'utf16le').swap16().toString('hex'));
  });
});
