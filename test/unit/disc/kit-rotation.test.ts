import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscMetadataFile } from '../../../src/disc/disc-metadata.ts';
import { certificateDiscPath } from '../../../src/disc/disc-names.ts';
import { folderDiscReader } from '../../../src/disc/folder-disc-reader.ts';
import { generateSigningKey, loadCertificate, loadSigningKey } from '../../../src/disc/keys.ts';
import type { SigningKey } from '../../../src/disc/keys.ts';
import { renderKitState } from '../../../src/disc/kit-verify-script.ts';
import type { ManifestInput } from '../../../src/disc/manifest.ts';
import { ROTATION_NAME, ROTATION_NEW_SIG_NAME, ROTATION_OLD_SIG_NAME, buildRotationFiles, buildRotationStatement } from '../../../src/disc/rotation.ts';
import { signBytes } from '../../../src/disc/sign.ts';
import { verifyDisc } from '../../../src/disc/verify-disc.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { PASSPHRASE, sha256Hex, writeDiscFolder, writeForgedDisc } from './disc-fixture.ts';
import { runVerifyPage, runVerifyScript, writeKitFolder } from './kit-runners.ts';

const hasShellTools = requireTools('sh', 'openssl', 'sha256sum', 'find', 'sort');
const hasChromium = requireTools('chromium');

/** Valid against the real clock, which the script and the page read. */
const CURRENT: Partial<ManifestInput> = { created: '2026-01-01T00:00:00Z', expires: '2099-01-01T00:00:00Z' };
const EFFECTIVE = new Date('2026-10-10T09:00:00Z');

/**
 * The kit's verify-disc.sh and verify.html against the rules of rotation.ts / verify-state.ts, with
 * verifyDisc() (what `patchdisc verify` runs) on the same discs as the reference.
 */
