import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PatchdiscError, isPatchdiscError } from '../errors.ts';
import type { DiscReader } from './disc-reader.ts';
import {
  INDEX_HTML_NAME,
  KEYS_DIR,
  MANIFEST_NAME,
  MANIFEST_SIG_NAME,
  README_TXT_NAME,
  SHA256SUMS_NAME,
  SHA256SUMS_SIG_NAME,
  SIGNATURE_BYTES,
} from './disc-names.ts';
import { parseManifest } from './manifest.ts';
import type { Manifest } from './manifest.ts';
import { ROTATION_NAME, ROTATION_NEW_SIG_NAME, ROTATION_OLD_SIG_NAME, verifyDiscRotation } from './rotation.ts';
import { parseSha256Sums } from './sha256sums.ts';
import type { Sha256SumsEntry } from './sha256sums.ts';
import { verifyBytes } from './sign.ts';

/** Largest MANIFEST.json / SHA256SUMS read into memory (endless-data defence, disc-trust.md). */
export const METADATA_MAX_BYTES = 64 * 1024 * 1024;

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyDiscOptions {
  /** The pinned certificate from the enrollment kit, never one read from the disc */
  certificate: { publicKey: KeyObject; keyId: string };
  /** Subscriber code the disc must be meant for; unchecked when omitted */
  subscriber?: string;
  /** Last accepted disc of this subscriber (verify-state.ts) */
  state?: { lastSequence?: number; lastManifestSha256?: string };
  now: Date;
  signal?: AbortSignal;
}

export interface VerifyDiscResult {
  ok: boolean;
  checks: VerifyCheck[];
  /** Present once MANIFEST.json's signature verified and it parsed */
  manifest?: Manifest;
  /**
   * Present when the disc is signed by a new key that a rotation statement signed by the pinned key
   * and the new key introduced: pin this key from now on (verify-state.ts recordAcceptedDisc)
   */
  rotatedTo?: { keyId: string; certificateDer: Buffer };
  /** SHA-256 of MANIFEST.json: store it as lastManifestSha256 once the disc is accepted */
  manifestSha256?: string;
  /** Details of the failed checks */
  problems: string[];
  /** Findings that do not reject the disc (e.g. a broken chain after a missed week) */
  warnings: string[];
}

