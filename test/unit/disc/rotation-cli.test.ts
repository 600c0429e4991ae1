import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/cli-io.ts';
import { main } from '../../../src/cli/main.ts';
import { buildDiscMetadata } from '../../../src/disc/disc-metadata.ts';
import { formatFingerprint, loadSigningKey } from '../../../src/disc/keys.ts';
import type { SigningKey } from '../../../src/disc/keys.ts';
import { ROTATION_NAME } from '../../../src/disc/rotation.ts';
import { openLedger } from '../../../src/ledger/open-ledger.ts';
import { listSigningKeys } from '../../../src/ledger/signing-keys.ts';
import { rotationFor } from '../../../src/pipeline/rotation-for.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { manifestFor, sampleUpdates, writeDiscFolder } from './disc-fixture.ts';

const OLD_PASS = 'old passphrase 2026';
const NEW_PASS = 'new passphrase 2027';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = { env, stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), isTTY: false, cwd };
  const code = await main(argv, io);
  return { code, ...out };
}

/** A disc signed by `key` (sequence as given) with `extraFiles` in its metadata. */
function writeDisc(dir: string, key: SigningKey, sequence: number, extraFiles: Parameters<typeof buildDiscMetadata>[0]['extraFiles'] = []): void {
  writeDiscFolder(dir, key, { overrides: { sequence } });
  const manifest = manifestFor(key, sampleUpdates(42), { sequence });
  const metadata = buildDiscMetadata({
    manifest,
    key,
    updateFiles: manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    indexHtml: 'index',
    readmeTxt: 'readme',
    extraFiles: extraFiles ?? [],
  });
  for (const f of metadata) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
}

describe('patchdisc keys rotate', () => {
  it('makes a new active key whose discs carry a rotation that patchdisc verify accepts once, then pins', async () => {
    const tmp = makeTempDir('patchdisc-rotate-cli-');
    try {
      const data = join(tmp.dir, 'data');
      const env = { PATCHDISC_KEY_PASSPHRASE: OLD_PASS };
      const gen = await cli(['--data', data, 'keys', 'generate', '--name', 'Vendor 2026'], env, tmp.dir);
      expect(gen.stderr).toBe('');
      expect(gen.code).toBe(0);

      const rot = await cli(['--data', data, 'keys', 'rotate', '--name', 'Vendor 2027', '--days', '400'], { ...env, PATCHDISC_NEW_KEY_PASSPHRASE: NEW_PASS }, tmp.dir);
      expect(rot.stderr).toBe('');
      expect(rot.code).toBe(0);

      const ledger = await openLedger(join(data, 'patchdisc.db'));
      let oldKey: SigningKey;
      let newKey: SigningKey;
      let rotation;
      try {
        const keys = await listSigningKeys(ledger);
        expect(keys.map((k) => [k.name, k.active])).toEqual([['Vendor 2027', true], ['Vendor 2026', false]]);
        const [newRecord, oldRecord] = keys;
        newKey = await loadSigningKey({ keyPath: newRecord!.keyPath, certPath: newRecord!.certPath, passphrase: NEW_PASS });
        oldKey = await loadSigningKey({ keyPath: oldRecord!.keyPath, certPath: oldRecord!.certPath, passphrase: OLD_PASS });
        expect(rot.stdout).toContain(formatFingerprint(oldKey.keyId).split('\n')[0]);
        expect(rot.stdout).toContain(formatFingerprint(newKey.keyId).split('\n')[0]);
        rotation = await rotationFor(ledger, data, newKey);
        expect(rotation.map((f) => f.path)).toContain(ROTATION_NAME);
        expect(rotation).toHaveLength(4);
        expect(await rotationFor(ledger, data, oldKey)).toEqual([]);

        // A wrong passphrase for the current key changes nothing.
        const wrong = await cli(['--data', data, 'keys', 'rotate', '--name', 'Vendor 2028'], { PATCHDISC_KEY_PASSPHRASE: 'not the passphrase' }, tmp.dir);
        expect(wrong.code).not.toBe(0);
        expect(wrong.stderr).toMatch(/Cannot unlock private key/);
        expect((await listSigningKeys(ledger)).filter((k) => k.active).map((k) => k.keyId)).toEqual([newKey.keyId]);
      } finally {
        await ledger.close();
      }

      const oldCert = join(tmp.dir, 'vendor.cer');
      writeFileSync(oldCert, oldKey.certificateDer);
      const state = join(tmp.dir, 'verify-state.json');
      const verify = (disc: string): Promise<Run> => cli(['verify', disc, '--cert', oldCert, '--state', state, '--at', '2026-10-12T08:00:00Z'], {}, tmp.dir);

      const withStatement = join(tmp.dir, 'disc-7');
      writeDisc(withStatement, newKey, 7, rotation);
      const first = await verify(withStatement);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('KEY ROTATED');
      const saved = JSON.parse(readFileSync(state, 'utf8')) as { subscribers: Record<string, { keySha256?: string; retiredKeys?: string[] }> };
      expect(saved.subscribers['ACME-01']?.keySha256).toBe(newKey.keyId);
      expect(saved.subscribers['ACME-01']?.retiredKeys).toEqual([oldKey.keyId]);

      const plain = join(tmp.dir, 'disc-8');
      writeDisc(plain, newKey, 8);
      const second = await verify(plain);
      // Only the chain warning of the fixture's fixed previousManifestSha256.
      expect(second.stderr).not.toContain('INVALID');
      expect(second.code).toBe(0);

      const byOld = join(tmp.dir, 'disc-9');
      writeDisc(byOld, oldKey, 9);
      const third = await verify(byOld);
      expect(third.code).toBe(3);
      expect(third.stderr).toMatch(/not a valid signature by the pinned key/);
    } finally {
      tmp.remove();
    }
  }, 60_000);
});
