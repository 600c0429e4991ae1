import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { PatchdiscError } from '../errors.ts';

/** What a subscriber's verifier remembers of the last accepted disc (rollback defence). */
export interface SubscriberVerifyState {
  lastSequence: number;
  lastManifestSha256: string;
  acceptedAt: string;
  /**
   * The key accepted through a key rotation (rotation.ts): its SHA-256 and DER certificate (base64).
   * Absent until a rotation is accepted; then it replaces the enrolled key for this subscriber.
   */
  keySha256?: string;
  keyCertificate?: string;
  /** Keys this subscriber no longer accepts: the enrolled key and every key rotated away from */
  retiredKeys?: string[];
}

export interface VerifyState {
  subscribers: Record<string, SubscriberVerifyState>;
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const stateSchema = z.strictObject({
  subscribers: z.record(
    z.string().min(1),
    z.strictObject({
      lastSequence: z.number().int().nonnegative(),
      lastManifestSha256: sha256Hex,
      acceptedAt: z.iso.datetime({ offset: true }),
      keySha256: sha256Hex.optional(),
      keyCertificate: z.base64().optional(),
      retiredKeys: z.array(sha256Hex).optional(),
    }).refine((e) => (e.keySha256 === undefined) === (e.keyCertificate === undefined), 'keySha256 and keyCertificate go together'),
  ),
});

/** Reads the state file; a missing file is an empty state (nothing accepted yet). */
export async function loadVerifyState(path: string): Promise<VerifyState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { subscribers: {} };
    throw new PatchdiscError('VALIDATION', `Cannot read verify state ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PatchdiscError('VALIDATION', `Cannot read verify state ${path}: not JSON; restore it from backup or re-enroll`, { cause: err });
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PatchdiscError(
      'VALIDATION',
      `Cannot read verify state ${path}: ${issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`}; restore it from backup or re-enroll`,
      { cause: parsed.error },
    );
  }
  const subscribers: Record<string, SubscriberVerifyState> = Object.create(null) as Record<string, SubscriberVerifyState>;
  for (const [code, entry] of Object.entries(parsed.data.subscribers)) {
    const { keySha256, keyCertificate, retiredKeys, ...rest } = entry;
    subscribers[code] = {
      ...rest,
      ...(keySha256 === undefined || keyCertificate === undefined ? {} : { keySha256, keyCertificate }),
      ...(retiredKeys === undefined ? {} : { retiredKeys }),
    };
  }
  return { subscribers };
}

/** Writes the state atomically: a temp file in the same folder, fsync, then rename over the old one. */
export async function saveVerifyState(path: string, state: VerifyState): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify({ subscribers: state.subscribers }, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new PatchdiscError('VALIDATION', `Cannot save verify state ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The `state` option of verifyDisc() for one subscriber. */
export function subscriberState(state: VerifyState, subscriberId: string): { lastSequence?: number; lastManifestSha256?: string } {
  const entry = Object.hasOwn(state.subscribers, subscriberId) ? state.subscribers[subscriberId] : undefined;
  return entry === undefined ? {} : { lastSequence: entry.lastSequence, lastManifestSha256: entry.lastManifestSha256 };
}

/**
 * The key that signs this subscriber's discs: the one accepted through a key rotation when the state
 * has one, else the enrolled certificate. After a rotation the enrolled (old) key is retired: discs it
 * signs are refused, so a stolen old key cannot take a subscriber back. A certificate that is neither
 * the rotated key nor a retired one means a re-enrollment: the state entry must be reset first.
 */
export function subscriberKey(
  state: VerifyState,
  subscriberId: string,
  enrolled: { publicKey: KeyObject; keyId: string },
  statePath: string,
): { publicKey: KeyObject; keyId: string } {
  const entry = Object.hasOwn(state.subscribers, subscriberId) ? state.subscribers[subscriberId] : undefined;
  if (entry?.keySha256 === undefined || entry.keyCertificate === undefined || entry.keySha256 === enrolled.keyId) return enrolled;
  if (!(entry.retiredKeys ?? []).includes(enrolled.keyId)) {
    throw new PatchdiscError(
      'USAGE',
      `Cannot verify for ${subscriberId}: verify state ${statePath} pins key ${entry.keySha256.slice(0, 16)} (accepted through a key rotation) but the certificate given is ${enrolled.keyId.slice(0, 16)}; after a re-enrollment remove the entry of ${subscriberId} from the state file`,
    );
  }
  const der = Buffer.from(entry.keyCertificate, 'base64');
  const damaged = `Cannot read verify state ${statePath}: the rotated key certificate of ${subscriberId} is damaged; restore it from backup or re-enroll`;
  if (createHash('sha256').update(der).digest('hex') !== entry.keySha256) throw new PatchdiscError('VALIDATION', damaged);
  try {
    return { publicKey: new X509Certificate(der).publicKey, keyId: entry.keySha256 };
  } catch (cause) {
    throw new PatchdiscError('VALIDATION', damaged, { cause });
  }
}

/**
 * New state after accepting a disc. The sequence never goes down, so accepting disc 1 of a set after
 * disc 2 keeps the set's sequence. With `rotation`, the new key is pinned and the key it replaced
 * (`from`) is retired; otherwise the entry's keys are kept.
 */
export function recordAcceptedDisc(
  state: VerifyState,
  disc: {
    subscriberId: string;
    sequence: number;
    manifestSha256: string;
    now: Date;
    rotation?: { from: string; to: { keyId: string; certificateDer: Uint8Array } };
  },
): VerifyState {
  const previous = subscriberState(state, disc.subscriberId);
  if (previous.lastSequence !== undefined && disc.sequence < previous.lastSequence) {
    throw new PatchdiscError(
      'VERIFY_FAILED',
      `Cannot record disc sequence ${disc.sequence} for ${disc.subscriberId}: ${previous.lastSequence} is already accepted`,
    );
  }
  const old = Object.hasOwn(state.subscribers, disc.subscriberId) ? state.subscribers[disc.subscriberId] : undefined;
  const keys: Partial<SubscriberVerifyState> = {};
  if (disc.rotation !== undefined) {
    keys.keySha256 = disc.rotation.to.keyId;
    keys.keyCertificate = Buffer.from(disc.rotation.to.certificateDer).toString('base64');
    keys.retiredKeys = [...new Set([...(old?.retiredKeys ?? []), disc.rotation.from])].filter((k) => k !== disc.rotation?.to.keyId);
  } else if (old !== undefined) {
    if (old.keySha256 !== undefined && old.keyCertificate !== undefined) {
      keys.keySha256 = old.keySha256;
      keys.keyCertificate = old.keyCertificate;
    }
    if (old.retiredKeys !== undefined) keys.retiredKeys = old.retiredKeys;
  }
  return {
    subscribers: {
      ...state.subscribers,
      [disc.subscriberId]: { lastSequence: disc.sequence, lastManifestSha256: disc.manifestSha256, acceptedAt: disc.now.toISOString(), ...keys },
    },
  };
}
