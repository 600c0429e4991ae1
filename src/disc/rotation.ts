/**
 * Planned key rotation (disc-trust.md, "key compromise / fast-forward"): discs signed by a new key
 * carry `keys/ROTATION.json`, a statement naming the pinned (old) key and the new key, with one
 * detached signature by each. A verifier pinned to the old key accepts the new key only through a
 * statement that both keys signed; it then pins the new key.
 *
 * Rules (decided here, see verify-state.ts subscriberKey):
 * - Once a subscriber accepts a rotation, the old key is retired for that subscriber: discs it signs
 *   are refused, so a stolen old key cannot take the subscriber back or sign a second rotation.
 * - A disc carries one statement, the latest rotation, for as long as the new key signs discs
 *   (pipeline/rotation-for.ts), so a subscriber who missed weeks still meets it. Chains are not
 *   carried: a subscriber still pinned to A who never saw a B disc cannot accept C's discs (B → C);
 *   they need a new enrollment kit.
 * - `effective` is informational: discs of the rotation week may bear an earlier `created`.
 * - This covers planned rotation only. A stolen old key could sign a rotation to a key of the
 *   thief's; after a compromise the subscriber re-enrolls on paper, which resets the key and the
 *   sequence baseline.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { PatchdiscError } from '../errors.ts';
import type { DiscMetadataFile } from './disc-metadata.ts';
import type { DiscReader } from './disc-reader.ts';
import { KEYS_DIR, SIGNATURE_BYTES, SIGNING_KEY_BITS, certificateDiscPath } from './disc-names.ts';
import type { SigningKey } from './keys.ts';
import { signBytes, verifyBytes } from './sign.ts';

/** Value of the statement's `format` field; a verifier refuses any other. */
export const ROTATION_FORMAT = 'patchdisc-rotation/1';
export const ROTATION_NAME = `${KEYS_DIR}/ROTATION.json`;
/** Detached RSA PKCS#1 v1.5 SHA-256 signature of ROTATION.json by the old (pinned) key */
export const ROTATION_OLD_SIG_NAME = `${ROTATION_NAME}.old.sig`;
/** The same by the new key: proof that the holder of the new key agrees */
export const ROTATION_NEW_SIG_NAME = `${ROTATION_NAME}.new.sig`;
/** The statement is about 300 bytes; anything much larger is not one (checked before reading). */
export const ROTATION_MAX_BYTES = 4096;
/** A self-signed RSA-3072 certificate is about 1 KB; the limit bounds what a verifier reads. */
export const CERTIFICATE_MAX_BYTES = 16 * 1024;

export interface RotationStatement {
  format: string;
  oldKeySha256: string;
  newKeySha256: string;
  /** Disc path of the new certificate: `keys/<first 16 hex of newKeySha256>.cer` */
  newCertificate: string;
  /** When the new key took over (informational: discs of that week may bear an earlier `created`) */
  effective: string;
}

