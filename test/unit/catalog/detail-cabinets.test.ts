import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Cabinet } from '../../../src/cab/open-cabinet.ts';
import { writeCabinet } from '../../../src/cab/write-cabinet.ts';
import { detailCabinetFor, parseIndexXml, readDetailFragments } from '../../../src/catalog/detail-cabinets.ts';
import { OFFLINE_SYNC_NS } from '../../../src/catalog/package-xml.ts';
import { parsePackageXml } from '../../../src/catalog/parse-package-xml.ts';
import { isPatchdiscError } from '../../../src/errors.ts';
import { FIXTURES } from '../../helpers/tools.ts';

describe('parseIndexXml() and detailCabinetFor()', () => {
  const cabs = parseIndexXml(
    '<INDEX VERSION="1"><CABLIST XOR="0"><CAB NAME="package.cab"/><CAB NAME="package2.cab" RANGESTART="0" FILESDIR="1"/><CAB NAME="package3.cab" RANGESTART="187611"/><CAB NAME="package4.cab" RANGESTART="300000"/></CABLIST></INDEX>',
  );
  it('lists detail cabinets without package.cab', () => {
    expect(cabs.map((c) => c.name)).toEqual(['package2.cab', 'package3.cab', 'package4.cab']);
  });
  it('picks the last cabinet whose RANGESTART is at most the revision', () => {
    expect(detailCabinetFor(cabs, 187610)?.name).toBe('package2.cab');
    expect(detailCabinetFor(cabs, 187611)?.name).toBe('package3.cab');
    expect(detailCabinetFor(cabs, 299999)?.name).toBe('package3.cab');
    expect(detailCabinetFor(cabs, 9_000_000)?.name).toBe('package4.cab');
  });
  it('refuses RANGESTART values that do not rise', () => {
    expect(() => parseIndexXml('<INDEX><CAB NAME="a.cab" RANGESTART="5"/><CAB NAME="b.cab" RANGESTART="5"/></INDEX>')).toThrow(/do not rise/);
  });
  it('refuses a cabinet name with a path', () => {
    expect(() => parseIndexXml('<INDEX><CAB NAME="../a.cab" RANGESTART="5"/></INDEX>')).toThrow(/plain cabinet name/);
  });
});

describe('readDetailFragments()', () => {
  it('opens each detail cabinet once however many fragments it serves', async () => {
    const inner = (names: string[]) => writeCabinet(names.map((n) => ({ name: n, data: Buffer.from(`<T>${n}</T>`) })), { compression: 'none' });
    const members = new Map([
      ['package2.cab', inner(['x/1', 'x/2', 'l/en/1'])],
      ['package3.cab', inner(['x/10', 'x/11'])],
    ]);
    const reads: string[] = [];
    const outer: Cabinet = {
      label: 'fake.cab',
      members: [...members.keys()].map((name) => ({ name, size: 0, folderIndex: 0, offset: 0, compression: 'none', date: new Date(0), attributes: 0 })),
      openMember: () => Readable.from([]),
      readMember: async (name: string) => {
        reads.push(name);
        return members.get(name)!;
      },
      close: async () => {},
    } as unknown as Cabinet;
    const cabs = [
      { name: 'package2.cab', rangeStart: 0 },
      { name: 'package3.cab', rangeStart: 10 },
    ];
    const requests = [1, 2, 10, 11, 12].map((revisionId) => ({ kind: 'x', revisionId }));
    const texts = await readDetailFragments(outer, cabs, [...requests, { kind: 'l/en', revisionId: 1 }]);
    expect(reads.sort()).toEqual(['package2.cab', 'package3.cab']);
    expect([...texts.keys()].sort()).toEqual(['l/en/1', 'x/1', 'x/10', 'x/11', 'x/2']);
    expect(texts.get('x/11')).toBe('<T>x/11</T>');
  });
});

describe('parsePackageXml() on the real FileLocations excerpt', () => {
  it('reads every location and checks each SHA-1 against its file name', async () => {
    const excerpt = readFileSync(join(FIXTURES, 'wsus-package-xml/package.xml.011.tail-excerpt.xmlfrag'), 'utf8');
    const xml = `<OfflineSyncPackage xmlns="${OFFLINE_SYNC_NS}"><FileLocations>${excerpt}`;
    const pkg = await parsePackageXml(Readable.from([Buffer.from(xml)]));
    const ids = [...excerpt.matchAll(/<FileLocation Id="([^"]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('hex'));
    expect(ids.length).toBeGreaterThan(20);
    expect([...pkg.locations.keys()].sort()).toEqual([...new Set(ids)].sort());
    for (const loc of pkg.locations.values()) {
      const suffix = /_([0-9a-f]{40})\.[a-z0-9]+$/i.exec(loc.name)?.[1];
      if (suffix) expect(suffix.toLowerCase()).toBe(loc.sha1);
    }
  });
});

describe('parsePackageXml() streaming', () => {
  it('reads a document split inside a multi-byte character', async () => {
    const xml = Buffer.from('<OfflineSyncPackage PackageId="p" CreationDate="d"><Updates><Update UpdateId="ü-x" RevisionId="7" IsBundle="true"/></Updates></OfflineSyncPackage>');
    const split = xml.indexOf(Buffer.from('ü')) + 1;
    const pkg = await parsePackageXml(Readable.from([xml.subarray(0, split), xml.subarray(split)]));
    expect(pkg.updates.get(7)?.updateId).toBe('ü-x');
  });

  it('points a syntax error at its byte offset after multi-byte text', async () => {
    const head = '<OfflineSyncPackage><Updates><Update UpdateId="ééé" RevisionId="1"/>';
    const xml = Buffer.from(`${head}</Oops></OfflineSyncPackage>`);
    const err = await parsePackageXml(Readable.from([xml.subarray(0, 10), xml.subarray(10)])).catch((e: unknown) => e);
    expect(isPatchdiscError(err, 'XML_INVALID')).toBe(true);
    const offset = (err as { details: Record<string, number> }).details['byteOffset']!;
    // saxes reports the error on the '>' that ends the bad close tag.
    expect(offset).toBeGreaterThan(Buffer.byteLength(head));
    expect(offset).toBeLessThanOrEqual(Buffer.byteLength(head) + '</Oops>'.length);
  });

  it('stops with ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await parsePackageXml(Readable.from([Buffer.from('<OfflineSyncPackage/>')]), { signal: controller.signal }).catch((e: unknown) => e);
    expect(isPatchdiscError(err, 'ABORTED')).toBe(true);
  });

  it('refuses a document whose root is not OfflineSyncPackage', async () => {
    const err = await parsePackageXml(Readable.from([Buffer.from('<Other/>')])).catch((e: unknown) => e);
    expect(isPatchdiscError(err, 'CATALOG_INVALID')).toBe(true);
  });
});
