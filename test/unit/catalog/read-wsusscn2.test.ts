import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWsusscn2 } from '../../../src/catalog/read-wsusscn2.ts';
import { inspectWsusscn2Json } from '../../../src/catalog/inspect-wsusscn2.ts';
import { isPatchdiscError } from '../../../src/errors.ts';
import { FIXTURES, makeTempDir } from '../../helpers/tools.ts';
import { OFFLINE_SYNC_NS, hexToBase64, writeWsusscn2, type DetailCabSpec } from './wsusscn2-builder.ts';

const VULS = join(FIXTURES, 'cab/vuls-wsusscn2');

function sha1Hex(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

const SHA_A = sha1Hex('payload A');
const SHA_B = sha1Hex('payload B');
const SHA_MISSING = sha1Hex('payload without location');
const SHA256_A = createHash('sha256').update('payload A').digest();
const PRODUCT = '8e1e9b2e-8b4a-4a1a-9c0e-0d3e2f1a7b11';
const SECURITY = '0fa1201d-4330-4fa8-8ae9-b877473b6441';

interface Variant {
  extraUpdates?: string;
  extraLocations?: string;
  updateInner?: string;
  locationA?: string;
  prolog?: string;
}

function packageXml(v: Variant = {}): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?>${v.prolog ?? ''}` +
    `<OfflineSyncPackage xmlns="${OFFLINE_SYNC_NS}" MinimumClientVersion="5.8.0.2678" ProtocolVersion="1.0" PackageId="11111111-2222-3333-4444-555555555555" SourceId="cc56dcba-9026-4399-8535-7a3c9bed7086" CreationDate="2025-11-20T03:00:00Z" PackageVersion="1.1">` +
    '<Updates>' +
    `<Update UpdateId="${PRODUCT}" RevisionId="50" RevisionNumber="3" CreationDate="2020-01-01T00:00:00Z" IsSoftware="false" DeploymentAction="Evaluate"/>` +
    `<Update UpdateId="${SECURITY}" RevisionId="51" RevisionNumber="1" CreationDate="2020-01-01T00:00:00Z" IsSoftware="false" DeploymentAction="Evaluate"/>` +
    `<Update UpdateId="aaaaaaaa-0000-0000-0000-000000000100" RevisionId="100" RevisionNumber="201" CreationDate="2025-10-14T17:00:00Z" DefaultLanguage="en" IsBundle="true" IsLeaf="true">` +
    `<Categories><Category Type="Company" Id="56309036-4c77-4dd9-951a-99ee9c246a94"/><Category Type="Product" Id="${PRODUCT.toUpperCase()}"/><Category Type="UpdateClassification" Id="${SECURITY}"/></Categories>` +
    `<SupersededBy><Revision Id="300"/><Revision Id="999999"/></SupersededBy>${v.updateInner ?? ''}</Update>` +
    `<Update UpdateId="aaaaaaaa-0000-0000-0000-000000000101" RevisionId="101" RevisionNumber="201" CreationDate="2025-10-14T17:00:00Z" IsLeaf="true" DeploymentAction="Bundle">` +
    `<BundledBy><Revision Id="100"/></BundledBy><PayloadFiles><File Id="${hexToBase64(SHA_A)}"/></PayloadFiles><Languages><Language Name="en"/></Languages></Update>` +
    `<Update UpdateId="aaaaaaaa-0000-0000-0000-000000000300" RevisionId="300" RevisionNumber="200" CreationDate="2025-11-11T17:00:00Z" IsBundle="true">` +
    `<Categories><Category Type="Product" Id="${PRODUCT}"/></Categories><SupersededBy><Revision Id="777777"/></SupersededBy></Update>` +
    `<Update UpdateId="aaaaaaaa-0000-0000-0000-000000000301" RevisionId="301" RevisionNumber="200" CreationDate="2025-11-11T17:00:00Z" DeploymentAction="Bundle">` +
    `<BundledBy><Revision Id="300"/></BundledBy><PayloadFiles><File Id="${hexToBase64(SHA_B)}"/><File Id="${hexToBase64(SHA_MISSING)}"/></PayloadFiles></Update>` +
    (v.extraUpdates ?? '') +
    '</Updates><FileLocations>' +
    (v.locationA ?? `<FileLocation Id="${hexToBase64(SHA_A)}" Url="http://download.windowsupdate.com/d/msdownload/update/software/secu/2025/10/windows10.0-kb1111111-x64_${SHA_A}.msu"/>`) +
    `<FileLocation Id="${hexToBase64(SHA_B)}" Url="http://download.windowsupdate.com/c/msdownload/update/software/secu/2025/11/windows10.0-kb3333333-x64.cab"/>` +
    (v.extraLocations ?? '') +
    '</FileLocations></OfflineSyncPackage>'
  );
}

const TITLE_100 = 'Security Update for Windows 10 Version 22H2 for x64-based Systems (KB1111111)';
const TITLE_300 = 'Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB3333333)';

function detailCabs(): DetailCabSpec[] {
  return [
    {
      name: 'package2.cab',
      rangeStart: 0,
      fragments: {
        'l/en/50': '<LocalizedProperties><Language>en</Language><Title>Windows 10, version 1903 and later</Title></LocalizedProperties>',
        'l/en/51': '<LocalizedProperties><Language>en</Language><Title>Security Updates</Title></LocalizedProperties>',
        'x/100': '<ExtendedProperties DefaultPropertiesLanguage="en" MsrcSeverity="Critical"><KBArticleID>1111111</KBArticleID></ExtendedProperties>',
        'l/en/100': `<LocalizedProperties><Language>en</Language><Title>${TITLE_100}</Title><Description>x</Description></LocalizedProperties>`,
        'l/de/100': '<LocalizedProperties><Language>de</Language><Title>Sicherheitsupdate (KB1111111)</Title></LocalizedProperties>',
        'x/101':
          '<ExtendedProperties DefaultPropertiesLanguage="en"/><Files>' +
          `<File Digest="${hexToBase64(SHA_A)}" DigestAlgorithm="SHA1" FileName="windows10.0-kb1111111-x64_${SHA_A}.msu" Size="123456">` +
          `<AdditionalDigest Algorithm="SHA256">${SHA256_A.toString('base64')}</AdditionalDigest></File></Files>`,
      },
    },
    {
      name: 'package3.cab',
      rangeStart: 200,
      fragments: {
        'x/300': '<ExtendedProperties MsrcSeverity="Important"><KBArticleID>3333333</KBArticleID></ExtendedProperties>',
        'l/en/300': `<LocalizedProperties><Title>${TITLE_300}</Title></LocalizedProperties>`,
        'x/301': '<ExtendedProperties/>',
      },
    },
  ];
}

async function read(xml: string | Buffer, cabs = detailCabs(), language?: string) {
  const tmp = makeTempDir();
  try {
    const path = writeWsusscn2(tmp.dir, xml, cabs);
    const warnings: string[] = [];
    const snapshot = await readWsusscn2(path, { onWarning: (w) => warnings.push(w), ...(language ? { language } : {}) });
    return { snapshot, warnings };
  } finally {
    tmp.remove();
  }
}

async function readError(xml: string | Buffer): Promise<unknown> {
  return read(xml).then(
    () => undefined,
    (err: unknown) => err,
  );
}

function json(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

describe('readWsusscn2() on the vuls sample catalog', () => {
  it('matches the golden KBs, titles and supersedence', async () => {
    const golden = join(VULS, 'golden');
    const snapshot = await readWsusscn2(join(VULS, 'wsusscn2.cab'));
    const out = inspectWsusscn2Json(snapshot);
    const goldenUpdates = readdirSync(join(golden, 'u')).map((f) => json(join(golden, 'u', f)));
    const bundleRevs = goldenUpdates.filter((u) => u['isbundle'] === 'true').map((u) => Number(u['revisionid']));
    expect(out.bundles.map((b) => b.revisionId).sort()).toEqual(bundleRevs.sort());
    const existing = new Set(goldenUpdates.map((u) => Number(u['revisionid'])));
    for (const u of goldenUpdates) {
      const rev = Number(u['revisionid']);
      const bundle = out.bundles.find((b) => b.revisionId === rev)!;
      expect(bundle.updateId).toBe(u['updateid']);
      const supersededBy = ((u['supersededby'] as { revision?: { id: string }[] } | undefined)?.revision ?? []).map((r) => Number(r.id));
      expect(bundle.supersededBy).toEqual(supersededBy.filter((r) => existing.has(r)));
      expect(bundle.superseded).toBe(supersededBy.some((r) => existing.has(r)));
      const x = readdirSync(join(golden, 'x')).includes(`${rev}.json`) ? json(join(golden, 'x', `${rev}.json`)) : undefined;
      expect(bundle.kb).toBe((x?.['kbarticleid'] as { text: string } | undefined)?.text ?? null);
      const l = readdirSync(join(golden, 'l')).includes(`${rev}.json`) ? json(join(golden, 'l', `${rev}.json`)) : undefined;
      if (l) expect(bundle.title).toBe((l['title'] as { text: string }).text);
    }
    // The sample chains 123456 → 234567 → 345678, so at least one bundle must be superseded.
    expect(out.bundles.some((b) => b.superseded)).toBe(true);
  });
});

describe('readWsusscn2() on a namespaced catalog', () => {
  it('joins bundles, children, files, categories, KBs and digests', async () => {
    const { snapshot, warnings } = await read(packageXml());
    expect(snapshot.packageId).toBe('11111111-2222-3333-4444-555555555555');
    expect(snapshot.creationDate).toBe('2025-11-20T03:00:00Z');
    expect(snapshot.bundles.map((b) => b.revisionId)).toEqual([100, 300]);
    const [b100, b300] = snapshot.bundles;
    expect(b100).toMatchObject({
      kb: '1111111',
      severity: 'Critical',
      title: TITLE_100,
      productIds: [PRODUCT],
      products: ['Windows 10, version 1903 and later'],
      classificationIds: [SECURITY],
      classifications: ['Security Updates'],
      languages: ['en'],
      superseded: true,
      supersededBy: [300],
      source: 'wsusscn2',
    });
    expect(b100!.files).toEqual([
      {
        sha1: SHA_A,
        url: `http://download.windowsupdate.com/d/msdownload/update/software/secu/2025/10/windows10.0-kb1111111-x64_${SHA_A}.msu`,
        name: `windows10.0-kb1111111-x64_${SHA_A}.msu`,
        size: 123456,
        sha256: SHA256_A.toString('hex'),
      },
    ]);
    // Revision 300 lives in package3.cab (RANGESTART 200); its successor 777777 does not exist.
    expect(b300).toMatchObject({ kb: '3333333', severity: 'Important', title: TITLE_300, superseded: false, supersededBy: [] });
    expect(b300!.files.map((f) => f.sha1)).toEqual([SHA_B]);
    expect(warnings.some((w) => w.includes('300') && w.includes(SHA_MISSING) && w.includes('unavailable'))).toBe(true);
    expect(b300!.unavailable).toContain(SHA_MISSING);
    expect(snapshot.bundles.find((b) => b.revisionId !== 300 && b.unavailable !== undefined)).toBeUndefined();
    expect(snapshot.warnings).toEqual(warnings);
  });

  it('takes titles in the requested language and falls back to English', async () => {
    const { snapshot } = await read(packageXml(), detailCabs(), 'de');
    expect(snapshot.bundles[0]!.title).toBe('Sicherheitsupdate (KB1111111)');
    expect(snapshot.bundles[1]!.title).toBe(TITLE_300);
  });

  it('accepts package.xml without a namespace', async () => {
    const { snapshot } = await read(packageXml().replace(` xmlns="${OFFLINE_SYNC_NS}"`, ''));
    expect(snapshot.bundles.map((b) => b.kb)).toEqual(['1111111', '3333333']);
  });

  it('tolerates unknown elements with one warning each', async () => {
    const { snapshot, warnings } = await read(packageXml({ updateInner: '<Frobnicate Level="2"><Inner/></Frobnicate><Frobnicate/>' }));
    expect(snapshot.bundles).toHaveLength(2);
    const unknown = warnings.filter((w) => w.includes('Frobnicate'));
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toContain('2×');
    expect(warnings.some((w) => w.includes('Inner'))).toBe(false);
  });
});