describe('enrollment kit verifiers and key rotation', () => {
  const tmp = makeTempDir();
  let oldKey: SigningKey;
  let newKey: SigningKey;
  let otherKey: SigningKey;
  let oldCertPath: string;
  let n = 0;

  async function makeKey(name: string): Promise<SigningKey> {
    const g = await generateSigningKey({ name, passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys') });
    return loadSigningKey({ keyPath: g.keyPath, certPath: g.certPath, passphrase: PASSPHRASE });
  }

  beforeAll(async () => {
    [oldKey, newKey, otherKey] = await Promise.all([makeKey('Vendor 2026'), makeKey('Vendor 2027'), makeKey('Intruder')]);
    oldCertPath = join(tmp.dir, 'old.cer');
    writeFileSync(oldCertPath, oldKey.certificateDer);
  }, 60_000);
  afterAll(() => tmp.remove());

  function fresh(name: string): string {
    n += 1;
    return join(tmp.dir, `${name}-${n}`);
  }
  const short = (key: SigningKey): string => key.keyId.slice(0, 16);

  /** Rotation files old → new (or as given), with some of them replaced or (undefined) left out. */
  function rotationFiles(replace: Record<string, Buffer | undefined> = {}, keys = { old: oldKey, next: newKey }): DiscMetadataFile[] {
    return buildRotationFiles({ oldKey: keys.old, newKey: keys.next, effective: EFFECTIVE }).flatMap((f) => {
      if (!Object.hasOwn(replace, f.path)) return [f];
      const data = replace[f.path];
      return data === undefined ? [] : [{ path: f.path, data }];
    });
  }
  const statement = (): Buffer => buildRotationStatement({ oldKeySha256: oldKey.keyId, newKeySha256: newKey.keyId, effective: EFFECTIVE });

  /** A disc built the way a build after `patchdisc keys rotate` writes it (rotation files as extraFiles). */
  function rotatedDisc(sequence: number): string {
    const dir = fresh(`rotated-${sequence}`);
    writeDiscFolder(dir, newKey, { overrides: { ...CURRENT, sequence }, extraFiles: rotationFiles() });
    return dir;
  }
  function plainDisc(key: SigningKey, sequence: number): string {
    const dir = fresh(`plain-${sequence}`);
    writeDiscFolder(dir, key, { overrides: { ...CURRENT, sequence } });
    return dir;
  }
  function forged(extra: DiscMetadataFile[], overrides: Partial<ManifestInput> = {}, signer = newKey): string {
    const dir = fresh('forged');
    writeForgedDisc(dir, signer, extra, { ...CURRENT, ...overrides });
    return dir;
  }

  /** A rotated disc whose manifest names `keyId`, re-signed by the new key (buildDiscMetadata refuses to). */
  function namingKey(keyId: string): string {
    const dir = forged(rotationFiles());
    const sumsPath = join(dir, 'SHA256SUMS');
    let sums = readFileSync(sumsPath, 'utf8');
    for (const [name, edit] of [['MANIFEST.json', (t: string) => t.replace(newKey.keyId, keyId)]] as const) {
      const before = readFileSync(join(dir, name));
      const after = Buffer.from(edit(before.toString('utf8')));
      const sig = signBytes(after, newKey);
      sums = sums.replace(sha256Hex(before), sha256Hex(after)).replace(sha256Hex(readFileSync(join(dir, `${name}.sig`))), sha256Hex(sig));
      writeFileSync(join(dir, name), after);
      writeFileSync(join(dir, `${name}.sig`), sig);
    }
    writeFileSync(sumsPath, sums);
    writeFileSync(join(dir, 'SHA256SUMS.sig'), signBytes(Buffer.from(sums), newKey));
    return dir;
  }

  async function library(dir: string): Promise<{ ok: boolean; problems: string; rotatedTo: string | undefined }> {
    const cert = await loadCertificate(oldCertPath);
    const r = await verifyDisc(folderDiscReader(dir), { certificate: cert, subscriber: 'ACME-01', state: { lastSequence: 6 }, now: new Date() });
    return { ok: r.ok, problems: r.problems.join('\n'), rotatedTo: r.rotatedTo?.keyId };
  }

  /** Tampered rotations: [name, disc, what patchdisc verify / verify-disc.sh / verify.html say]. */
  const refused: [string, () => string, () => { library: string; script: string; page: string }][] = [
    ['an edited statement', () => forged(rotationFiles({ [ROTATION_NAME]: Buffer.from(statement().toString().replace('2026-10-10', '2026-10-11')) })),
      () => ({ library: 'is not signed by the pinned key', script: 'is not signed by the pinned key', page: 'is not signed by the pinned key' })],
    ['an old-key signature by another key', () => forged(rotationFiles({ [ROTATION_OLD_SIG_NAME]: signBytes(statement(), otherKey) })),
      () => ({ library: 'is not signed by the pinned key', script: 'is not signed by the pinned key', page: 'is not signed by the pinned key' })],
    ['no new-key signature', () => forged(rotationFiles({ [ROTATION_NEW_SIG_NAME]: undefined })),
      () => ({ library: `${ROTATION_NEW_SIG_NAME} is missing`, script: `${ROTATION_NEW_SIG_NAME} is missing`, page: `${ROTATION_NEW_SIG_NAME} is missing` })],
    ['a new-key signature made by the old key', () => forged(rotationFiles({ [ROTATION_NEW_SIG_NAME]: signBytes(statement(), oldKey) })),
      () => ({ library: 'is not signed by the new key', script: 'is not signed by the new key', page: 'is not signed by the new key' })],
    ['a new certificate that does not hash to newKeySha256', () => forged(rotationFiles({ [certificateDiscPath(newKey.keyId)]: Buffer.from(otherKey.certificateDer) })),
      () => ({ library: 'does not hash to newKeySha256', script: 'does not hash to newKeySha256', page: 'does not hash to newKeySha256' })],
    ['a statement rotating from another old key, signed by the pinned key', () => {
      const s = buildRotationStatement({ oldKeySha256: otherKey.keyId, newKeySha256: newKey.keyId, effective: EFFECTIVE });
      return forged(rotationFiles({ [ROTATION_NAME]: s, [ROTATION_OLD_SIG_NAME]: signBytes(s, oldKey), [ROTATION_NEW_SIG_NAME]: signBytes(s, newKey) }));
    }, () => ({ library: `rotates from key ${short(otherKey)}`, script: `rotates from key ${short(otherKey)}`, page: `rotates from key ${short(otherKey)}` })],
    ['a statement from another old key, signed by it', () => forged(rotationFiles({}, { old: otherKey, next: newKey })),
      () => ({ library: 'is not signed by the pinned key', script: 'is not signed by the pinned key', page: 'is not signed by the pinned key' })],
    // Every verifier accepts the statement only in its canonical layout (buildRotationStatement's bytes).
    ['a non-canonical statement signed by both keys', () => {
      const s = Buffer.from(JSON.stringify(JSON.parse(statement().toString())));
      return forged(rotationFiles({ [ROTATION_NAME]: s, [ROTATION_OLD_SIG_NAME]: signBytes(s, oldKey), [ROTATION_NEW_SIG_NAME]: signBytes(s, newKey) }));
    }, () => ({ library: 'not in the canonical layout', script: 'not in the canonical layout', page: 'not in the canonical layout' })],
    ['a manifest naming the old key on a disc the new key signed', () => namingKey(oldKey.keyId),
      () => ({ library: `manifest names key ${short(oldKey)}`, script: `MANIFEST.json names signing key ${short(oldKey)}`, page: '✘ 清单指明的签名密钥正确' })],
    ['a genuine rotation to another key than the one that signed the disc', () => forged(rotationFiles({}, { old: oldKey, next: otherKey })),
      () => ({ library: 'not a valid signature by the new key', script: `SHA256SUMS is not signed by the new key ${short(otherKey)}`, page: '✘ SHA256SUMS 签名有效' })],
    ['no statement on a disc signed by a new key', () => plainDisc(newKey, 7),
      () => ({ library: 'signed by an unknown key', script: 'SHA256SUMS is not signed by the pinned key', page: '✘ SHA256SUMS 签名有效' })],
  ];

  it('verifyDisc() accepts the rotated disc and refuses every tampered rotation (the reference for the kit)', async () => {
    expect(await library(rotatedDisc(7))).toMatchObject({ ok: true, rotatedTo: newKey.keyId });
    for (const [name, make, says] of refused) {
      const r = await library(make());
      expect({ name, ok: r.ok }).toEqual({ name, ok: false });
      expect(r.problems, name).toContain(says().library);
    }
  });

  describe.skipIf(!hasShellTools)('verify-disc.sh', () => {
    it('accepts a rotated disc, pins the new key, then refuses discs of the retired old key', async () => {
      const kit = await writeKitFolder(fresh('kit'), oldCertPath);
      const disc7 = rotatedDisc(7);
      const first = runVerifyScript(kit, disc7);
      expect(first.out).toContain(`key rotation accepted: now pinned to ${short(newKey)}, old key ${short(oldKey)} retired`);
      expect(first.out).toContain(`已接受密钥轮换：现已固定为新密钥 ${short(newKey)}`);
      expect(first.status).toBe(0);
      const state = (): string => readFileSync(join(kit, 'state.txt'), 'utf8');
      const pinnedLines = `pinnedKeySha256=${newKey.keyId}\npinnedKeyCertificate=${Buffer.from(newKey.certificateDer).toString('base64')}\nretiredKeys=${oldKey.keyId}\n`;
      expect(state()).toBe(`subscriberId=ACME-01\nlastSequence=7\nlastManifestSha256=${sha256Hex(readFileSync(join(disc7, 'MANIFEST.json')))}\n${pinnedLines}`);

      // The next disc of the new key still carries the statement; it verifies with the pinned new key.
      const second = runVerifyScript(kit, rotatedDisc(8));
      expect(second.out).toContain("OK / 验证通过");
      expect(second.status).toBe(0);
      expect(second.out).toContain(`signatures OK (pinned key ${short(newKey)})`);
      expect(second.out).not.toContain('key rotation accepted');
      expect(state()).toContain('lastSequence=8\n');

      const byOld = runVerifyScript(kit, plainDisc(oldKey, 9));
      expect(byOld.status).toBe(1);
      expect(byOld.out).toContain(`SHA256SUMS is not signed by the pinned key ${short(newKey)}`);
      expect(state()).toContain('lastSequence=8\n');

      const plain = runVerifyScript(kit, plainDisc(newKey, 9));
      expect(plain.out).toContain('OK / 验证通过');
      expect(state()).toContain('lastSequence=9\n');
      expect(state().endsWith(pinnedLines)).toBe(true);
    });

    it('refuses a state file whose pinned certificate is damaged or that belongs to another enrollment', async () => {
      const kit = await writeKitFolder(fresh('kit'), oldCertPath);
      expect(runVerifyScript(kit, rotatedDisc(7)).status).toBe(0);
      const good = readFileSync(join(kit, 'state.txt'), 'utf8');
      const otherCert = Buffer.from(otherKey.certificateDer).toString('base64');
      writeFileSync(join(kit, 'state.txt'), good.replace(/pinnedKeyCertificate=.*/, `pinnedKeyCertificate=${otherCert}`));
      expect(runVerifyScript(kit, plainDisc(newKey, 8)).out).toContain('pinnedKeyCertificate does not hash to pinnedKeySha256');
      writeFileSync(join(kit, 'state.txt'), good.replace(/retiredKeys=.*/, `retiredKeys=${otherKey.keyId}`));
      expect(runVerifyScript(kit, plainDisc(newKey, 8)).out).toContain(`state file pins key ${short(newKey)} (accepted through a key rotation), not this kit's key`);
    });

    it.each(refused)('refuses %s and keeps the state', async (_name, make, says) => {
      const kit = await writeKitFolder(fresh('kit'), oldCertPath);
      const r = runVerifyScript(kit, make());
      expect(r.out).toContain(says().script);
      expect(r.status).toBe(1);
      expect(readFileSync(join(kit, 'state.txt'), 'utf8')).toBe(renderKitState('ACME-01', 6));
    });
  });

  describe.skipIf(!hasChromium)('verify.html', () => {
    it('accepts a rotated disc, remembers the new key, then refuses discs of the retired old key', async () => {
      const kit = await writeKitFolder(fresh('kit'), oldCertPath);
      const [first, second, byOld, plain] = await runVerifyPage(kit, [rotatedDisc(7), rotatedDisc(8), plainDisc(oldKey, 9), plainDisc(newKey, 9)]);
      expect(first?.text).toContain('Disc verified');
      expect(first?.text).toContain(`key rotation accepted: now pinned to ${short(newKey)}, old key ${short(oldKey)} retired`);
      expect(JSON.parse(first?.stored ?? 'null')).toMatchObject({
        sequence: 7,
        keySha256: newKey.keyId,
        keyCertificate: Buffer.from(newKey.certificateDer).toString('base64'),
        retiredKeys: [oldKey.keyId],
      });
      expect(second?.text).toContain('Disc verified');
      expect(second?.text).toContain(`MANIFEST.json signature valid (pinned key ${short(newKey)})`);
      expect(second?.text).not.toContain('key rotation accepted');
      expect(byOld?.text).toContain('Verification FAILED');
      expect(byOld?.text).toContain('✘ SHA256SUMS 签名有效');
      expect(JSON.parse(byOld?.stored ?? 'null')).toMatchObject({ sequence: 8, keySha256: newKey.keyId });
      expect(plain?.text).toContain('Disc verified');
      expect(JSON.parse(plain?.stored ?? 'null')).toMatchObject({ sequence: 9, keySha256: newKey.keyId, retiredKeys: [oldKey.keyId] });
    }, 60_000);

    it('refuses every tampered rotation and stores nothing', async () => {
      const kit = await writeKitFolder(fresh('kit'), oldCertPath);
      const runs = await runVerifyPage(kit, refused.map(([, make]) => make()));
      refused.forEach(([name, , says], i) => {
        expect(runs[i]?.text, name).toContain('Verification FAILED');
        expect(runs[i]?.text, name).toContain(says().page);
        expect(runs[i]?.stored, name).toBeNull();
      });
    }, 120_000);
  });
});