const MAX_LISTED = 5;
function few(items: string[]): string {
  return items.length <= MAX_LISTED ? items.join(', ') : `${items.slice(0, MAX_LISTED).join(', ')} and ${items.length - MAX_LISTED} more`;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Whether a SHA256SUMS entry outside the manifest is one of the disc's own metadata files. */
function isMetadataPath(path: string): boolean {
  return (
    path === MANIFEST_NAME ||
    path === MANIFEST_SIG_NAME ||
    path === INDEX_HTML_NAME ||
    path === README_TXT_NAME ||
    path === ROTATION_NAME ||
    path === ROTATION_OLD_SIG_NAME ||
    path === ROTATION_NEW_SIG_NAME ||
    (path.startsWith(`${KEYS_DIR}/`) && path.endsWith('.cer') && !path.slice(KEYS_DIR.length + 1).includes('/'))
  );
}

/** Streams a file and hashes it, stopping as soon as it grows past `limit` bytes. */
async function hashFile(target: DiscReader, path: string, limit: number, signal: AbortSignal | undefined): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of target.stream(path)) {
    signal?.throwIfAborted();
    const buf = chunk as Buffer;
    bytes += buf.length;
    if (bytes > limit) break;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Verifies a disc against the pinned certificate: both signatures, MANIFEST.json and SHA256SUMS
 * agreeing, the exact file set, every size and SHA-256, subscriber, expiry, sequence and disc k of n.
 * Only bytes whose signature verified are parsed. Never throws for a bad disc — the result says why —
 * but reader failures (an unreadable folder) and aborts propagate.
 */
export async function verifyDisc(target: DiscReader, options: VerifyDiscOptions): Promise<VerifyDiscResult> {
  const checks: VerifyCheck[] = [];
  const warnings: string[] = [];
  const add = (name: string, ok: boolean, detail: string): boolean => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const result = (extra: Partial<VerifyDiscResult> = {}): VerifyDiscResult => ({
    ok: checks.every((c) => c.ok),
    checks,
    problems: checks.filter((c) => !c.ok).map((c) => c.detail),
    warnings,
    ...extra,
  });

  const listing = await target.list();
  const sizes = new Map(listing.map((e) => [e.path, e.size]));

  // 1. The four signed-metadata files exist with plausible sizes before anything is read.
  const limits: [string, (n: number) => boolean, string][] = [
    [MANIFEST_NAME, (n) => n <= METADATA_MAX_BYTES, `at most ${METADATA_MAX_BYTES} bytes`],
    [MANIFEST_SIG_NAME, (n) => n === SIGNATURE_BYTES, `${SIGNATURE_BYTES} bytes`],
    [SHA256SUMS_NAME, (n) => n <= METADATA_MAX_BYTES, `at most ${METADATA_MAX_BYTES} bytes`],
    [SHA256SUMS_SIG_NAME, (n) => n === SIGNATURE_BYTES, `${SIGNATURE_BYTES} bytes`],
  ];
  const metaProblems: string[] = [];
  for (const [name, fits, expected] of limits) {
    const size = sizes.get(name);
    if (size === undefined) metaProblems.push(`${name} is missing`);
    else if (!fits(size)) metaProblems.push(`${name} is ${size} bytes, expected ${expected}`);
  }
  if (!add('metadata', metaProblems.length === 0, metaProblems.length === 0 ? 'signed metadata present' : `Signed metadata unusable: ${metaProblems.join('; ')}`)) {
    return result();
  }

  const readExact = async (name: string): Promise<Buffer> => {
    const data = await target.read(name);
    if (data.length !== sizes.get(name)) {
      throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${name}: ${data.length} bytes read, ${sizes.get(name)} listed`);
    }
    return data;
  };

  // 2. Signatures with the pinned key; nothing unverified is parsed. When they fail and the disc
  // carries a key rotation statement, a new key is accepted only if the statement is signed by the
  // pinned key and by the new key (rotation.ts), and then both signatures must verify with it.
  const manifestBytes = await readExact(MANIFEST_NAME);
  const sumsBytes = await readExact(SHA256SUMS_NAME);
  const manifestSig = await readExact(MANIFEST_SIG_NAME);
  const sumsSig = await readExact(SHA256SUMS_SIG_NAME);
  let signer = { publicKey: options.certificate.publicKey, keyId: options.certificate.keyId, role: 'pinned key' };
  let rotatedTo: VerifyDiscResult['rotatedTo'];
  const pinnedOk = verifyBytes(manifestBytes, manifestSig, signer.publicKey) && verifyBytes(sumsBytes, sumsSig, signer.publicKey);
  if (!pinnedOk && sizes.has(ROTATION_NAME)) {
    const rotation = await verifyDiscRotation(target, sizes, options.certificate);
    if (rotation.ok) {
      signer = { publicKey: rotation.newKey.publicKey, keyId: rotation.newKey.keyId, role: 'new key' };
      rotatedTo = { keyId: rotation.newKey.keyId, certificateDer: rotation.newKey.certificateDer };
    }
    add(
      'key-rotation',
      rotation.ok,
      rotation.ok
        ? `${ROTATION_NAME} signed by the pinned key ${options.certificate.keyId.slice(0, 16)} and the new key ${rotation.newKey.keyId.slice(0, 16)}`
        : `Key rotation refused: ${rotation.problem}`,
    );
  }
  const manifestSigOk = verifyBytes(manifestBytes, manifestSig, signer.publicKey);
  const sumsSigOk = verifyBytes(sumsBytes, sumsSig, signer.publicKey);
  const keyShort = signer.keyId.slice(0, 16);
  const unknown = rotatedTo === undefined ? ' (signed by an unknown key, or altered)' : '';
  add('manifest-signature', manifestSigOk, manifestSigOk ? `${MANIFEST_NAME} signed by ${signer.role} ${keyShort}` : `${MANIFEST_NAME}.sig is not a valid signature by the ${signer.role} ${keyShort}${unknown}`);
  add('sums-signature', sumsSigOk, sumsSigOk ? `${SHA256SUMS_NAME} signed by ${signer.role} ${keyShort}` : `${SHA256SUMS_NAME}.sig is not a valid signature by the ${signer.role} ${keyShort}${unknown}`);
  if (!manifestSigOk || !sumsSigOk) return result();

  const manifestSha256 = sha256(manifestBytes);
  let manifest: Manifest;
  let sums: { header: Record<string, string>; entries: Sha256SumsEntry[] };
  try {
    manifest = parseManifest(manifestBytes);
    sums = parseSha256Sums(sumsBytes);
  } catch (err) {
    if (!isPatchdiscError(err, 'VERIFY_FAILED')) throw err;
    add('format', false, err.message);
    return result({ manifestSha256 });
  }
  add('format', true, `${MANIFEST_NAME} and ${SHA256SUMS_NAME} well formed`);
  const found = { manifest, manifestSha256, ...(rotatedTo === undefined ? {} : { rotatedTo }) };

  add(
    'signing-key',
    manifest.signingKeySha256 === signer.keyId,
    manifest.signingKeySha256 === signer.keyId
      ? `manifest names the ${signer.role}`
      : `manifest names key ${manifest.signingKeySha256.slice(0, 16)}, ${signer.role} is ${keyShort}`,
  );

  // 3. MANIFEST.json and SHA256SUMS describe the same disc.
  const expectedHeader: Record<string, string> = {
    subscriberId: manifest.subscriberId,
    sequence: String(manifest.sequence),
    expires: manifest.expires,
    disc: `${manifest.disc}/${manifest.discs}`,
    week: manifest.week,
  };
  const disagreements: string[] = [];
  for (const [key, value] of Object.entries(expectedHeader)) {
    if (sums.header[key] !== value) disagreements.push(`header ${key} "${sums.header[key] ?? ''}" vs manifest "${value}"`);
  }
  const sumsByPath = new Map(sums.entries.map((e) => [e.path, e.sha256]));
  for (const f of manifest.files) {
    const listed = sumsByPath.get(f.path);
    if (listed === undefined) disagreements.push(`${f.path} missing from ${SHA256SUMS_NAME}`);
    else if (listed !== f.sha256) disagreements.push(`${f.path} has different SHA-256 values`);
  }
  const manifestPaths = new Set(manifest.files.map((f) => f.path));
  for (const e of sums.entries) {
    if (!manifestPaths.has(e.path) && !isMetadataPath(e.path)) disagreements.push(`${e.path} listed in ${SHA256SUMS_NAME} only`);
  }
  for (const required of [MANIFEST_NAME, MANIFEST_SIG_NAME]) {
    if (!sumsByPath.has(required)) disagreements.push(`${required} not listed in ${SHA256SUMS_NAME}`);
  }
  if (sumsByPath.get(MANIFEST_NAME) !== undefined && sumsByPath.get(MANIFEST_NAME) !== manifestSha256) {
    disagreements.push(`${SHA256SUMS_NAME} lists another ${MANIFEST_NAME}`);
  }
  add('agreement', disagreements.length === 0, disagreements.length === 0 ? `${MANIFEST_NAME} and ${SHA256SUMS_NAME} agree` : `${MANIFEST_NAME} and ${SHA256SUMS_NAME} disagree: ${few(disagreements)}`);

  // 4. Who, when, which.
  if (options.subscriber !== undefined) {
    const ok = manifest.subscriberId === options.subscriber;
    add('subscriber', ok, ok ? `meant for ${manifest.subscriberId}` : `disc is meant for ${manifest.subscriberId}, not ${options.subscriber}`);
  }
  const expires = Date.parse(manifest.expires);
  add('expiry', options.now.getTime() < expires, options.now.getTime() < expires ? `valid until ${manifest.expires}` : `expired on ${manifest.expires}; ask the vendor for a current disc`);
  const last = options.state?.lastSequence;
  if (last === undefined) {
    add('sequence', true, `sequence ${manifest.sequence}; no earlier disc recorded`);
  } else if (manifest.sequence > last) {
    add('sequence', true, `sequence ${manifest.sequence} is newer than ${last}`);
  } else if (manifest.sequence === last && (manifestSha256 === options.state?.lastManifestSha256 || manifest.discs > 1)) {
    // The same disc checked again, or another disc of the same set (a set shares one sequence).
    add('sequence', true, `sequence ${manifest.sequence} is the set already accepted`);
  } else {
    add('sequence', false, `sequence ${manifest.sequence} is not newer than ${last} already accepted: an older disc (replay)`);
  }
  const prev = options.state?.lastManifestSha256;
  if (last !== undefined && prev !== undefined && manifest.sequence === last + 1 && manifest.previousManifestSha256 !== prev) {
    warnings.push(`previousManifestSha256 does not match the last accepted disc (${prev.slice(0, 16)})`);
  }
  const discOk = manifest.disc >= 1 && manifest.disc <= manifest.discs && sums.header['disc'] === `${manifest.disc}/${manifest.discs}`;
  add('disc-number', discOk, discOk ? `disc ${manifest.disc} of ${manifest.discs}` : `disc number ${sums.header['disc'] ?? '?'} inconsistent with ${manifest.disc}/${manifest.discs}`);

  // 5. Exactly the listed files: nothing missing, nothing extra.
  const expectedPaths = new Set([...sums.entries.map((e) => e.path), SHA256SUMS_NAME, SHA256SUMS_SIG_NAME]);
  const missing = [...expectedPaths].filter((p) => !sizes.has(p));
  const extra = listing.map((e) => e.path).filter((p) => !expectedPaths.has(p));
  const seenPaths = new Set<string>();
  const duplicated: string[] = [];
  for (const e of listing) {
    if (seenPaths.has(e.path)) duplicated.push(e.path);
    seenPaths.add(e.path);
  }
  const setProblems = [
    ...(missing.length > 0 ? [`missing ${few(missing)}`] : []),
    ...(extra.length > 0 ? [`not listed ${few(extra)}`] : []),
    ...(duplicated.length > 0 ? [`present twice ${few(duplicated)}`] : []),
  ];
  add('file-set', setProblems.length === 0, setProblems.length === 0 ? `${listing.length} files, exactly as listed` : `File set differs: ${setProblems.join('; ')}`);

  // 6. Sizes first (cheap, and bounds the hashing), then SHA-256 of every listed file present.
  const manifestSizes = new Map(manifest.files.map((f) => [f.path, f.size]));
  const sizeProblems: string[] = [];
  for (const [path, size] of manifestSizes) {
    const actual = sizes.get(path);
    if (actual !== undefined && actual !== size) sizeProblems.push(`${path} is ${actual} bytes, expected ${size}`);
  }
  add('sizes', sizeProblems.length === 0, sizeProblems.length === 0 ? 'sizes match' : `Sizes differ: ${few(sizeProblems)}`);

  const hashProblems: string[] = [];
  let hashed = 0;
  for (const entry of sums.entries) {
    const actual = sizes.get(entry.path);
    const expectedSize = manifestSizes.get(entry.path) ?? actual;
    if (actual === undefined || expectedSize === undefined || actual !== expectedSize) continue;
    if (entry.path === MANIFEST_NAME) {
      if (entry.sha256 !== manifestSha256) hashProblems.push(`${entry.path} SHA-256 differs`);
      hashed += 1;
      continue;
    }
    options.signal?.throwIfAborted();
    const got = await hashFile(target, entry.path, expectedSize, options.signal);
    if (got.bytes !== expectedSize) hashProblems.push(`${entry.path} read ${got.bytes > expectedSize ? 'more' : 'fewer'} bytes than its size ${expectedSize}`);
    else if (got.sha256 !== entry.sha256) hashProblems.push(`${entry.path} SHA-256 differs`);
    hashed += 1;
  }
  add('hashes', hashProblems.length === 0, hashProblems.length === 0 ? `${hashed} files hashed, all match` : `Damaged or altered: ${few(hashProblems)}`);

  return result(found);
}
