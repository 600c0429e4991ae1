import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PatchdiscError } from '../errors.ts';
import { SIGNATURE_BYTES } from './disc-names.ts';
import type { SigningKey } from './keys.ts';

/**
 * Signs the exact bytes with RSA PKCS#1 v1.5 over SHA-256 (Node's default RSA padding), returning the
 * raw detached signature that `openssl dgst -sha256 -verify` reads (disc-trust.md).
 */
export function signBytes(data: Uint8Array, key: SigningKey): Buffer {
  const signature = sign('sha256', data, key.privateKey);
  if (signature.length !== SIGNATURE_BYTES) {
    throw new PatchdiscError(
      'KEY_ERROR',
      `Cannot sign with key ${key.keyId.slice(0, 16)}: signature is ${signature.length} bytes, expected ${SIGNATURE_BYTES} (not an RSA-3072 key)`,
    );
  }
  return signature;
}

/**
 * True when `signature` is a valid RSA PKCS#1 v1.5 SHA-256 signature of `data` under `publicKey`.
 * Never throws for a malformed signature: a wrong length or garbage is simply not valid.
 */
export function verifyBytes(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify('sha256', data, publicKey, signature);
  } catch {
    return false;
  }
}
