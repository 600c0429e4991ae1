import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDiscMetadata } from '../../../src/disc/disc-metadata.ts';
import type { DiscMetadataFile } from '../../../src/disc/disc-metadata.ts';
import { certificateDiscPath } from '../../../src/disc/disc-names.ts';
import { folderDiscReader } from '../../../src/disc/folder-disc-reader.ts';
import { generateSigningKey, loadCertificate, loadSigningKey } from '../../../src/disc/keys.ts';
import type { SigningKey } from '../../../src/disc/keys.ts';
import {
  ROTATION_NAME,
  ROTATION_NEW_SIG_NAME,
  ROTATION_OLD_SIG_NAME,
  buildRotationFiles,
  buildRotationStatement,
  parseRotationStatement,
} from '../../../src/disc/rotation.ts';
import { signBytes } from '../../../src/disc/sign.ts';
import { verifyDisc } from '../../../src/disc/verify-disc.ts';
import type { VerifyDiscResult } from '../../../src/disc/verify-disc.ts';
import { loadVerifyState, recordAcceptedDisc, saveVerifyState, subscriberKey } from '../../../src/disc/verify-state.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { NOW, PASSPHRASE, manifestFor, sampleUpdates, writeDiscFolder, writeForgedDisc as writeForgedDiscTo } from './disc-fixture.ts';

const EFFECTIVE = new Date('2026-10-10T09:00:00Z');

