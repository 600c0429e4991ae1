import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { formatFingerprint, generateSigningKey, loadCertificate, loadSigningKey } from '../../../src/disc/keys.ts';
import type { GeneratedKey } from '../../../src/disc/keys.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { NOW, PASSPHRASE, sha256Hex } from './disc-fixture.ts';

const hasOpenssl = requireTools('openssl');

describe('generateSigningKey()', () => {
  const tmp = makeTempDir();
  let generated: GeneratedKey;
  let other: GeneratedKey;

  beforeAll(async () => {
    generated = await generateSigningKey({ name: 'Example Patch Service 2026', passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys'), now: NOW, days: 400 });
    other = await generateSigningKey({ name: '供应商', passphrase: 'other', keyDir: join(tmp.dir, 'keys') });
  });
  afterAll(() => tmp.remove());

  it('names the files after the slug and the key id prefix and keeps the private key at mode 0600', () => {
    const prefix = generated.keyId.slice(0, 16);
    expect(basename(generated.keyPath)).toBe(`example-patch-service-2026-${prefix}.key.pem`);
    expect(basename(generated.certPath)).toBe(`example-patch-service-2026-${prefix}.cer`);
    expect(statSync(generated.keyPath).mode & 0o777).toBe(0o600);
    expect(basename(other.certPath)).toMatch(/^key-[0-9a-f]{16}\.cer$/);
  });

  it('uses the SHA-256 of the certificate file as key id and fingerprint', () => {
    const der = readFileSync(generated.certPath);
    expect(generated.keyId).toBe(sha256Hex(der));
    expect(generated.fingerprint.replace(/\s/g, '').toLowerCase()).toBe(generated.keyId);
  });

  it('writes an encrypted PKCS#8 private key', () => {
    const pem = readFileSync(generated.keyPath, 'utf8');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
  });

  it.skipIf(!hasOpenssl)('produces a fingerprint equal to openssl x509 -fingerprint -sha256', () => {
    const out = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', generated.certPath, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
    const opensslHex = out.trim().split('=')[1]?.replace(/:/g, '').toLowerCase();
    expect(opensslHex).toBe(generated.keyId);
  });

  it.skipIf(!hasOpenssl)('produces a self-signed RSA-3072 sha256WithRSAEncryption certificate with CN = name', () => {
    const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', generated.certPath, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toMatch(/Public-Key: \(3072 bit\)/);
    expect(text).toMatch(/Subject: CN\s?=\s?Example Patch Service 2026/);
    expect(text).toMatch(/Issuer: CN\s?=\s?Example Patch Service 2026/);
    expect(text).toContain('Not Before: Oct 12 08:00:00 2026 GMT');
    expect(text).toContain('Not After : Nov 16 08:00:00 2027 GMT');
    // self-signed: verifies against itself
    const pem = join(tmp.dir, 'self.pem');
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', generated.certPath, '-out', pem]);
    const verify = execFileSync('openssl', ['verify', '-CAfile', pem, '-check_ss_sig', pem], { encoding: 'utf8' });
    expect(verify.trim()).toBe(`${pem}: OK`);
  });

  it.skipIf(!hasOpenssl)('encrypts the private key so openssl needs the passphrase', () => {
    const modulusKey = execFileSync('openssl', ['rsa', '-in', generated.keyPath, '-passin', `pass:${PASSPHRASE}`, '-noout', '-modulus'], { encoding: 'utf8' });
    const modulusCert = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', generated.certPath, '-noout', '-modulus'], { encoding: 'utf8' });
    expect(modulusKey).toBe(modulusCert);
    expect(() => execFileSync('openssl', ['rsa', '-in', generated.keyPath, '-passin', 'pass:wrong', '-noout'], { stdio: 'ignore' })).toThrow();
  });

  it('fails with USAGE on an empty passphrase', async () => {
    await expect(generateSigningKey({ name: 'x', passphrase: '', keyDir: tmp.dir })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('loadSigningKey() and loadCertificate()', () => {
  const tmp = makeTempDir();
  let a: GeneratedKey;
  let b: GeneratedKey;

  beforeAll(async () => {
    a = await generateSigningKey({ name: 'A', passphrase: PASSPHRASE, keyDir: tmp.dir, now: NOW });
    b = await generateSigningKey({ name: 'B', passphrase: PASSPHRASE, keyDir: tmp.dir, now: NOW });
  });
  afterAll(() => tmp.remove());

  it('loads the key with the right passphrase and reports the certificate key id', async () => {
    const key = await loadSigningKey({ keyPath: a.keyPath, certPath: a.certPath, passphrase: PASSPHRASE });
    expect(key.keyId).toBe(a.keyId);
    expect(key.certificateDer.equals(readFileSync(a.certPath))).toBe(true);
    expect(key.privateKey.type).toBe('private');
  });

  it('fails with KEY_ERROR and a clear line on a wrong passphrase', async () => {
    const err = await loadSigningKey({ keyPath: a.keyPath, certPath: a.certPath, passphrase: 'nope' }).catch((e: unknown) => e);
    expect(isPatchdiscError(err, 'KEY_ERROR')).toBe(true);
    expect((err as Error).message).toMatch(/^Cannot unlock private key a-[0-9a-f]{16}\.key\.pem: wrong passphrase/);
  });

  it('fails with KEY_ERROR when the certificate belongs to another key', async () => {
    await expect(loadSigningKey({ keyPath: a.keyPath, certPath: b.certPath, passphrase: PASSPHRASE })).rejects.toMatchObject({
      code: 'KEY_ERROR',
      message: expect.stringContaining('does not match certificate'),
    });
  });

  it('reads subject, expiry, key id and public key of a certificate; accepts PEM with the same key id', async () => {
    const cert = await loadCertificate(a.certPath);
    expect(cert.keyId).toBe(a.keyId);
    expect(cert.fingerprint).toBe(a.fingerprint);
    expect(cert.subject).toBe('CN=A');
    expect(cert.notAfter.getTime()).toBe(NOW.getTime() + 3650 * 86_400_000);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    const pemPath = join(tmp.dir, 'a.pem');
    const b64 = cert.der.toString('base64').replace(/.{64}/g, '$&\n');
    writeFileSync(pemPath, `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
    expect((await loadCertificate(pemPath)).keyId).toBe(a.keyId);
  });

  it('rejects a file that is not a certificate', async () => {
    const junk = join(tmp.dir, 'junk.cer');
    writeFileSync(junk, 'not a certificate');
    await expect(loadCertificate(junk)).rejects.toMatchObject({ code: 'KEY_ERROR' });
    await expect(loadCertificate(join(tmp.dir, 'missing.cer'))).rejects.toMatchObject({ code: 'KEY_ERROR' });
  });
});

describe('formatFingerprint()', () => {
  it('groups upper-case hex by 4, 8 groups a line', () => {
    const hex = '3f2a9c01'.repeat(8);
    expect(formatFingerprint(hex)).toBe(
      '3F2A 9C01 3F2A 9C01 3F2A 9C01 3F2A 9C01\n3F2A 9C01 3F2A 9C01 3F2A 9C01 3F2A 9C01',
    );
    expect(formatFingerprint('abcdef')).toBe('ABCD EF');
  });

  it('rejects non-hex input', () => {
    expect(() => formatFingerprint('xyz')).toThrow(/not hexadecimal/);
  });
});
