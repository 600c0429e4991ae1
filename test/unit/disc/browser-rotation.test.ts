import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_ROTATION_JS } from '../../../src/disc/browser-rotation.ts';
import { BROWSER_SHA256_JS } from '../../../src/disc/browser-sha256.ts';
import { generateSigningKey, loadSigningKey } from '../../../src/disc/keys.ts';
import type { SigningKey } from '../../../src/disc/keys.ts';
import { buildRotationStatement } from '../../../src/disc/rotation.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { PASSPHRASE } from './disc-fixture.ts';

interface Remembered {
  keyId: string;
  certificate: Uint8Array;
}
interface BrowserRotation {
  certificateSpki(der: Uint8Array): Uint8Array;
  importCertificateKey(der: Uint8Array): Promise<CryptoKey>;
  parseRotationStatement(bytes: Uint8Array): Record<string, string>;
  rememberedKey(saved: unknown, enrolledKeyId: string): Remembered | null;
  keyStateAfter(saved: unknown, rotation: { from: string; keyId: string; certificate: Uint8Array } | null): Record<string, unknown>;
}
// The page's source, run in Node: WebCrypto, atob/btoa and TextDecoder are globals in both.
const js = new Function(
  `${BROWSER_SHA256_JS}\n${BROWSER_ROTATION_JS}\nreturn { certificateSpki, importCertificateKey, parseRotationStatement, rememberedKey, keyStateAfter };`,
)() as BrowserRotation;

describe('BROWSER_ROTATION_JS (verify.html key rotation)', () => {
  const tmp = makeTempDir();
  let oldKey: SigningKey;
  let newKey: SigningKey;
  beforeAll(async () => {
    const make = async (name: string): Promise<SigningKey> => {
      const g = await generateSigningKey({ name, passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys') });
      return loadSigningKey({ keyPath: g.keyPath, certPath: g.certPath, passphrase: PASSPHRASE });
    };
    [oldKey, newKey] = await Promise.all([make('Vendor 2026'), make('Vendor 2027')]);
  }, 60_000);
  afterAll(() => tmp.remove());

  it('certificateSpki() returns the SubjectPublicKeyInfo that node:crypto finds in the certificate', async () => {
    const der = new Uint8Array(newKey.certificateDer);
    const expected = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
    expect(Buffer.from(js.certificateSpki(der)).equals(expected)).toBe(true);
    const key = await js.importCertificateKey(der);
    expect((key.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(3072);
  });

  it('certificateSpki() refuses truncated, padded and non-minimal DER', () => {
    const der = Buffer.from(newKey.certificateDer);
    expect(() => js.certificateSpki(der.subarray(0, der.length - 1))).toThrow(/runs past|truncated/);
    expect(() => js.certificateSpki(Buffer.concat([der, Buffer.from([0])]))).toThrow(/bytes after the Certificate/);
    // The outer length (0x82 hi lo) re-encoded with a leading zero byte (0x83 00 hi lo).
    expect(der[1]).toBe(0x82);
    const padded = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), der.subarray(2)]);
    expect(() => js.certificateSpki(padded)).toThrow(/non-minimal/);
    const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(4)]);
    expect(() => js.certificateSpki(indefinite)).toThrow(/bad DER length/);
    expect(() => js.certificateSpki(Buffer.from([0x31, 0x00]))).toThrow(/Certificate has tag 0x31/);
  });

  it('parseRotationStatement() accepts only the canonical bytes of buildRotationStatement()', () => {
    const effective = new Date('2026-10-10T09:00:00Z');
    const bytes = buildRotationStatement({ oldKeySha256: oldKey.keyId, newKeySha256: newKey.keyId, effective });
    expect(js.parseRotationStatement(bytes).newKeySha256).toBe(newKey.keyId);
    const text = bytes.toString('utf8');
    const variants = [
      JSON.stringify(JSON.parse(text)),
      text.replace('\n}\n', '\n}'),
      text.replace('  "format"', '   "format"'),
      text.replace('.000Z', 'Z'),
      text.replace('"effective"', '"extra": "x",\n  "effective"'),
      text.replace(`"${newKey.keyId}"`, `"${newKey.keyId.toUpperCase()}"`),
      text.replace('patchdisc-rotation/1', 'patchdisc-rotation/2'),
    ];
    for (const v of variants) expect(() => js.parseRotationStatement(Buffer.from(v)), v).toThrow();
  });

  it('rememberedKey() and keyStateAfter() keep the rotated key and the retired ones like verify-state.ts', () => {
    const certificate = new Uint8Array(newKey.certificateDer);
    const state = js.keyStateAfter({ sequence: 6, manifest: '' }, { from: oldKey.keyId, keyId: newKey.keyId, certificate });
    expect(state).toEqual({ keySha256: newKey.keyId, keyCertificate: Buffer.from(certificate).toString('base64'), retiredKeys: [oldKey.keyId] });
    expect(js.rememberedKey(state, oldKey.keyId)?.keyId).toBe(newKey.keyId);
    expect(js.rememberedKey(null, oldKey.keyId)).toBeNull();
    expect(js.rememberedKey({ sequence: 3, manifest: '' }, oldKey.keyId)).toBeNull();
    expect(js.keyStateAfter(state, null)).toEqual(state);
    expect(() => js.rememberedKey({ ...state, keyCertificate: Buffer.from(oldKey.certificateDer).toString('base64') }, oldKey.keyId)).toThrow(/damaged/);
    expect(() => js.rememberedKey(state, 'f'.repeat(64))).toThrow(/re-enrollment/);
  });
});
