import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, loadCertificate, loadSigningKey } from '../../../src/disc/keys.ts';
import type { GeneratedKey, SigningKey } from '../../../src/disc/keys.ts';
import { signBytes, verifyBytes } from '../../../src/disc/sign.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { PASSPHRASE } from './disc-fixture.ts';

const hasOpenssl = requireTools('openssl');

describe('signBytes() / verifyBytes()', () => {
  const tmp = makeTempDir();
  let generated: GeneratedKey;
  let key: SigningKey;
  let otherKey: SigningKey;

  beforeAll(async () => {
    generated = await generateSigningKey({ name: 'Signer', passphrase: PASSPHRASE, keyDir: tmp.dir });
    key = await loadSigningKey({ keyPath: generated.keyPath, certPath: generated.certPath, passphrase: PASSPHRASE });
    const o = await generateSigningKey({ name: 'Other', passphrase: PASSPHRASE, keyDir: tmp.dir });
    otherKey = await loadSigningKey({ keyPath: o.keyPath, certPath: o.certPath, passphrase: PASSPHRASE });
  });
  afterAll(() => tmp.remove());

  const data = Buffer.from('{"format":"patchdisc-manifest/1"}\n');

  it('produces a raw 384-byte signature that verifies with the certificate key', async () => {
    const sig = signBytes(data, key);
    expect(sig.length).toBe(384);
    const cert = await loadCertificate(generated.certPath);
    expect(verifyBytes(data, sig, cert.publicKey)).toBe(true);
  });

  it('is deterministic (PKCS#1 v1.5 has no salt)', () => {
    expect(signBytes(data, key).equals(signBytes(data, key))).toBe(true);
  });

  it('rejects changed data, a flipped signature bit, a truncated or empty signature and another key', async () => {
    const sig = signBytes(data, key);
    const cert = await loadCertificate(generated.certPath);
    const changed = Buffer.from(data);
    changed[0] = (changed[0] ?? 0) ^ 1;
    expect(verifyBytes(changed, sig, cert.publicKey)).toBe(false);
    const flipped = Buffer.from(sig);
    flipped[100] = (flipped[100] ?? 0) ^ 0x80;
    expect(verifyBytes(data, flipped, cert.publicKey)).toBe(false);
    expect(verifyBytes(data, sig.subarray(0, 383), cert.publicKey)).toBe(false);
    expect(verifyBytes(data, new Uint8Array(0), cert.publicKey)).toBe(false);
    expect(verifyBytes(data, signBytes(data, otherKey), cert.publicKey)).toBe(false);
  });

  it.skipIf(!hasOpenssl)('is accepted by openssl dgst -sha256 -verify and refused for other data', () => {
    const file = join(tmp.dir, 'data.bin');
    const sigFile = join(tmp.dir, 'data.bin.sig');
    const pub = join(tmp.dir, 'pub.pem');
    writeFileSync(file, data);
    writeFileSync(sigFile, signBytes(data, key));
    writeFileSync(pub, execFileSync('openssl', ['x509', '-inform', 'DER', '-in', generated.certPath, '-pubkey', '-noout']));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sigFile, file], { encoding: 'utf8' });
    expect(out.trim()).toBe('Verified OK');
    writeFileSync(file, Buffer.concat([data, Buffer.from(' ')]));
    expect(() => execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', sigFile, file], { stdio: 'ignore' })).toThrow();
  });
});