describe('readWsusscn2() refuses bad catalogs', () => {
  it('refuses a DOCTYPE without expanding entities', async () => {
    const err = await readError(packageXml({ prolog: '<!DOCTYPE OfflineSyncPackage [<!ENTITY boom "boomboomboom">]>' }));
    expect(isPatchdiscError(err, 'XML_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/DOCTYPE/);
  });

  it('refuses an undefined entity reference', async () => {
    const err = await readError(packageXml({ updateInner: '<Languages><Language Name="&boom;"/></Languages>' }));
    expect(isPatchdiscError(err, 'XML_INVALID')).toBe(true);
  });

  it('reports truncated XML as XML_INVALID with the byte offset', async () => {
    const full = Buffer.from(packageXml());
    const cut = full.subarray(0, Math.floor(full.length * 0.6));
    const err = await readError(cut);
    expect(isPatchdiscError(err, 'XML_INVALID')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details['byteOffset']).toBe(cut.length);
    expect((err as Error).message).toContain(`byte ${cut.length}`);
  });

  it('refuses duplicate revision ids', async () => {
    const dup = `<Update UpdateId="bbbbbbbb-0000-0000-0000-000000000100" RevisionId="100" RevisionNumber="1" IsBundle="true"/>`;
    const err = await readError(packageXml({ extraUpdates: dup }));
    expect(isPatchdiscError(err, 'CATALOG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('100');
  });

  it('refuses a FileLocation digest that is not 20 bytes', async () => {
    const short = Buffer.alloc(19, 7).toString('base64');
    const err = await readError(packageXml({ extraLocations: `<FileLocation Id="${short}" Url="http://download.windowsupdate.com/x.cab"/>` }));
    expect(isPatchdiscError(err, 'CATALOG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('19 bytes');
  });

  it('refuses a FileLocation whose digest disagrees with the SHA-1 in its file name', async () => {
    const other = sha1Hex('something else');
    const err = await readError(packageXml({ locationA: `<FileLocation Id="${hexToBase64(SHA_A)}" Url="http://download.windowsupdate.com/d/kb1-x64_${other}.msu"/>` }));
    expect(isPatchdiscError(err, 'CATALOG_INVALID')).toBe(true);
    expect((err as Error).message).toContain(other);
  });

  it.each([
    ['an encoded slash', 'http://download.windowsupdate.com/d/a%2Fb.cab'],
    ['a backslash', 'http://download.windowsupdate.com/d/evil\\b.cab'],
    ['an encoded dot-dot', 'http://download.windowsupdate.com/d/%2e%2e'],
    ['an empty name', 'http://download.windowsupdate.com/d/'],
  ])('drops a FileLocation whose file name has %s, with a warning', async (_what, url) => {
    const { snapshot, warnings } = await read(packageXml({ locationA: `<FileLocation Id="${hexToBase64(SHA_A)}" Url="${url.replace(/&/g, '&amp;')}"/>` }));
    const b100 = snapshot.bundles.find((b) => b.revisionId === 100)!;
    expect(b100.files).toEqual([]);
    expect(b100.unavailable).toMatch(/cannot be downloaded/);
    expect(warnings.some((w) => w.startsWith(`Dropped FileLocation ${SHA_A}`))).toBe(true);
    expect(warnings.some((w) => w.includes('Update 100') && w.includes('unavailable'))).toBe(true);
  });

  it('refuses a wrong-length SHA-256 in an x/ fragment', async () => {
    const cabs = detailCabs();
    cabs[0]!.fragments['x/101'] = `<Files><File Digest="${hexToBase64(SHA_A)}" FileName="a.msu"><AdditionalDigest Algorithm="SHA256">${Buffer.alloc(31).toString('base64')}</AdditionalDigest></File></Files>`;
    const err = await read(packageXml(), cabs).then(() => undefined, (e: unknown) => e);
    expect(isPatchdiscError(err, 'CATALOG_INVALID')).toBe(true);
  });

  it('refuses a DOCTYPE in a detail fragment', async () => {
    const cabs = detailCabs();
    cabs[1]!.fragments['l/en/300'] = '<!DOCTYPE x [<!ENTITY a "b">]><LocalizedProperties><Title>&a;</Title></LocalizedProperties>';
    const err = await read(packageXml(), cabs).then(() => undefined, (e: unknown) => e);
    expect(isPatchdiscError(err, 'XML_INVALID')).toBe(true);
  });
});
