import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSha256Sums, parseSha256Sums } from '../../../src/disc/sha256sums.ts';
import type { DiscReader } from '../../../src/disc/disc-reader.ts';
import { folderDiscReader } from '../../../src/disc/folder-disc-reader.ts';
import { generateSigningKey, loadCertificate, loadSigningKey } from '../../../src/disc/keys.ts';
import type { SigningKey } from '../../../src/disc/keys.ts';
import { buildManifest } from '../../../src/disc/manifest.ts';
import { signBytes } from '../../../src/disc/sign.ts';
import { verifyDisc } from '../../../src/disc/verify-disc.ts';
import type { VerifyDiscOptions, VerifyDiscResult } from '../../../src/disc/verify-disc.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { NOW, PASSPHRASE, sampleUpdates, sha256Hex, writeDiscFolder } from './disc-fixture.ts';

const MSU = 'updates/windows-10/KB50421234/windows10.0-kb50421234-x64.msu';

describe('verifyDisc()', () => {
  const tmp = makeTempDir();
  let key: SigningKey;
  let pinned: VerifyDiscOptions['certificate'];
  let good: string;
  let n = 0;

  beforeAll(async () => {
    const g = await generateSigningKey({ name: 'Vendor', passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys') });
    key = await loadSigningKey({ keyPath: g.keyPath, certPath: g.certPath, passphrase: PASSPHRASE });
    const cert = await loadCertificate(g.certPath);
    pinned = { publicKey: cert.publicKey, keyId: cert.keyId };
    good = join(tmp.dir, 'good');
    writeDiscFolder(good, key);
  });
  afterAll(() => tmp.remove());

  /** A fresh copy of the good disc to tamper with. */
  function copyOfGood(): string {
    n += 1;
    const dir = join(tmp.dir, `copy-${n}`);
    cpSync(good, dir, { recursive: true });
    return dir;
  }

  async function verify(dir: string, extra: Partial<VerifyDiscOptions> = {}): Promise<VerifyDiscResult> {
    return verifyDisc(folderDiscReader(dir), { certificate: pinned, subscriber: 'ACME-01', state: { lastSequence: 6 }, now: NOW, ...extra });
  }

  function failed(result: VerifyDiscResult): string[] {
    return result.checks.filter((c) => !c.ok).map((c) => c.name);
  }

  it('accepts a good disc and returns its manifest and manifest hash', async () => {
    const result = await verify(good);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual([
      'metadata', 'manifest-signature', 'sums-signature', 'format', 'signing-key', 'agreement',
      'subscriber', 'expiry', 'sequence', 'disc-number', 'file-set', 'sizes', 'hashes',
    ]);
    expect(result.manifest?.sequence).toBe(7);
    expect(result.manifestSha256).toBe(sha256Hex(readFileSync(join(good, 'MANIFEST.json'))));
    expect(result.checks.find((c) => c.name === 'hashes')?.detail).toBe('8 files hashed, all match');
  });

  it('rejects an older or equal sequence (replay) but accepts the same disc checked again', async () => {
    expect(failed(await verify(good, { state: { lastSequence: 8 } }))).toEqual(['sequence']);
    expect(failed(await verify(good, { state: { lastSequence: 7, lastManifestSha256: 'c'.repeat(64) } }))).toEqual(['sequence']);
    const again = await verify(good, { state: { lastSequence: 7, lastManifestSha256: sha256Hex(readFileSync(join(good, 'MANIFEST.json'))) } });
    expect(again.ok).toBe(true);
  });

  it('accepts another disc of the same multi-disc set at the same sequence', async () => {
    const dir = join(tmp.dir, 'set-2-of-2');
    writeDiscFolder(dir, key, { overrides: { disc: 2, discs: 2 } });
    expect((await verify(dir, { state: { lastSequence: 7, lastManifestSha256: 'c'.repeat(64) } })).ok).toBe(true);
  });

  it('rejects a disc at the very instant it expires', async () => {
    const result = await verify(good, { now: new Date('2026-11-16T08:00:00Z') });
    expect(failed(result)).toEqual(['expiry']);
    expect(result.problems[0]).toMatch(/^expired on 2026-11-16T08:00:00Z/);
  });

  it('rejects update files of another week at the same paths and sizes by their hashes', async () => {
    const samePaths = join(tmp.dir, 'same-paths');
    const renamed = new Map([...sampleUpdates(41).values()].map((data, i) => [[...sampleUpdates(42).keys()][i] ?? '', data]));
    writeDiscFolder(samePaths, key);
    for (const [path, data] of renamed) writeFileSync(join(samePaths, path), data);
    const mixed = await verify(samePaths);
    expect(failed(mixed)).toEqual(['hashes']);
    expect(mixed.problems[0]).toMatch(/^Damaged or altered: .*SHA-256 differs, .*SHA-256 differs/);
  });

  it('rejects a validly signed SHA256SUMS whose header disagrees with the manifest', async () => {
    const dir = copyOfGood();
    const sums = parseSha256Sums(readFileSync(join(dir, 'SHA256SUMS')));
    const forged = buildSha256Sums(
      { subscriberId: 'ACME-01', sequence: 7, expires: '2027-01-01T00:00:00Z', disc: '1/1', week: '2026-W42' },
      [...sums.entries, { path: 'updates/bonus.exe', sha256: sha256Hex('bonus') }],
    );
    writeFileSync(join(dir, 'updates/bonus.exe'), 'bonus');
    writeFileSync(join(dir, 'SHA256SUMS'), forged);
    writeFileSync(join(dir, 'SHA256SUMS.sig'), signBytes(forged, key));
    const result = await verify(dir);
    expect(failed(result)).toEqual(['agreement']);
    expect(result.problems[0]).toContain('header expires');
    expect(result.problems[0]).toContain('updates/bonus.exe listed in SHA256SUMS only');
  });

  it('rejects a manifest that names another signing key', async () => {
    const dir = join(tmp.dir, 'wrong-key-id');
    const manifest = writeDiscFolder(dir, key);
    const bytes = buildManifest({ ...manifest, signingKeySha256: 'f'.repeat(64) });
    writeFileSync(join(dir, 'MANIFEST.json'), bytes);
    writeFileSync(join(dir, 'MANIFEST.json.sig'), signBytes(bytes, key));
    const result = await verify(dir);
    expect(failed(result)).toContain('signing-key');
    expect(failed(result)).toContain('agreement'); // SHA256SUMS still lists the original manifest
  });

  it('refuses an oversized MANIFEST.json before reading it', async () => {
    const base = folderDiscReader(good);
    let reads = 0;
    const reader: DiscReader = {
      list: async () => (await base.list()).map((e) => (e.path === 'MANIFEST.json' ? { ...e, size: 64 * 1024 * 1024 + 1 } : e)),
      read: async (p) => {
        reads += 1;
        return base.read(p);
      },
      stream: (p) => base.stream(p),
    };
    const result = await verifyDisc(reader, { certificate: pinned, now: NOW });
    expect(failed(result)).toEqual(['metadata']);
    expect(reads).toBe(0);
  });

  it('rejects a listing that holds the same path twice (e.g. a crafted ISO directory)', async () => {
    const base = folderDiscReader(good);
    const reader: DiscReader = {
      list: async () => {
        const entries = await base.list();
        return [...entries, ...entries.filter((e) => e.path === MSU)];
      },
      read: (p) => base.read(p),
      stream: (p) => base.stream(p),
    };
    const result = await verifyDisc(reader, { certificate: pinned, now: NOW });
    expect(failed(result)).toEqual(['file-set']);
    expect(result.problems[0]).toBe(`File set differs: present twice ${MSU}`);
  });

  it('stops hashing a file that yields more bytes than its size', async () => {
    const base = folderDiscReader(good);
    let produced = 0;
    const reader: DiscReader = {
      list: () => base.list(),
      read: (p) => base.read(p),
      stream: (p) =>
        p === MSU
          ? Readable.from((function* endless() {
              for (;;) {
                produced += 65536;
                yield Buffer.alloc(65536);
              }
            })())
          : base.stream(p),
    };
    const result = await verifyDisc(reader, { certificate: pinned, now: NOW });
    expect(failed(result)).toEqual(['hashes']);
    expect(result.problems[0]).toContain(`${MSU} read more bytes than its size`);
    expect(produced).toBeLessThan(1024 * 1024);
  });

  it('warns, without rejecting, when the chain to the last accepted manifest is broken', async () => {
    const result = await verify(good, { state: { lastSequence: 6, lastManifestSha256: 'c'.repeat(64) } });
    expect(result.ok).toBe(true);
    expect(result.warnings).toHaveLength(1);
    expect((await verify(good, { state: { lastSequence: 6, lastManifestSha256: 'a'.repeat(64) } })).warnings).toEqual([]);
  });

  it('folderDiscReader refuses a symbolic link on the disc', async () => {
    const dir = copyOfGood();
    symlinkSync('/etc/passwd', join(dir, 'updates', 'link'));
    await expect(verify(dir)).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
  });
});