describe('key rotation', () => {
  const tmp = makeTempDir();
  let oldKey: SigningKey;
  let newKey: SigningKey;
  let otherKey: SigningKey;
  let pinned: { publicKey: import('node:crypto').KeyObject; keyId: string };
  let n = 0;

  async function makeKey(name: string): Promise<SigningKey> {
    const g = await generateSigningKey({ name, passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys') });
    return loadSigningKey({ keyPath: g.keyPath, certPath: g.certPath, passphrase: PASSPHRASE });
  }

  beforeAll(async () => {
    [oldKey, newKey, otherKey] = await Promise.all([makeKey('Vendor 2026'), makeKey('Vendor 2027'), makeKey('Intruder')]);
    const certPath = join(tmp.dir, 'old.cer');
    writeFileSync(certPath, oldKey.certificateDer);
    const cert = await loadCertificate(certPath);
    pinned = { publicKey: cert.publicKey, keyId: cert.keyId };
  });
  afterAll(() => tmp.remove());

  function fresh(): string {
    n += 1;
    return join(tmp.dir, `disc-${n}`);
  }

  function writeForgedDisc(signer: SigningKey, extra: DiscMetadataFile[], sequence = 7): string {
    const dir = fresh();
    writeForgedDiscTo(dir, signer, extra, { sequence });
    return dir;
  }

  /** Valid rotation files old → new, with some of them replaced. */
  function rotationFiles(replace: Partial<Record<string, Buffer>> = {}, keys = { old: oldKey, next: newKey }): DiscMetadataFile[] {
    return buildRotationFiles({ oldKey: keys.old, newKey: keys.next, effective: EFFECTIVE }).map((f) => ({ path: f.path, data: replace[f.path] ?? f.data }));
  }

  async function verify(dir: string, key = pinned, lastSequence = 6): Promise<VerifyDiscResult> {
    return verifyDisc(folderDiscReader(dir), { certificate: key, subscriber: 'ACME-01', state: { lastSequence }, now: NOW });
  }

  function failedChecks(r: VerifyDiscResult): string[] {
    return r.checks.filter((c) => !c.ok).map((c) => c.name);
  }

  it('buildRotationStatement() writes canonical bytes that parseRotationStatement() reads back', () => {
    const bytes = buildRotationStatement({ oldKeySha256: oldKey.keyId, newKeySha256: newKey.keyId, effective: EFFECTIVE });
    expect(bytes.toString('utf8')).toBe(
      `{\n  "format": "patchdisc-rotation/1",\n  "oldKeySha256": "${oldKey.keyId}",\n  "newKeySha256": "${newKey.keyId}",\n` +
        `  "newCertificate": "keys/${newKey.keyId.slice(0, 16)}.cer",\n  "effective": "2026-10-10T09:00:00.000Z"\n}\n`,
    );
    expect(parseRotationStatement(bytes).newKeySha256).toBe(newKey.keyId);
    expect(() => buildRotationStatement({ oldKeySha256: oldKey.keyId, newKeySha256: oldKey.keyId, effective: EFFECTIVE })).toThrow(/same/);
    expect(() => parseRotationStatement(Buffer.from('{"format":"patchdisc-rotation/2"}'))).toThrow(/format/);
  });

  it('parseRotationStatement() refuses any layout but the canonical bytes, as the kit verifiers do', () => {
    const text = buildRotationStatement({ oldKeySha256: oldKey.keyId, newKeySha256: newKey.keyId, effective: EFFECTIVE }).toString('utf8');
    const variants = [
      JSON.stringify(JSON.parse(text)),
      text.replace('\n}\n', '\n}'),
      text.replace('\n}\n', '\n}\n\n'),
      text.replace('  "format"', '   "format"'),
      text.replace('.000Z', 'Z'),
      text.replace(/("oldKeySha256": "\w+",\n)(\s+"newKeySha256": "\w+",\n)/, '$2$1'),
      text.replace(/\n/g, '\r\n'),
    ];
    for (const v of variants) {
      expect(v, 'variant differs from the canonical text').not.toBe(text);
      expect(() => parseRotationStatement(Buffer.from(v)), v).toThrow(/not in the canonical layout/);
    }
  });

  it('verifyDisc() accepts a disc signed by the new key that carries a statement signed by the pinned and the new key', async () => {
    const dir = fresh();
    writeDiscFolder(dir, newKey);
    // Rebuild it through buildDiscMetadata with the rotation files as extraFiles (the build's path).
    const updates = sampleUpdates(42);
    const manifest = manifestFor(newKey, updates);
    const metadata = buildDiscMetadata({
      manifest,
      key: newKey,
      updateFiles: manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
      indexHtml: 'x',
      readmeTxt: 'y',
      extraFiles: rotationFiles(),
    });
    expect(metadata.map((f) => f.path).filter((p) => p.startsWith('keys/')).sort()).toEqual(
      [certificateDiscPath(newKey.keyId), ROTATION_NAME, ROTATION_NEW_SIG_NAME, ROTATION_OLD_SIG_NAME].sort(),
    );
    for (const f of metadata) writeFileSync(join(dir, f.path), f.data);
    const r = await verify(dir);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks.find((c) => c.name === 'key-rotation')?.ok).toBe(true);
    expect(r.rotatedTo?.keyId).toBe(newKey.keyId);
    expect(Buffer.from(r.rotatedTo?.certificateDer ?? []).equals(newKey.certificateDer)).toBe(true);
  });

  it('buildDiscMetadata() refuses a statement that announces another key than the signing key', () => {
    const manifest = manifestFor(oldKey, sampleUpdates(42));
    expect(() =>
      buildDiscMetadata({ manifest, key: oldKey, updateFiles: manifest.files.map((f) => ({ path: f.path, sha256: f.sha256 })), indexHtml: 'x', readmeTxt: 'y', extraFiles: rotationFiles() }),
    ).toThrow(/announces another key/);
  });

  it('verifyDisc() rejects a statement signed only by the new key', async () => {
    const statement = rotationFiles().find((f) => f.path === ROTATION_NAME)!.data;
    const r = await verify(writeForgedDisc(newKey, rotationFiles({ [ROTATION_OLD_SIG_NAME]: signBytes(statement, newKey) })));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/not signed by the pinned key .*unknown key/);
    expect(r.rotatedTo).toBeUndefined();
  });

  it('verifyDisc() rejects a statement signed only by the old key', async () => {
    const statement = rotationFiles().find((f) => f.path === ROTATION_NAME)!.data;
    const r = await verify(writeForgedDisc(newKey, rotationFiles({ [ROTATION_NEW_SIG_NAME]: signBytes(statement, oldKey) })));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/not signed by the new key/);
    expect(failedChecks(r)).toEqual(['key-rotation', 'manifest-signature', 'sums-signature']);
  });

  it('verifyDisc() rejects a disc signed by a key other than the one the statement names', async () => {
    // A genuine rotation old → other, carried on a disc that the new key signed.
    const r = await verify(writeForgedDisc(newKey, rotationFiles({}, { old: oldKey, next: otherKey })));
    expect(r.ok).toBe(false);
    expect(failedChecks(r)).toEqual(['manifest-signature', 'sums-signature']);
    expect(r.rotatedTo).toBeUndefined();
  });

  it('verifyDisc() rejects a statement whose new certificate on the disc does not hash to newKeySha256', async () => {
    const r = await verify(writeForgedDisc(newKey, rotationFiles({ [certificateDiscPath(newKey.keyId)]: Buffer.from(otherKey.certificateDer) })));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/does not hash to newKeySha256/);
  });

  it('verifyDisc() rejects a disc signed by a new key without a statement ("signed by an unknown key")', async () => {
    const dir = fresh();
    writeDiscFolder(dir, newKey);
    const r = await verify(dir);
    expect(r.ok).toBe(false);
    expect(failedChecks(r)).toEqual(['manifest-signature', 'sums-signature']);
    expect(r.problems[0]).toMatch(/signed by an unknown key/);
  });

  it('verifyDisc() rejects a statement from another old key, whoever signed it', async () => {
    const fromOther = await verify(writeForgedDisc(newKey, rotationFiles({}, { old: otherKey, next: newKey })));
    expect(fromOther.ok).toBe(false);
    expect(fromOther.problems[0]).toMatch(/not signed by the pinned key/);
    // Signed by the pinned key, but naming another key as the old one.
    const statement = buildRotationStatement({ oldKeySha256: otherKey.keyId, newKeySha256: newKey.keyId, effective: EFFECTIVE });
    const misnamed = await verify(
      writeForgedDisc(newKey, rotationFiles({ [ROTATION_NAME]: statement, [ROTATION_OLD_SIG_NAME]: signBytes(statement, oldKey), [ROTATION_NEW_SIG_NAME]: signBytes(statement, newKey) })),
    );
    expect(misnamed.ok).toBe(false);
    expect(misnamed.problems[0]).toMatch(/rotates from key .*not from the pinned key/);
  });

  it('after a rotation is accepted, the state pins the new key: its discs pass without a statement, old-key discs are refused', async () => {
    const first = await verify(writeForgedDisc(newKey, rotationFiles(), 7));
    expect(first.ok).toBe(true);
    const statePath = join(fresh(), 'verify-state.json');
    const state = recordAcceptedDisc(await loadVerifyState(statePath), {
      subscriberId: 'ACME-01',
      sequence: 7,
      manifestSha256: first.manifestSha256!,
      now: NOW,
      rotation: { from: pinned.keyId, to: first.rotatedTo! },
    });
    await saveVerifyState(statePath, state);
    const reloaded = await loadVerifyState(statePath);
    expect(reloaded.subscribers['ACME-01']?.retiredKeys).toEqual([pinned.keyId]);
    const key = subscriberKey(reloaded, 'ACME-01', pinned, statePath);
    expect(key.keyId).toBe(newKey.keyId);

    const next = fresh();
    writeDiscFolder(next, newKey, { overrides: { sequence: 8 } });
    const second = await verify(next, key, 7);
    expect(second.problems).toEqual([]);
    expect(second.rotatedTo).toBeUndefined();

    // The keys survive an ordinary acceptance.
    const after = recordAcceptedDisc(reloaded, { subscriberId: 'ACME-01', sequence: 8, manifestSha256: second.manifestSha256!, now: NOW });
    expect(subscriberKey(after, 'ACME-01', pinned, statePath).keyId).toBe(newKey.keyId);

    const byOld = fresh();
    writeDiscFolder(byOld, oldKey, { overrides: { sequence: 9 } });
    expect((await verify(byOld, key, 8)).ok).toBe(false);
    // A certificate neither retired nor pinned: a re-enrollment, which needs the entry reset.
    expect(() => subscriberKey(after, 'ACME-01', { publicKey: pinned.publicKey, keyId: otherKey.keyId }, statePath)).toThrow(/re-enrollment/);
  });

  it('subscriberKey() keeps the enrolled key for a state file written before rotations existed', async () => {
    const statePath = join(fresh(), 'old-state.json');
    mkdirSync(dirname(statePath), { recursive: true });
    writeFileSync(statePath, JSON.stringify({ subscribers: { 'ACME-01': { lastSequence: 3, lastManifestSha256: 'b'.repeat(64), acceptedAt: '2026-10-01T00:00:00.000Z' } } }));
    const state = await loadVerifyState(statePath);
    expect(subscriberKey(state, 'ACME-01', pinned, statePath)).toBe(pinned);
  });

  const hasOpenssl = requireTools('openssl', 'sha256sum');
  it.skipIf(!hasOpenssl)('openssl verifies both statement signatures, each only with its own key', () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    for (const f of rotationFiles()) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.data);
    }
    writeFileSync(join(dir, 'old.cer'), oldKey.certificateDer);
    for (const who of ['old', 'new'] as const) {
      const cert = who === 'old' ? join(dir, 'old.cer') : join(dir, certificateDiscPath(newKey.keyId));
      writeFileSync(join(dir, `${who}.pem`), execFileSync('openssl', ['x509', '-inform', 'DER', '-in', cert, '-pubkey', '-noout']));
    }
    const check = (pem: string, sig: string): number | null =>
      spawnSync('openssl', ['dgst', '-sha256', '-verify', join(dir, pem), '-signature', join(dir, sig), join(dir, ROTATION_NAME)]).status;
    expect(check('old.pem', ROTATION_OLD_SIG_NAME)).toBe(0);
    expect(check('new.pem', ROTATION_NEW_SIG_NAME)).toBe(0);
    expect(check('new.pem', ROTATION_OLD_SIG_NAME)).not.toBe(0);
    expect(check('old.pem', ROTATION_NEW_SIG_NAME)).not.toBe(0);
    expect(execFileSync('sha256sum', [join(dir, certificateDiscPath(newKey.keyId))], { encoding: 'utf8' }).split(' ')[0]).toBe(newKey.keyId);
  });
});
