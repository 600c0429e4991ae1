import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
// @peculiar/x509 registers its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { PatchdiscError } from '../errors.ts';
import { KEY_ID_PREFIX_CHARS, SIGNING_KEY_BITS } from './disc-names.ts';

const DEFAULT_VALIDITY_DAYS = 3650;
const DAY_MS = 86_400_000;
/** Serial numbers are positive 16-byte integers (RFC 5280 §4.1.2.2 allows up to 20 octets). */
const SERIAL_BYTES = 16;
const FINGERPRINT_GROUP_CHARS = 4;
const FINGERPRINT_GROUPS_PER_LINE = 8;

export interface GeneratedKey {
  keyPath: string;
  certPath: string;
  /** SHA-256 (lowercase hex) of the certificate DER — the same value as `sha256sum <cert>` */
  keyId: string;
  /** `keyId` grouped for reading aloud (see formatFingerprint) */
  fingerprint: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  certificateDer: Buffer;
  keyId: string;
}

export interface LoadedCertificate {
  der: Buffer;
  publicKey: KeyObject;
  keyId: string;
  fingerprint: string;
  subject: string;
  notAfter: Date;
}

/** SHA-256 hex of a certificate's DER bytes: the key id and fingerprint of patchdisc keys. */
export function certificateKeyId(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Groups a hex digest for reading over the phone: upper case, groups of 4, 8 groups a line.
 */
export function formatFingerprint(hex: string): string {
  if (!/^[0-9a-fA-F]+$/.test(hex)) {
    throw new PatchdiscError('VALIDATION', `Cannot format fingerprint: "${hex}" is not hexadecimal`);
  }
  const upper = hex.toUpperCase();
  const groups: string[] = [];
  for (let i = 0; i < upper.length; i += FINGERPRINT_GROUP_CHARS) {
    groups.push(upper.slice(i, i + FINGERPRINT_GROUP_CHARS));
  }
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += FINGERPRINT_GROUPS_PER_LINE) {
    lines.push(groups.slice(i, i + FINGERPRINT_GROUPS_PER_LINE).join(' '));
  }
  return lines.join('\n');
}

function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return slug === '' ? 'key' : slug;
}

/**
 * Creates an RSA-3072 signing key and its self-signed certificate (CN = name, sha256WithRSAEncryption).
 * The private key is written as passphrase-encrypted PKCS#8 PEM with mode 0600; neither file is
 * overwritten if it exists.
 */
export async function generateSigningKey(options: {
  name: string;
  days?: number;
  passphrase: string;
  keyDir: string;
  now?: Date;
}): Promise<GeneratedKey> {
  const days = options.days ?? DEFAULT_VALIDITY_DAYS;
  const now = options.now ?? new Date();
  if (options.name.trim() === '') {
    throw new PatchdiscError('USAGE', 'Cannot generate signing key: the name is empty; give the vendor name for the certificate');
  }
  if (!Number.isInteger(days) || days < 1) {
    throw new PatchdiscError('USAGE', `Cannot generate signing key: validity of ${days} days is not a positive whole number`);
  }
  if (options.passphrase.length === 0) {
    throw new PatchdiscError('USAGE', 'Cannot generate signing key: the passphrase is empty; the private key is always stored encrypted');
  }

  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: SIGNING_KEY_BITS });
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      'pkcs8',
      privateKey.export({ type: 'pkcs8', format: 'der' }),
      algorithm,
      false,
      ['sign'],
    ),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      algorithm,
      true,
      ['verify'],
    ),
  };
  const serial = randomBytes(SERIAL_BYTES);
  serial[0] = (serial[0] ?? 0) & 0x7f; // keep the DER INTEGER positive
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [options.name] }],
    notBefore: now,
    notAfter: new Date(now.getTime() + days * DAY_MS),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const der = Buffer.from(cert.rawData);
  const keyId = certificateKeyId(der);
  const stem = `${slugify(options.name)}-${keyId.slice(0, KEY_ID_PREFIX_CHARS)}`;
  const keyPath = join(options.keyDir, `${stem}.key.pem`);
  const certPath = join(options.keyDir, `${stem}.cer`);
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: options.passphrase });

  try {
    await mkdir(options.keyDir, { recursive: true, mode: 0o700 });
    await writeFile(keyPath, pem, { mode: 0o600, flag: 'wx' });
    await writeFile(certPath, der, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw new PatchdiscError('KEY_ERROR', `Cannot write signing key to ${options.keyDir}: ${(err as Error).message}`, {
      cause: err,
      details: { keyPath, certPath },
    });
  }
  return { keyPath, certPath, keyId, fingerprint: formatFingerprint(keyId) };
}

async function readKeyFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new PatchdiscError('KEY_ERROR', `Cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** DER bytes of a certificate file; a PEM certificate is accepted and converted. */
function certificateDer(bytes: Buffer, path: string): Buffer {
  try {
    const cert = new X509Certificate(bytes);
    return Buffer.from(cert.raw);
  } catch (err) {
    throw new PatchdiscError('KEY_ERROR', `Cannot read certificate ${basename(path)}: not an X.509 certificate (DER or PEM)`, {
      cause: err,
      details: { path },
    });
  }
}

/** Reads a certificate and derives its key id (SHA-256 of the DER) and readable fingerprint. */
export async function loadCertificate(path: string): Promise<LoadedCertificate> {
  const der = certificateDer(await readKeyFile(path, 'certificate'), path);
  const cert = new X509Certificate(der);
  const publicKey = cert.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa' || publicKey.asymmetricKeyDetails?.modulusLength !== SIGNING_KEY_BITS) {
    throw new PatchdiscError(
      'KEY_ERROR',
      `Cannot use certificate ${basename(path)}: it holds a ${publicKey.asymmetricKeyType ?? 'unknown'} key, not RSA-${SIGNING_KEY_BITS}`,
      { details: { path } },
    );
  }
  const keyId = certificateKeyId(der);
  return {
    der,
    publicKey,
    keyId,
    fingerprint: formatFingerprint(keyId),
    subject: cert.subject,
    notAfter: new Date(cert.validTo),
  };
}

/**
 * Loads the encrypted private key and its certificate, checking that they belong together.
 */
export async function loadSigningKey(options: { keyPath: string; certPath: string; passphrase: string }): Promise<SigningKey> {
  const pem = await readKeyFile(options.keyPath, 'private key');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem', passphrase: options.passphrase });
  } catch (err) {
    throw new PatchdiscError(
      'KEY_ERROR',
      `Cannot unlock private key ${basename(options.keyPath)}: wrong passphrase or damaged key file; check the passphrase`,
      { cause: err, details: { keyPath: options.keyPath } },
    );
  }
  const cert = await loadCertificate(options.certPath);
  const fromPrivate = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  if (!fromPrivate.equals(fromCert)) {
    throw new PatchdiscError(
      'KEY_ERROR',
      `Cannot use private key ${basename(options.keyPath)}: it does not match certificate ${basename(options.certPath)}; pick the certificate made with this key`,
      { details: { keyPath: options.keyPath, certPath: options.certPath } },
    );
  }
  return { privateKey, certificateDer: cert.der, keyId: cert.keyId };
}
