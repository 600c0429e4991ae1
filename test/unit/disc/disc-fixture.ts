import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildDiscMetadata } from '../../../src/disc/disc-metadata.ts';
import type { DiscMetadataFile } from '../../../src/disc/disc-metadata.ts';
import { renderDiscIndex } from '../../../src/disc/index-html.ts';
import { formatFingerprint } from '../../../src/disc/keys.ts';
import type { SigningKey } from '../../../src/disc/keys.ts';
import type { ManifestFile, ManifestInput } from '../../../src/disc/manifest.ts';
import { renderDiscReadme } from '../../../src/disc/readme-txt.ts';
import { buildSha256Sums } from '../../../src/disc/sha256sums.ts';
import { signBytes } from '../../../src/disc/sign.ts';

export const PASSPHRASE = 'correct horse battery staple';
export const NOW = new Date('2026-10-12T08:00:00Z');

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Update files of a small test disc, keyed by path. */
export function sampleUpdates(week: number): Map<string, Buffer> {
  return new Map([
    [`updates/windows-10/KB50${week}1234/windows10.0-kb50${week}1234-x64.msu`, Buffer.from(`cumulative update week ${week}\n`.repeat(50))],
    [`updates/windows-10/KB50${week}9999/ssu-kb50${week}9999-x64.msu`, Buffer.from(`servicing stack week ${week}\n`.repeat(20))],
    [`updates/office/KB60${week}0001/office-kb60${week}0001.cab`, Buffer.alloc(0)],
  ]);
}

export function manifestFor(
  key: SigningKey,
  updates: Map<string, Buffer>,
  overrides: Partial<ManifestInput> = {},
): ManifestInput {
  const files: ManifestFile[] = [...updates].map(([path, data], i) => ({
    path,
    size: data.length,
    sha256: sha256Hex(data),
    kb: /KB\d+/.exec(path)?.[0] ?? 'KB0000',
    title: i === 0 ? '2026-10 Cumulative Update <Windows 10> & "x64"' : `Update ${i}`,
    severity: i === 0 ? 'Critical' : 'Important',
    cves: i === 0 ? ['CVE-2026-12345', 'CVE-2026-23456'] : [],
    classification: 'Security Updates',
    product: i === 2 ? 'Office' : 'Windows 10',
    sourceUrl: `https://catalog.s.download.windowsupdate.com/d/msdownload/${i}.msu`,
    msSha1: createHash('sha1').update(data).digest('hex'),
  }));
  return {
    vendor: 'Example Patch Service',
    subscriberId: 'ACME-01',
    sequence: 7,
    disc: 1,
    discs: 1,
    created: '2026-10-12T08:00:00Z',
    expires: '2026-11-16T08:00:00Z',
    signingKeySha256: key.keyId,
    previousManifestSha256: 'a'.repeat(64),
    pipeline: 'demo',
    week: '2026-W42',
    quietWeek: false,
    files,
    installOrder: [...updates.keys()].reverse(),
    ...overrides,
  };
}

/**
 * Writes a complete disc folder (metadata + update files) and returns its manifest input.
 * `extraFiles` (e.g. rotation.ts buildRotationFiles) go through buildDiscMetadata like a build's.
 */
export function writeDiscFolder(
  dir: string,
  key: SigningKey,
  options: { updates?: Map<string, Buffer>; overrides?: Partial<ManifestInput>; extraFiles?: DiscMetadataFile[] } = {},
): ManifestInput {
  const updates = options.updates ?? sampleUpdates(42);
  const manifest = manifestFor(key, updates, options.overrides);
  const metadata = buildDiscMetadata({
    manifest,
    key,
    updateFiles: manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    indexHtml: renderDiscIndex(manifest),
    readmeTxt: renderDiscReadme(manifest, formatFingerprint(key.keyId)),
    extraFiles: options.extraFiles ?? [],
  });
  const all: [string, Buffer][] = [...metadata.map((f): [string, Buffer] => [f.path, f.data]), ...updates];
  for (const [path, data] of all) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
  return manifest;
}

/**
 * A disc signed by `signer` carrying `extra` files, listed in a SHA256SUMS signed by `signer` —
 * written without buildDiscMetadata's checks, so that forged rotation statements can be put on a disc.
 */
export function writeForgedDisc(dir: string, signer: SigningKey, extra: DiscMetadataFile[], overrides: Partial<ManifestInput> = {}): void {
  const updates = sampleUpdates(42);
  const manifest = manifestFor(signer, updates, overrides);
  const base = buildDiscMetadata({
    manifest,
    key: signer,
    updateFiles: manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    indexHtml: '<!DOCTYPE html><title>disc</title>\n',
    readmeTxt: 'disc\n',
  }).filter((f) => f.path !== 'SHA256SUMS' && f.path !== 'SHA256SUMS.sig');
  const byPath = new Map<string, Buffer>([...base.map((f): [string, Buffer] => [f.path, f.data]), ...extra.map((f): [string, Buffer] => [f.path, f.data])]);
  const sums = buildSha256Sums(
    { subscriberId: manifest.subscriberId, sequence: manifest.sequence, expires: manifest.expires, disc: '1/1', week: manifest.week },
    [...[...byPath].map(([path, data]) => ({ path, sha256: sha256Hex(data) })), ...manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 }))],
  );
  byPath.set('SHA256SUMS', sums);
  byPath.set('SHA256SUMS.sig', signBytes(sums, signer));
  for (const [path, data] of [...byPath, ...updates]) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
}
