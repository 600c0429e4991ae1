import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDiscMetadata } from '../../../src/disc/disc-metadata.ts';
import { generateSigningKey, loadSigningKey } from '../../../src/disc/keys.ts';
import type { GeneratedKey, SigningKey } from '../../../src/disc/keys.ts';
import { parseManifest } from '../../../src/disc/manifest.ts';
import { parseSha256Sums } from '../../../src/disc/sha256sums.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { PASSPHRASE, manifestFor, sampleUpdates, sha256Hex, writeDiscFolder } from './disc-fixture.ts';

const hasTools = requireTools('openssl', 'sha256sum', 'find', 'sort');

function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

describe('buildDiscMetadata()', () => {
  const keys = makeTempDir();
  let generated: GeneratedKey;
  let key: SigningKey;

  beforeAll(async () => {
    generated = await generateSigningKey({ name: 'Vendor', passphrase: PASSPHRASE, keyDir: keys.dir });
    key = await loadSigningKey({ keyPath: generated.keyPath, certPath: generated.certPath, passphrase: PASSPHRASE });
  });
  afterAll(() => keys.remove());

  it('returns the seven metadata files and lists every other disc file in SHA256SUMS', () => {
    const tmp = makeTempDir();
    try {
      const manifest = writeDiscFolder(tmp.dir, key);
      const all = listFiles(tmp.dir);
      expect(all).toContain(`keys/${key.keyId.slice(0, 16)}.cer`);
      for (const name of ['MANIFEST.json', 'MANIFEST.json.sig', 'SHA256SUMS', 'SHA256SUMS.sig', 'index.html', 'README.txt']) {
        expect(all).toContain(name);
      }
      const sums = parseSha256Sums(readFileSync(join(tmp.dir, 'SHA256SUMS')));
      expect(sums.entries.map((e) => e.path).sort()).toEqual(all.filter((p) => p !== 'SHA256SUMS' && p !== 'SHA256SUMS.sig'));
      expect(sums.header).toEqual({ subscriberId: 'ACME-01', sequence: '7', expires: manifest.expires, disc: '1/1', week: '2026-W42' });
      const parsed = parseManifest(readFileSync(join(tmp.dir, 'MANIFEST.json')));
      expect(parsed.files.map((f) => f.path).sort()).toEqual(all.filter((p) => p.startsWith('updates/')));
    } finally {
      tmp.remove();
    }
  });

  it.skipIf(!hasTools)('is verified by openssl (both signatures) and sha256sum --check --strict', () => {
    const tmp = makeTempDir();
    try {
      const disc = join(tmp.dir, 'disc');
      writeDiscFolder(disc, key);
      const pub = join(tmp.dir, 'pub.pem');
      writeFileSync(pub, execFileSync('openssl', ['x509', '-inform', 'DER', '-in', generated.certPath, '-pubkey', '-noout']));
      for (const name of ['MANIFEST.json', 'SHA256SUMS']) {
        const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', `${name}.sig`, name], { cwd: disc, encoding: 'utf8' });
        expect(out.trim()).toBe('Verified OK');
      }
      execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: disc });
      // the exact-file-set comparison a subscriber does with stock tools
      const listed = execFileSync('sh', ['-c', "grep -v '^#' SHA256SUMS | cut -c67- | LC_ALL=C sort"], { cwd: disc, encoding: 'utf8' });
      const present = execFileSync('sh', ['-c', "find . -type f ! -name SHA256SUMS ! -name SHA256SUMS.sig | sed 's|^\\./||' | LC_ALL=C sort"], { cwd: disc, encoding: 'utf8' });
      expect(listed).toBe(present);
      writeFileSync(join(disc, 'index.html'), 'tampered');
      expect(() => execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: disc, stdio: 'ignore' })).toThrow();
    } finally {
      tmp.remove();
    }
  });

  it('refuses a manifest that names another signing key', () => {
    const updates = sampleUpdates(42);
    const manifest = manifestFor(key, updates, { signingKeySha256: 'f'.repeat(64) });
    expect(() =>
      buildDiscMetadata({ manifest, key, updateFiles: manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 })), indexHtml: '', readmeTxt: '' }),
    ).toThrow(expect.objectContaining({ code: 'KEY_ERROR' }));
  });

  it('refuses update files that differ from the manifest or collide with metadata names', () => {
    const updates = sampleUpdates(42);
    const manifest = manifestFor(key, updates);
    const files = manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 }));
    const build = (updateFiles: { path: string; sha256: string }[], m = manifest) => () =>
      buildDiscMetadata({ manifest: m, key, updateFiles, indexHtml: '', readmeTxt: '' });
    expect(build(files.slice(1))).toThrow(/missing or its SHA-256 differs/);
    expect(build([...files, { path: 'updates/extra.msu', sha256: sha256Hex('x') }])).toThrow(/not in the manifest/);
    expect(build(files.map((f, i) => (i === 0 ? { ...f, sha256: sha256Hex('other') } : f)))).toThrow(/differs/);
    const clash = { path: 'manifest.json', size: 1, sha256: sha256Hex('x') };
    expect(build([{ path: clash.path, sha256: clash.sha256 }], { ...manifest, files: [clash] })).toThrow(/collides/);
  });
});
