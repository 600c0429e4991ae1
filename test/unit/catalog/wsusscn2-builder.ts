/**
 * Builds small wsusscn2.cab files for tests, laid out like the real one (catalog-formats §1): an outer
 * cabinet with index.xml, package.cab (holding package.xml) and detail cabinets of fragments.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCabinet } from '../../../src/cab/write-cabinet.ts';

export const OFFLINE_SYNC_NS = 'http://schemas.microsoft.com/msus/2004/02/OfflineSync';

export interface DetailCabSpec {
  name: string;
  rangeStart: number;
  /** Fragment path (`x/123`, `l/en/123`) → text. */
  fragments: Record<string, string>;
}

export function buildWsusscn2(packageXml: string | Buffer, detailCabs: DetailCabSpec[]): Buffer {
  const index =
    '<INDEX VERSION="1"><CABLIST XOR="0"><CAB NAME="package.cab"/>' +
    detailCabs.map((c) => `<CAB NAME="${c.name}" RANGESTART="${c.rangeStart}"/>`).join('') +
    '</CABLIST></INDEX>';
  const packageCab = writeCabinet([{ name: 'package.xml', data: Buffer.from(packageXml) }], { compression: 'mszip' });
  const details = detailCabs.map((c) => ({
    name: c.name,
    data: writeCabinet(
      Object.entries(c.fragments).map(([name, text]) => ({ name, data: Buffer.from(text) })),
      { compression: 'mszip' },
    ),
  }));
  return writeCabinet([{ name: 'index.xml', data: Buffer.from(index) }, { name: 'package.cab', data: packageCab }, ...details], {
    compression: 'none',
  });
}

/** Writes the cabinet into `dir` and returns its path. */
export function writeWsusscn2(dir: string, packageXml: string | Buffer, detailCabs: DetailCabSpec[]): string {
  const path = join(dir, 'wsusscn2.cab');
  writeFileSync(path, buildWsusscn2(packageXml, detailCabs));
  return path;
}

/** base64 of the 20 bytes given as 40 hex digits. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