/** A key usable for verification, with the certificate it came from. */
export interface VerifierKey {
  publicKey: KeyObject;
  keyId: string;
  certificateDer: Buffer;
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
const statementSchema = z.strictObject({
  format: z.literal(ROTATION_FORMAT),
  oldKeySha256: sha256Hex,
  newKeySha256: sha256Hex,
  newCertificate: z.string().min(1).max(256),
  effective: z.iso.datetime(),
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The canonical layout: fixed key order, 2-space indent, `effective` as toISOString() writes it, trailing LF. */
function canonicalStatementBytes(statement: RotationStatement): Buffer {
  const ordered: RotationStatement = {
    format: statement.format,
    oldKeySha256: statement.oldKeySha256,
    newKeySha256: statement.newKeySha256,
    newCertificate: statement.newCertificate,
    effective: new Date(statement.effective).toISOString(),
  };
  return Buffer.from(`${JSON.stringify(ordered, null, 2)}\n`, 'utf8');
}

/** Canonical bytes of a statement: fixed key order, 2-space indent, trailing LF. These are signed. */
export function buildRotationStatement(input: { oldKeySha256: string; newKeySha256: string; effective: Date }): Buffer {
  const statement: RotationStatement = {
    format: ROTATION_FORMAT,
    oldKeySha256: input.oldKeySha256,
    newKeySha256: input.newKeySha256,
    newCertificate: certificateDiscPath(input.newKeySha256),
    effective: input.effective.toISOString(),
  };
  const parsed = statementSchema.safeParse(statement);
  if (!parsed.success || input.oldKeySha256 === input.newKeySha256) {
    throw new PatchdiscError('VALIDATION', `Cannot build ${ROTATION_NAME}: ${parsed.success ? 'old and new key are the same' : parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return canonicalStatementBytes(statement);
}

/**
 * Parses statement bytes (call only on bytes whose old-key signature verified). Malformed is
 * VERIFY_FAILED, and so is any layout but the canonical one buildRotationStatement writes: the kit's
 * verify-disc.sh and verify.html accept only those bytes, and all verifiers must agree on a disc.
 */
export function parseRotationStatement(bytes: Uint8Array): RotationStatement {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${ROTATION_NAME}: not valid UTF-8 JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = statementSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${ROTATION_NAME}: ${issue === undefined ? 'invalid' : `${issue.path.join('.') || '(root)'}: ${issue.message}`}`, {
      cause: parsed.error,
    });
  }
  if (!canonicalStatementBytes(parsed.data).equals(bytes)) {
    throw new PatchdiscError(
      'VERIFY_FAILED',
      `Cannot read ${ROTATION_NAME}: not in the canonical layout (fixed key order, 2-space indent, effective with milliseconds, trailing LF); use the statement written by patchdisc keys rotate`,
    );
  }
  return parsed.data;
}

/**
 * The files a disc signed by `newKey` carries to announce the rotation from `oldKey`: the statement,
 * its two signatures and the new certificate (the same `keys/<new16>.cer` buildDiscMetadata writes).
 */
export function buildRotationFiles(input: { oldKey: SigningKey; newKey: SigningKey; effective: Date }): DiscMetadataFile[] {
  const statement = buildRotationStatement({ oldKeySha256: input.oldKey.keyId, newKeySha256: input.newKey.keyId, effective: input.effective });
  return [
    { path: ROTATION_NAME, data: statement },
    { path: ROTATION_OLD_SIG_NAME, data: signBytes(statement, input.oldKey) },
    { path: ROTATION_NEW_SIG_NAME, data: signBytes(statement, input.newKey) },
    { path: certificateDiscPath(input.newKey.keyId), data: Buffer.from(input.newKey.certificateDer) },
  ];
}

/**
 * The public key of a DER certificate, its key id (SHA-256 of the DER) and the DER itself. Throws
 * VERIFY_FAILED for anything but an RSA-3072 X.509 certificate.
 */
export function verifierKeyFromDer(der: Uint8Array): VerifierKey {
  let publicKey: KeyObject;
  try {
    publicKey = new X509Certificate(der).publicKey;
  } catch (err) {
    throw new PatchdiscError('VERIFY_FAILED', 'Cannot read certificate: not a DER X.509 certificate', { cause: err });
  }
  if (publicKey.asymmetricKeyType !== 'rsa' || publicKey.asymmetricKeyDetails?.modulusLength !== SIGNING_KEY_BITS) {
    throw new PatchdiscError('VERIFY_FAILED', `Cannot use certificate: it holds a ${publicKey.asymmetricKeyType ?? 'unknown'} key, not RSA-${SIGNING_KEY_BITS}`);
  }
  return { publicKey, keyId: sha256(der), certificateDer: Buffer.from(der) };
}

export type RotationResult = { ok: true; statement: RotationStatement; newKey: VerifierKey } | { ok: false; problem: string };

/**
 * Checks the rotation statement on a disc against the pinned key: present and of plausible size,
 * signed by the pinned key, naming the pinned key as old, its new certificate on the disc hashing to
 * newKeySha256, and signed by that new key. Only the statement whose old-key signature verified is
 * parsed. `sizes` is the disc listing (path → bytes).
 */
export async function verifyDiscRotation(
  target: DiscReader,
  sizes: ReadonlyMap<string, number>,
  pinned: { publicKey: KeyObject; keyId: string },
): Promise<RotationResult> {
  const fail = (problem: string): RotationResult => ({ ok: false, problem });
  const pinnedShort = pinned.keyId.slice(0, 16);
  const wanted: [string, (n: number) => boolean][] = [
    [ROTATION_NAME, (n) => n <= ROTATION_MAX_BYTES],
    [ROTATION_OLD_SIG_NAME, (n) => n === SIGNATURE_BYTES],
    [ROTATION_NEW_SIG_NAME, (n) => n === SIGNATURE_BYTES],
  ];
  for (const [name, fits] of wanted) {
    const size = sizes.get(name);
    if (size === undefined) return fail(`key rotation statement incomplete: ${name} is missing`);
    if (!fits(size)) return fail(`key rotation statement unusable: ${name} is ${size} bytes`);
  }
  const readExact = async (name: string): Promise<Buffer | undefined> => {
    const data = await target.read(name);
    return data.length === sizes.get(name) ? data : undefined;
  };
  const statementBytes = await readExact(ROTATION_NAME);
  const oldSig = await readExact(ROTATION_OLD_SIG_NAME);
  const newSig = await readExact(ROTATION_NEW_SIG_NAME);
  if (!statementBytes || !oldSig || !newSig) return fail('key rotation statement unusable: a file changed size while being read');
  if (!verifyBytes(statementBytes, oldSig, pinned.publicKey)) {
    return fail(`${ROTATION_NAME} is not signed by the pinned key ${pinnedShort}: signed by an unknown key`);
  }
  let statement: RotationStatement;
  try {
    statement = parseRotationStatement(statementBytes);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (statement.oldKeySha256 !== pinned.keyId) {
    return fail(`${ROTATION_NAME} rotates from key ${statement.oldKeySha256.slice(0, 16)}, not from the pinned key ${pinnedShort}`);
  }
  if (statement.newKeySha256 === pinned.keyId || statement.newCertificate !== certificateDiscPath(statement.newKeySha256)) {
    return fail(`${ROTATION_NAME} names new certificate ${statement.newCertificate}, expected ${certificateDiscPath(statement.newKeySha256)} of another key`);
  }
  const certSize = sizes.get(statement.newCertificate);
  if (certSize === undefined || certSize > CERTIFICATE_MAX_BYTES) {
    return fail(`new certificate ${statement.newCertificate} is ${certSize === undefined ? 'missing' : `${certSize} bytes`}`);
  }
  const certDer = await readExact(statement.newCertificate);
  if (!certDer || sha256(certDer) !== statement.newKeySha256) {
    return fail(`new certificate ${statement.newCertificate} does not hash to newKeySha256 ${statement.newKeySha256.slice(0, 16)}`);
  }
  let newKey: VerifierKey;
  try {
    newKey = verifierKeyFromDer(certDer);
  } catch (err) {
    return fail(`new certificate ${statement.newCertificate}: ${(err as Error).message}`);
  }
  if (!verifyBytes(statementBytes, newSig, newKey.publicKey)) {
    return fail(`${ROTATION_NAME} is not signed by the new key ${statement.newKeySha256.slice(0, 16)}`);
  }
  return { ok: true, statement, newKey };
}
